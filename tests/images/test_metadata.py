"""Tests for toolkit.images.metadata: byte-level provenance metadata in PNG and JPEG: embed, read, strip."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest
from image_helpers import chunk_types, encode, jpeg_bytes, pattern, pixels, png_bytes, png_chunk, write
from PIL import Image, PngImagePlugin

from toolkit.errors import ImageInputError
from toolkit.images import METADATA_KEY, embed_metadata, read_metadata, strip_metadata

META = {"prompt": "a cat wearing a tiny hat 🎩", "model": "gemini-3.1-flash-image", "seed": 7, "n": [1, 2.5]}


def test_png_metadata_round_trip_keeps_pixels():
    original = png_bytes()
    tagged = embed_metadata(original, "image/png", META)
    assert read_metadata(tagged) == META
    assert np.array_equal(pixels(tagged), pixels(original))
    assert chunk_types(tagged)[:2] == [b"IHDR", b"iTXt"]  # right after IHDR
    # Found by Pillow's lazy open, without decoding the image.
    assert json.loads(Image.open(io.BytesIO(tagged)).info[METADATA_KEY]) == META
    Image.open(io.BytesIO(tagged)).verify()  # every chunk CRC is right


def test_jpeg_metadata_round_trip_after_exif_app1():
    exif = Image.Exif()
    exif[0x010F] = "ACME"  # Make
    original = encode(Image.fromarray(pattern()), "JPEG", quality=90, exif=exif)
    tagged = embed_metadata(original, "image/jpeg", META)
    assert read_metadata(tagged) == META
    assert np.array_equal(pixels(tagged), pixels(original))
    reopened = Image.open(io.BytesIO(tagged))
    assert reopened.getexif()[0x010F] == "ACME"
    # JFIF APP0 and EXIF APP1 keep their places at the front; our COM follows them.
    assert tagged.index(b"\xff\xe1") < tagged.index(b"\xff\xfe") < tagged.index(b"\xff\xdb")
    assert reopened.info["comment"].startswith(METADATA_KEY.encode() + b"\0")


@pytest.mark.parametrize("mime", ["image/png", "image/jpeg"])
def test_embed_twice_replaces(mime):
    original = png_bytes() if mime == "image/png" else jpeg_bytes()
    once = embed_metadata(original, mime, {"v": 1})
    twice = embed_metadata(once, mime, {"v": 2})
    assert read_metadata(twice) == {"v": 2}
    assert twice.count(METADATA_KEY.encode()) == 1
    assert embed_metadata(once, mime, {"v": 1}) == once
    assert strip_metadata(twice, mime) == original
    assert strip_metadata(original, mime) is original


def test_png_entry_written_elsewhere_is_replaced_too(tmp_path):
    original = png_bytes()
    foreign = png_chunk(b"tEXt", METADATA_KEY.encode() + b"\0" + b'{"old": true}')
    late = original[:-12] + foreign + original[-12:]  # just before IEND, after the image data
    assert read_metadata(late) == {"old": True}
    assert read_metadata(write(tmp_path, "late.png", late)) == {"old": True}
    tagged = embed_metadata(late, "image/png", {"new": 1})
    assert read_metadata(tagged) == {"new": 1} and tagged.count(METADATA_KEY.encode()) == 1
    assert strip_metadata(tagged, "image/png") == original


def test_huge_prompt_is_truncated_in_jpeg():
    prompt = "a very long prompt about a cat " * 5000 + "ünïcödé ✓" * 2000
    tagged = embed_metadata(jpeg_bytes(), "image/jpeg", {"prompt": prompt, "seed": 3})
    meta = read_metadata(tagged)
    assert meta["truncated"] is True and meta["seed"] == 3
    assert meta["prompt"].endswith("…") and prompt.startswith(meta["prompt"][:-1])
    assert len(meta["prompt"]) > 30000  # cut to fit, not emptied
    com = tagged.index(b"\xff\xfe")
    assert struct.unpack_from(">H", tagged, com + 2)[0] <= 65535
    assert np.array_equal(pixels(tagged), pixels(jpeg_bytes()))
    small = embed_metadata(jpeg_bytes(), "image/jpeg", {"prompt": "short"})
    assert "truncated" not in read_metadata(small)


def test_png_metadata_has_no_size_limit():
    prompt = "x" * 200_000
    assert read_metadata(embed_metadata(png_bytes(), "image/png", {"prompt": prompt}))["prompt"] == prompt


@pytest.mark.parametrize("zip_text", [False, True])
def test_read_metadata_after_pil_resave_with_pnginfo(tmp_path, zip_text):
    tagged = embed_metadata(png_bytes(), "image/png", META)
    im = Image.open(io.BytesIO(tagged))
    info = PngImagePlugin.PngInfo()
    info.add_text(METADATA_KEY, im.info[METADATA_KEY], zip=zip_text)
    path = tmp_path / "resaved.png"
    im.save(path, pnginfo=info)
    assert read_metadata(path) == META
    latin = PngImagePlugin.PngInfo()
    latin.add_text(METADATA_KEY, json.dumps({"plain": "ascii"}))  # Pillow writes tEXt for Latin-1 text
    assert read_metadata(encode(Image.new("RGB", (8, 8)), "PNG", pnginfo=latin)) == {"plain": "ascii"}


def test_read_metadata_absent_and_errors(tmp_path):
    path = write(tmp_path, "plain.png", png_bytes())
    assert read_metadata(path) is None
    assert read_metadata(str(write(tmp_path, "plain.jpg", jpeg_bytes()))) is None
    assert read_metadata(write(tmp_path, "empty.png", b"")) is None
    assert read_metadata(b"not an image") is None
    with pytest.raises(ImageInputError, match="No such file"):
        read_metadata(tmp_path / "missing.png")


def test_read_metadata_from_file(tmp_path):
    path = write(tmp_path, "out.jpg", embed_metadata(jpeg_bytes(), "image/jpeg", META))
    assert read_metadata(path) == META


def test_other_formats_pass_through_unchanged():
    webp = encode(Image.new("RGB", (8, 8)), "WEBP")
    assert embed_metadata(webp, "image/webp", META) is webp
    assert read_metadata(webp) is None


def test_the_bytes_decide_not_the_label():
    jpeg = jpeg_bytes()
    tagged = embed_metadata(jpeg, "image/png", META)  # mislabelled by the sender
    assert read_metadata(tagged) == META and Image.open(io.BytesIO(tagged)).format == "JPEG"


def test_metadata_values_that_json_cannot_hold_become_strings():
    tagged = embed_metadata(png_bytes(), "image/png", {"path": Path("/x/y.png")})
    assert read_metadata(tagged) == {"path": "/x/y.png"}
