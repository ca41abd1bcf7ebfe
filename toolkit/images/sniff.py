"""Format sniffing: what an image is, and how big, from its first bytes alone."""

from __future__ import annotations

import struct

from .containers import jpeg_segments

__all__ = ["header_size", "sniff_mime"]


def sniff_mime(data: bytes) -> str | None:
    """Identify an image format from its first bytes (magic numbers), without decoding.

    Parameters
    ----------
    data : bytes
        The file's bytes (only the first few hundred are looked at).

    Returns
    -------
    str or None
        ``"image/png"``, ``"image/jpeg"``, ``"image/webp"``, ``"image/gif"``, ``"image/bmp"``,
        ``"image/tiff"``, ``"image/heic"``, ``"image/heif"`` or ``"image/avif"``; ``None`` otherwise.

    Examples
    --------
    >>> sniff_mime(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8))
    'image/png'
    >>> sniff_mime(b"hello") is None
    True
    """
    head = bytes(data[:256])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    # "BM" alone is too weak (text can start with it); the DIB header size narrows it down.
    if head[:2] == b"BM" and len(head) >= 18 and struct.unpack_from("<I", head, 14)[0] in _DIB_SIZES:
        return "image/bmp"
    if head[:4] in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"):
        return "image/tiff"
    if head[4:8] == b"ftyp" and len(head) >= 12:
        return _sniff_isobmff(head)
    return None


_DIB_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"mif2"})


def _sniff_isobmff(head: bytes) -> str | None:
    size = struct.unpack_from(">I", head, 0)[0]
    major = head[8:12]
    compatible = {head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)}
    for brands in ({major}, compatible):
        if brands & _AVIF_BRANDS:
            return "image/avif"
        if brands & _HEIC_BRANDS:
            return "image/heic"
    if ({major} | compatible) & _HEIF_BRANDS:
        return "image/heif"
    return None


def header_size(data: bytes) -> tuple[int, int] | None:
    """Pixel size from the header alone, for messages about images too big to open."""
    try:
        mime = sniff_mime(data)
        if mime == "image/png" and data[12:16] == b"IHDR":
            return struct.unpack_from(">II", data, 16)
        if mime == "image/gif":
            return struct.unpack_from("<HH", data, 6)
        if mime == "image/bmp":
            if struct.unpack_from("<I", data, 14)[0] == 12:
                return struct.unpack_from("<HH", data, 18)
            w, h = struct.unpack_from("<ii", data, 18)
            return abs(w), abs(h)
        if mime == "image/webp":
            fourcc = data[12:16]
            if fourcc == b"VP8X":
                w = int.from_bytes(data[24:27], "little") + 1
                return w, int.from_bytes(data[27:30], "little") + 1
            if fourcc == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if fourcc == b"VP8 ":
                w, h = struct.unpack_from("<HH", data, 26)
                return w & 0x3FFF, h & 0x3FFF
        if mime == "image/jpeg":
            for marker, start, end in jpeg_segments(data):
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and end - start >= 9:
                    h, w = struct.unpack_from(">HH", data, start + 5)
                    return w, h
    except struct.error:
        pass
    return None
