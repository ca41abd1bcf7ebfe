"""Writing a pack: the chosen cached answers, streamed, with images read only at the store's own paths."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from ..errors import ConfigError
from ..records import check_cache_entry
from ..store import Store
from . import safety
from .manifest import Manifest
from .safety import (
    CACHE_NAME,
    MANIFEST_NAME,
    PathLike,
    check_image,
    open_file,
    show,
    size,
)


def _select(store: Store, keys: list[str] | None, since: str | dt.datetime | None,
            until: str | dt.datetime | None, session: str | None, notebook: str | None) -> list[str]:
    if keys is None and not (since or until or session or notebook):
        return store.cache_keys()  # no selection: every cached answer in the home
    calls = store.calls(session)
    if notebook is not None:
        calls = [c for c in calls if (c.get("notebook") or "").endswith(notebook)]

    def iso(t: str | dt.datetime | None) -> str | None:
        return t.isoformat() if isinstance(t, dt.datetime) else t

    lo, hi = iso(since), iso(until)
    chosen = []
    for c in calls:
        if c["status"] != "ok" or (lo and c["ts"] < lo) or (hi and c["ts"] > hi):
            continue
        chosen.append(c["key"])
    if keys is not None:
        wanted = set(keys)
        chosen = [k for k in chosen if k in wanted] if (session or notebook or since or until) else list(wanted)
    return list(dict.fromkeys(chosen))  # de-duplicated, in order


def home_image(store: Store, sha256: str, mime: str) -> bytes:
    """A stored image's file, read only at the store's own path inside the home's images folder (symlinks
    resolved and checked), only if it is a regular file within the limit and the image its name says;
    ``ValueError`` (or ``OSError``) says why not. Never a path taken from an entry."""
    images = (store.home / "images").resolve()
    path = (store.home / store.image_relpath(sha256, mime)).resolve()
    if not path.is_relative_to(images):
        raise ValueError(f"{path.name} resolves outside the home's images folder")
    try:
        f = open_file(path)
    except ValueError as e:
        raise ValueError(f"{path.name} is {e}") from None
    with f:
        data = f.read(safety.MAX_IMAGE_BYTES + 1)
    if len(data) > safety.MAX_IMAGE_BYTES:
        raise ValueError(f"{path.name} is over the pack limit of {size(safety.MAX_IMAGE_BYTES)}")
    problem = check_image(data, sha256, mime)
    if problem:
        raise ValueError(f"{path.name}: {problem}")
    return data


def _exportable(store: Store, key: str, verified: set[tuple[str, str]]
                ) -> tuple[bytes, dict[str, Any], dict[str, Any]] | None:
    """``(cache.jsonl line, cache row, entry)`` for ``key``, or None (with a warning) when it cannot travel in a
    pack: what an import would refuse is never written. Its images are read and checked once per export."""
    row = store.cache_row(key)
    if row is None:
        return None
    try:
        entry = json.loads(row["entry"])
        check_cache_entry(entry)
        for f in entry["files"]:
            if f["path"] != store.image_relpath(f["sha256"], f["mime"]):
                raise ValueError(f"files: {show(f['path'])} is not the store's path for that image")
            if (f["sha256"], f["mime"]) not in verified:
                home_image(store, f["sha256"], f["mime"])
                verified.add((f["sha256"], f["mime"]))
        line = (json.dumps({"key": key, "backend": row["backend"], "model": row["model"],
                            "created": row["created"], "entry": entry}, allow_nan=False) + "\n").encode()
        if len(line) > safety.MAX_LINE_BYTES:
            raise ValueError(f"the answer is over the pack limit of {size(safety.MAX_LINE_BYTES)} per line")
    except (OSError, ValueError) as e:
        warnings.warn(f"Cached answer {key[:12]}... left out of the pack: {e}", stacklevel=3)
        return None
    return line, row, entry


@contextmanager
def private_file(path: Path) -> Iterator[IO[bytes]]:
    """A new file readable by its owner only (0600 on POSIX, whatever the umask), written under a temporary name
    and renamed to ``path`` when the block succeeds; removed when it fails."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def _too_big(what: str) -> ConfigError:
    return ConfigError(f"The selection is over the pack limit of {what}: narrow it (notebook=, since=/until=, "
                       f"keys=) and export several packs.")


