"""Byte-level structure of PNG, JPEG and WEBP files: chunks, segments and splicing, without decoding."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["PngScan", "jpeg_segments", "png_chunks", "png_scan", "splice", "webp_is_lossless"]


@dataclass
class PngScan:
    """What :func:`png_scan` learnt from a PNG's chunks."""

    bit_depth: int = 0
    animated: bool = False
    complete: bool = False  # IEND reached and every chunk whole
    crc_ok: bool = True
    exif: bytes | None = None


def png_chunks(buf: Any) -> Iterator[tuple[bytes, int, int]]:
    """Yield ``(type, start, end)`` for each whole chunk; chunk data is ``buf[start + 8 : end - 4]``.

    Stops after IEND or at the first incomplete chunk (a truncated file).
    """
    pos, n = 8, len(buf)
    while pos + 12 <= n:
        length, ctype = struct.unpack_from(">I4s", buf, pos)
        end = pos + 12 + length
        if end > n:
            return
        yield ctype, pos, end
        if ctype == b"IEND":
            return
        pos = end


def png_scan(data: bytes) -> PngScan:
    """Bit depth, animation, completeness, CRCs and the EXIF chunk of a PNG, read from its chunk headers."""
    scan = PngScan()
    if data[12:16] == b"IHDR":
        scan.bit_depth = data[24]
    view = memoryview(data)
    with view:
        for ctype, start, end in png_chunks(view):
            if zlib.crc32(view[start + 4 : end - 4]) != struct.unpack_from(">I", data, end - 4)[0]:
                scan.crc_ok = False
            if ctype == b"acTL":
                num_frames = struct.unpack_from(">I", data, start + 8)[0] if end - start >= 16 else 1
                scan.animated = num_frames > 1
            elif ctype == b"eXIf":
                scan.exif = data[start + 8 : end - 4]
            elif ctype == b"IEND":
                scan.complete = True
    return scan


def jpeg_segments(buf: Any) -> Iterator[tuple[int, int, int]]:
    """Yield ``(marker, start, end)`` for the header segments, up to and including SOS.

    ``start`` is the offset of the 0xFF byte, ``end`` one past the segment. Entropy-coded data after SOS
    is never scanned, so this costs a handful of steps however big the image is.
    """
    pos, n = 2, len(buf)
    while pos + 4 <= n:
        if buf[pos] != 0xFF:
            return
        while pos + 1 < n and buf[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        if pos + 4 > n:
            return
        marker = buf[pos + 1]
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # standalone markers carry no length
            pos += 2
            continue
        if marker == 0xD9:
            return
        end = pos + 2 + struct.unpack_from(">H", buf, pos + 2)[0]
        if end > n:
            return
        yield marker, pos, end
        if marker == 0xDA:
            return
        pos = end


def splice(data: bytes, cuts: list[tuple[int, int]], at: int | None, insert: bytes) -> bytes:
    """``data`` without the ``cuts`` ranges and with ``insert`` at offset ``at``, in one copy.

    ``at`` is an offset in the original ``data`` on a chunk/segment boundary (never inside a cut); with
    ``at=None`` nothing is inserted.
    """
    view = memoryview(data)
    parts: list[Any] = []
    pos, pending = 0, at is not None
    for start, end in sorted(cuts):
        if pending and at is not None and at <= start:
            parts += [view[pos:at], insert]
            pos, pending = at, False
        parts.append(view[pos:start])
        pos = end
    if pending and at is not None:
        parts += [view[pos:at], insert]
        pos = at
    parts.append(view[pos:])
    return b"".join(parts)


def webp_is_lossless(data: bytes) -> bool:
    """True when a WEBP's first image chunk is VP8L (lossless), False for VP8 (lossy) or unknown."""
    pos = 12
    while pos + 8 <= len(data):
        fourcc = data[pos : pos + 4]
        if fourcc == b"VP8L":
            return True
        if fourcc == b"VP8 ":
            return False
        if fourcc == b"ANMF":  # an animation frame: step into it (16-byte frame header, then sub-chunks)
            pos += 8 + 16
            continue
        size = struct.unpack_from("<I", data, pos + 4)[0]
        pos += 8 + size + (size & 1)
    return False
