"""Build good packs with the offline simulator, and hostile ones from them with ``zipfile`` (or by hand)."""

from __future__ import annotations

import copy
import hashlib
import json
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import toolkit as tk

PROMPTS = ("A red kite", "A lighthouse at dusk", "An owl at night", "A bowl of ramen")


def record(home: Path, pack: Path) -> tk.Manifest:
    """An instructor's offline session (JPEG and PNG models), exported as ``pack``."""
    studio = tk.Studio(backend="offline", home=home)
    for prompt in PROMPTS[:3]:
        studio.generate(prompt, image_size="512")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tk.ModelShutdownWarning)
        studio.generate(PROMPTS[3], model="gemini-2.5-flash-image")  # a PNG, with its metadata in an iTXt chunk
    return studio.export_pack(pack)


def members(pack: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(pack) as z:
        return {n: z.read(n) for n in z.namelist()}


def items(pack: Path) -> list[dict[str, Any]]:
    """The ``cache.jsonl`` lines of a pack, parsed."""
    return [json.loads(line) for line in members(pack)["cache.jsonl"].decode().splitlines() if line.strip()]


def write_pack(path: Path, files: dict[str, bytes], lines: list[dict[str, Any]] | None = None,
               compression: int = zipfile.ZIP_STORED) -> Path:
    """A zip of ``files`` (``cache.jsonl`` rebuilt from ``lines`` when given)."""
    files = dict(files)
    if lines is not None:
        files["cache.jsonl"] = "".join(json.dumps(item) + "\n" for item in lines).encode()
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


def repack(src: Path, dst: Path, edit: Callable[[list[dict[str, Any]]], None] | None = None,
           files: dict[str, bytes | None] | None = None) -> Path:
    """``src`` with its lines changed by ``edit`` (in place) and members replaced, added or (None) dropped."""
    have = members(src)
    lines = items(src)
    if edit is not None:
        edit(lines)
    for name, data in (files or {}).items():
        if data is None:
            have.pop(name, None)
        else:
            have[name] = data
    return write_pack(dst, have, lines)


def retarget(entry: dict[str, Any], sha256: str, /, **change: Any) -> None:
    """Change every ref to image ``sha256`` in an entry (files, model_turn) and its place in ``images``."""
    refs = list(entry["files"]) + [p["image"] for p in entry.get("model_turn") or [] if "image" in p]
    for ref in refs:
        if ref["sha256"] == sha256:
            ref.update(change)
    if "sha256" in change:
        entry["images"] = [change["sha256"] if s == sha256 else s for s in entry["images"]]


def image_of(item: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(item["entry"]["files"][0])


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def home_files(home: Path) -> set[Path]:
    """Every file under a home's images folder."""
    return {p for p in (home / "images").rglob("*") if p.is_file()} if (home / "images").exists() else set()


def raw_zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written by hand: ``(name, stored bytes, method, crc, declared uncompressed size)`` per member, so a
    test can declare any size (``zipfile`` would refuse to write a lie)."""
    out, central = bytearray(), bytearray()
    for name, data, method, crc, size in entries:
        offset, raw_name = len(out), name.encode()
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(data), size,
                           len(raw_name), 0) + raw_name + data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, len(data), size,
                               len(raw_name), 0, 0, 0, 0, 0, offset) + raw_name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(out), 0)
    return bytes(out + central + end)


def deflated_zeros(total: int, block: int = 64 << 20) -> bytes:
    """A raw deflate stream of ``total`` zero bytes (a multiple of ``block``), built from one compressed block:
    2 GB of zeros in ~2 MB, without compressing 2 GB."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = c.compress(bytes(block)) + c.flush(zlib.Z_FULL_FLUSH)  # byte-aligned, no reference before it
    return one * (total // block) + b"\x03\x00"  # an empty final block
