"""Reading a pack safely: the limits, opening the file, the zip's members, and the image check.

The limits are checked from the zip's directory (declared sizes, counts, compression ratios) before anything is
inflated, and every member is then read through ``ZipFile.open`` with a hard byte cap, since a member can lie
about its size. ``cache.jsonl`` is streamed line by line (:mod:`.merge`), each line capped.

The limits are module constants, read at each call: a deployment that needs bigger packs can raise one, e.g.
``toolkit.packs.safety.MAX_TOTAL_BYTES = 8 << 30``.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import stat
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from PIL import Image

from ..errors import ConfigError
from ..images import MAX_PIXELS, sniff_mime, strip_metadata
from ..records import IMAGE_EXTENSIONS as EXTENSIONS

MAX_MEMBERS = 50_000
"""Members in a pack. A workshop's pack holds a few hundred answers, each with one or two images."""
MAX_DIRECTORY_BYTES = 8 << 20
"""Size of the zip's central directory, read from its end record before the zip module parses it: 8 MB is
~50,000 members at ~160 bytes each, and bounds the memory a forged directory of millions of entries could take."""
MAX_MANIFEST_BYTES = 1 << 20
"""``manifest.json``: a few hundred bytes in practice (counts, model names, the selection); 1 MB is ample."""
MAX_LINE_BYTES = 64 << 20
"""One line of ``cache.jsonl``, one answer. The largest real ones carry the model turn's thought signatures in
base64 (~0.8 MB on 3.1 Flash Image, ~5 MB on 3 Pro) and a prompt of at most 100,000 characters: 64 MB leaves
ten times the room. Lines are streamed, so this is also the most a line can hold in memory."""
MAX_IMAGE_BYTES = 64 << 20
"""One image file. A 4K PNG is ~20-30 MB; 64 MB is above any image a model returns (4096x4096 RGBA, stored
uncompressed, is 64 MB)."""
MAX_TOTAL_BYTES = 4 << 30
"""All members, uncompressed, as declared: a workshop's worth (a few thousand 1-2 MB images). Larger
selections are better split (``export_pack(..., notebook=...)``, ``since=``/``until=``)."""
MAX_RATIO = 100
"""Uncompressed / compressed size of a member above :data:`RATIO_FLOOR`. Packs are written uncompressed
(ratio 1), images are compressed already (~1), and JSON deflates ~3-20x; zip bombs inflate ~1000x."""
RATIO_FLOOR = 1 << 20
"""Members smaller than this (uncompressed) are not held to :data:`MAX_RATIO`: they cannot inflate to harm."""

MANIFEST_NAME = "manifest.json"
CACHE_NAME = "cache.jsonl"
IMAGE_MEMBER = re.compile(r"images/([0-9a-f]{2})/\1[0-9a-f]{62}(?:"
                          + "|".join(re.escape(e) for e in EXTENSIONS.values()) + ")")
"""The name of an image member: ``images/ab/<sha256>.<ext>``, the store's own form."""
READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError)
"""What reading a damaged or forged member can raise."""
_PIL_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP", "image/gif": "GIF"}

PathLike = str | os.PathLike[str]


def show(value: Any) -> str:
    """A hostile value, quoted and shortened for a message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def refused(path: PathLike, where: str, problem: str) -> ConfigError:
    """The error for a pack that fails a check: the pack, where (member, line, field) and what is wrong."""
    return ConfigError(f"The replay pack {str(path)!r} was refused: {where}: {problem}. Nothing was imported. "
                       f"A pack is checked because it comes from another machine; ask for a fresh export "
                       f"(python -m toolkit pack export).")


def not_a_pack(path: PathLike) -> ConfigError:
    return ConfigError(f"{str(path)!r} is not a replay pack (no readable manifest). Export one with "
                       f"studio.export_pack(...) or python -m toolkit pack export.")


def size(n: int) -> str:
    """A byte count for a message: ``64 MB``, ``4 GB``, ``64 KB`` or ``1000 bytes``."""
    for shift, unit in ((30, "GB"), (20, "MB"), (10, "KB")):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n} bytes"


def is_count(v: Any) -> bool:
    """A non-negative int (not a bool)."""
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def is_amount(v: Any) -> bool:
    """A finite non-negative number (not a bool)."""
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0


def parse_json(data: bytes) -> Any:
    """Strict JSON from UTF-8 bytes: ``ValueError`` for anything else (NaN, Infinity, nesting too deep)."""
    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        return json.loads(data.decode("utf-8"), parse_constant=constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def check_image(data: bytes, sha256: str, mime: str) -> str | None:
    """None when ``data`` is a ``mime`` image whose bytes, metadata chunk stripped, hash to ``sha256``; else what is
    wrong. Pillow reads the header only (no pixels are decoded)."""
    found = sniff_mime(data)
    if found != mime or mime not in _PIL_FORMATS:
        return f"not a {mime} file (its header reads as {found or 'no image format'})"
    try:
        if hashlib.sha256(strip_metadata(data, mime)).hexdigest() != sha256:
            return "its bytes do not match its sha256 (altered or damaged)"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[mime]]) as im:
                width, height = im.size
    except Exception as e:  # hostile bytes can make a parser raise anything: each is a refusal
        return f"not a readable {mime} image ({type(e).__name__})"
    if not (width >= 1 and height >= 1 and width * height <= MAX_PIXELS):
        return f"{width}x{height} pixels is not an image size a model returns"
    return None


def open_file(path: PathLike) -> IO[bytes]:
    """``path`` opened for reading if it is a regular file, else ``ValueError`` saying what it is (a directory, a
    FIFO, which would block a plain open, a device). Opened non-blocking and checked on the open descriptor, so
    nothing can be swapped in between the check and the read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise ValueError("a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
                         else "not a regular file")
    return os.fdopen(fd, "rb")


