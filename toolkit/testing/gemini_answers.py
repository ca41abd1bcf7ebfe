"""The answer side of the Gemini fake: ``GenerateContentResponse`` bodies, SSE chunks and error bodies.

Shapes follow https://ai.google.dev/gemini-api/docs/image-generation (responses, thought signatures,
``usageMetadata``) and https://ai.google.dev/gemini-api/docs/generate-content/api-errors plus
https://ai.google.dev/gemini-api/docs/rate-limits (error bodies). Successful calls are drawn by the offline
simulator (:func:`toolkit.simulator.render`), or answered with a fixed image (:class:`StaticImage`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import itertools
import json
import random
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import registry
from ..registry import ModelInfo
from .base import DEFAULT_RETRY_DELAY, Outcome, text_tokens
from .gemini_grounding import grounding_metadata, sequence_length, step_text
from .gemini_wire import GENERATION_METHODS, STATUS_BY_CODE, TROUBLESHOOTING, ApiError, GenRequest

__all__ = [
    "DEFAULT_BLOCK_REASON",
    "Answer",
    "StaticImage",
    "build_answer",
    "encode",
    "error_for",
    "html_page",
    "model_json",
    "response_json",
    "rfc3339",
    "stream_events",
]

# finishMessage texts modelled on real refusals (a real one is quoted in
# https://github.com/BerriAI/litellm/issues/20357); NO_IMAGE and IMAGE_OTHER come without one on the real
# API, so they get none unless the caller (or the simulator) supplies it.
_FINISH_MESSAGES = {
    "IMAGE_SAFETY": "Unable to show the generated image. The generated image may violate Google's "
    "Generative AI Prohibited Use policy. Try rephrasing the prompt. If you think this was an error, "
    "send feedback. Support code: {code}.",
    "IMAGE_PROHIBITED_CONTENT": "The model output could not be generated. This output contains sensitive "
    "words that violate Google's Responsible AI practices. If you think this was an error, send feedback. "
    "Support code: {code}.",
    "PROHIBITED_CONTENT": "The model output could not be generated. This output may contain prohibited "
    "content. If you think this was an error, send feedback. Support code: {code}.",
    "SAFETY": "The model output could not be generated because it may violate Google's Responsible AI "
    "practices. If you think this was an error, send feedback. Support code: {code}.",
    "IMAGE_RECITATION": "The generated image may be a recitation from a source and was not returned. "
    "Support code: {code}.",
}
DEFAULT_BLOCK_REASON = "PROHIBITED_CONTENT"


@dataclass(frozen=True)
class StaticImage:
    """Fixed bytes every successful call answers with (the benchmark path), base64-encoded once."""

    data: bytes = field(repr=False)
    mime: str
    b64: str = field(repr=False)

    @classmethod
    def of(cls, data: bytes, mime: str) -> StaticImage:
        """Encode ``data`` once."""
        return cls(data, mime, base64.b64encode(data).decode("ascii"))


@dataclass
class Answer:
    """One generate answer before it is written as JSON or SSE."""

    model: ModelInfo
    response_id: str
    parts: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = "STOP"
    finish_message: str | None = None
    block_reason: str | None = None
    prompt_text_tokens: int = 0
    prompt_image_tokens: int = 0
    out_text_tokens: int = 0
    out_image_tokens: int = 0
    thoughts_tokens: int = 0
    stream_error: ApiError | None = None
    vertex: bool = False  # Vertex AI surface: trafficType, createTime, blockReasonMessage
    create_time: str = ""
    grounding: dict[str, Any] | None = None  # the candidate's groundingMetadata (grounded requests)
    service_tier: str = "standard"  # echoed as usageMetadata.serviceTier (Gemini API surface)


def rfc3339(t: float) -> str:
    """A timestamp as Google's JSON writes it."""
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _response_id(digest: str, number: int) -> str:
    raw = hashlib.sha256(f"{digest}:{number}".encode()).digest()
    return base64.urlsafe_b64encode(raw).decode("ascii")[:22]


def _signature(response_id: str, index: int) -> str:
    return base64.b64encode(b"sig:" + hashlib.sha256(f"{response_id}:{index}".encode()).digest()).decode("ascii")


def _thought_text(prompt: str, step: int = 0) -> str:
    subject = " ".join(prompt.split())[:80] or "the request"
    if step == 0:
        return f"**Planning the image**\n\nThe request is: {subject!r}. I'll settle composition and palette first."
    return "**Refining the draft**\n\nThe draft works; tightening details and lighting for the final render."


