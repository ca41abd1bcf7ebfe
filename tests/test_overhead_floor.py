"""benchmarks/overhead.py's floor arm does the Store's own work: the same file, in the same place, with the same
mode, and one ledger row; its distinct replies are still images. (Its timings are printed, never asserted.)"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import sqlite3
import stat
import sys
from pathlib import Path

import pytest
from PIL import Image

import toolkit as tk

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def overhead():
    spec = importlib.util.spec_from_file_location("bench_overhead", ROOT / "benchmarks" / "overhead.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_overhead"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("bench_overhead", None)


def _image(fmt: str, colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize("fmt,mime", [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_distinct_replies_differ_and_are_still_images(overhead, fmt, mime):
    data = _image(fmt, (200, 40, 90))
    one, two = overhead.unique(data, mime, 1), overhead.unique(data, mime, 2)
    assert one != two and one != data
    for variant in (one, two):
        with Image.open(io.BytesIO(variant)) as img:
            img.load()  # a broken chunk or segment would fail here (PNG CRCs are checked)
            assert img.size == (40, 30) and img.format == fmt


def test_floor_writes_the_file_the_studio_writes_and_one_ledger_row(overhead, gemini, server, tmp_path, monkeypatch):
    data = overhead.unique(_image("PNG", (10, 120, 220)), "image/png", 7)
    monkeypatch.setattr(server, "static_image", data)  # the session's fake, for this test only
    monkeypatch.setattr(server, "static_mime", "image/png")
    r = gemini.generate("a floor check")
    studio_file = Path(r.outputs[0].path)

    floor_home = tmp_path / "floor"
    floor_home.mkdir()
    keeper = overhead.Floor(floor_home)
    keeper.keep(data, "image/png", "a floor check")
    keeper.conn.close()

    sha = hashlib.sha256(data).hexdigest()
    floor_file = floor_home / tk.Store(floor_home).image_relpath(sha, "image/png")
    assert floor_file.read_bytes() == data
    # the same content address, relative to each home: the floor writes where the Studio writes
    assert floor_file.relative_to(floor_home) == studio_file.relative_to(gemini.engine.store.home)
    if os.name == "posix":
        assert stat.S_IMODE(floor_file.stat().st_mode) == stat.S_IMODE(studio_file.stat().st_mode) == 0o600
    assert not [p for p in floor_file.parent.iterdir() if p.name.startswith(".tmp-")]  # renamed into place
    with sqlite3.connect(floor_home / "ledger.sqlite") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT key, status FROM calls").fetchall() == [(sha, "ok")]
