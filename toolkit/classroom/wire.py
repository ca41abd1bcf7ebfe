"""The Gemini REST shapes the gateway writes itself: Google's error JSON, model entries, and the offline
simulator's answers as ``GenerateContentResponse`` JSON.

Errors follow https://ai.google.dev/gemini-api/docs/troubleshooting (``{"error": {"code", "message",
"status"}}``, with ``google.rpc.RetryInfo`` in ``details`` on 429), so the google-genai SDK raises its usual
``APIError`` and the toolkit shows the message. Replies follow https://ai.google.dev/api/generate-content
(``candidates[].content.parts[]``, ``inlineData``, ``usageMetadata``); streams are server-sent events of the same
objects (https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..backends.base import Reply
from ..errors import ToolkitError
from ..options import Options
from ..registry import ModelInfo
from ..request import ImagePart, Request, TextPart, Turn


def error_json(code: int, status: str, message: str, retry_after_s: float | None = None) -> bytes:
    """Google's error body; ``retry_after_s`` adds a ``RetryInfo`` detail.

    >>> error_json(429, "RESOURCE_EXHAUSTED", "wait", 2.0)
    b'{"error": {"code": 429, "message": "wait", "status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2.000s"}]}}'
    """
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if retry_after_s is not None:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                             "retryDelay": f"{max(retry_after_s, 0.001):.3f}s"}]
    return json.dumps({"error": error}).encode()


def model_json(info: ModelInfo) -> dict[str, Any]:
    """One ``Model`` entry of ``models.list`` (https://ai.google.dev/api/models#Model)."""
    return {"name": f"models/{info.id}", "baseModelId": info.id, "version": "001", "displayName": info.nickname,
            "description": f"{info.nickname}, open in this classroom", "inputTokenLimit": 65536,
            "outputTokenLimit": 32768, "supportedGenerationMethods": ["generateContent", "streamGenerateContent"]}


class BadRequest(ToolkitError):
    """A request body the offline simulator cannot read (sent back as 400 INVALID_ARGUMENT)."""


def request_from_json(info: ModelInfo, body: Any) -> Request:
    """A wire ``GenerateContentRequest`` as the toolkit's :class:`~toolkit.request.Request` (offline answers)."""
    if not isinstance(body, dict) or not isinstance(body.get("contents"), list):
        raise BadRequest("the body needs a 'contents' list (https://ai.google.dev/api/generate-content).")
    turns = []
    for content in body["contents"]:
        parts: list[TextPart | ImagePart] = []
        for part in (content.get("parts") if isinstance(content, dict) else None) or []:
            if not isinstance(part, dict):
                continue
            blob = part.get("inlineData") or part.get("inline_data")
            if isinstance(part.get("text"), str):
                parts.append(TextPart(part["text"], thought=bool(part.get("thought"))))
            elif isinstance(blob, dict) and isinstance(blob.get("data"), str):
                try:
                    data = base64.b64decode(blob["data"])
                except ValueError as e:
                    raise BadRequest(f"inlineData.data is not base64: {e}") from None
                parts.append(ImagePart.from_bytes(data, str(blob.get("mimeType") or blob.get("mime_type") or
                                                            "image/png"), thought=bool(part.get("thought"))))
        if parts:
            turns.append(Turn("model" if content.get("role") == "model" else "user", tuple(parts)))
    if not turns:
        raise BadRequest("the request has no text or image parts.")
    config = body.get("generationConfig") or {}
    image = config.get("imageConfig") or {} if isinstance(config, dict) else {}
    try:
        options = Options.build(aspect_ratio=image.get("aspectRatio"), image_size=image.get("imageSize"),
                                seed=config.get("seed"), temperature=config.get("temperature"))
    except ToolkitError as e:
        raise BadRequest(str(e)) from None
    return Request("offline", info.id, tuple(turns), options)


def _usage(reply: Reply) -> dict[str, Any]:
    u = reply.usage
    image_in, image_out = u.get("input_image_tokens", 0), u.get("output_image_tokens", 0)
    meta: dict[str, Any] = {
        "promptTokenCount": u.get("input_tokens", 0), "candidatesTokenCount": u.get("output_tokens", 0),
        "totalTokenCount": u.get("input_tokens", 0) + u.get("output_tokens", 0),
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": u.get("input_tokens", 0) - image_in}]
        + ([{"modality": "IMAGE", "tokenCount": image_in}] if image_in else []),
        "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": u.get("output_tokens", 0) - image_out}]
        + ([{"modality": "IMAGE", "tokenCount": image_out}] if image_out else []),
    }
    return meta


def _finish(reply: Reply) -> str:
    if reply.status == "ok":
        return "STOP"
    reason = (reply.reason or "").split(":", 1)[0].strip()
    return reason if reason.isupper() and " " not in reason else "NO_IMAGE"


def response_json(reply: Reply, model: str) -> dict[str, Any]:
    """A simulator :class:`~toolkit.backends.base.Reply` as a ``GenerateContentResponse``."""
    parts: list[dict[str, Any]] = [{"text": reply.text}] if reply.text else []
    parts += [{"inlineData": {"mimeType": im.mime, "data": base64.b64encode(im.data).decode("ascii")}}
              for im in reply.images]
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "finishReason": _finish(reply),
                                 "index": 0}
    if reply.status != "ok" and reply.reason:
        candidate["finishMessage"] = reply.reason
    return {"candidates": [candidate], "usageMetadata": _usage(reply), "modelVersion": model,
            "responseId": f"classroom-offline-{abs(hash((model, reply.text))) % 10**12}"}


def sse_events(reply: Reply, model: str) -> bytes:
    """The same answer as server-sent events: the text first, then the image with the usage."""
    whole = response_json(reply, model)
    cand = whole["candidates"][0]
    text_parts = [p for p in cand["content"]["parts"] if "text" in p]
    image_parts = [p for p in cand["content"]["parts"] if "text" not in p]
    events = []
    if text_parts:
        events.append({"candidates": [{"content": {"role": "model", "parts": text_parts}, "index": 0}],
                       "modelVersion": model})
    last = {**whole, "candidates": [{**cand, "content": {"role": "model", "parts": image_parts}}]}
    events.append(last)
    return b"".join(b"data: " + json.dumps(e).encode() + b"\r\n\r\n" for e in events)
