"""Tests for toolkit.images.normalise: modes, EXIF rotation, downscaling and deterministic encoding."""

from __future__ import annotations

import io

import numpy as np
import pytest
from image_helpers import encode, jpeg_bytes, pattern, png_bytes, write
from PIL import Image, ImageOps

from toolkit.images import load_image


@pytest.mark.parametrize(
    ("make", "out_mode", "words"),
    [
        (lambda: Image.new("1", (16, 16), 1), "L", "1-bit"),
        (lambda: Image.new("LA", (16, 16), (90, 40)), "RGBA", "grayscale+alpha"),
        (lambda: Image.new("I", (16, 16), 200), "L", "values 0-255"),
        (lambda: Image.new("I", (16, 16), 40000), "L", "16-bit"),
        (lambda: Image.new("F", (16, 16), 0.25), "L", "[0, 1]"),
        (lambda: Image.new("CMYK", (16, 16), (0, 0, 0, 0)), "RGB", "CMYK"),
        (lambda: Image.new("YCbCr", (16, 16), (128, 128, 128)), "RGB", "YCbCr"),
    ],
)
def test_pil_modes_are_normalised(make, out_mode, words):
    img = load_image(make())
    with Image.open(io.BytesIO(img.data)) as decoded:
        assert decoded.mode == out_mode
    assert any(words in n for n in img.notes), img.notes


def test_normalised_output_is_a_fixed_point(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 3
    for data in (
        encode(Image.fromarray(pattern()), "JPEG", exif=exif),
        encode(Image.new("CMYK", (16, 16), (0, 255, 0, 0)), "JPEG"),
        encode(Image.new("P", (16, 16), 3), "GIF"),
        png_bytes(300, 200),
    ):
        once = load_image(data, max_side=150)
        again = load_image(once.data, max_side=150)
        assert once.notes and again.data == once.data and again.notes == ()


def test_cmyk_jpeg(tmp_path):
    cmyk = Image.new("CMYK", (32, 32), (0, 255, 255, 0))  # pure red in CMYK
    img = load_image(write(tmp_path, "print.jpg", encode(cmyk, "JPEG", quality=95)))
    assert any("converted CMYK to RGB" in n for n in img.notes)
    assert img.mime == "image/jpeg"
    r, g, b = img.to_pil().getpixel((16, 16))
    assert r > 200 and g < 60 and b < 60


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 32768, 65535, 257]], dtype=np.uint16).repeat(8, axis=0).repeat(4, axis=1)
    path = write(tmp_path, "deep.png", encode(Image.fromarray(values), "PNG"))
    assert Image.open(path).mode == "I;16"
    img = load_image(path)
    assert "scaled 16-bit grayscale to 8-bit" in img.notes
    gray = np.asarray(img.to_pil())[0, ::4, 0]
    assert gray.tolist() == [0, 128, 255, 1]


def test_palette_png_with_transparency_becomes_rgba(tmp_path):
    pal = Image.new("P", (16, 16), 0)
    pal.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    pal.paste(1, (8, 0, 16, 16))
    path = write(tmp_path, "sticker.png", encode(pal, "PNG", transparency=0))
    img = load_image(path)
    assert any("palette" in n and "RGBA" in n for n in img.notes)
    out = img.to_pil()
    assert out.mode == "RGBA"
    assert out.getpixel((2, 2))[3] == 0 and out.getpixel((12, 2)) == (0, 0, 255, 255)


def test_exif_orientation_6(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    path = write(
        tmp_path, "phone.jpg", encode(Image.fromarray(pattern(64, 32)), "JPEG", quality=95, exif=exif)
    )
    img = load_image(path)
    assert (img.width, img.height) == (32, 64)
    assert any("EXIF rotation (orientation 6" in n for n in img.notes)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"), dtype=np.int16)
    got = np.asarray(img.to_pil(), dtype=np.int16)
    assert got.shape == expected.shape
    assert np.abs(got - expected).mean() < 2.0  # only a second JPEG encode apart
    # The rotation is baked in: the output carries no orientation that a viewer would apply again.
    assert Image.open(io.BytesIO(img.data)).getexif().get(0x0112) is None


def test_oversize_is_downscaled_with_a_note(tmp_path):
    img = load_image(write(tmp_path, "big.png", png_bytes(300, 200)), max_side=150)
    assert (img.width, img.height) == (150, 100)
    assert "downscaled 300x200 -> 150x100" in img.notes
    assert img.mime == "image/png"  # lossless source stays lossless
    tall = load_image(write(tmp_path, "tall.jpg", jpeg_bytes(200, 900)), max_side=300)
    assert (tall.width, tall.height, tall.mime) == (67, 300, "image/jpeg")
    assert "downscaled 200x900 -> 67x300" in tall.notes


def test_encoding_is_deterministic(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated = write(tmp_path, "r.jpg", encode(Image.fromarray(pattern()), "JPEG", exif=exif))
    assert load_image(rotated).data == load_image(rotated).data
    pil = Image.fromarray(pattern(80, 60))
    first, second = load_image(pil, max_side=64), load_image(pil.copy(), max_side=64)
    assert first.data == second.data and first.sha256 == second.sha256
    assert b"tIME" not in first.data
