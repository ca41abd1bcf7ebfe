"""What a forwarded call will cost (before) and did cost (after), with the toolkit's own pricing.

Before: the model, ``generationConfig.imageConfig.imageSize`` and the input images of the wire request
(https://ai.google.dev/api/generate-content#ImageConfig) go through :func:`toolkit.pricing.estimate_usage`,
the same estimate a Studio makes. After: the reply's ``usageMetadata`` (its last occurrence: a stream sends it
on the final event) goes through :func:`toolkit.backends.gemini_wire.parse_usage` and
:func:`toolkit.pricing.list_cost`.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from typing import Any

from .. import pricing
from ..backends.gemini_wire import parse_grounding, parse_usage
from ..registry import ModelInfo

#: Enough base64 of an input image to read its header (PNG's IHDR, JPEG's SOF after a modest EXIF block).
_HEADER_CHARS = 128 * 1024
_USAGE = b'"usageMetadata"'
#: Text the model may write beside the image, added to the estimate so the actual cost stays below it
#: (the toolkit's own estimate leaves it out: it is a budget here, not a forecast).
REPLY_TEXT_TOKENS = 600
#: Search queries reserved for a grounded request (Gemini 3 bills per query); the answer's own count replaces it.
GROUNDING_QUERY_ALLOWANCE = 5
_GROUNDING = b'"groundingMetadata"'
_TIERS = ("standard", "flex", "priority")


def tier_of(value: Any) -> str:
    """The service tier a request asks for or a reply was served at (``serviceTier``), as a priced tier name.

    A value the toolkit cannot price is read as ``priority``, the dearest, so a budget never under-reserves.

    >>> tier_of(None), tier_of("FLEX"), tier_of("service_tier_priority"), tier_of("mystery")
    ('standard', 'flex', 'priority', 'priority')
    """
    if value is None:
        return "standard"
    name = value.strip().lower().removeprefix("service_tier_") if isinstance(value, str) else ""
    return name if name in _TIERS else "priority"


def is_grounded(body: Any) -> bool:
    """Whether a request body asks for Google Search grounding (a ``googleSearch`` tool, either spelling)."""
    tools = body.get("tools") if isinstance(body, dict) else None
    return isinstance(tools, list) and any(
        isinstance(t, dict) and ("googleSearch" in t or "google_search" in t) for t in tools)


def _image_size(data: str) -> tuple[int, int] | None:
    from PIL import Image

    head = data[: _HEADER_CHARS - _HEADER_CHARS % 4]
    try:
        raw = base64.b64decode(head + "=" * (-len(head) % 4), validate=False)
        with Image.open(io.BytesIO(raw)) as im:
            return im.size
    except (binascii.Error, OSError, ValueError, SyntaxError):
        return None


def _parts(body: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for content in body.get("contents") or []:
        if isinstance(content, dict):
            out += [p for p in content.get("parts") or [] if isinstance(p, dict)]
    return out


_DATA = b'"data"'


def _blank_inline_data(body: bytes) -> bytes:
    """``body`` with every ``"data"`` string value longer than 256 bytes (inline image base64) emptied.

    Uses ``bytes.find`` (memchr speed) rather than a regular expression, which walks a megabyte of base64
    one character at a time.
    """
    out: list[bytes] = []
    pos = 0
    while (at := body.find(_DATA, pos)) >= 0:
        opening = body.find(b'"', at + len(_DATA))
        if opening < 0:
            break
        if body[at + len(_DATA):opening].strip(b" \t\r\n") != b":":
            pos = at + len(_DATA)
            continue
        closing = body.find(b'"', opening + 1)
        if closing < 0:
            break
        if closing - opening > 256 and body.find(b"\\", opening, closing) < 0:
            out.append(body[pos:opening + 1])
            pos = closing
        else:
            out.append(body[pos:closing])
            pos = closing
    out.append(body[pos:])
    return b"".join(out)


def request_json(info: ModelInfo, body: bytes) -> Any:
    """A request body parsed for estimating: image data longer than 256 characters is read as ``""`` (every
    field the estimate uses stays, and a megabyte of base64 is not copied into a str), unless ``info`` prices
    input images by their size (Gemini 2.5): then it is parsed whole. Invalid JSON raises ``ValueError``.

    >>> from toolkit.registry import lookup
    >>> request_json(lookup("gemini-3.1-flash-image"),
    ...              b'{"contents": [{"parts": [{"inlineData": {"data": "' + b"A" * 300 + b'"}}]}]}')
    {'contents': [{'parts': [{'inlineData': {'data': ''}}]}]}
    """
    return json.loads(body if info.id.startswith("gemini-2.5") else _blank_inline_data(body))


def estimate(info: ModelInfo, body: Any) -> float:
    """The list price a ``generateContent`` body is expected to cost on ``info`` (a deliberate over-estimate
    of the text, the registry's tokens for the image)."""
    body = body if isinstance(body, dict) else {}
    text = images = 0
    sizes: list[tuple[int, int]] = []
    for part in _parts(body):
        if isinstance(part.get("text"), str):
            text += pricing.estimate_text_tokens(part["text"])
        blob = part.get("inlineData") or part.get("inline_data")
        if isinstance(blob, dict) and isinstance(blob.get("data"), str | None):
            images += 1
            # only Gemini 2.5 prices input images by their size; the others per image
            size = _image_size(blob["data"]) if info.id.startswith("gemini-2.5") else None
            sizes.append(size or (1024, 1024))
    config = body.get("generationConfig") or body.get("generation_config") or {}
    image_config = (config.get("imageConfig") or config.get("image_config") or {}) if isinstance(config, dict) else {}
    image_size = image_config.get("imageSize") or image_config.get("image_size") if isinstance(image_config, dict) \
        else None
    if image_size not in info.image_sizes:
        image_size = None
    usage = pricing.estimate_usage(info, text, sizes, image_size)
    usage["output_tokens"] += REPLY_TEXT_TOKENS
    tier = tier_of(body.get("serviceTier", body.get("service_tier")))
    queries = GROUNDING_QUERY_ALLOWANCE if is_grounded(body) else 0
    return pricing.list_cost(info, usage, tier=tier, grounding_queries=queries)


def usage_metadata(body: bytes) -> dict[str, Any] | None:
    """The last ``usageMetadata`` object in a reply (plain JSON, a JSON array or SSE events), without parsing
    the image data around it."""
    return _last_object(body, _USAGE, 8192)  # usage is a small object


def _last_object(body: bytes, name: bytes, limit: int) -> dict[str, Any] | None:
    at = body.rfind(name)
    if at < 0:
        return None
    colon = body.find(b":", at + len(name))
    if colon < 0:
        return None
    text = body[colon + 1:colon + 1 + limit].decode("utf-8", "replace").lstrip()
    try:
        meta, _ = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return None
    return meta if isinstance(meta, dict) else None


def grounding_queries(body: bytes) -> int:
    """How many search queries a reply says it ran (its last ``groundingMetadata``; 0 without one)."""
    grounding = parse_grounding(_last_object(body, _GROUNDING, 256 * 1024))
    return int(grounding["queries"]) if grounding else 0


def actual(info: ModelInfo, body: bytes) -> tuple[float, dict[str, int]]:
    """``(cost, usage)`` of a reply from its ``usageMetadata`` (cost 0 when it has none), at the tier the reply
    names (``usageMetadata.serviceTier``) plus the search queries its ``groundingMetadata`` lists."""
    meta = usage_metadata(body)
    usage = pricing.normalize_usage(parse_usage(meta))
    tier = tier_of(meta.get("serviceTier")) if isinstance(meta, dict) and meta.get("serviceTier") else "standard"
    return pricing.list_cost(info, usage, tier=tier, grounding_queries=grounding_queries(body)), usage