def _open_regular(path: PathLike) -> IO[bytes]:
    try:
        return open_file(path)
    except FileNotFoundError:
        raise ConfigError(f"No such pack: {str(path)!r}. Check the path (TOOLKIT_REPLAY or Studio(replay=...)).") \
            from None
    except OSError as e:
        raise ConfigError(f"The pack {str(path)!r} cannot be opened ({e.strerror or e}). Check the path and its "
                          f"permissions (TOOLKIT_REPLAY or Studio(replay=...)).") from None
    except ValueError as e:
        raise ConfigError(f"{str(path)!r} is {e}, not a replay pack: give the path of the .pack file itself "
                          f"(TOOLKIT_REPLAY or Studio(replay=...)).") from None


def _directory_size(f: IO[bytes]) -> tuple[int, int] | None:
    """``(members, central directory bytes)`` from the zip's end record (zip64 too), or None if it has none (the
    zip module then says it is no zip). Read before the zip module parses the directory into memory."""
    size = f.seek(0, os.SEEK_END)
    tail_size = min(size, 22 + 0xFFFF + 20)  # the end record, the longest comment, the zip64 locator
    f.seek(size - tail_size)
    tail = f.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    members, directory = struct.unpack_from("<HL", tail, at + 10)
    if at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":  # zip64: the real counts are in its end record
        (offset,) = struct.unpack_from("<Q", tail, at - 12)
        if offset + 56 <= size:
            f.seek(offset)
            record = f.read(56)
            if record[:4] == b"PK\x06\x06":
                members, directory = struct.unpack_from("<QQ", record, 32)
    return members, directory


@contextmanager
def open_pack(path: PathLike) -> Iterator[zipfile.ZipFile]:
    """The pack as a ZipFile whose members are all within the limits (checked before anything is inflated);
    ``ConfigError`` for a missing file, a directory, a FIFO, a non-zip or a zip over the limits."""
    with _open_regular(path) as f:
        sizes = _directory_size(f)
        if sizes is not None and (sizes[0] > MAX_MEMBERS or sizes[1] > MAX_DIRECTORY_BYTES):
            raise refused(path, "zip directory", f"{sizes[0]} members in {sizes[1]} bytes, over the limits of "
                                                 f"{MAX_MEMBERS} members and {size(MAX_DIRECTORY_BYTES)}")
        try:
            z = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error):
            raise not_a_pack(path) from None
        with z:
            check_members(z, path)
            yield z


def check_members(z: zipfile.ZipFile, path: PathLike) -> None:
    """Refuse a zip whose members are not a pack's, or over the limits, from the directory alone."""
    infos = z.infolist()
    if len(infos) > MAX_MEMBERS:
        raise refused(path, "zip directory", f"{len(infos)} members, over the limit of {MAX_MEMBERS}")
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        where = f"member {show(name)}"
        if name in seen:
            raise refused(path, where, "listed twice")
        seen.add(name)
        if name == MANIFEST_NAME:
            cap = MAX_MANIFEST_BYTES
        elif name == CACHE_NAME:
            cap = MAX_TOTAL_BYTES
        elif IMAGE_MEMBER.fullmatch(name):
            cap = MAX_IMAGE_BYTES
        else:
            raise refused(path, where, "not a member a pack holds (manifest.json, cache.jsonl, "
                                       "images/ab/<sha256>.<ext>)")
        if info.flag_bits & 0x1:
            raise refused(path, where, "encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise refused(path, where, f"compression method {info.compress_type} (only stored or deflated)")
        if info.file_size > cap:
            raise refused(path, where, f"{info.file_size} bytes uncompressed, over the limit of {size(cap)}")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise refused(path, where, f"inflates {info.file_size / max(info.compress_size, 1):.0f} times, over "
                                       f"the limit of {MAX_RATIO}:1 (a zip bomb?)")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise refused(path, "zip directory", f"{total} bytes uncompressed in all, over the limit of "
                                             f"{size(MAX_TOTAL_BYTES)}")


def has_member(z: zipfile.ZipFile, name: str) -> bool:
    try:
        z.getinfo(name)
    except KeyError:
        return False
    return True


def read_member(z: zipfile.ZipFile, name: str, cap: int, path: PathLike) -> bytes:
    """A member's bytes, never more than ``cap`` (a member can lie about its size)."""
    try:
        with z.open(name) as f:
            data = f.read(cap + 1)
    except READ_ERRORS as e:
        raise refused(path, f"member {show(name)}", f"unreadable ({type(e).__name__}: {e})") from None
    if len(data) > cap:
        raise refused(path, f"member {show(name)}", f"over the limit of {size(cap)}")
    return data