def _image_part(data_b64: str, mime: str, *, thought: bool = False) -> dict[str, Any]:
    part: dict[str, Any] = {"inlineData": {"mimeType": mime, "data": data_b64}}
    if thought:
        part["thought"] = True
    return part


def build_answer(req: GenRequest, outcome: Outcome, number: int, static: StaticImage | None) -> Answer:
    """The answer to a valid request under a content outcome (``number`` makes the response id unique)."""
    info = req.model
    ans = Answer(model=info, response_id=_response_id(req.digest, number), vertex=req.vertex,
                 create_time=rfc3339(time.time()) if req.vertex else "", service_tier=req.service_tier)
    ans.prompt_text_tokens = text_tokens(req.prompt)
    ans.prompt_image_tokens = req.input_image_count * info.input_image_tokens
    if info.thinking:
        ans.thoughts_tokens = 120 + int(req.digest[8:12], 16) % 181
    kind = outcome.kind

    if kind == "blocked":
        ans.block_reason, ans.finish_reason, ans.thoughts_tokens = outcome.reason or DEFAULT_BLOCK_REASON, None, 0
        return ans
    if kind == "finish":
        _refuse(ans, outcome.reason or "OTHER", outcome.message, req.digest)
        return ans
    if kind == "error":  # only mid-stream errors get this far
        ans.stream_error = error_for(outcome, info.id, req.version, vertex=req.vertex)

    # Thought parts come back only when asked for (thinkingConfig.includeThoughts) or scripted; the model
    # thinks (and bills thoughtsTokenCount) either way.
    scripted_thoughts = kind == "thoughts_with_interim_images"
    show_thoughts = info.thinking and (req.include_thoughts or scripted_thoughts)
    thoughts: list[dict[str, Any]] = [{"text": _thought_text(req.prompt), "thought": True}] if show_thoughts else []
    texts: list[str] = []
    finals: list[tuple[str, str]] = []  # (base64, mime)
    no_image = bool(req.grounding) and not req.text_out and "image" not in info.grounding
    if kind == "text_only":
        texts = [outcome.text or ""]
    elif no_image:
        # Image-only output with web grounding returns no image (image-generation docs); models with image
        # search (3.1 Flash, 2.1) draw in image-only mode, as the docs' image-search example shows.
        ans.finish_reason = "NO_IMAGE"
    else:
        if kind in ("many_images", "interleaved"):
            n_final = outcome.count
        else:
            n_final = sequence_length(req.prompt) if req.image_out else 1
        interim_image = show_thoughts and (scripted_thoughts or req.image_out)
        rendered = _render_images(req, n_final + (1 if interim_image else 0), ans, static)
        if rendered is None:  # the simulator refused or blocked; ans already says so
            return ans
        text, images = rendered
        if interim_image:
            interim, images = images[-1], images[:-1]
            thoughts.append(_image_part(interim[0], interim[1], thought=True))
            thoughts.append({"text": _thought_text(req.prompt, 1), "thought": True})
        finals = images if req.image_out else []
        if kind == "junk_image":  # base64 that decodes, to bytes that are no image
            junk = random.Random(number).randbytes(outcome.count)
            finals = [(base64.b64encode(junk).decode("ascii"), "image/png") for _ in finals]
        if not req.image_out and not text:
            text = "Here is a description instead of an image, as only TEXT output was requested."
        interleave = kind == "interleaved" or (kind != "many_images" and len(finals) > 1)
        if interleave and req.text_out:
            texts = [step_text(k, len(finals), text) for k in range(1, len(finals) + 1)]
        else:
            texts = [text]
    if not req.text_out and finals:
        texts = []
    texts = [t for t in texts if t]
    ans.out_text_tokens = text_tokens(" ".join(texts))
    ans.out_image_tokens = len(finals) * info.output_image_tokens(req.image_size)
    parts = list(thoughts)
    if len(texts) > 1:  # interleaved: text, image, text, image, ...
        for t, (b64, mime) in zip(texts, finals, strict=True):
            parts.extend(({"text": t}, _image_part(b64, mime)))
    else:
        parts.extend({"text": t} for t in texts)
        parts.extend(_image_part(b64, mime) for b64, mime in finals)
    if info.thinking:
        _sign(parts, ans.response_id)
    ans.parts = parts
    if req.grounding:
        first_text = next((p["text"] for p in parts if "text" in p and not p.get("thought")), "")
        ans.grounding = grounding_metadata(req.prompt, req.grounding, first_text)
    return ans


