"""Replay packs: hand a room exactly the results an instructor recorded.

A pack is one zip file::

    manifest.json      format, version, created, backends, models (calls per model), entries, images,
                       what the calls cost originally (money spent and list price), the selection used
    cache.jsonl        one cached answer per line: {"key", "backend", "model", "created", "entry"}
    images/ab/<sha>... the image files the entries refer to (as stored in the home)

It holds cached answers and images only: no ledger, no session ids, never a key (keys are never stored in
the first place; a test searches every byte of a pack for the one used to record it).

``Studio(replay="workshop.pack")`` (or ``TOOLKIT_REPLAY``) merges the pack into the Studio's home and makes
cache keys as if the recording backend were active, so every recorded request replays exactly as recorded,
at $0, with no network. A request that is not in the pack falls through to the configured backend (the
offline simulator when there is no key; its answers are labelled with that backend and never cached under
the pack's keys), or, with ``replay_strict=True``, returns ``status="no_image"`` saying it is not in the pack.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .store import Store

FORMAT = "flash-image-toolkit-pack"
VERSION = 1


@dataclass(frozen=True)
class Manifest:
    """What a pack holds."""

    created: str
    backends: tuple[str, ...]
    models: dict[str, int]
    entries: int
    images: int
    original_cost_usd: float
    original_list_cost_usd: float
    selection: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # "pack:<file name>@<hash of the manifest>": the provenance its answers carry in a home

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "created": self.created, "backends": list(self.backends),
                "models": self.models, "entries": self.entries, "images": self.images,
                "original_cost_usd": round(self.original_cost_usd, 6),
                "original_list_cost_usd": round(self.original_list_cost_usd, 6), "selection": self.selection}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Manifest:
        return cls(d["created"], tuple(d["backends"]), dict(d["models"]), d["entries"], d["images"],
                   d["original_cost_usd"], d["original_list_cost_usd"], d.get("selection", {}))

    def __repr__(self) -> str:
        models = ", ".join(f"{m}: {n}" for m, n in self.models.items())
        return (f"Manifest({self.entries} answers, {self.images} images, backends {list(self.backends)}, {models}; "
                f"originally spent ${self.original_cost_usd:.4f}, list ${self.original_list_cost_usd:.4f})")


def _select(store: Store, keys: Iterable[str] | None, since: str | dt.datetime | None,
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


def export_pack(store: Store, path: str | os.PathLike[str], *, keys: Iterable[str] | None = None,
                since: str | dt.datetime | None = None, until: str | dt.datetime | None = None,
                session: str | None = None, notebook: str | None = None) -> Manifest:
    """Write the cached answers chosen by the arguments (every cached answer by default) to ``path``.

    ``since``/``until``/``session``/``notebook`` select through the ledger (ok calls in that range, that
    session or that notebook); ``keys`` selects request keys directly (or narrows the other selections).
    """
    selected = _select(store, keys, since, until, session, notebook)
    paid: dict[str, float] = {}
    for c in store.calls():
        if c["key"] in paid or c["cached"]:
            continue
        paid[c["key"]] = c["cost_usd"] or 0.0
    lines: list[str] = []
    files: dict[str, dict[str, Any]] = {}
    models: Counter[str] = Counter()
    backends: set[str] = set()
    list_cost = 0.0
    for key in selected:
        row = store.cache_row(key)
        if row is None:
            continue
        entry = json.loads(row["entry"])
        lines.append(json.dumps({"key": key, "backend": row["backend"], "model": row["model"],
                                 "created": row["created"], "entry": entry}))
        for f in entry.get("files", []):
            files[f["path"]] = f
        models[row["model"]] += 1
        backends.add(row["backend"])
        list_cost += float(entry.get("list_cost_usd") or 0.0)
    if not lines:
        raise ConfigError("Nothing to export: no cached answers match the selection. Run the notebooks first, "
                          "or widen the selection (keys=, since=/until=, session=, notebook=).")
    manifest = Manifest(
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), backends=tuple(sorted(backends)),
        models=dict(models), entries=len(lines), images=len(files),
        original_cost_usd=sum(paid.get(k, 0.0) for k in selected), original_list_cost_usd=list_cost,
        selection={k: str(v) for k, v in {"since": since, "until": until, "session": session,
                                          "notebook": notebook, "keys": None if keys is None else len(list(keys))
                                          }.items() if v is not None},
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:  # images are already compressed
        z.writestr("manifest.json", json.dumps(manifest.to_dict(), indent=2))
        z.writestr("cache.jsonl", "\n".join(lines) + "\n")
        for rel in files:
            z.write(store.home / rel, rel)
    tmp.replace(path)
    return manifest


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """The manifest of a pack, checking that it is one."""
    try:
        with zipfile.ZipFile(path) as z:
            raw = json.loads(z.read("manifest.json"))
    except FileNotFoundError:
        raise ConfigError(f"No such pack: {str(path)!r}. Check the path (TOOLKIT_REPLAY or Studio(replay=...)).") \
            from None
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise ConfigError(f"{str(path)!r} is not a replay pack (no readable manifest). Export one with "
                          f"studio.export_pack(...) or python -m toolkit pack export.") from None
    if raw.get("format") != FORMAT or raw.get("version", 0) > VERSION:
        raise ConfigError(f"{str(path)!r} is a {raw.get('format')} v{raw.get('version')} file; this toolkit reads "
                          f"{FORMAT} v{VERSION}. Upgrade the toolkit or re-export the pack.")
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()[:12]
    return dataclasses.replace(Manifest.from_dict(raw), source=f"pack:{Path(path).name}@{digest}")


def import_pack(store: Store, path: str | os.PathLike[str]) -> Manifest:
    """Merge a pack's answers and images into ``store`` (existing entries are kept). Returns its manifest."""
    manifest = read_manifest(path)
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        for line in z.read("cache.jsonl").decode().splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            entry = item["entry"]
            for f in entry.get("files", []):
                if f["path"] not in names:
                    raise ConfigError(f"The pack {str(path)!r} is damaged: {f['path']} is missing. Re-export it.")
                data = z.read(f["path"])
                store.put_image(f["sha256"], f["mime"], data)
            if store.cache_row(item["key"]) is None:  # an answer recorded here (or imported before) is kept
                store.cache_put(item["key"], item["backend"], item["model"], entry, item["created"],
                                source=manifest.source)
    return manifest
