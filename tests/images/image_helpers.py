"""Image builders and assertions shared by the toolkit.images tests.

Imported by name (``from image_helpers import ...``): tests/images has no ``__init__``.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


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