def _sign(parts: list[dict[str, Any]], response_id: str) -> None:
    """Attach signatures where Gemini 3 does: each final image and the first text part before any image."""
    seen_text = seen_image = False
    for idx, part in enumerate(parts):
        if part.get("thought"):
            continue
        if "inlineData" in part:
            part["thoughtSignature"] = _signature(response_id, idx)
            seen_image = True
        elif "text" in part and not seen_text and not seen_image:
            part["thoughtSignature"] = _signature(response_id, idx)
            seen_text = True


def _refuse(ans: Answer, reason: str, message: str | None, digest: str) -> None:
    ans.parts, ans.finish_reason = [], reason
    if message is None and reason in _FINISH_MESSAGES:
        message = _FINISH_MESSAGES[reason].format(code=int(digest[12:20], 16) % 90_000_000 + 10_000_000)
    ans.finish_message = message


def _render_images(req: GenRequest, n: int, ans: Answer,
                   static: StaticImage | None) -> tuple[str, list[tuple[str, str]]] | None:
    """``n`` images (static or simulated) and the answer text; None when the simulator refused."""
    if static is not None:
        if req.output_mime and req.output_mime != static.mime:
            data, mime = _transcode(static.data, req.output_mime, req.output_quality)
            return "Here is the image you asked for.", [(base64.b64encode(data).decode("ascii"), mime)] * n
        return "Here is the image you asked for.", [(static.b64, static.mime)] * n

    from PIL import Image

    from .. import simulator  # looked up per call so tests can monkeypatch toolkit.simulator.render

    pil_images = []
    for data in req.images:
        try:
            img = Image.open(io.BytesIO(data))
            img.load()
        except Exception:
            raise ApiError(400, f"Unable to process input image. Please retry or report in {TROUBLESHOOTING}") from None
        pil_images.append(img)

    text = ""
    out: list[tuple[str, str]] = []
    for k in range(n):
        sim = simulator.render(req.prompt, pil_images, model=req.model, aspect_ratio=req.aspect_ratio,
                               image_size=req.image_size, seed=req.seed + k)
        if k == 0:
            ans.prompt_text_tokens = sim.input_text_tokens
            ans.prompt_image_tokens = sim.input_image_tokens
            if sim.block_reason:
                ans.block_reason, ans.finish_reason, ans.thoughts_tokens = sim.block_reason, None, 0
                return None
            if sim.finish_reason != "STOP":
                _refuse(ans, sim.finish_reason, sim.message, req.digest)
                return None
            text = sim.text
        for im in sim.images:
            data, mime = im.data, im.mime
            if req.output_mime:  # Vertex imageOutputOptions.mimeType: re-encode as asked
                data, mime = _transcode(data, req.output_mime, req.output_quality)
            out.append((base64.b64encode(data).decode("ascii"), mime))
    return text, out


