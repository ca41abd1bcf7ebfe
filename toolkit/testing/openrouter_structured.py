"""Structured-output answers of :class:`~toolkit.testing.FakeOpenRouterServer` for vision TEXT models (a judge).

A chat completion with ``response_format: {"type": "json_schema", "json_schema": {"name", "strict", "schema"}}``
(https://openrouter.ai/docs/structured-outputs) to one of :data:`TEXT_MODEL_PRICES` is answered here with JSON
that conforms to the schema, from :func:`toolkit.testing.gemini_structured.conforming` (it reads JSON Schema's
lowercase types as well as the Gemini API's). Values are deterministic: a hash of the messages and the schema.
``usage.cost`` is the model's price here times the fake's ``cost_factor`` (an ``Outcome.ok(cost=...)`` overrides
it).

Scripted outcomes (``fake.enqueue(...)``) are acted out the way a text model would:

* ``Outcome.text_only("...")``: the message content is that text, as it is (script malformed JSON with it);
* ``Outcome.blocked(reason, message)``: a refusal: no content, ``message.refusal`` set (``message`` or a
  stock sentence), ``finish_reason="content_filter"`` and ``native_finish_reason`` the reason;
* ``Outcome.finish("MAX_TOKENS")``: the JSON is cut in half with ``finish_reason="length"``;
* ``Outcome.no_image()`` is not meaningful here and answers normally; HTTP-level outcomes (errors, drops, a
  malformed body) are handled before this module, as for image models.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

from ..text_models import TEXT_MODELS
from .base import Outcome, text_tokens
from .gemini_structured import conforming

#: OpenRouter ids of the text models the fake answers, with USD per million input / output tokens: the Gemini
#: judge models at their list price, and one non-Google vision model (OpenAI's GPT-5 mini, $0.25 / $2.00).
TEXT_MODEL_PRICES: dict[str, tuple[float, float]] = {
    **{f"google/{m.id}": (m.input_per_m, m.output_per_m) for m in TEXT_MODELS},
    "openai/gpt-5-mini": (0.25, 2.0),
}
#: Tokens the fake bills per input image (a fixed figure keeps answers deterministic).
IMAGE_TOKENS = 1120
REFUSAL = "I'm sorry, but I can't evaluate this image."


class BadStructuredRequest(Exception):
    """A structured-output request the fake refuses with HTTP 400 (the message is OpenRouter-like)."""


def is_structured(body: Any) -> bool:
    """True when ``body`` asks for a ``json_schema`` response format (a judge call)."""
    fmt = body.get("response_format") if isinstance(body, dict) else None
    return isinstance(fmt, dict) and fmt.get("type") == "json_schema"


def _counts(messages: Any) -> tuple[int, int]:
    text = images = 0
    for msg in messages if isinstance(messages, list) else []:
        content = msg.get("content") if isinstance(msg, dict) else None
        if isinstance(content, str):
            text += text_tokens(content)
            continue
        for part in content if isinstance(content, list) else []:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text" and isinstance(part.get("text"), str):
                text += text_tokens(part["text"])
            elif kind == "image_url":
                url = (part.get("image_url") or {}).get("url") if isinstance(part.get("image_url"), dict) else None
                if not isinstance(url, str) or not url.startswith("data:image/"):
                    raise BadStructuredRequest("image_url.url must be an image data URL")
                images += 1
            else:
                raise BadStructuredRequest(f"unsupported content part {kind!r}")
    return text, images


def structured_completion(body: dict[str, Any], outcome: Outcome, number: int, cost_factor: float = 1.0
                          ) -> dict[str, Any]:
    """The chat-completion JSON of one structured-output call (see the module docstring).

    Raises
    ------
    BadStructuredRequest
        Unknown model, no messages, or a ``json_schema`` without a ``name`` or an object ``schema``.
    """
    model = body.get("model")
    if model not in TEXT_MODEL_PRICES:
        raise BadStructuredRequest(f"{model} is not a valid model ID")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadStructuredRequest("Input required: specify \"prompt\" or \"messages\"")
    spec = body["response_format"].get("json_schema")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"]:
        raise BadStructuredRequest("response_format.json_schema.name is required")
    schema = spec.get("schema")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise BadStructuredRequest("response_format.json_schema.schema must be a JSON Schema of type 'object'")
    text_in, images = _counts(messages)
    seed = hashlib.sha256(json.dumps([messages, schema], sort_keys=True).encode()).digest()
    answer: str | None = json.dumps(conforming(schema, seed))
    finish, native, refusal = "stop", "STOP", None
    if outcome.kind == "blocked":
        answer, finish, native = None, "content_filter", outcome.reason or "PROHIBITED_CONTENT"
        refusal = outcome.message or REFUSAL
    elif outcome.kind == "text_only":
        answer = outcome.text or ""
    elif outcome.kind == "finish" and (outcome.reason or "").upper() == "MAX_TOKENS":
        answer, finish, native = (answer or "")[: len(answer or "") // 2], "length", "MAX_TOKENS"
    prompt_tokens = text_in + images * IMAGE_TOKENS
    out_tokens = text_tokens(answer or refusal or "")
    per_in, per_out = TEXT_MODEL_PRICES[model]
    price = (prompt_tokens * per_in + out_tokens * per_out) / 1e6
    cost = outcome.cost if outcome.cost is not None else round(price * cost_factor, 10)
    message = {"role": "assistant", "content": answer, "refusal": refusal, "reasoning": None}
    return {
        "id": f"gen-{int(time.time())}-{number:06d}{secrets.token_hex(4)}", "provider": "Fake Provider",
        "model": model, "object": "chat.completion", "created": int(time.time()),
        "choices": [{"logprobs": None, "finish_reason": finish, "native_finish_reason": native, "index": 0,
                     "message": message}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": out_tokens,
                  "total_tokens": prompt_tokens + out_tokens, "cost": cost, "is_byok": False,
                  "prompt_tokens_details": {"cached_tokens": 0, "image_tokens": images * IMAGE_TOKENS},
                  "cost_details": {"upstream_inference_cost": None},
                  "completion_tokens_details": {"reasoning_tokens": 0, "image_tokens": 0}},
    }
