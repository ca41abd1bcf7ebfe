"""A pack's manifest: what it holds, checked field by field, and its provenance (:attr:`Manifest.source`)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..registry import check_model_id
from . import safety
from .safety import (
    MANIFEST_NAME,
    PathLike,
    has_member,
    is_amount,
    is_count,
    not_a_pack,
    open_pack,
    parse_json,
    read_member,
    refused,
    show,
)

FORMAT = "flash-image-toolkit-pack"
VERSION = 1
BACKEND_NAME = re.compile(r"[\w-]{1,64}")


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


def check_manifest(raw: dict[str, Any]) -> None:
    """``ValueError`` naming the first manifest field that is missing or of the wrong type."""
    checks: dict[str, Callable[[Any], bool]] = {
        "created": lambda v: isinstance(v, str) and len(v) <= 64,
        "backends": lambda v: isinstance(v, list) and all(isinstance(b, str) and BACKEND_NAME.fullmatch(b)
                                                          for b in v),
        "models": lambda v: isinstance(v, dict) and all(is_count(n) for n in v.values()),
        "entries": is_count, "images": is_count,
        "original_cost_usd": is_amount, "original_list_cost_usd": is_amount,
    }
    for name, ok in checks.items():
        if name not in raw:
            raise ValueError(f"{name}: missing")
        if not ok(raw[name]):
            raise ValueError(f"{name}: not valid: {show(raw[name])}")
    for model in raw["models"]:
        check_model_id(model)
    selection = raw.get("selection", {})
    if not (isinstance(selection, dict) and all(isinstance(v, str) for v in selection.values())):
        raise ValueError(f"selection: not an object of strings: {show(selection)}")


def load_manifest(z: zipfile.ZipFile, path: PathLike) -> Manifest:
    """The checked manifest of an open pack, with its provenance ``source``."""
    if not has_member(z, MANIFEST_NAME):
        raise not_a_pack(path)
    try:
        raw = parse_json(read_member(z, MANIFEST_NAME, safety.MAX_MANIFEST_BYTES, path))
    except ValueError:
        raise not_a_pack(path) from None
    if not isinstance(raw, dict):
        raise not_a_pack(path)
    version = raw.get("version", 0)
    if raw.get("format") != FORMAT or not is_count(version) or version > VERSION:
        raise ConfigError(f"{str(path)!r} is a {show(raw.get('format'))} v{show(version)} file; this toolkit "
                          f"reads {FORMAT} v{VERSION}. Upgrade the toolkit or re-export the pack.")
    try:
        check_manifest(raw)
    except ValueError as e:
        raise refused(path, MANIFEST_NAME, str(e)) from None
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()[:12]
    return dataclasses.replace(Manifest.from_dict(raw), source=f"pack:{Path(path).name}@{digest}")


def read_manifest(path: PathLike) -> Manifest:
    """The manifest of a pack, checking that it is one (a regular file, a zip within the limits, a valid manifest)."""
    with open_pack(path) as z:
        return load_manifest(z, path)
