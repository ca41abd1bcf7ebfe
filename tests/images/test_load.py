"""Tests for toolkit.images.load: paths, data URLs, PIL images, earlier outputs and InputImages.

Also the refusals about the input itself: a missing file, a directory, a web address, a bad max_side.

Every bad input is generated on the fly in tmp_path; nothing binary is committed.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

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


def test_only_regular_files_are_read(tmp_path):
    link = tmp_path / "zero.png"
    link.symlink_to("/dev/null")  # a device behind an innocent name (/dev/zero is in the zoo, memory-capped)
    with pytest.raises(ImageInputError) as exc:
        load_image(link)
    assert_names_and_fixes(exc, link, "character device", "only regular files are read", "pass the bytes")
    assert load_image(write(tmp_path, "real.png", png_bytes())).width > 0  # a link to a file is fine


def test_size_limit_is_checked_before_reading(tmp_path, monkeypatch):
    from toolkit.images import checks

    data = png_bytes()
    monkeypatch.setattr(checks, "MAX_FILE_BYTES", len(data))
    assert load_image(write(tmp_path, "at-limit.png", data)).data == data
    over = write(tmp_path, "over.png", data + b"\0")
    with pytest.raises(ImageInputError) as exc:
        load_image(over)
    assert_names_and_fixes(exc, over, "MAX_FILE_BYTES", "Re-export")


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="needs Linux /proc")
def test_reading_stops_at_the_limit_when_the_size_was_wrong(monkeypatch):
    # /proc files are regular files whose stat size (0) says nothing of their length, like a file still growing
    from toolkit.images import checks

    monkeypatch.setattr(checks, "MAX_FILE_BYTES", 256)
    assert os.path.getsize("/proc/self/maps") == 0 and len(Path("/proc/self/maps").read_bytes()) > 256
    with pytest.raises(ImageInputError) as exc:
        load_image("/proc/self/maps")
    assert_names_and_fixes(exc, "/proc/self/maps", "grew while being read", "smaller file")


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
