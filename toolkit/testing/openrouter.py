""":class:`FakeOpenRouterServer`, a loopback fake of OpenRouter's chat-completions API.

It speaks ``POST /api/v1/chat/completions`` and ``GET /api/v1/models`` well enough for the official
``openai`` client to be pointed at it with ``base_url=fake.base_url``, and answers with real images from
the offline simulator (:func:`toolkit.simulator.render`), so pixel sizes, MIME types and token counts look
like the real models'. Use it like :class:`~toolkit.testing.FakeGeminiServer`: as a context manager, script
the next calls with ``enqueue`` (shortcuts, HTTP codes or :class:`~toolkit.testing.Outcome`), and read
back what was sent from ``requests`` / ``calls`` (:class:`~toolkit.testing.Recorded`, credentials
redacted).

Wire facts follow https://openrouter.ai/docs/guides/overview/multimodal/image-generation (request,
``message.images`` data URLs) and https://openrouter.ai/docs/use-cases/usage-accounting (``usage.cost``
and token details). Where the fake has to choose something OpenRouter does not document, the choice is
noted in the code.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import itertools
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .. import pricing, registry
from ..registry import ModelInfo
from .base import BLOCK_REASONS, BadDataURL, Outcome, decode_data_url
from .loopback import Incoming, LoopbackFake, LoopbackHandler, http_phrase
from .openrouter_structured import BadStructuredRequest, is_structured, structured_completion

__all__ = ["FakeOpenRouterServer"]

_OR_MESSAGES = {
    400: "Bad Request",
    401: "No auth credentials found",
    402: "Insufficient credits. This account never purchased credits. Make sure your key is on the correct "
         "account or org, and if so, purchase more at https://openrouter.ai/settings/credits",
    403: "Your chosen model requires moderation and your input was flagged",
    404: "No endpoints found for this model.",
    408: "Request timed out",
    413: "Request entity too large",
    429: "Rate limit exceeded: too many requests. Please try again shortly.",
    500: "Internal Server Error",
    502: "Provider returned error",
    503: "No available model provider that meets your routing requirements",
    524: "Request timed out upstream. Please try again.",
    529: "Provider returned error: the model is overloaded. Please try again later.",
}
_OR_PROVIDER = "Google AI Studio"


def _or_models() -> dict[str, ModelInfo]:
    out: dict[str, ModelInfo] = {}
    for m in registry.MODELS:
        if m.openrouter_id:
            out.setdefault(m.openrouter_id, m)
    return out


class FakeOpenRouterServer(LoopbackFake):
    """A loopback HTTP server that answers like OpenRouter's chat-completions API, for tests.

    Pass :attr:`base_url` (``http://127.0.0.1:<port>/api/v1``) to ``openai.AsyncOpenAI(base_url=...)``
    or to ``Studio(backend="openrouter", base_url=...)``. The routes match any path prefix ending in
    ``/chat/completions`` or ``/models``.

    Parameters
    ----------
    api_key : str, optional
        When set, requests must carry ``Authorization: Bearer <api_key>``; otherwise they get
        OpenRouter's 401 body. Never stored in :attr:`requests`.
    latency_s : float
        Sleep this long before answering each request.
    host, port : str, int
        Where to listen; port 0 picks a free port.
    report_image_tokens : bool
        Include ``usage.completion_tokens_details.image_tokens`` (OpenRouter's docs mark it optional);
        False exercises a client's fallback estimate.
    cost_factor : float
        ``usage.cost`` is the Gemini list price of the usage times this (an ``ok`` outcome's ``cost``
        overrides it), so a test can tell the provider's figure from the client's own estimate.

    Notes
    -----
    * Success: ``choices[0].message.images[].image_url.url`` data URLs drawn by the simulator, text in
      ``content``, ``usage`` with ``cost``, ``cost_details`` and token details, and for thinking models
      ``reasoning_details`` (an encrypted block, as OpenRouter returns Gemini thought signatures).
    * Refusals are HTTP 200: ``finish_reason="content_filter"`` with ``native_finish_reason`` (e.g.
      ``IMAGE_SAFETY``) and no images. The simulator's ``[sim:...]`` triggers map the same way.
    * Without ``"image"`` in ``modalities`` the model answers with text only, as the real service does.
    * A ``response_format`` of type ``json_schema`` (a study's judge) to a vision text model is answered with
      JSON that fits the schema; scripted malformed answers and refusals: :mod:`toolkit.testing.openrouter_structured`.
    * Error bodies: ``{"error": {"code", "message", "metadata"?}, "user_id"}``; a 429 adds
      ``metadata.headers`` with the rate-limit headers and, when the outcome has ``retry_after``, a
      ``Retry-After`` header. 502/524/529 carry ``metadata.provider_name``.
    * The working image of a request with no image in its last user message is the last assistant
      image (or earlier user image) in the history, as the Studio's chats expect.
    """

    SHORTCUTS: ClassVar[Mapping[str, Outcome]] = {
        "ok": Outcome.ok(),
        "blocked": Outcome.blocked(),
        "image_safety": Outcome.blocked("IMAGE_SAFETY"),
        "prohibited_content": Outcome.blocked("PROHIBITED_CONTENT"),
        "no_image": Outcome.no_image(),
        "text_only": Outcome.text_only(),
        "drop": Outcome.drop(),
        "html": Outcome.html(524),
        "malformed": Outcome.malformed(),
    }
    KINDS: ClassVar[frozenset[str]] = frozenset(
        {"ok", "blocked", "no_image", "text_only", "error", "drop", "html", "malformed", "finish"})

    def __init__(self, *, api_key: str | None = None, latency_s: float = 0.0, host: str = "127.0.0.1",
                 port: int = 0, report_image_tokens: bool = True, cost_factor: float = 1.0) -> None:
        super().__init__(api_key=api_key, latency_s=latency_s, host=host, port=port)
        self.report_image_tokens = report_image_tokens
        self.cost_factor = float(cost_factor)
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        """``http://host:port/api/v1``: what the ``openai`` client takes as ``base_url``."""
        return self.origin + "/api/v1"

    # ---- dispatch ----------------------------------------------------------------------------

    def handle(self, h: LoopbackHandler, req: Incoming) -> None:
        """Answer one request (called by the handler thread)."""
        path = req.path.rstrip("/")
        action = None
        if path.endswith("/chat/completions") and req.method == "POST":
            action = "chat"
        elif path.endswith("/models") and req.method == "GET":
            action = "models"
        model = req.body.get("model") if isinstance(req.body, dict) else None
        auth_error = self._check_key(req.headers.get("authorization"))
        model_id = model if isinstance(model, str) else None
        outcome, _ = self.admit(req.record(action=action, app=model_id, model=model_id, is_call=action == "chat"),
                                authorized=auth_error is None)
        self.sleep_latency()
        if auth_error is not None:
            h.send_json(401, {"error": {"code": 401, "message": auth_error}})
        elif action == "models":
            h.send_json(200, {"data": [self._model_json(slug, m) for slug, m in _or_models().items()
                                       if not m.is_shut_down()] + [_TEXT_ONLY_MODEL]})
        elif action == "chat":
            self._chat(h, req, outcome)
        else:
            h.send_json(404, {"error": {"code": 404, "message": f"Not Found: {req.method} {req.path}"}})

    def _check_key(self, header: str | None) -> str | None:
        expected = self.api_key
        if expected is None:
            return None
        if not header or not header.lower().startswith("bearer ") or not header[7:].strip():
            return "No auth credentials found"
        if not secrets.compare_digest(header[7:].strip().encode(), expected.encode()):
            return "User not found."
        return None

    @staticmethod
    def _model_json(slug: str, m: ModelInfo) -> dict[str, Any]:
        return {
            "id": slug, "canonical_slug": slug, "name": f"Google: {m.nickname}",
            "created": int(dt.datetime.combine(m.released or dt.date(2025, 1, 1), dt.time()).timestamp()),
            "context_length": 32768,
            "architecture": {"modality": "text+image->text+image", "input_modalities": ["image", "text"],
                             "output_modalities": ["image", "text"]},
            "pricing": {"prompt": f"{m.price.input_per_m / 1e6:.10f}".rstrip("0"),
                        "completion": f"{m.price.output_text_per_m / 1e6:.10f}".rstrip("0"),
                        "image": "0"},
        }

    # ---- chat completions --------------------------------------------------------------------

    def _error(self, h: LoopbackHandler, outcome: Outcome, model: str | None) -> None:
        code = outcome.code or 500
        err: dict[str, Any] = {"code": code, "message": outcome.message or _OR_MESSAGES.get(code, http_phrase(code))}
        headers: dict[str, str] = {}
        if code == 429:
            reset = int((time.time() + (outcome.retry_after or 1)) * 1000)
            err["metadata"] = {"headers": {"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0",
                                           "X-RateLimit-Reset": str(reset)}}
            if outcome.retry_after is not None:
                headers["Retry-After"] = f"{outcome.retry_after:g}"
        elif code in (502, 524, 529):
            err["metadata"] = {"provider_name": _OR_PROVIDER, "raw": f"upstream {model or 'model'}: {err['message']}"}
        elif code == 402:
            err["metadata"] = {}
        h.send_json(code, {"error": err, "user_id": "user_fake"}, headers)

    def _chat(self, h: LoopbackHandler, req: Incoming, outcome: Outcome) -> None:
        body = req.body
        model = body.get("model") if isinstance(body, dict) else None
        if outcome.kind == "drop":
            h.drop()
            return
        if outcome.kind == "html":
            h.send(outcome.code or 524, _html_page(outcome.code or 524), "text/html; charset=UTF-8")
            return
        if outcome.kind == "error":
            self._error(h, outcome, model)
            return
        if outcome.kind == "malformed":
            whole = json.dumps({"id": "gen-x", "choices": [{"message": {"role": "assistant", "content": "Here"}}]})
            h.send(200, whole[: len(whole) // 2].encode(), "application/json")
            return
        if is_structured(body):  # a judge's structured-output call to a text model (openrouter_structured.py)
            try:
                h.send_json(200, structured_completion(body, outcome, next(self._ids), self.cost_factor))
            except BadStructuredRequest as e:
                h.send_json(400, {"error": {"code": 400, "message": str(e)}, "user_id": "user_fake"})
            return
        try:
            parsed = _parse_chat(body)
        except _BadRequest as e:
            h.send_json(400, {"error": {"code": 400, "message": str(e)}, "user_id": "user_fake"})
            return
        h.send_json(200, self._completion(parsed, outcome))

    def _completion(self, p: _ChatRequest, outcome: Outcome) -> dict[str, Any]:
        from PIL import Image

        from .. import simulator

        info = p.info
        want_image = "image" in p.modalities
        prompt_tokens = sum(simulator.core.text_tokens(t) for t in p.texts)
        pil_all = [Image.open(io.BytesIO(d)) for d, _ in p.all_images]
        prompt_tokens += simulator.core.input_image_tokens(info, pil_all) if pil_all else 0
        text, images, finish, native, reasoning = "", [], "stop", "STOP", 0
        if outcome.kind == "blocked":
            finish, native = "content_filter", outcome.reason or "IMAGE_SAFETY"
            text = outcome.message or ""
        elif outcome.kind in ("no_image", "finish"):  # an image model that stops early draws nothing
            native = outcome.reason or "NO_IMAGE"
            text = outcome.message or ""
        elif outcome.kind == "text_only" or not want_image:
            text = outcome.text or "Here is a description of the image you asked for; no image was drawn."
        else:
            seed = p.seed if p.seed is not None else int(hashlib.sha256(p.fingerprint).hexdigest()[:12], 16)
            working = [Image.open(io.BytesIO(d)) for d, _ in p.working]
            out = simulator.render(p.prompt, working, model=info, aspect_ratio=p.aspect_ratio,
                                   image_size=p.image_size, seed=seed)
            text = out.text
            if out.block_reason:
                finish, native, text = "content_filter", out.block_reason, ""
            elif out.finish_reason and out.finish_reason.upper() in BLOCK_REASONS:
                finish, native = "content_filter", out.finish_reason.upper()
                text = out.message or ""
            elif not out.images:
                native = out.finish_reason or "STOP"
                text = out.text or out.message or ""
            images = [(im.data, im.mime) for im in out.images]
        image_tokens = info.output_image_tokens(p.image_size) * len(images)
        text_tokens = simulator.core.text_tokens(text)
        if info.thinking and finish != "content_filter":
            reasoning = 64  # thinking models bill some thought tokens; a fixed figure keeps answers deterministic
        completion = text_tokens + image_tokens + reasoning
        usage_for_price = {"input_tokens": prompt_tokens, "output_tokens": text_tokens + image_tokens,
                           "output_image_tokens": image_tokens, "thought_tokens": reasoning}
        list_price = pricing.list_cost(info, usage_for_price)
        cost = outcome.cost if outcome.cost is not None else round(list_price * self.cost_factor, 10)
        prompt_cost = pricing.list_cost(info, {"input_tokens": prompt_tokens})
        details: dict[str, Any] = {"reasoning_tokens": reasoning}
        if self.report_image_tokens:
            details["image_tokens"] = image_tokens
        message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": None, "reasoning": None}
        if images:
            message["images"] = [
                {"type": "image_url", "index": i, "image_url": {"url": f"data:{mime};base64,{base64.b64encode(d).decode()}"}}
                for i, (d, mime) in enumerate(images)
            ]
        if reasoning:
            sig = hashlib.sha256(b"thought:" + p.fingerprint).digest() * 2
            message["reasoning_details"] = [{"type": "reasoning.encrypted", "data": base64.b64encode(sig).decode(),
                                             "id": None, "format": "google-gemini-v1", "index": 0}]
        n = next(self._ids)
        return {
            "id": f"gen-{int(time.time())}-{n:06d}{secrets.token_hex(4)}", "provider": _OR_PROVIDER,
            "model": p.model, "object": "chat.completion", "created": int(time.time()),
            "choices": [{"logprobs": None, "finish_reason": finish, "native_finish_reason": native, "index": 0,
                         "message": message}],
            "usage": {
                "prompt_tokens": prompt_tokens, "completion_tokens": completion,
                "total_tokens": prompt_tokens + completion, "cost": cost, "is_byok": False,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0, "video_tokens": 0},
                "cost_details": {"upstream_inference_cost": None, "upstream_inference_prompt_cost": prompt_cost,
                                 "upstream_inference_completions_cost": round(max(0.0, cost - prompt_cost), 10)},
                "completion_tokens_details": details,
            },
        }


_TEXT_ONLY_MODEL = {
    "id": "google/gemini-2.5-flash", "canonical_slug": "google/gemini-2.5-flash", "name": "Google: Gemini 2.5 Flash",
    "created": 1750000000, "context_length": 1048576,
    "architecture": {"modality": "text+image->text", "input_modalities": ["image", "text"],
                     "output_modalities": ["text"]},
    "pricing": {"prompt": "0.0000003", "completion": "0.0000025", "image": "0"},
}


class _BadRequest(Exception):
    pass


@dataclass
class _ChatRequest:
    model: str
    info: ModelInfo
    prompt: str
    texts: list[str]
    all_images: list[tuple[bytes, str]]
    working: list[tuple[bytes, str]]
    modalities: list[str]
    aspect_ratio: str | None
    image_size: str | None
    seed: int | None
    fingerprint: bytes = field(repr=False, default=b"")


def _parse_chat(body: Any) -> _ChatRequest:
    if body is Incoming.INVALID or not isinstance(body, dict):
        raise _BadRequest("Invalid JSON body")
    model = body.get("model")
    info = _or_models().get(model) if isinstance(model, str) else None
    if info is None:
        raise _BadRequest(f"{model} is not a valid model ID")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _BadRequest("Input required: specify \"prompt\" or \"messages\"")
    texts: list[str] = []
    all_images: list[tuple[bytes, str]] = []
    turns: list[tuple[str, str, list[tuple[bytes, str]]]] = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or msg.get("role") not in ("system", "user", "assistant", "developer"):
            raise _BadRequest(f"messages[{i}]: role must be system, user or assistant")
        content = msg.get("content")
        text, imgs = "", []
        if isinstance(content, str):
            text = content
        elif isinstance(content, list):
            for j, part in enumerate(content):
                kind = part.get("type") if isinstance(part, dict) else None
                if kind == "text" and isinstance(part.get("text"), str):
                    text += part["text"]
                elif kind == "image_url":
                    imgs.append(_image(part, f"messages[{i}].content[{j}]"))
                else:
                    raise _BadRequest(f"messages[{i}].content[{j}]: unsupported content part {kind!r}")
        elif content is not None:
            raise _BadRequest(f"messages[{i}].content must be a string or a list of parts")
        # Assistant images replayed from an earlier answer (OpenRouter returns them in message.images).
        for j, part in enumerate(msg.get("images") or []):
            imgs.append(_image(part, f"messages[{i}].images[{j}]"))
        texts.append(text)
        all_images += imgs
        turns.append((msg["role"], text, imgs))
    users = [t for t in turns if t[0] == "user"]
    if not users:
        raise _BadRequest("messages must contain a user message")
    last_user_index = max(i for i, t in enumerate(turns) if t[0] == "user")
    prompt, working = turns[last_user_index][1], list(turns[last_user_index][2])
    if not working:  # a follow-up such as "now add a moon" works on the last image of the conversation
        for _, _, imgs in reversed(turns[:last_user_index]):
            if imgs:
                working = [imgs[-1]]
                break
    if len(working) > info.max_input_images:
        raise _BadRequest(f"Too many images: {model} accepts at most {info.max_input_images}")
    modalities = body.get("modalities") or ["text"]
    if not isinstance(modalities, list) or not all(m in ("image", "text", "audio") for m in modalities):
        raise _BadRequest("modalities must be a list of 'image', 'text'")
    config = body.get("image_config") or {}
    if not isinstance(config, dict):
        raise _BadRequest("image_config must be an object")
    ar, size = config.get("aspect_ratio"), config.get("image_size")
    if ar is not None and ar not in info.aspect_ratios:
        raise _BadRequest(f"Invalid aspect_ratio {ar!r} for {model}; supported: {', '.join(info.aspect_ratios)}")
    if size is not None and size not in info.image_sizes:
        supported = ", ".join(info.image_sizes) or "none (fixed size)"
        raise _BadRequest(f"Invalid image_size {size!r} for {model}; supported: {supported}")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise _BadRequest("seed must be an integer")
    fingerprint = hashlib.sha256(json.dumps([model, texts, [hashlib.sha256(d).hexdigest() for d, _ in all_images],
                                             ar, size], sort_keys=True).encode()).digest()
    return _ChatRequest(str(model), info, prompt, texts, all_images, working, list(modalities), ar, size, seed,
                        fingerprint)


def _get_url(part: Any) -> str:
    url = part.get("image_url") if isinstance(part, dict) else None
    if isinstance(url, dict):
        url = url.get("url")
    if not isinstance(url, str):
        raise _BadRequest("image_url.url must be a string")
    return url


def _image(part: Any, where: str) -> tuple[bytes, str]:
    try:
        return decode_data_url(_get_url(part), where)
    except BadDataURL as e:
        raise _BadRequest(str(e)) from None


def _html_page(code: int) -> bytes:
    return (f"<!DOCTYPE html><html><head><title>{code}: {http_phrase(code)}</title></head><body><h1>Error {code}</h1>"
            f"<p>{http_phrase(code)}. The origin web server did not answer in time.</p><p>cloudflare</p></body></html>"
            ).encode()