def export_pack(store: Store, path: PathLike, *, keys: Iterable[str] | None = None,
                since: str | dt.datetime | None = None, until: str | dt.datetime | None = None,
                session: str | None = None, notebook: str | None = None) -> Manifest:
    """Write the cached answers chosen by the arguments (every cached answer by default) to ``path``.

    ``since``/``until``/``session``/``notebook`` select through the ledger (ok calls in that range, that
    session or that notebook); ``keys`` selects request keys directly (or narrows the other selections).
    An answer an import would refuse (a malformed entry; an image missing, damaged, not at the store's own path
    or over the limits) is left out with a warning. Members are stored uncompressed, so ``grep`` sees every byte
    of a pack. The file is created 0600 under a temporary name and renamed into place.
    """
    keys = None if keys is None else list(keys)
    selected = _select(store, keys, since, until, session, notebook)
    paid: dict[str, float] = {}
    for c in store.calls():
        if c["key"] in paid or c["cached"]:
            continue
        paid[c["key"]] = c["cost_usd"] or 0.0
    files: dict[str, tuple[str, str]] = {}  # stored path -> (sha256, mime), checked
    verified: set[tuple[str, str]] = set()
    models: Counter[str] = Counter()
    backends: set[str] = set()
    exported: list[str] = []
    list_cost, total = 0.0, 0
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with private_file(path) as out, zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        with z.open(CACHE_NAME, "w", force_zip64=True) as lines:  # streamed: one answer in memory at a time
            for key in selected:
                found = _exportable(store, key, verified)
                if found is None:
                    continue
                line, row, entry = found
                total += len(line)
                if total > safety.MAX_TOTAL_BYTES:
                    raise _too_big(f"{size(safety.MAX_TOTAL_BYTES)}")
                lines.write(line)
                exported.append(key)
                models[row["model"]] += 1
                backends.add(row["backend"])
                list_cost += float(entry["list_cost_usd"])
                files.update({f["path"]: (f["sha256"], f["mime"]) for f in entry["files"]})
        if not exported:
            raise ConfigError("Nothing to export: no cached answers match the selection. Run the notebooks first, "
                              "or widen the selection (keys=, since=/until=, session=, notebook=).")
        if len(files) + 2 > safety.MAX_MEMBERS:
            raise _too_big(f"{safety.MAX_MEMBERS} members ({len(files)} images)")
        now = dt.datetime.now()
        stamp = (max(now.year, 1980), now.month, now.day, now.hour, now.minute, now.second)
        for rel, (sha256, mime) in files.items():
            try:
                data = home_image(store, sha256, mime)  # read again and checked again: the bytes that go out
            except (OSError, ValueError) as e:
                raise ConfigError(f"The image {rel} changed in the home while the pack was written ({e}). "
                                  f"Export again.") from None
            total += len(data)
            if total > safety.MAX_TOTAL_BYTES:
                raise _too_big(f"{size(safety.MAX_TOTAL_BYTES)}")
            z.writestr(zipfile.ZipInfo(rel, date_time=stamp), data)
        manifest = Manifest(
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), backends=tuple(sorted(backends)),
            models=dict(models), entries=len(exported), images=len(files),
            original_cost_usd=sum(paid.get(k, 0.0) for k in exported), original_list_cost_usd=list_cost,
            selection={k: str(v) for k, v in {"since": since, "until": until, "session": session,
                                              "notebook": notebook, "keys": None if keys is None else len(keys)
                                              }.items() if v is not None},
        )
        z.writestr(MANIFEST_NAME, json.dumps(manifest.to_dict(), indent=2))
    return manifest
