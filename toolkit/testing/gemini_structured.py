"""Structured-output answers of :class:`~toolkit.testing.FakeGeminiServer` for Gemini TEXT models (a study's judge).

A ``generateContent`` call to a text model of :data:`toolkit.text_models.TEXT_MODELS` whose ``generationConfig``
has ``responseMimeType: "application/json"`` and a ``responseSchema`` is answered here, with JSON that conforms
to the schema (https://ai.google.dev/gemini-api/docs/structured-output): objects with every property (in
``propertyOrdering``), integers inside ``minimum``/``maximum``, strings from ``enum``. Values are deterministic:
they come from a hash of the request's contents and schema, so the same request always gets the same answer.

Scripted outcomes (``fake.enqueue(...)``) reach these calls too, read the way a text model would act them out:

* ``Outcome.text_only("...")``: the answer is that text, as it is (script malformed JSON with it);
* ``Outcome.blocked(...)``: the prompt is refused (``promptFeedback.blockReason``);
* ``Outcome.finish("MAX_TOKENS")``: the JSON is cut in half (a truncated answer); another reason (``SAFETY``,
  ...) stops the answer with no text and that ``finishReason`` (and ``finishMessage``);
* HTTP-level outcomes (errors, drops, a malformed body) are handled before this module, as for image models.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ..text_models import TEXT_MODELS
from .base import Outcome, text_tokens
from .gemini_wire import ApiError, get

_JSON = "application/json"


def is_structured(model: str, body: Any) -> bool:
    """True when ``body`` asks a known text model for JSON with a response schema."""
    config = get(body, "generationConfig") or {}
    schema = get(config, "responseSchema") or get(config, "responseJsonSchema")
    return any(m.id == model for m in TEXT_MODELS) and get(config, "responseMimeType") == _JSON and bool(schema)


def conforming(schema: Mapping[str, Any], seed: bytes, path: str = "") -> Any:
    """A value that fits ``schema`` (the Gemini API's OpenAPI subset), chosen deterministically from ``seed``.

    >>> conforming({"type": "INTEGER", "minimum": 1, "maximum": 5}, b"x") in range(1, 6)
    True
    """
    def pick(n: int) -> int:
        return int.from_bytes(hashlib.sha256(seed + path.encode()).digest()[:8], "little") % max(1, n)

    kind = str(get(schema, "type", "STRING")).upper()
    enum = get(schema, "enum")
    if enum:
        return enum[pick(len(enum))]
    if kind == "OBJECT":
        props = get(schema, "properties") or {}
        order = list(get(schema, "propertyOrdering") or []) + [k for k in props if k not in
                                                              (get(schema, "propertyOrdering") or [])]
        return {k: conforming(props[k], seed, f"{path}/{k}") for k in order if k in props}
    if kind == "ARRAY":
        return [conforming(get(schema, "items") or {}, seed, f"{path}/0")]
    if kind == "INTEGER":
        low, high = int(get(schema, "minimum", 0)), int(get(schema, "maximum", 10))
        return low + pick(high - low + 1)
    if kind == "NUMBER":
        lo, hi = float(get(schema, "minimum", 0.0)), float(get(schema, "maximum", 1.0))
        return round(lo + (hi - lo) * pick(1000) / 999, 3)
    if kind == "BOOLEAN":
        return bool(pick(2))
    return f"fake verdict for {path.rsplit('/', 2)[-2] if path.count('/') > 1 else path.strip('/') or 'answer'}"


def _usage(body: Any, answer: str, image_tokens: int) -> dict[str, Any]:
    text = images = 0
    for content in get(body, "contents") or []:
        for part in get(content, "parts") or []:
            if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                text += text_tokens(part["text"])
            elif get(part, "inlineData") is not None:
                images += 1
    prompt = text + images * image_tokens
    out = text_tokens(answer)
    usage: dict[str, Any] = {"promptTokenCount": prompt, "candidatesTokenCount": out, "totalTokenCount": prompt + out,
                             "promptTokensDetails": [{"modality": "TEXT", "tokenCount": text}]}
    if images:
        usage["promptTokensDetails"].append({"modality": "IMAGE", "tokenCount": images * image_tokens})
    return usage


def structured_answer(version: str, model: str, body: Any, outcome: Outcome, number: int) -> dict[str, Any]:
    """The ``GenerateContentResponse`` JSON of one structured-output call (see the module docstring)."""
    info = next((m for m in TEXT_MODELS if m.id == model), None)
    if info is None:
        raise ApiError(404, f"models/{model} is not found for API version {version}, or is not supported for "
                            f"generateContent.")
    config = get(body, "generationConfig") or {}
    schema = get(config, "responseSchema") or get(config, "responseJsonSchema") or {}
    seed = hashlib.sha256(json.dumps([get(body, "contents"), schema], sort_keys=True).encode()).digest()
    finish, message = "STOP", None
    text = json.dumps(conforming(schema, seed))
    if outcome.kind == "blocked":
        return {"promptFeedback": {"blockReason": outcome.reason or "PROHIBITED_CONTENT"},
                "usageMetadata": _usage(body, "", info.input_image_tokens), "modelVersion": model,
                "responseId": f"fake-judge-{number}"}
    if outcome.kind == "text_only":
        text = outcome.text or ""
    elif outcome.kind == "finish":
        finish, message = outcome.reason or "OTHER", outcome.message
        text = text[: len(text) // 2] if finish == "MAX_TOKENS" else ""
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}] if text else []},
                                 "finishReason": finish, "index": 0}
    if message:
        candidate["finishMessage"] = message
    return {"candidates": [candidate], "usageMetadata": _usage(body, text, info.input_image_tokens),
            "modelVersion": model, "responseId": f"fake-judge-{number}"}
