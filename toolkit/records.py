"""The stored records, defined once: a ledger call row, a chat-turn row and a batch-job row.

Every writer builds one of these dataclasses and every reader decodes through :func:`decode`, so a column
exists in exactly one Python definition (the SQL schema history is in :data:`toolkit.store.MIGRATIONS`, and a
test checks that the tables match these fields). JSON columns are encoded here, never at the call sites.

Call statuses
-------------
``ok``, ``blocked``, ``no_image``, ``error`` (the outcome of a call), ``refused`` (the budget stopped it before
sending), ``sent`` (write-ahead: a paid request is on its way; its estimate is reserved) and ``interrupted`` (a
``sent`` row whose process died before the answer was recorded: its estimate counts as possibly spent).

>>> row = CallRow(ts="2026-12-06T10:00:00.000+00:00", status="ok", paths=["images/ab/ab.png"], cached=True)
>>> encoded = encode(row)
>>> encoded["paths"], encoded["cached"]
('["images/ab/ab.png"]', 1)
>>> decode(CallRow, encoded)["paths"]
['images/ab/ab.png']
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

CALL_STATUSES = ("ok", "blocked", "no_image", "error", "refused", "sent", "interrupted")


@dataclass(frozen=True)
class CallRow:
    """One ledger row: one call, cached or not, failed or not."""

    JSON: ClassVar[tuple[str, ...]] = ("paths",)
    BOOL: ClassVar[tuple[str, ...]] = ("cached",)

    ts: str
    session: str | None = None
    backend: str | None = None
    model: str | None = None
    operation: str | None = None
    prompt: str | None = None
    n_inputs: int = 0
    n_images: int = 0
    status: str = "ok"
    reason: str | None = None
    input_tokens: int = 0
    input_image_tokens: int = 0
    output_tokens: int = 0
    output_image_tokens: int = 0
    thought_tokens: int = 0
    cost_usd: float = 0.0
    list_cost_usd: float = 0.0
    latency_s: float = 0.0
    cached: bool = False
    key: str | None = None
    response_id: str | None = None
    paths: list[str] = field(default_factory=list)
    error: str | None = None
    attempts: int = 1
    group_id: str | None = None
    variant: int = 0
    aspect_ratio: str | None = None
    image_size: str | None = None
    seed: int | None = None
    tier: str = "standard"
    notebook: str | None = None
    seat: str | None = None
    reserved_usd: float = 0.0
    owner: str | None = None
    source: str | None = None
    grounding_queries: int = 0


@dataclass(frozen=True)
class ChatTurnRow:
    """One chat turn (every branch and failure included). ``inputs``/``output`` are image refs into images/."""

    JSON: ClassVar[tuple[str, ...]] = ("inputs", "output", "options")
    BOOL: ClassVar[tuple[str, ...]] = ("restarted", "cached")

    chat_id: str
    created: str
    status: str
    turn: int = -1  # assigned by the store when the row is added
    parent: int | None = None
    api: str | None = None
    backend: str | None = None
    model: str | None = None
    prompt: str | None = None
    inputs: list[dict[str, Any]] = field(default_factory=list)
    output: dict[str, Any] | None = None
    text: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    interaction_id: str | None = None
    previous_interaction_id: str | None = None
    restarted: bool = False
    cached: bool = False
    key: str | None = None
    session: str | None = None


@dataclass(frozen=True)
class BatchJobRow:
    """One submitted batch job: ``cells`` maps each request key to what rebuilds it; ``study`` the study."""

    JSON: ClassVar[tuple[str, ...]] = ("cells", "study")
    BOOL: ClassVar[tuple[str, ...]] = ()

    name: str
    backend: str
    created: str
    cells: dict[str, Any]
    model: str | None = None
    updated: str | None = None
    state: str | None = None
    display_name: str | None = None
    study_id: str | None = None
    session: str | None = None
    request_count: int = 0
    study: dict[str, Any] = field(default_factory=dict)
    collected: str | None = None
    completed: str | None = None
    error: str | None = None


Record = CallRow | ChatTurnRow | BatchJobRow


def columns(cls: type) -> tuple[str, ...]:
    """The column names of a record type, in table order."""
    return tuple(f.name for f in dataclasses.fields(cls))


CALL_COLUMNS = columns(CallRow)
CHAT_TURN_COLUMNS = columns(ChatTurnRow)
BATCH_COLUMNS = columns(BatchJobRow)


def encode_value(cls: type, name: str, value: Any) -> Any:
    """One column's SQL value (JSON columns as text, flags as 0/1)."""
    if name in cls.JSON:  # type: ignore[attr-defined]
        return None if value is None else json.dumps(value)
    if name in cls.BOOL:  # type: ignore[attr-defined]
        return int(bool(value))
    return value


