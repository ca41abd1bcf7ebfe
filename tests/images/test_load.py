"""Tests for toolkit.images.load: paths, data URLs, PIL images, earlier outputs and InputImages.

Also the refusals about the input itself: a missing file, a directory, a web address, a bad max_side.

Every bad input is generated on the fly in tmp_path; nothing binary is committed.
"""

from __future__ import annotations

import base64
import io
import os

import numpy as np
import pytest
from image_helpers import assert_names_and_fixes, encode, pattern, png_bytes, write
from PIL import Image

from toolkit.errors import ImageInputError
from toolkit.images import DEFAULT_MAX_SIDE, load_image


def test_fast_path_for_bytes_and_data_url():
    data = png_bytes()
    img = load_image(data)
    assert img.data == data and img.source == "bytes"
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    from_url = load_image(url)
    assert from_url.data == data and from_url.source == "data URL"
    assert load_image(bytearray(data), name="mine").source == "mine"
    text = base64.b64encode(data).decode()
    wrapped = "data:image/png;base64," + "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    assert load_image(wrapped).data == data  # line-wrapped base64, as mail and some editors produce


def test_missing_file(tmp_path):
    path = tmp_path / "nope" / "y.png"
    with pytest.raises(ImageInputError) as exc:
        load_image(path)
    assert_names_and_fixes(exc, path, "No such file", "Check the path", os.getcwd())


def test_relative_missing_path_is_shown_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ImageInputError) as exc:
        load_image("cat.png")
    assert_names_and_fixes(exc, tmp_path / "cat.png", "relative to", str(tmp_path))


def test_directory(tmp_path):
    write(tmp_path, "inside.png", png_bytes())
    with pytest.raises(ImageInputError) as exc:
        load_image(tmp_path)
    assert_names_and_fixes(exc, tmp_path, "is a directory", "inside.png")


def test_empty_file(tmp_path):
    path = write(tmp_path, "empty.png", b"")
    with pytest.raises(ImageInputError) as exc:
        load_image(path)
    assert_names_and_fixes(exc, path, "empty (0 bytes)", "re-download")


def test_bad_max_side():
    with pytest.raises(ImageInputError, match="max_side"):
        load_image(png_bytes(), max_side=32)
    with pytest.raises(ValueError, match="max_side"):
        load_image(png_bytes(), max_side=True)


def test_http_url_refused():
    url = "https://example.com/cat.png"
    with pytest.raises(ImageInputError) as exc:
        load_image(url)
    assert_names_and_fixes(exc, url, "Download it first")


def test_bad_data_url():
    with pytest.raises(ImageInputError, match="base64"):
        load_image("data:image/png;base64,@@@not base64@@@")


def test_unsupported_object():
    with pytest.raises(ImageInputError, match="Cannot load an image from a dict"):
        load_image({"path": "x.png"})


def test_default_max_side_applies():
    img = load_image(np.zeros((10, DEFAULT_MAX_SIDE + 8), np.uint8))
    assert img.width == DEFAULT_MAX_SIDE


def test_exif_orientation_on_pil_image():
    exif = Image.Exif()
    exif[0x0112] = 8
    opened = Image.open(io.BytesIO(encode(Image.fromarray(pattern(40, 20)), "JPEG", exif=exif)))
    img = load_image(opened)  # straight from a file: rotated, as load_image(path) would
    assert (img.width, img.height) == (20, 40)
    # Rotated by the caller: the EXIF tag is still in info, but it must not be applied a second time.
    fixed = opened.transpose(Image.Transpose.ROTATE_90)
    assert fixed.getexif().get(0x0112) == 8
    assert (load_image(fixed).width, load_image(fixed).height) == (20, 40)


def test_pil_input_is_lossless_and_uncoupled():
    pil = Image.fromarray(pattern())
    img = load_image(pil)
    assert img.source == "PIL image" and img.mime == "image/png"
    assert np.array_equal(np.asarray(img.to_pil()), pattern())
    assert load_image(Image.fromarray(pattern()).convert("P")).mime == "image/png"
    pil.info["toolkit_source"] = "sample:cat"
    assert load_image(pil).source == "sample:cat"
    assert load_image(pil, name="mine").source == "mine"


def test_input_image_and_objects():
    img = load_image(png_bytes())
    assert load_image(img) is img
    assert load_image(img, name="renamed").source == "renamed"
    smaller = load_image(img, max_side=64)
    assert smaller is img
    smaller = load_image(load_image(png_bytes(300, 200)), max_side=100)
    assert (smaller.width, smaller.height) == (100, 67)

    class Output:  # like a previous result: bytes + mime
        data = png_bytes()
        mime = "image/png"

    assert load_image(Output()).data == Output.data

    class Wrapper:
        def to_pil(self):
            return Image.fromarray(pattern())

    assert load_image(Wrapper()).source == "Wrapper"
