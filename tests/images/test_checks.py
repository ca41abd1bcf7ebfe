"""Tests for toolkit.images.checks: refusals shared by every input (not an image, too small) and error types.

Every bad input is generated on the fly in tmp_path; nothing binary is committed.
"""

from __future__ import annotations

import numpy as np
import pytest
from image_helpers import assert_names_and_fixes, encode, write
from PIL import Image

from toolkit.errors import ImageInputError, InputError
from toolkit.images import MIN_SIDE, load_image


def test_text_file_named_png(tmp_path):
    path = write(tmp_path, "notes.png", b"hello world, this is not a picture\n")
    with pytest.raises(ImageInputError) as exc:
        load_image(path)
    assert_names_and_fixes(exc, path, "is not an image", "b'hello wo'", "convert it to PNG or JPEG")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"%PDF-1.7\n...", "PDF"),
        (b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
        (b"<!DOCTYPE html><html><body>404</body></html>", "HTML page"),
    ],
)
def test_known_non_images_are_named(tmp_path, content, words):
    path = write(tmp_path, "download.png", content)
    with pytest.raises(ImageInputError) as exc:
        load_image(path)
    assert_names_and_fixes(exc, path, words)


def test_too_small(tmp_path):
    path = write(tmp_path, "dot.png", encode(Image.new("RGB", (1, 1)), "PNG"))
    with pytest.raises(ImageInputError) as exc:
        load_image(path)
    assert_names_and_fixes(exc, path, "is 1x1 pixels", f"at least {MIN_SIDE} px per side")
    with pytest.raises(ImageInputError, match="7x100"):
        load_image(np.zeros((100, 7), np.uint8))


def test_errors_are_input_errors():
    with pytest.raises(InputError):
        load_image(b"not an image at all")
    with pytest.raises(ValueError):
        load_image(b"not an image at all")
