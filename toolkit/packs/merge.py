"""Importing a pack: check the manifest, every line and every image first, then write all or nothing."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

from ..records import check_cache_entry
from ..store import Store
from . import safety
from .manifest import Manifest, load_manifest
from .safety import (
    CACHE_NAME,
    MANIFEST_NAME,
    READ_ERRORS,
    PathLike,
    check_image,
    has_member,
    open_pack,
    parse_json,
    read_member,
    refused,
    show,
    size,
)

REQUEST_KEY = re.compile(r"[0-9a-f]{64}")
ITEM_FIELDS = ("key", "backend", "model", "created", "entry")


def check_item(item: Any, store: Store, manifest: Manifest) -> None:
    """``ValueError`` naming the first field of a ``cache.jsonl`` item that is wrong: its request key, backend
    and model (those of the manifest), its entry (:func:`toolkit.records.check_cache_entry`), and every image
    path, which must be the store's own for its hash and a known image MIME type."""
    if not isinstance(item, dict) or set(item) != set(ITEM_FIELDS):
        raise ValueError(f"not an object with exactly the fields {', '.join(ITEM_FIELDS)}")
    if not isinstance(item["key"], str) or not REQUEST_KEY.fullmatch(item["key"]):
        raise ValueError(f"key: not a request key (64 lowercase hex digits): {show(item['key'])}")
    if not isinstance(item["backend"], str) or item["backend"] not in manifest.backends:
        raise ValueError(f"backend: not one of the manifest's backends: {show(item['backend'])}")
    if not isinstance(item["model"], str) or item["model"] not in manifest.models:
        raise ValueError(f"model: not one of the manifest's models: {show(item['model'])}")
    if not isinstance(item["created"], str) or len(item["created"]) > 64:
        raise ValueError(f"created: not a time: {show(item['created'])}")
    try:
        check_cache_entry(item["entry"])
    except ValueError as e:
        raise ValueError(f"entry{'' if str(e).startswith('entry') else '.'}{e}") from None
    for i, f in enumerate(item["entry"]["files"]):
        try:
            own = store.image_relpath(f["sha256"], f["mime"])
        except ValueError as e:
            raise ValueError(f"entry.files[{i}]: {e}") from None
        if f["path"] != own:
            raise ValueError(f"entry.files[{i}].path: {show(f['path'])} is not the stored path {own}")


def _items(z: zipfile.ZipFile, path: PathLike, store: Store, manifest: Manifest,
           wanted: Callable[[int], bool] = lambda n: True) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, item)`` for each line of ``cache.jsonl`` that is ``wanted``, streamed (one line in memory
    at a time, each at most :data:`~.safety.MAX_LINE_BYTES`) and checked (:func:`check_item`)."""
    if not has_member(z, CACHE_NAME):
        raise refused(path, CACHE_NAME, "missing")
    try:
        with z.open(CACHE_NAME) as lines:
            n = 0
            while line := lines.readline(safety.MAX_LINE_BYTES + 1):
                n += 1
                where = f"{CACHE_NAME} line {n}"
                if len(line) > safety.MAX_LINE_BYTES:
                    raise refused(path, where, f"over the limit of {size(safety.MAX_LINE_BYTES)} per line")
                if not line.strip() or not wanted(n):
                    continue
                item: Any = None
                try:
                    item = parse_json(line)
                    check_item(item, store, manifest)
                except ValueError as e:
                    key = item.get("key") if isinstance(item, dict) else None
                    shown = f" (key {key[:12]}...)" if isinstance(key, str) and REQUEST_KEY.fullmatch(key) else ""
                    raise refused(path, where + shown, str(e)) from None
                yield n, item
    except READ_ERRORS as e:
        raise refused(path, CACHE_NAME, f"unreadable ({type(e).__name__}: {e})") from None


def _pack_image(z: zipfile.ZipFile, path: PathLike, rel: str, sha256: str, mime: str) -> bytes:
    """An image member's bytes, checked: a real ``mime`` image whose bytes (metadata stripped) hash to its name."""
    if not has_member(z, rel):
        raise refused(path, f"member {rel}", "missing (an entry refers to it)")
    data = read_member(z, rel, safety.MAX_IMAGE_BYTES, path)
    problem = check_image(data, sha256, mime)
    if problem:
        raise refused(path, f"member {rel}", problem)
    return data


def import_pack(store: Store, path: PathLike) -> Manifest:
    """Merge a pack's answers and images into ``store`` (existing entries are kept). Returns its manifest.

    All or nothing: the manifest, every line and every image are checked before anything is written (a refusal is
    a :class:`~toolkit.errors.ConfigError` naming the pack and what is wrong); then the images of the new answers
    are written, then every new answer in one transaction, with the pack's provenance (``manifest.source``).
    """
    with open_pack(path) as z:
        manifest = load_manifest(z, path)
        keys: set[str] = set()
        new: dict[int, str] = {}  # line number -> key, for the answers this home does not have yet
        images: dict[str, tuple[str, str]] = {}  # stored path -> (sha256, mime)
        needed: set[str] = set()  # the stored paths of the new answers' images
        for n, item in _items(z, path, store, manifest):
            if item["key"] in keys:
                raise refused(path, f"{CACHE_NAME} line {n}", f"key {item['key'][:12]}... is listed twice")
            keys.add(item["key"])
            refs = {f["path"]: (f["sha256"], f["mime"]) for f in item["entry"]["files"]}
            images.update(refs)
            if store.cache_row(item["key"]) is None:  # an answer recorded here (or imported before) is kept
                new[n] = item["key"]
                needed.update(refs)
        if len(keys) != manifest.entries or len(images) != manifest.images:
            raise refused(path, MANIFEST_NAME, f"it lists {manifest.entries} answers and {manifest.images} images; "
                                               f"the pack holds {len(keys)} and {len(images)}")
        for rel, (sha256, mime) in images.items():
            _pack_image(z, path, rel, sha256, mime)  # every image checked before anything is written
        for rel in sorted(needed):
            sha256, mime = images[rel]
            store.put_image(sha256, mime, _pack_image(z, path, rel, sha256, mime))  # read and checked again
        if new:
            with store.transaction() as conn:  # every new answer, or none
                for n, item in _items(z, path, store, manifest, wanted=new.__contains__):
                    paths = {f["path"] for f in item["entry"]["files"]}
                    if item["key"] != new[n] or not paths <= needed:
                        raise refused(path, f"{CACHE_NAME} line {n}", "changed while it was imported")
                    store.put_cache(conn, item["key"], item["backend"], item["model"], item["entry"],
                                    item["created"], source=manifest.source, replace=False)
    return manifest