def _transcode(data: bytes, mime: str, quality: int | None) -> tuple[bytes, str]:
    """Re-encode an image as PNG or JPEG (Vertex's default JPEG compressionQuality is 75)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        img.load()
        buf = io.BytesIO()
        if mime == "image/jpeg":
            img.convert("RGB").save(buf, format="JPEG", quality=75 if quality is None else max(1, quality))
        else:
            img.save(buf, format="PNG")
    return buf.getvalue(), mime


# --------------------------------------------------------------------------------------------------
# Writing answers
# --------------------------------------------------------------------------------------------------


def _usage(ans: Answer, *, cand_text: int | None = None, final: bool = True) -> dict[str, Any]:
    text_out = ans.out_text_tokens if cand_text is None else cand_text
    image_out = ans.out_image_tokens if final else 0
    prompt = ans.prompt_text_tokens + ans.prompt_image_tokens
    cand = text_out + image_out
    usage: dict[str, Any] = {"promptTokenCount": prompt}
    if cand:
        usage["candidatesTokenCount"] = cand
    usage["totalTokenCount"] = prompt + cand + ans.thoughts_tokens
    # promptTokensDetails lists IMAGE only when the prompt had images (the real API omits zero modalities).
    details = [{"modality": "TEXT", "tokenCount": ans.prompt_text_tokens}]
    if ans.prompt_image_tokens:
        details.append({"modality": "IMAGE", "tokenCount": ans.prompt_image_tokens})
    usage["promptTokensDetails"] = details
    if final and cand:
        cdetails = []
        if image_out:
            cdetails.append({"modality": "IMAGE", "tokenCount": image_out})
        if text_out:
            cdetails.append({"modality": "TEXT", "tokenCount": text_out})
        usage["candidatesTokensDetails"] = cdetails
    if ans.thoughts_tokens:
        usage["thoughtsTokenCount"] = ans.thoughts_tokens
    if ans.vertex:
        usage["trafficType"] = "ON_DEMAND"
    else:  # the Gemini API echoes the tier the call was served at (observed: "serviceTier": "standard")
        usage["serviceTier"] = ans.service_tier
    return usage


def _envelope(ans: Answer, parts: list[dict[str, Any]] | None, *, finish: bool,
              usage: dict[str, Any]) -> dict[str, Any]:
    extra = {"createTime": ans.create_time} if ans.vertex else {}
    if ans.block_reason:
        feedback = {"blockReason": ans.block_reason}
        if ans.vertex:  # Vertex explains a prompt block (the Gemini API does not)
            feedback["blockReasonMessage"] = (
                "The prompt could not be submitted. This prompt contains sensitive words that violate Google's "
                "Responsible AI practices. Try rephrasing the prompt.")
        return {"promptFeedback": feedback, "usageMetadata": usage, "modelVersion": ans.model.id,
                **extra, "responseId": ans.response_id}
    content: dict[str, Any] = {"role": "model"}
    if parts:
        content = {"parts": parts, "role": "model"}
    candidate: dict[str, Any] = {"content": content}
    if finish:
        candidate["finishReason"] = ans.finish_reason
        if ans.finish_message:
            candidate["finishMessage"] = ans.finish_message
        if ans.grounding is not None:
            candidate["groundingMetadata"] = ans.grounding
    candidate["index"] = 0
    return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": ans.model.id, **extra,
            "responseId": ans.response_id}


def response_json(ans: Answer) -> dict[str, Any]:
    """The whole answer as one ``GenerateContentResponse``."""
    return _envelope(ans, ans.parts, finish=True, usage=_usage(ans))


def stream_events(ans: Answer) -> Iterator[dict[str, Any]]:
    """The answer as SSE chunks, in part order: thoughts, text deltas, images (the last chunk, with
    finishReason and any groundingMetadata, holds the final images); interleaved answers alternate."""
    if ans.block_reason or not ans.parts:
        yield response_json(ans)
        return
    events: list[list[dict[str, Any]]] = []
    image_run = False  # consecutive final images travel in one chunk (the last one with finishReason)
    for part in ans.parts:
        if part.get("thought"):
            events.append([part])
            image_run = False
        elif "text" in part:
            events.extend([d] for d in _deltas(part))
            image_run = False
        elif image_run:
            events[-1].append(part)
        else:
            events.append([part])
            image_run = True
    finals = events.pop()
    if ans.stream_error is not None:
        # A couple of events, then the error: what a mid-stream failure looks like on the wire.
        for chunk in events[:2]:
            yield _envelope(ans, chunk, finish=False, usage=_usage(ans, cand_text=0, final=False))
        yield ans.stream_error.payload()
        return
    sent_text = 0
    for chunk in events:
        sent_text += sum(text_tokens(p.get("text", "")) for p in chunk if not p.get("thought"))
        yield _envelope(ans, chunk, finish=False,
                        usage=_usage(ans, cand_text=min(sent_text, ans.out_text_tokens), final=False))
    yield _envelope(ans, finals, finish=True, usage=_usage(ans))


def _deltas(part: dict[str, Any]) -> list[dict[str, Any]]:
    """Split a text part into two or three deltas; the first keeps the thoughtSignature."""
    text = part["text"]
    words = text.split(" ")
    cut = [0, max(1, len(words) // 3), max(2, 2 * len(words) // 3), len(words)]
    pieces = []
    for a, b in itertools.pairwise(cut):
        if b > a:
            piece = " ".join(words[a:b])
            pieces.append(piece if a == 0 else " " + piece)
    out = [{"text": p} for p in pieces if p] or [{"text": text}]
    if "thoughtSignature" in part:
        out[0]["thoughtSignature"] = part["thoughtSignature"]
    return out


def error_for(outcome: Outcome, model_id: str | None, version: str | None, *, vertex: bool = False) -> ApiError:
    """The Google error an ``error`` outcome answers with (429s carry Help, QuotaFailure and RetryInfo)."""
    code = outcome.code or 500
    status = outcome.status or STATUS_BY_CODE.get(code, "UNKNOWN")
    message = outcome.message
    details: list[dict[str, Any]] | None = None
    if vertex and code == 429 and message is None:
        # Vertex's 429 text; it comes without Help / QuotaFailure (the RetryInfo stays, to keep tests fast).
        message = ("Resource exhausted. Please try again later. Please refer to "
                   "https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.")
        return ApiError(code, message, status=status, details=[
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": outcome.retry_delay or DEFAULT_RETRY_DELAY}])
    if code == 404 and message is None and model_id:
        message = (f"models/{model_id} is not found for API version {version}, or is not supported for "
                   "generateContent. Call ListModels to see the list of available models and their supported "
                   "methods.")
    if code == 429:
        delay = outcome.retry_delay or DEFAULT_RETRY_DELAY
        quota_model = model_id or registry.DEFAULT_MODEL
        metric = "generativelanguage.googleapis.com/generate_content_paid_tier_requests"
        if message is None:
            message = (
                "You exceeded your current quota, please check your plan and billing details. For more "
                "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To "
                "monitor your current usage, head to: https://ai.dev/rate-limit. \n"
                f"* Quota exceeded for metric: {metric}, limit: 10, model: {quota_model}\n"
                f"Please retry in {delay}."
            )
        details = [
            {"@type": "type.googleapis.com/google.rpc.Help", "links": [
                {"description": "Learn more about Gemini API quotas",
                 "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
                {"quotaMetric": metric, "quotaId": "GenerateRequestsPerMinutePerProjectPerModel",
                 "quotaDimensions": {"location": "global", "model": quota_model}, "quotaValue": "10"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay},
        ]
    elif outcome.retry_delay is not None:
        details = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": outcome.retry_delay}]
    return ApiError(code, message, status=status, details=details)


def html_page(code: int) -> bytes:
    """The non-JSON error page Google's edge answers with (502s)."""
    phrase = "Server Error" if code >= 500 else "Client Error"
    return (
        "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
        "  <meta name=viewport content=\"initial-scale=1, minimum-scale=1, width=device-width\">\n"
        f"  <title>Error {code} ({phrase})!!1</title>\n"
        "  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>\n"
        f"  <p><b>{code}.</b> <ins>That’s an error.</ins>\n"
        "  <p>The server encountered a temporary error and could not complete your request."
        "<p>Please try again in 30 seconds.  <ins>That’s all we know.</ins>\n"
    ).encode()


