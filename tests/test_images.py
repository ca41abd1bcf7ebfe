"""Tests for toolkit.images: loading/normalising inputs and byte-level metadata.

Every bad input is generated on the fly in tmp_path; nothing binary is committed.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
import os
import pickle
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps, PngImagePlugin

from toolkit.errors import ImageInputError, InputError
from toolkit.images import (
    DEFAULT_MAX_SIDE,
    MAX_PIXELS,
    METADATA_KEY,
    MIN_SIDE,
    embed_metadata,
    load_image,
    read_metadata,
    sniff_mime,
    strip_metadata,
)

# ---------------------------------------------------------------------------------------------- helpers


def pattern(w: int = 64, h: int = 48) -> np.ndarray:
    """A smooth RGB picture with distinct quadrants, so rotations and flips are detectable."""
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([x * 255 // max(1, w - 1), y * 255 // max(1, h - 1), np.full_like(x, 128)], axis=-1)
    rgb[: h // 2, : w // 2, 2] = 0
    rgb[h // 2 :, w // 2 :, 2] = 255
    return rgb.astype(np.uint8)


def encode(im: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def png_bytes(w: int = 64, h: int = 48, mode: str = "RGB") -> bytes:
    return encode(Image.fromarray(pattern(w, h)).convert(mode), "PNG")


def jpeg_bytes(w: int = 64, h: int = 48, **params) -> bytes:
    return encode(Image.fromarray(pattern(w, h)), "JPEG", quality=90, **params)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def png_chunk(ctype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", zlib.crc32(ctype + payload))


def chunk_types(png: bytes) -> list[bytes]:
    out, pos = [], 8
    while pos < len(png):
        length = struct.unpack_from(">I", png, pos)[0]
        out.append(png[pos + 4 : pos + 8])
        pos += 12 + length
    return out


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGBA"))


def assert_names_and_fixes(exc: pytest.ExceptionInfo, path: Path | str, *fix_words: str) -> None:
    message = str(exc.value)
    assert str(path) in message, message
    for word in fix_words:
        assert word in message, f"{word!r} not in {message!r}"


# ------------------------------------------------------------------------------------------- fast path


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


# ------------------------------------------------------------------------------------------ bad inputs


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


def test_fake_heic_without_pillow_heif(tmp_path):
    if importlib.util.find_spec("pillow_heif") is not None:
        pytest.skip("pillow-heif is installed: HEIC would be decoded, not refused")
    data = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(100)
    assert sniff_mime(data) == "image/heic"
    path = write(tmp_path, "IMG_0001.HEIC", data)
    with pytest.raises(ImageInputError) as exc:
        load_image(path)
    assert_names_and_fixes(exc, path, "HEIC", "pip install pillow-heif", "convert it to JPEG")


def test_too_small(tmp_path):
    path = write(tmp_path, "dot.png", encode(Image.new("RGB", (1, 1)), "PNG"))
    with pytest.raises(ImageInputError) as exc:
        load_image(path)
    assert_names_and_fixes(exc, path, "is 1x1 pixels", f"at least {MIN_SIDE} px per side")
    with pytest.raises(ImageInputError, match="7x100"):
        load_image(np.zeros((100, 7), np.uint8))


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


def test_errors_are_input_errors():
    with pytest.raises(InputError):
        load_image(b"not an image at all")
    with pytest.raises(ValueError):
        load_image(b"not an image at all")


# ------------------------------------------------------------------------------------------ normalising


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


def test_oversize_is_downscaled_with_a_note(tmp_path):
    img = load_image(write(tmp_path, "big.png", png_bytes(300, 200)), max_side=150)
    assert (img.width, img.height) == (150, 100)
    assert "downscaled 300x200 -> 150x100" in img.notes
    assert img.mime == "image/png"  # lossless source stays lossless
    tall = load_image(write(tmp_path, "tall.jpg", jpeg_bytes(200, 900)), max_side=300)
    assert (tall.width, tall.height, tall.mime) == (67, 300, "image/jpeg")
    assert "downscaled 200x900 -> 67x300" in tall.notes


def test_default_max_side_applies():
    img = load_image(np.zeros((10, DEFAULT_MAX_SIDE + 8), np.uint8))
    assert img.width == DEFAULT_MAX_SIDE


def test_lossless_sources_become_png_lossy_become_jpeg():
    bmp = load_image(encode(Image.fromarray(pattern()), "BMP"))
    assert bmp.mime == "image/png" and np.array_equal(np.asarray(bmp.to_pil()), pattern())
    tif = load_image(encode(Image.fromarray(pattern()), "TIFF"))
    assert tif.mime == "image/png"
    big_jpeg = load_image(jpeg_bytes(200, 100), max_side=100)
    assert big_jpeg.mime == "image/jpeg"


def test_encoding_is_deterministic(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated = write(tmp_path, "r.jpg", encode(Image.fromarray(pattern()), "JPEG", exif=exif))
    assert load_image(rotated).data == load_image(rotated).data
    pil = Image.fromarray(pattern(80, 60))
    first, second = load_image(pil, max_side=64), load_image(pil.copy(), max_side=64)
    assert first.data == second.data and first.sha256 == second.sha256
    assert b"tIME" not in first.data


# ------------------------------------------------------------------------------------------ other inputs


@pytest.mark.parametrize(
    ("array", "mode", "expected"),
    [
        (pattern(), "RGB", pattern()),
        (np.dstack([pattern(), np.full((48, 64), 200, np.uint8)]), "RGBA", None),
        (pattern()[:, :, 0], "L", pattern()[:, :, 0]),
        (pattern()[:, :, :1], "L", pattern()[:, :, 0]),
        (np.eye(16, dtype=bool), "L", np.eye(16, dtype=np.uint8) * 255),
        (
            np.array([[0, 32768, 65535, 257]] * 8, np.uint16).repeat(2, 1),
            "L",
            np.array([[0, 128, 255, 1]] * 8, np.uint8).repeat(2, 1),
        ),
        (np.full((8, 8, 3), 0.5, np.float32), "RGB", np.full((8, 8, 3), 128, np.uint8)),
        (np.full((8, 8), 65535, ">u2"), "L", np.full((8, 8), 255, np.uint8)),  # big-endian
        (
            np.linspace(0, 1, 64, dtype=np.float64).reshape(8, 8),
            "L",
            np.rint(np.linspace(0, 1, 64).reshape(8, 8) * 255).astype(np.uint8),
        ),
    ],
)
def test_numpy_inputs(array, mode, expected):
    img = load_image(array)
    assert img.source == "numpy array" and img.mime == "image/png"
    assert (img.width, img.height) == (array.shape[1], array.shape[0])
    with Image.open(io.BytesIO(img.data)) as decoded:
        assert decoded.mode == mode
        if expected is not None:
            assert np.array_equal(np.asarray(decoded), expected)


@pytest.mark.parametrize(
    ("array", "words"),
    [
        (np.zeros((16, 16), np.int64), "astype(np.uint8)"),
        (np.full((16, 16), 2.0), "[0, 1]"),
        (np.full((16, 16), np.nan), "without NaN"),
        (np.zeros((3, 16, 16), np.uint8), "np.moveaxis"),
        (np.zeros((16, 16, 2), np.uint8), "HxWx3"),
    ],
)
def test_bad_numpy_inputs(array, words):
    with pytest.raises(ImageInputError) as exc:
        load_image(array)
    assert "numpy array" in str(exc.value) and words in str(exc.value)


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


def test_input_image_repr_to_pil_and_pickle():
    img = load_image(png_bytes(mode="L"), name="gray.png")
    text = repr(img)
    assert text.startswith("InputImage(source='gray.png', 64x48 image/png, ")
    assert img.sha256[:8] in text and "b'" not in text
    first = img.to_pil()
    assert first.mode == "RGB" and first.info["toolkit_source"] == "gray.png"
    first.paste((1, 2, 3), (0, 0, 64, 48))
    assert img.to_pil().getpixel((0, 0)) != (1, 2, 3)  # the cache is not the caller's copy
    clone = pickle.loads(pickle.dumps(img))
    assert clone == img and "_pil_cache" not in clone.__dict__ and "_pil_cache" in img.__dict__
    assert img._repr_png_() == img.data and img._repr_jpeg_() is None


# ------------------------------------------------------------------------------------------------ sniff


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (png_bytes(), "image/png"),
        (jpeg_bytes(), "image/jpeg"),
        (encode(Image.new("RGB", (8, 8)), "WEBP"), "image/webp"),
        (encode(Image.new("RGB", (8, 8)), "GIF"), "image/gif"),
        (encode(Image.new("RGB", (8, 8)), "BMP"), "image/bmp"),
        (encode(Image.new("RGB", (8, 8)), "TIFF"), "image/tiff"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "image/avif"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "image/heic"),
        (b"\x00\x00\x00\x14ftypmif1\x00\x00\x00\x00mif1", "image/heif"),
        (b"\x00\x00\x00\x14ftypisom\x00\x00\x00\x00isom", None),  # an MP4
        (b"BM is not a bitmap, it is text", None),
        (b"", None),
    ],
)
def test_sniff_mime(data, mime):
    assert sniff_mime(data) == mime


# --------------------------------------------------------------------------------------------- metadata

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
