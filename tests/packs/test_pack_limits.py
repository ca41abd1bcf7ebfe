"""Zip bombs, oversized and lying members, too many members, files that are not packs, and the exported file's
permissions (items 4, 8 and 9 of the pack security audit)."""

from __future__ import annotations

import json
import os
import stat
import threading
import tracemalloc
import zipfile
import zlib
from contextlib import suppress

import pytest
from pack_helpers import deflated_zeros, home_files, members, raw_zip, repack, write_pack

import toolkit as tk
import toolkit.packs.safety as safety


def manifest_bytes(recorded):
    return members(recorded)["manifest.json"]


def test_a_2_mb_pack_that_inflates_to_2_gb_is_refused_without_inflating_it(recorded, tmp_path):
    bomb = deflated_zeros(2 << 30)
    assert len(bomb) < 3 << 20
    pack = tmp_path / "bomb.pack"
    pack.write_bytes(raw_zip([("manifest.json", manifest_bytes(recorded), zipfile.ZIP_STORED,
                               zlib.crc32(manifest_bytes(recorded)), len(manifest_bytes(recorded))),
                              ("cache.jsonl", bomb, zipfile.ZIP_DEFLATED, 0, 2 << 30)]))
    tracemalloc.start()
    try:
        with pytest.raises(tk.ConfigError, match=r"bomb\.pack.*cache\.jsonl.*inflates \d+ times.*100:1"):
            tk.Studio(backend="offline", home=tmp_path / "home", replay=pack)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 << 20  # nothing inflated: no buffer near the 2 GB it declares
    assert home_files(tmp_path / "home") == set()


def test_a_member_declared_over_its_limit_is_refused_before_reading(recorded, tmp_path):
    big = 65 << 20  # one image over MAX_IMAGE_BYTES (64 MB), barely compressible: the size is what is refused
    name = f"images/ab/ab{'0' * 62}.png"
    pack = tmp_path / "big.pack"
    pack.write_bytes(raw_zip([("manifest.json", manifest_bytes(recorded), zipfile.ZIP_STORED,
                               zlib.crc32(manifest_bytes(recorded)), len(manifest_bytes(recorded))),
                              (name, deflated_zeros(big, 5 << 20), zipfile.ZIP_DEFLATED, 0, big)]))
    with pytest.raises(tk.ConfigError, match=rf"member '{name}': {big} bytes uncompressed, over the limit of 64 MB"):
        tk.read_pack_manifest(pack)


def test_a_member_that_lies_about_its_size_is_cut_at_that_size(recorded, tmp_path):
    # cache.jsonl declares 1,000 bytes and inflates to 16 MB of one endless line
    endless = zlib.compressobj(6, zlib.DEFLATED, -15)
    stream = endless.compress(b"x" * (16 << 20)) + endless.flush()
    pack = tmp_path / "liar.pack"
    pack.write_bytes(raw_zip([("manifest.json", manifest_bytes(recorded), zipfile.ZIP_STORED,
                               zlib.crc32(manifest_bytes(recorded)), len(manifest_bytes(recorded))),
                              ("cache.jsonl", stream, zipfile.ZIP_DEFLATED, 0, 1000)]))
    studio = tk.Studio(backend="offline", home=tmp_path / "home")
    tracemalloc.start()
    try:
        with pytest.raises(tk.ConfigError, match=r"liar\.pack.*cache\.jsonl: unreadable"):
            studio.import_pack(pack)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20  # read up to what it declared, never the 16 MB it holds


def test_cache_lines_are_streamed_with_a_cap_per_line(recorded, tmp_path, monkeypatch):
    monkeypatch.setattr(safety, "MAX_LINE_BYTES", 64 << 10)  # the cap is read at each call

    def long_text(lines):
        lines[1]["entry"]["text"] = "y" * (100 << 10)

    pack = repack(recorded, tmp_path / "long.pack", long_text)
    with pytest.raises(tk.ConfigError, match=r"cache\.jsonl line 2: over the limit of 64 KB per line"):
        tk.Studio(backend="offline", home=tmp_path / "home").import_pack(pack)
    assert tk.Studio(backend="offline", home=tmp_path / "ok").import_pack(recorded).entries == 4  # short lines