def model_json(info: ModelInfo) -> dict[str, Any]:
    """A ``Model`` of ``models.list`` / ``models.get``."""
    sizes = ", ".join(info.image_sizes) or "fixed ~1 MP"
    return {
        "name": f"models/{info.id}",
        "version": "001",
        "displayName": f"{info.nickname} ({info.id})",
        "description": f"{info.nickname} image model, served by FakeGeminiServer from the offline simulator. "
                       f"Sizes: {sizes}; {len(info.aspect_ratios)} aspect ratios.",
        "inputTokenLimit": 32768 if not info.thinking else 65536,
        "outputTokenLimit": 32768,
        "supportedGenerationMethods": list(GENERATION_METHODS),
        "temperature": 1.0,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2.0,
        "thinking": info.thinking,
    }


_BLOB_MARK = secrets.token_hex(8)  # random, so no text in a response can collide with a placeholder


def encode(payload: dict[str, Any]) -> bytes:
    """Compact JSON, with large base64 image data spliced in rather than scanned by the JSON encoder.

    Base64 needs no JSON escaping, and skipping the encoder's scan of a multi-megabyte string is most
    of what keeps a ``static_image`` answer well under 2 ms.
    """
    blobs: list[str] = []
    candidates = payload.get("candidates")
    if candidates:
        payload = {**payload, "candidates": [_stub_blobs(c, blobs) for c in candidates]}
    out = json.dumps(payload, separators=(",", ":")).encode()
    for i, data in enumerate(blobs):
        mark = b'"\\u0000%s%d\\u0000"' % (_BLOB_MARK.encode(), i)
        out = out.replace(mark, b'"' + data.encode("ascii") + b'"', 1)
    return out


def _stub_blobs(candidate: dict[str, Any], blobs: list[str]) -> dict[str, Any]:
    parts = (candidate.get("content") or {}).get("parts")
    if not parts:
        return candidate
    new_parts = []
    for part in parts:
        blob = part.get("inlineData")
        if blob is not None and len(blob.get("data", "")) > 4096:
            part = {**part, "inlineData": {**blob, "data": f"\x00{_BLOB_MARK}{len(blobs)}\x00"}}
            blobs.append(blob["data"])
        new_parts.append(part)
    return {**candidate, "content": {**candidate["content"], "parts": new_parts}}
