"""Tests for toolkit.images.sniff: formats from their first bytes."""

from __future__ import annotations

import pytest
from image_helpers import encode, jpeg_bytes, png_bytes
from PIL import Image

from toolkit.images import sniff_mime


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