def test_too_many_members_are_refused_from_the_zip_directory(recorded, tmp_path, monkeypatch):
    monkeypatch.setattr(safety, "MAX_MEMBERS", 3)
    with pytest.raises(tk.ConfigError, match=r"zip directory: 6 members in \d+ bytes, over the limits of 3 members"):
        tk.read_pack_manifest(recorded)


def test_too_much_in_all_is_refused(recorded, monkeypatch):
    monkeypatch.setattr(safety, "MAX_TOTAL_BYTES", 50_000)
    with pytest.raises(tk.ConfigError, match=r"zip directory: \d+ bytes uncompressed in all, over the limit of 50000 bytes"):
        tk.read_pack_manifest(recorded)


@pytest.mark.parametrize("name", ["evil.sh", "../manifest.json", "images/ab/not-a-hash.png", "/etc/passwd"])
def test_members_a_pack_does_not_hold_are_refused(recorded, tmp_path, name):
    pack = repack(recorded, tmp_path / "extra.pack", files={name: b"#!/bin/sh\n"})
    with pytest.raises(tk.ConfigError, match="not a member a pack holds"):
        tk.read_pack_manifest(pack)


def test_an_encrypted_or_exotically_compressed_member_is_refused(recorded, tmp_path):
    pack = write_pack(tmp_path / "lzma.pack", members(recorded), compression=zipfile.ZIP_LZMA)
    with pytest.raises(tk.ConfigError, match="compression method 14"):
        tk.read_pack_manifest(pack)


def test_a_deflated_pack_within_the_limits_imports(recorded, tmp_path):
    pack = write_pack(tmp_path / "deflated.pack", members(recorded), compression=zipfile.ZIP_DEFLATED)
    assert tk.Studio(backend="offline", home=tmp_path / "home", replay=pack).store.cache_keys()


def test_replay_pointing_at_a_directory_or_a_missing_file_is_explained(tmp_path):
    with pytest.raises(tk.ConfigError, match="is a directory, not a replay pack"):
        tk.Studio(backend="offline", home=tmp_path / "home", replay=tmp_path)
    with pytest.raises(tk.ConfigError, match="No such pack"):
        tk.Studio(backend="offline", home=tmp_path / "home", replay=tmp_path / "nowhere.pack")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_replay_pointing_at_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "workshop.pack"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def attempt():
        try:
            tk.read_pack_manifest(fifo)
            outcome.append(None)
        except BaseException as e:  # handed to the test thread
            outcome.append(e)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():  # blocked in open(): give it a writer so the thread can end, then fail
        with suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading a FIFO as a pack blocked")
    assert isinstance(outcome[0], tk.ConfigError) and "is a FIFO, not a replay pack" in str(outcome[0])


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_an_exported_pack_is_readable_by_its_owner_only(tmp_path, umask):
    studio = tk.Studio(backend="offline", home=tmp_path / "home")
    studio.generate("A red kite", image_size="512")
    old = os.umask(umask)
    try:
        studio.export_pack(tmp_path / "out.pack")
        studio.export_pack(tmp_path / "out.pack")  # replacing an existing pack too
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "out.pack").st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []  # no temporary file left


def test_a_failed_export_leaves_no_file(tmp_path):
    studio = tk.Studio(backend="offline", home=tmp_path / "home")
    with pytest.raises(tk.ConfigError, match="Nothing to export"):
        studio.export_pack(tmp_path / "out.pack")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_the_manifest_of_an_exported_pack_is_unchanged_in_form(recorded):
    raw = json.loads(members(recorded)["manifest.json"])
    assert set(raw) == {"format", "version", "created", "backends", "models", "entries", "images",
                        "original_cost_usd", "original_list_cost_usd", "selection"}
