"""Results hold paths, not images; replays read each image once; study.df keeps no pixels; fast base64.

The behaviour behind benchmarks/study_scale.py and benchmarks/overhead.py (their timings are not asserted).
"""

from __future__ import annotations

import base64
import io
import os
import pickle

import pytest
from PIL import Image

import toolkit as tk
from toolkit.backends.gemini_wire import decode_b64
from toolkit.request import ImagePart, TextPart
from toolkit.result import OutputImage

KEY = "test-key-123456"


@pytest.fixture()
def png_server(server):
    """The session's fake, answering with one small PNG for this test only."""
    before = server.static_image
    server.static_image = _png()
    yield server
    server.static_image = before


@pytest.mark.parametrize("n", [0, 1, 2, 3, 1000, 4097])
def test_decode_b64_both_alphabets_padding_optional(n):
    data = os.urandom(n)
    for enc in (base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()):
        assert decode_b64(enc) == data
        assert decode_b64(enc.rstrip("=")) == data


def test_decode_b64_falls_back_for_what_the_fast_decoder_refuses():
    assert decode_b64("YWJj\nZGVm") == b"abcdef"  # a line break, as binascii always skipped
    with pytest.raises(ValueError):
        decode_b64("Y")


def test_fresh_result_holds_the_path_and_reads_the_bytes_on_access(home, png_server):
    server = png_server
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home)
    r = studio.generate("a lighthouse")
    out = r.outputs[0]
    assert not out.held and out.path and os.path.exists(out.path)
    assert out.data == server.static_image and out.size_bytes == len(server.static_image)
    assert r.image is not None and r.image.size == (32, 24)
    turn = r.model_turn
    assert turn is not None
    images = [p for p in turn.parts if isinstance(p, ImagePart)]
    assert [p.data for p in images] == [out.data] and images[0].sha256 == out.sha256
    assert any(isinstance(p, TextPart) for p in turn.parts)


def test_replay_checks_each_image_once_and_holds_paths(home, png_server):
    server = png_server
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home)
    first = studio.generate("a lighthouse")
    again = studio.generate("a lighthouse")
    assert again.cached and not again.outputs[0].held
    assert again.outputs[0].data == first.outputs[0].data
    turn = again.model_turn
    assert turn is not None and [p.data for p in turn.parts if isinstance(p, ImagePart)] == [first.outputs[0].data]
    # a damaged stored image is a miss (the call is sent again), never a wrong answer
    with open(first.outputs[0].path, "r+b") as f:  # type: ignore[arg-type]
        f.seek(-20, os.SEEK_END)
        f.write(b"\0" * 8)
    studio2 = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home)
    third = studio2.generate("a lighthouse")
    assert not third.cached and third.outputs[0].data == first.outputs[0].data


def test_study_df_does_not_keep_decoded_images(studio):
    study = studio.compare("a {x}", x=["cat", "owl"], aspect_ratio="1:1", progress=False)
    df = study.df
    assert df["ar_error"].notna().all() and (df["status"] == "ok").all()
    r = study.results[0]
    a, problems = r.peek()
    b, _ = r.peek()
    assert a is not None and a is not b and problems == []  # computed, never cached on the Result
    assert r.images[0] is r.images[0]  # .images still decodes once and keeps


def test_study_progress_spent_matches_results(studio):
    study = studio.compare("a {x}", x=["cat", "owl", "fox"], progress=False)
    assert study.spent_usd == sum(r.cost_usd for r in study.results.values())


def test_output_image_with_bytes_or_loader():
    held = OutputImage(b"abc", "image/png", "0" * 64)
    assert held.held and held.data == b"abc" and held.size_bytes == 3
    calls = []

    def load() -> bytes:
        calls.append(1)
        return b"xyz!"

    lazy = OutputImage(None, "image/png", "0" * 64, "/x.png", loader=load)
    assert not lazy.held and lazy.size_bytes == 4 and lazy.data == b"xyz!" and len(calls) == 2  # nothing kept
    assert "path='/x.png'" in repr(lazy)
    with pytest.raises(ValueError):
        OutputImage(None, "image/png", "0" * 64)


def test_stored_output_reads_checks_and_pickles(home, png_server):
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=png_server.base_url, home=home)
    r = studio.generate("a lighthouse")
    clone = pickle.loads(pickle.dumps(r))  # the deferred model turn is loaded; outputs stay paths
    assert clone.outputs[0].data == r.outputs[0].data and not clone.outputs[0].held
    assert clone.model_turn is not None and clone.model_turn.parts == r.model_turn.parts  # type: ignore[union-attr]
    with open(r.outputs[0].path, "r+b") as f:  # type: ignore[arg-type]
        f.seek(-20, os.SEEK_END)
        f.write(b"\0" * 8)
    with pytest.raises(OSError, match="does not match"):
        r.outputs[0].data  # noqa: B018
    assert r.images == [] and "cannot be decoded" in r.unreadable[0]  # shown as unreadable, never raised


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 40)).save(buf, "PNG")
    return buf.getvalue()
