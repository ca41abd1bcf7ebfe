"""Provenance metadata inside PNG and JPEG files, spliced at the byte level (the pixels are never decoded)."""

from __future__ import annotations

import json
import mmap
import os
import struct
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ImageInputError
from .containers import jpeg_segments, png_chunks, splice
from .sniff import sniff_mime

__all__ = ["METADATA_KEY", "embed_metadata", "read_metadata", "strip_metadata"]


METADATA_KEY = "flash-image-toolkit"
"""Keyword of the PNG text chunk / prefix of the JPEG comment that holds our JSON metadata."""

_KEY_B = METADATA_KEY.encode("latin-1")
_PNG_TEXT = (b"tEXt", b"zTXt", b"iTXt")


def _is_our_text(buf: Any, ctype: bytes, start: int, end: int) -> bool:
    n = len(_KEY_B) + 1
    return ctype in _PNG_TEXT and end - start - 12 >= n and buf[start + 8 : start + 8 + n] == _KEY_B + b"\0"


def _png_text_value(ctype: bytes, payload: bytes) -> str:
    rest = payload.partition(b"\0")[2]
    if ctype == b"tEXt":
        return rest.decode("latin-1")
    if ctype == b"zTXt":
        return _inflate(rest[1:]).decode("latin-1")
    compressed = rest[0] == 1
    rest = rest[2:].partition(b"\0")[2]  # language tag
    text = rest.partition(b"\0")[2]  # translated keyword
    return (_inflate(text) if compressed else text).decode("utf-8")


def _inflate(data: bytes, limit: int = 16 << 20) -> bytes:
    # Bounded, so a hostile text chunk cannot inflate to gigabytes.
    return zlib.decompressobj().decompress(data, limit)


def embed_metadata(data: bytes, mime: str, meta: Mapping[str, Any]) -> bytes:
    """Store ``meta`` as JSON inside a PNG or JPEG, without touching the pixels.

    The image is not decoded: only bytes are spliced, so this costs microseconds even for large files.
    Embedding again replaces the earlier entry rather than adding a second one.

    * **PNG** — an uncompressed ``iTXt`` chunk with keyword :data:`METADATA_KEY`, placed right after
      ``IHDR``. There it is found without scanning the image data, and Pillow's lazy ``Image.open``
      already exposes it as ``im.info[METADATA_KEY]`` (text chunks after the image data only appear after
      a full decode). Earlier ``tEXt``/``zTXt``/``iTXt`` chunks with our keyword are removed.
    * **JPEG** — a comment (``COM``) segment holding ``METADATA_KEY + "\\0" + json``, placed after the
      leading ``APPn`` segments so JFIF/EXIF stay where readers expect them. A segment holds at most
      65,533 bytes: longer JSON has its longest strings (usually the prompt) shortened, ending in "…", and
      gets ``"truncated": true``.
    * **Anything else** (WEBP, GIF, ...) — returned unchanged.

    Parameters
    ----------
    data : bytes
        The encoded image.
    mime : str
        Its declared type. The bytes' own signature decides the container, so an image labelled with the
        wrong type is still handled correctly.
    meta : Mapping
        JSON-serialisable values; others (dates, paths, ...) are stored as ``str(value)``.

    Returns
    -------
    bytes
        The image with the metadata inside.

    Examples
    --------
    >>> from toolkit.samples import sample_path
    >>> original = sample_path("cat").read_bytes()
    >>> png = embed_metadata(original, "image/png", {"prompt": "a cat", "seed": 7})
    >>> read_metadata(png)
    {'prompt': 'a cat', 'seed': 7}
    >>> strip_metadata(png, "image/png") == original
    True
    """
    data = data if isinstance(data, bytes) else bytes(data)
    layout = _layout(data)
    if layout is None:
        return data
    kind, cuts, at = layout
    if kind == "png":
        payload = _KEY_B + b"\0\0\0\0\0" + _dumps(meta).encode("utf-8")  # flag, method, no lang, no key
        crc = zlib.crc32(b"iTXt" + payload)
        insert = struct.pack(">I", len(payload)) + b"iTXt" + payload + struct.pack(">I", crc)
    else:
        head = _KEY_B + b"\0"
        payload = head + _fit_json(meta, 65533 - len(head)).encode("utf-8")
        insert = b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload
    return splice(data, cuts, at, insert)


def strip_metadata(data: bytes, mime: str) -> bytes:
    """Remove what :func:`embed_metadata` added, giving back the original bytes exactly.

    ``strip_metadata(embed_metadata(x, mime, meta), mime) == x`` for any PNG or JPEG ``x`` that did not
    already carry our entry, so a stored file can be checked against the SHA-256 of the bytes the
    provider sent.

    Parameters
    ----------
    data : bytes
        A PNG or JPEG (anything else is returned unchanged).
    mime : str
        Its declared type; as in :func:`embed_metadata`, the bytes' signature decides.

    Returns
    -------
    bytes
    """
    data = data if isinstance(data, bytes) else bytes(data)
    layout = _layout(data)
    if layout is None or not layout[1]:
        return data
    return splice(data, layout[1], None, b"")


