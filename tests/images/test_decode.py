"""Tests for toolkit.images.decode: the unchanged fast path, damaged files, HEIC, bombs and animations.

Every bad input is generated on the fly in tmp_path; nothing binary is committed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import struct
import zlib

import numpy as np
import pytest
from image_helpers import assert_names_and_fixes, encode, jpeg_bytes, pattern, png_bytes, png_chunk, write
from PIL import Image

from toolkit.errors import ImageInputError
from toolkit.images import MAX_PIXELS, load_image, sniff_mime


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("rgb.png", png_bytes(), "image/png"),
        ("rgba.png", png_bytes(mode="RGBA"), "image/png"),
        ("gray.png", png_bytes(mode="L"), "image/png"),
        ("photo.jpg", jpeg_bytes(), "image/jpeg"),
        ("photo.webp", encode(Image.fromarray(pattern()), "WEBP", quality=80), "image/webp"),
    ],
)
def test_fast_path_keeps_original_bytes(tmp_path, name, data, mime):
    path = write(tmp_path, name, data)
    img = load_image(path)
    assert img.data == data
    assert img.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (img.mime, img.width, img.height, img.source, img.notes) == (mime, 64, 48, name, ())
    assert load_image(str(path)).data == data  # str paths too


def test_jpeg_with_trailing_bytes_after_eoi_still_passes_unchanged(tmp_path):
    data = jpeg_bytes() + b"camera junk after EOI"
    assert load_image(write(tmp_path, "junk.jpg", data)).data == data


def test_sixteen_bit_rgb_png_is_not_sent_as_is(tmp_path):
    # Pillow opens 16-bit RGB PNGs as 8-bit "RGB", so the mode alone would wrongly allow the fast path.
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 16, 2, 0, 0, 0))
    raw = b"".join(b"\0" + b"\xff\xff\x00\x00\x80\x00" * 16 for _ in range(16))
    data = b"\x89PNG\r\n\x1a\n" + ihdr + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")
    img = load_image(write(tmp_path, "deep.png", data))
    assert img.data != data and img.mime == "image/png"
    assert tuple(img.to_pil().getpixel((3, 3))) == (255, 0, 128)


def test_truncated_png(tmp_path):
    data = encode(Image.fromarray(np.random.default_rng(1).integers(0, 255, (64, 64, 3), np.uint8)), "PNG")
    path = write(tmp_path, "cut.png", data[: len(data) // 2])
    with pytest.raises(ImageInputError) as exc:
        load_image(path)
    assert_names_and_fixes(exc, path, "truncated", "Re-export or re-download")


def test_truncated_jpeg(tmp_path):
    data = jpeg_bytes(256, 256)
    path = write(tmp_path, "cut.jpg", data[: len(data) // 2])
    with pytest.raises(ImageInputError) as exc:
        load_image(path)
    assert_names_and_fixes(exc, path, "truncated", "re-download")


def test_corrupt_png_data(tmp_path):
    data = bytearray(encode(Image.fromarray(pattern(64, 64)), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 40 : idat + 48] = b"\xa5" * 8  # garbage inside the compressed pixels
    path = write(tmp_path, "bad.png", bytes(data))
    with pytest.raises(ImageInputError) as exc:
        load_image(path)
    assert_names_and_fixes(exc, path, "corrupt", "Re-export")


def test_fake_heic_without_pillow_heif(tmp_path):
    if importlib.util.find_spec("pillow_heif") is not None:
        pytest.skip("pillow-heif is installed: HEIC would be decoded, not refused")
    data = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(100)
    assert sniff_mime(data) == "image/heic"
    path = write(tmp_path, "IMG_0001.HEIC", data)
    with pytest.raises(ImageInputError) as exc:
        load_image(path)
    assert_names_and_fixes(exc, path, "HEIC", "pip install pillow-heif", "convert it to JPEG")


def _bomb_png(w: int, h: int) -> bytes:
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + ihdr + png_chunk(b"IDAT", zlib.compress(b"")) + png_chunk(b"IEND", b"")


@pytest.mark.parametrize("pillow_limit", ["default", None])
def test_decompression_bomb_refused_from_the_header(tmp_path, monkeypatch, pillow_limit):
    if pillow_limit is None:  # a notebook that disabled Pillow's guard is still protected
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    path = write(tmp_path, "huge.png", _bomb_png(20000, 20000))
    before = Image.core.get_stats()["new_count"]
    with pytest.raises(ImageInputError) as exc:
        load_image(path)
    # No Pillow image core was created at all, let alone a 400-megapixel one.
    assert Image.core.get_stats()["new_count"] == before
    assert_names_and_fixes(exc, path, "20000x20000", "400 megapixels", "Downscale it first")
    assert MAX_PIXELS < 20000 * 20000


def test_animated_gif_first_frame(tmp_path):
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    frames = [Image.new("RGB", (16, 16), c) for c in colours]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    img = load_image(write(tmp_path, "anim.gif", buf.getvalue()))
    assert "first frame of an animated GIF (3 frames)" in img.notes
    assert img.mime == "image/png"
    assert img.to_pil().getpixel((5, 5)) == (255, 0, 0)


def test_animated_png_first_frame():
    frames = [Image.new("RGB", (16, 16), c) for c in [(9, 9, 9), (200, 0, 0)]]
    data = encode(frames[0], "PNG", save_all=True, append_images=frames[1:])
    img = load_image(data)
    assert any("animated PNG (2 frames)" in n for n in img.notes)
    assert img.to_pil().getpixel((0, 0)) == (9, 9, 9)


def test_animated_webp_first_frame():
    frames = [Image.new("RGB", (16, 16), c) for c in [(250, 10, 10), (10, 250, 10)]]
    img = load_image(encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True))
    assert any("animated WEBP (2 frames)" in n for n in img.notes)
    assert img.mime == "image/png"  # lossless WEBP stays lossless


def test_lossless_sources_become_png_lossy_become_jpeg():
    bmp = load_image(encode(Image.fromarray(pattern()), "BMP"))
    assert bmp.mime == "image/png" and np.array_equal(np.asarray(bmp.to_pil()), pattern())
    tif = load_image(encode(Image.fromarray(pattern()), "TIFF"))
    assert tif.mime == "image/png"
    big_jpeg = load_image(jpeg_bytes(200, 100), max_side=100)
    assert big_jpeg.mime == "image/jpeg"
