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

import dataclasses
import json
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