def encode(row: Record, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Column -> SQL value for every field of ``row`` (except ``skip``)."""
    cls = type(row)
    return {f.name: encode_value(cls, f.name, getattr(row, f.name))
            for f in dataclasses.fields(row) if f.name not in skip}


def decode(cls: type, raw: dict[str, Any]) -> dict[str, Any]:
    """A row read from SQL as a dict of Python values (JSON decoded, flags as bool); extra columns kept."""
    out = dict(raw)
    for name in cls.JSON:  # type: ignore[attr-defined]
        if name in out:
            text = out[name]
            out[name] = json.loads(text) if text else _empty(cls, name)
    for name in cls.BOOL:  # type: ignore[attr-defined]
        if name in out:
            out[name] = bool(out[name])
    return out


def _empty(cls: type, name: str) -> Any:
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


# -- cache entries ------------------------------------------------------------------------------------
# A cache entry is the JSON the Engine writes for an ``ok`` answer (``Engine.finish``) in the ``cache`` table's
# ``entry`` column, and what a replay pack carries per line. It is not a dataclass because it is stored as one
# JSON document, but it has one schema, checked by :func:`check_cache_entry` wherever an entry comes from outside
# (a replay pack's ``cache.jsonl``).

CACHE_ENTRY_STATUSES = ("ok", "blocked", "no_image", "error")
CACHE_ENTRY_FIELDS: dict[str, tuple[bool, str]] = {
    # name: (required, what it holds)
    "status": (True, "one of CACHE_ENTRY_STATUSES"),
    "text": (True, "the model's reply text, thoughts excluded (str)"),
    "usage": (True, "token counts: str -> non-negative int"),
    "list_cost_usd": (True, "list price of the usage in USD (finite number >= 0)"),
    "images": (True, "sha256 of each output image, in order; each one of files' hashes"),
    "files": (True, "image refs {sha256, mime, path, size}: outputs and interim thought images"),
    "reason": (False, "the provider's finish or block reason (str or null)"),
    "response_id": (False, "the provider's response id (str or null)"),
    "model_version": (False, "the model version the provider reported (str or null)"),
    "latency_s": (False, "seconds the call took (finite number >= 0)"),
    "created": (False, "when it was recorded (ISO 8601 str)"),
    "model_turn": (False, "the model's turn as stored parts (toolkit.codec), images by ref into files; or null"),
    "metadata": (False, "what is embedded in the image files: prompt, model, options, ... (JSON object)"),
    "grounding": (False, "search grounding: queries, sources, search entry point HTML (JSON object), or null"),
}
IMAGE_REF_FIELDS = ("sha256", "mime", "path", "size")
GROUNDING_FIELDS = ("web_search_queries", "image_search_queries", "queries", "sources", "search_entry_point")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
#: The image MIME types the toolkit stores, and their file extensions: one list for the store, pack import,
#: reply checks and every HTML attribute a MIME type reaches.
IMAGE_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "image/gif": ".gif"}
_PART_FIELDS = frozenset({"text", "image", "thought", "sig"})


def check_cache_entry(entry: Any) -> None:
    """Check one cache entry against the schema (:data:`CACHE_ENTRY_FIELDS`); ``ValueError`` names the field.

    Refs are ``{"sha256": 64 lowercase hex, "mime": a known image type (IMAGE_EXTENSIONS), "path": "images/<2 hex>/<sha256>.<ext>",
    "size": int >= 0}`` (the store checks the MIME type against the ones it knows and builds the path itself).
    A stored part (``model_turn``) is ``{"text": str}`` or ``{"image": ref}`` (a ref equal to one of ``files``),
    with an optional ``"thought": bool`` and ``"sig": base64 str``. Unknown fields are refused.

    >>> entry = {"status": "ok", "text": "", "usage": {"output_tokens": 1290}, "list_cost_usd": 0.039,
    ...          "images": [], "files": []}
    >>> check_cache_entry(entry)
    >>> check_cache_entry({**entry, "usage": {"output_tokens": "many"}})
    Traceback (most recent call last):
    ...
    ValueError: usage['output_tokens']: not a non-negative integer: 'many'
    """
    if not isinstance(entry, dict):
        raise ValueError(f"entry: not a JSON object: {_show(entry)}")
    for name in entry:
        if name not in CACHE_ENTRY_FIELDS:
            raise ValueError(f"{_show(name)}: not a cache-entry field")
    for name, (required, _) in CACHE_ENTRY_FIELDS.items():
        if required and name not in entry:
            raise ValueError(f"{name}: missing")
    if entry["status"] not in CACHE_ENTRY_STATUSES:
        raise ValueError(f"status: not one of {', '.join(CACHE_ENTRY_STATUSES)}: {_show(entry['status'])}")
    _check_str("text", entry["text"])
    for name in ("reason", "response_id", "model_version", "created"):
        if entry.get(name) is not None:
            _check_str(name, entry[name])
    usage = entry["usage"]
    if not isinstance(usage, dict):
        raise ValueError(f"usage: not a JSON object: {_show(usage)}")
    for k, v in usage.items():
        if not _is_count(v):
            raise ValueError(f"usage[{_show(k)}]: not a non-negative integer: {_show(v)}")
    for name in ("list_cost_usd", "latency_s"):
        if name in entry and not _is_amount(entry[name]):
            raise ValueError(f"{name}: not a finite number >= 0: {_show(entry[name])}")
    files = entry["files"]
    if not isinstance(files, list):
        raise ValueError(f"files: not a list: {_show(files)}")
    by_sha: dict[str, dict[str, Any]] = {}
    for i, ref in enumerate(files):
        check_image_ref(ref, f"files[{i}]")
        if ref["sha256"] in by_sha:
            raise ValueError(f"files[{i}].sha256: listed twice")
        by_sha[ref["sha256"]] = ref
    images = entry["images"]
    if not isinstance(images, list):
        raise ValueError(f"images: not a list: {_show(images)}")
    for i, sha in enumerate(images):
        if not isinstance(sha, str) or sha not in by_sha:
            raise ValueError(f"images[{i}]: not the sha256 of one of the entry's files: {_show(sha)}")
    turn = entry.get("model_turn")
    if turn is not None:
        if not isinstance(turn, list):
            raise ValueError(f"model_turn: not a list of stored parts: {_show(turn)}")
        for i, part in enumerate(turn):
            _check_part(part, f"model_turn[{i}]", by_sha)
    if "metadata" in entry and not isinstance(entry["metadata"], dict):
        raise ValueError(f"metadata: not a JSON object: {_show(entry['metadata'])}")
    if entry.get("grounding") is not None:
        check_grounding(entry["grounding"])


def check_grounding(grounding: Any, where: str = "grounding") -> None:
    """Check a stored grounding dict (``Result.grounding``); ``ValueError`` names the field.

    ``{"web_search_queries": [str], "image_search_queries": [str], "queries": int >= 0, "sources": [{"kind":
    "web" | "image", "title": str, "uri": str, "image_uri"?: str}], "search_entry_point": str or null}``.

    >>> check_grounding({"web_search_queries": [], "image_search_queries": [], "queries": 0, "sources": [
    ...     {"kind": "web", "title": "t", "uri": 7}], "search_entry_point": None})
    Traceback (most recent call last):
    ...
    ValueError: grounding.sources[0].uri: not a string: 7
    """
    if not isinstance(grounding, dict):
        raise ValueError(f"{where}: not a JSON object: {_show(grounding)}")
    unknown = set(grounding) - set(GROUNDING_FIELDS)
    if unknown:
        raise ValueError(f"{where}.{_show(sorted(map(str, unknown))[0])}: not a grounding field")
    for name in ("web_search_queries", "image_search_queries"):
        values = grounding.get(name, [])
        if not isinstance(values, list):
            raise ValueError(f"{where}.{name}: not a list: {_show(values)}")
        for i, v in enumerate(values):
            _check_str(f"{where}.{name}[{i}]", v)
    if not _is_count(grounding.get("queries", 0)):
        raise ValueError(f"{where}.queries: not a non-negative integer: {_show(grounding.get('queries'))}")
    sources = grounding.get("sources", [])
    if not isinstance(sources, list):
        raise ValueError(f"{where}.sources: not a list: {_show(sources)}")
    for i, src in enumerate(sources):
        if not isinstance(src, dict) or src.get("kind") not in ("web", "image") or set(src) - {
                "kind", "title", "uri", "image_uri"}:
            raise ValueError(f"{where}.sources[{i}]: not a source {{kind, title, uri}}: {_show(src)}")
        for name in ("title", "uri", "image_uri"):
            if name in src:
                _check_str(f"{where}.sources[{i}].{name}", src[name])
    if grounding.get("search_entry_point") is not None:
        _check_str(f"{where}.search_entry_point", grounding["search_entry_point"])


def check_image_ref(ref: Any, where: str = "ref") -> None:
    """Check an image ref ``{sha256, mime, path, size}`` (see :func:`check_cache_entry`); ``ValueError`` names
    the field, prefixed with ``where``."""
    if not isinstance(ref, dict):
        raise ValueError(f"{where}: not a JSON object: {_show(ref)}")
    if set(ref) != set(IMAGE_REF_FIELDS):
        raise ValueError(f"{where}: needs exactly the fields {', '.join(IMAGE_REF_FIELDS)}, has "
                         f"{_show(sorted(map(str, ref)))}")
    sha, mime, path = ref["sha256"], ref["mime"], ref["path"]
    if not isinstance(sha, str) or not _SHA256_HEX.fullmatch(sha):
        raise ValueError(f"{where}.sha256: not a sha256 image hash (64 lowercase hex digits): {_show(sha)}")
    if not isinstance(mime, str) or mime not in IMAGE_EXTENSIONS:
        raise ValueError(f"{where}.mime: not an image MIME type: {_show(mime)}")
    if not isinstance(path, str) or not re.fullmatch(rf"images/{sha[:2]}/{sha}\.[a-z0-9]{{1,8}}", path):
        raise ValueError(f"{where}.path: not the stored form images/{sha[:2]}/{sha[:12]}...<ext>: {_show(path)}")
    if not _is_count(ref["size"]):
        raise ValueError(f"{where}.size: not a non-negative integer: {_show(ref['size'])}")


def _check_part(part: Any, where: str, files: dict[str, dict[str, Any]]) -> None:
    if not isinstance(part, dict):
        raise ValueError(f"{where}: not a JSON object: {_show(part)}")
    unknown = set(part) - _PART_FIELDS
    if unknown:
        raise ValueError(f"{where}.{_show(sorted(map(str, unknown))[0])}: not a stored-part field")
    if ("text" in part) == ("image" in part):
        raise ValueError(f"{where}: needs exactly one of text and image")
    if "text" in part:
        _check_str(f"{where}.text", part["text"])
    else:
        check_image_ref(part["image"], f"{where}.image")
        if files.get(part["image"]["sha256"]) != part["image"]:
            raise ValueError(f"{where}.image: not one of the entry's files")
    if "thought" in part and not isinstance(part["thought"], bool):
        raise ValueError(f"{where}.thought: not true or false: {_show(part['thought'])}")
    if part.get("sig") is not None:
        _check_str(f"{where}.sig", part["sig"])
        try:
            base64.b64decode(part["sig"], validate=True)
        except ValueError:
            raise ValueError(f"{where}.sig: not base64") from None


def _check_str(where: str, value: Any) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{where}: not a string: {_show(value)}")


def _is_count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _is_amount(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0


def _show(value: Any) -> str:
    """A hostile value, shortened for a message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