def _layout(data: bytes) -> tuple[str, list[tuple[int, int]], int] | None:
    """``(container, ranges holding our metadata, where a new entry goes)``, or None for other formats."""
    kind = sniff_mime(data)
    if kind == "image/png" and data[12:16] == b"IHDR":
        cuts = [(s, e) for t, s, e in png_chunks(data) if _is_our_text(data, t, s, e)]
        return "png", cuts, 33  # 33 = signature (8) + IHDR chunk (25): always the first chunk
    if kind == "image/jpeg":
        head = _KEY_B + b"\0"
        at, cuts, leading = 2, [], True
        for marker, start, end in jpeg_segments(data):
            if leading and 0xE0 <= marker <= 0xEF:
                at = end
            else:
                leading = False
            if marker == 0xFE and data[start + 4 : start + 4 + len(head)] == head:
                cuts.append((start, end))
        return "jpeg", cuts, at
    return None


def read_metadata(src: str | os.PathLike[str] | bytes) -> dict[str, Any] | None:
    """Read the metadata :func:`embed_metadata` stored, from a file or bytes.

    Also finds the PNG entry after Pillow re-saved the file with it in a ``PngInfo`` (as ``tEXt``,
    ``zTXt`` or ``iTXt``). Files are memory-mapped, so only the header pages are read from disk.

    Parameters
    ----------
    src : str, os.PathLike or bytes
        A file path, or the image bytes.

    Returns
    -------
    dict or None
        The stored dict; ``None`` when there is none (or it is not valid JSON), or the data is not a
        PNG/JPEG.

    Raises
    ------
    ImageInputError
        When the file does not exist or cannot be read.

    Examples
    --------
    >>> from pathlib import Path
    >>> from toolkit.samples import sample_path
    >>> read_metadata(sample_path("cat")) is None
    True
    >>> path = Path(home) / "cat.png"
    >>> _ = path.write_bytes(embed_metadata(sample_path("cat").read_bytes(), "image/png", {"seed": 7}))
    >>> read_metadata(path)
    {'seed': 7}
    """
    if isinstance(src, bytes | bytearray | memoryview):
        return _read_meta(bytes(src))
    path = Path(os.fsdecode(src)).expanduser()
    full = os.path.abspath(path)
    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                return None
            try:
                mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):  # not mappable (pipes, some network filesystems)
                return _read_meta(fh.read())
            with mm:
                return _read_meta(mm)
    except FileNotFoundError:
        raise ImageInputError(
            f"No such file: {full!r}. Check the path; relative paths are relative to the current "
            f"directory ({os.getcwd()})."
        ) from None
    except OSError as exc:
        raise ImageInputError(f"{full!r} cannot be read ({exc.strerror or exc}). Check the path.") from None


def _read_meta(buf: Any) -> dict[str, Any] | None:
    head = bytes(buf[:16])
    text: str | None = None
    try:
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            for ctype, start, end in png_chunks(buf):
                if _is_our_text(buf, ctype, start, end):
                    text = _png_text_value(ctype, bytes(buf[start + 8 : end - 4]))
                    break
        elif head.startswith(b"\xff\xd8\xff"):
            prefix = _KEY_B + b"\0"
            for marker, start, end in jpeg_segments(buf):
                if marker == 0xFE and buf[start + 4 : start + 4 + len(prefix)] == prefix:
                    text = bytes(buf[start + 4 + len(prefix) : end]).decode("utf-8")
                    break
        if text is None:
            return None
        value = json.loads(text)
    except (ValueError, zlib.error, IndexError, struct.error):
        return None
    return value if isinstance(value, dict) else None


def _dumps(meta: Mapping[str, Any]) -> str:
    if not isinstance(meta, Mapping):
        raise TypeError(f"meta must be a dict, not {type(meta).__name__}")
    return json.dumps(dict(meta), ensure_ascii=False, separators=(",", ":"), default=str)


def _fit_json(meta: Mapping[str, Any], limit: int) -> str:
    """JSON for ``meta`` in at most ``limit`` UTF-8 bytes, shortening the longest strings if needed."""
    text = _dumps(meta)
    if len(text.encode("utf-8")) <= limit:
        return text
    obj = json.loads(text)  # a plain-JSON deep copy we may edit
    obj["truncated"] = True
    for _ in range(100):
        text = _dumps(obj)
        over = len(text.encode("utf-8")) - limit
        if over <= 0:
            return text
        holder, key, value = _longest_string(obj)
        if holder is None or len(value) <= 64:
            break
        # Each character dropped removes at least one byte, so cutting `over` (+ room for "…") suffices
        # unless an escape sequence sits in the cut; the loop handles that case.
        holder[key] = value[: max(32, len(value) - over - 8)] + "…"
    small = {k: v for k, v in obj.items() if len(_dumps({k: v})) <= 256}
    small["truncated"] = True
    text = _dumps(small)
    return text if len(text.encode("utf-8")) <= limit else '{"truncated":true}'


def _longest_string(obj: Any) -> tuple[Any, Any, str]:
    best: tuple[Any, Any, str] = (None, None, "")
    stack = [obj]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if isinstance(value, str):
                if len(value) > len(best[2]):
                    best = (node, key, value)
            elif isinstance(value, dict | list):
                stack.append(value)
    return best
