"""Loopback fakes of OpenRouter and fal.ai, for tests and offline demos of those backends.

:class:`FakeOpenRouterServer` speaks OpenRouter's chat-completions API (``POST /api/v1/chat/completions``
and ``GET /api/v1/models``) well enough for the official ``openai`` client to be pointed at it with
``base_url=fake.base_url``. :class:`FakeFalServer` speaks fal.ai's queue protocol (submit, status with
logs, result, cancel), the synchronous run endpoint and a small file host, well enough for the real
``fal-client`` to be pointed at it. Both answer with real images from the offline simulator
(:func:`toolkit.simulator.render`), so pixel sizes, MIME types and token counts look like the real
models'.

The API mirrors :class:`toolkit.testing.FakeGeminiServer`: use the server as a context manager, read
``base_url``, script the next calls with :meth:`enqueue` (string shortcuts, HTTP codes or
:class:`FakeOutcome`), and read back what was sent from :attr:`requests` / :attr:`calls` (credentials
redacted).

Wire facts come from ``shared/reference/gemini-image-api.md`` sections 6, 7 and 11 (items 9-10).
Where the fakes have to choose something the providers do not document, the choice is noted in the code.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import http
import io
import itertools
import json
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from . import pricing, registry
from ._scripted import LoopbackHandler, LoopbackHTTPServer, ScriptedRecords
from .registry import ModelInfo

__all__ = ["FakeFalServer", "FakeOpenRouterServer", "FakeOutcome", "Recorded"]

REDACTED = "<redacted>"
_REDACT_HEADERS = frozenset({"authorization", "x-api-key", "x-goog-api-key"})

_KINDS = frozenset({"ok", "blocked", "no_image", "text_only", "error", "drop", "html", "malformed"})
_DEFAULT_RETRY_AFTER = 0.05


# --------------------------------------------------------------------------------------------------
# Public values
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeOutcome:
    """How a fake answers one generation call (a chat completion, a fal submission or a fal run).

    Build one with the constructors or pass a shortcut to ``enqueue`` (see each server's
    ``SHORTCUTS``). HTTP-level kinds (``error``, ``drop``, ``html``, ``malformed``) fail the call before
    the request is looked at; content kinds (``blocked``, ``no_image``, ``text_only``) apply to valid
    requests.

    Attributes
    ----------
    kind : str
        ``ok``, ``blocked``, ``no_image``, ``text_only``, ``error``, ``drop``, ``html`` or ``malformed``.
    code : int or None
        HTTP status of an ``error`` or ``html`` answer.
    message : str or None
        Error or refusal message (a provider-like default when None).
    reason : str or None
        OpenRouter: ``native_finish_reason`` of a refusal (default ``IMAGE_SAFETY``). fal: the error
        ``type`` of a refusal (``content_policy_violation``, ``no_media_generated``) or the
        ``error_type`` of a request error.
    retry_after : float or None
        Seconds sent in a ``Retry-After`` header (OpenRouter 429s).
    cost : float or None
        OpenRouter: ``usage.cost`` to report instead of the list price.
    at : str
        fal only: ``"submit"`` (the submission is refused) or ``"result"`` (the job runs, then fails;
        its status and result carry the error). ``None`` picks by code: 422 and 5xx at ``"result"``,
        others at ``"submit"``.
    """

    kind: str
    code: int | None = None
    message: str | None = None
    reason: str | None = None
    retry_after: float | None = None
    cost: float | None = None
    at: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"Unknown outcome kind {self.kind!r}; use one of {', '.join(sorted(_KINDS))}.")
        if self.at not in (None, "submit", "result"):
            raise ValueError(f"at={self.at!r} must be 'submit', 'result' or None.")

    @classmethod
    def ok(cls, *, cost: float | None = None) -> FakeOutcome:
        """Answer normally with a simulator image (``cost`` overrides OpenRouter's ``usage.cost``)."""
        return cls("ok", cost=cost)

    @classmethod
    def blocked(cls, reason: str | None = None, message: str | None = None) -> FakeOutcome:
        """A refusal: OpenRouter ``finish_reason="content_filter"``; fal 422 ``content_policy_violation``."""
        return cls("blocked", reason=reason, message=message)

    @classmethod
    def no_image(cls, reason: str | None = None, message: str | None = None) -> FakeOutcome:
        """No image drawn: OpenRouter ``NO_IMAGE``; fal 422 ``no_media_generated``."""
        return cls("no_image", reason=reason, message=message)

    @classmethod
    def text_only(cls, text: str = "I can describe it, but I did not draw an image this time.") -> FakeOutcome:
        """OpenRouter: a text answer with no image (``finish_reason="stop"``)."""
        return cls("text_only", message=text)

    @classmethod
    def error(cls, code: int, message: str | None = None, *, reason: str | None = None,
              retry_after: float | None = None, at: str | None = None) -> FakeOutcome:
        """An HTTP error with the provider's JSON error body.

        A 429 carries ``Retry-After: 0.05`` unless ``retry_after`` says otherwise (short on purpose, so retry
        loops in tests do not sleep; build ``FakeOutcome("error", code=429)`` for a 429 without one).
        """
        code = int(code)
        if not 400 <= code <= 599:
            raise ValueError(f"An error outcome needs an HTTP code from 400 to 599, not {code}.")
        if code == 429 and retry_after is None:
            retry_after = _DEFAULT_RETRY_AFTER
        return cls("error", code=code, message=message, reason=reason, retry_after=retry_after, at=at)

    @classmethod
    def drop(cls) -> FakeOutcome:
        """Close the connection without answering (the client sees a transport error)."""
        return cls("drop")

    @classmethod
    def html(cls, code: int = 502) -> FakeOutcome:
        """A non-JSON HTML error page, as an edge proxy (Cloudflare, nginx) sends."""
        return cls("html", code=int(code))

    @classmethod
    def malformed(cls) -> FakeOutcome:
        """HTTP 200 whose JSON body is cut off half-way."""
        return cls("malformed")


@dataclass(frozen=True)
class Recorded:
    """One HTTP request a fake received, with credentials redacted.

    Attributes
    ----------
    method, path : str
        HTTP method and URL path (no query string).
    query : dict
        Query parameters.
    headers : dict
        Lower-cased header names; ``authorization`` is ``"<redacted>"``.
    json : object or None
        The parsed JSON body (None when absent or not JSON).
    action : str or None
        OpenRouter: ``chat`` or ``models``. fal: ``submit``, ``run``, ``status``, ``result``, ``cancel``
        or ``file``.
    app : str or None
        fal: the endpoint id (``fal-ai/nano-banana-2/edit``) of a submit or run. OpenRouter: the model.
    outcome : str or None
        The :attr:`FakeOutcome.kind` a generation call took.
    received_at : float
        ``time.time()`` when the request arrived.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    action: str | None = None
    app: str | None = None
    outcome: str | None = None
    received_at: float = 0.0

    @property
    def is_call(self) -> bool:
        """True for generation calls (chat completions; fal submissions and runs)."""
        return self.action in ("chat", "submit", "run")


_OK = FakeOutcome.ok()


def _parse_outcome(spec: str | int | FakeOutcome, shortcuts: Mapping[str, FakeOutcome]) -> FakeOutcome:
    if isinstance(spec, FakeOutcome):
        return spec
    if isinstance(spec, int) and not isinstance(spec, bool):
        return FakeOutcome.error(spec)
    if not isinstance(spec, str):
        raise TypeError(f"An outcome is a str, an int HTTP code or a FakeOutcome, not {type(spec).__name__}.")
    key = spec.strip().lower()
    if key.isdigit():
        return FakeOutcome.error(int(key))
    if key not in shortcuts:
        raise ValueError(f"Unknown outcome {spec!r}; use one of {', '.join(sorted(shortcuts))}, an HTTP code, "
                         f"or FakeOutcome.*().")
    return shortcuts[key]


# --------------------------------------------------------------------------------------------------
# The shared server machinery
# --------------------------------------------------------------------------------------------------


_HTTPServer = LoopbackHTTPServer


class _Handler(LoopbackHandler):
    def _dispatch(self) -> None:
        fake = self.server.fake
        self.responded = False
        split = urlsplit(self.path)
        raw = self._read_body()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                body = _INVALID_JSON
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = _Incoming(
            method=self.command, path=unquote(split.path), query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers=headers, body=body, received_at=time.time(),
        )
        try:
            fake._handle(self, req)
        except OSError:
            self.close_connection = True
        except Exception as exc:  # a bug in the fake should fail the test loudly, not hang the client
            if not self.responded:
                self.send_json(500, fake._internal_error(f"{type(self.server.fake).__name__} error: {exc!r}"))
            else:
                self.close_connection = True

    # ---- responses ---------------------------------------------------------------------------

    def send(self, code: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None) -> None:
        self.responded = True
        lines = [f"HTTP/1.1 {code} {_phrase(code)}", f"Content-Type: {content_type}",
                 f"Content-Length: {len(body)}", f"Date: {self.date_time_string()}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if len(body) < 65536:
            self.wfile.write(head + body)
        else:  # no copy of a multi-megabyte body
            self.wfile.write(head)
            self.wfile.write(body)

    def send_json(self, code: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        self.send(code, json.dumps(payload, separators=(",", ":")).encode(), "application/json", headers)

    def drop(self) -> None:
        self.close_connection = True
        self.responded = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


_INVALID_JSON = object()


@dataclass(frozen=True)
class _Incoming:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    received_at: float

    def record(self, **kw: Any) -> Recorded:
        headers = {k: (REDACTED if k in _REDACT_HEADERS else v) for k, v in self.headers.items()}
        body = None if self.body is _INVALID_JSON else self.body
        return Recorded(self.method, self.path, dict(self.query), headers, body, received_at=self.received_at, **kw)


class _FakeServer(ScriptedRecords):
    """Lifecycle, scripting and recording shared by the fakes."""

    SHORTCUTS: Mapping[str, FakeOutcome] = {}
    _thread_name = "FakeServer"

    def __init__(self, *, api_key: str | None, latency_s: float, host: str, port: int) -> None:
        if latency_s < 0:
            raise ValueError("latency_s must be >= 0.")
        self.api_key = api_key
        self.latency_s = float(latency_s)
        self.host = host
        self._port = port
        self._lock = threading.Lock()
        self._queue: deque[FakeOutcome] = deque()
        self._requests: list[Recorded] = []
        self._calls = 0
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    def _server_classes(self) -> tuple[type, type]:
        return _HTTPServer, _Handler

    # ---- scripting and inspection ------------------------------------------------------------

    def _parse_outcome(self, outcome: str | int | FakeOutcome) -> FakeOutcome:
        return _parse_outcome(outcome, self.SHORTCUTS)

    def reset(self) -> None:
        """Forget recorded requests, scripted outcomes and the call counter."""
        with self._lock:
            self._reset_records()

    # ---- internals ---------------------------------------------------------------------------

    def _admit(self, record: Recorded, *, is_call: bool, authorized: bool) -> FakeOutcome:
        """Count the call, choose its outcome and record the request, atomically (arrival order)."""
        with self._lock:
            outcome = _OK
            if is_call:
                self._calls += 1
                if authorized:
                    outcome = self._queue.popleft() if self._queue else _OK
                    record = replace(record, outcome=outcome.kind)
            self._requests.append(record)
            return outcome

    def _sleep(self) -> None:
        if self.latency_s:
            time.sleep(self.latency_s)

    def _handle(self, h: _Handler, req: _Incoming) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _internal_error(self, message: str) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError


# --------------------------------------------------------------------------------------------------
# OpenRouter
# --------------------------------------------------------------------------------------------------

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


class FakeOpenRouterServer(_FakeServer):
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
    * Error bodies: ``{"error": {"code", "message", "metadata"?}, "user_id"}``; a 429 adds
      ``metadata.headers`` with the rate-limit headers and, when the outcome has ``retry_after``, a
      ``Retry-After`` header. 502/524/529 carry ``metadata.provider_name``.
    * The working image of a request with no image in its last user message is the last assistant
      image (or earlier user image) in the history, as the Studio's chats expect.
    """

    SHORTCUTS: Mapping[str, FakeOutcome] = {
        "ok": _OK,
        "blocked": FakeOutcome.blocked(),
        "image_safety": FakeOutcome.blocked("IMAGE_SAFETY"),
        "prohibited_content": FakeOutcome.blocked("PROHIBITED_CONTENT"),
        "no_image": FakeOutcome.no_image(),
        "text_only": FakeOutcome.text_only(),
        "drop": FakeOutcome.drop(),
        "html": FakeOutcome.html(524),
        "malformed": FakeOutcome.malformed(),
    }
    _thread_name = "FakeOpenRouterServer"

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

    def __repr__(self) -> str:
        where = self.base_url if self._httpd is not None else "stopped"
        return f"<FakeOpenRouterServer {where} calls={self.call_count}>"

    def _internal_error(self, message: str) -> Any:
        return {"error": {"code": 500, "message": message}}

    # ---- dispatch ----------------------------------------------------------------------------

    def _handle(self, h: _Handler, req: _Incoming) -> None:
        path = req.path.rstrip("/")
        action = None
        if path.endswith("/chat/completions") and req.method == "POST":
            action = "chat"
        elif path.endswith("/models") and req.method == "GET":
            action = "models"
        model = req.body.get("model") if isinstance(req.body, dict) else None
        auth_error = self._check_key(req.headers.get("authorization"))
        outcome = self._admit(req.record(action=action, app=model if isinstance(model, str) else None),
                              is_call=action == "chat", authorized=auth_error is None)
        self._sleep()
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

    def _error(self, h: _Handler, outcome: FakeOutcome, model: str | None) -> None:
        code = outcome.code or 500
        err: dict[str, Any] = {"code": code, "message": outcome.message or _OR_MESSAGES.get(code, _phrase(code))}
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

    def _chat(self, h: _Handler, req: _Incoming, outcome: FakeOutcome) -> None:
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
        try:
            parsed = _parse_chat(body)
        except _BadRequest as e:
            h.send_json(400, {"error": {"code": 400, "message": str(e)}, "user_id": "user_fake"})
            return
        h.send_json(200, self._completion(parsed, outcome))

    def _completion(self, p: _ChatRequest, outcome: FakeOutcome) -> dict[str, Any]:
        from PIL import Image

        from . import simulator

        info = p.info
        want_image = "image" in p.modalities
        prompt_tokens = sum(simulator.core.text_tokens(t) for t in p.texts)
        pil_all = [Image.open(io.BytesIO(d)) for d, _ in p.all_images]
        prompt_tokens += simulator.core.input_image_tokens(info, pil_all) if pil_all else 0
        text, images, finish, native, reasoning = "", [], "stop", "STOP", 0
        if outcome.kind == "blocked":
            finish, native = "content_filter", outcome.reason or "IMAGE_SAFETY"
            text = outcome.message or ""
        elif outcome.kind == "no_image":
            native = outcome.reason or "NO_IMAGE"
            text = outcome.message or ""
        elif outcome.kind == "text_only" or not want_image:
            text = outcome.message or "Here is a description of the image you asked for; no image was drawn."
        else:
            seed = p.seed if p.seed is not None else int(hashlib.sha256(p.fingerprint).hexdigest()[:12], 16)
            working = [Image.open(io.BytesIO(d)) for d, _ in p.working]
            out = simulator.render(p.prompt, working, model=info, aspect_ratio=p.aspect_ratio,
                                   image_size=p.image_size, seed=seed)
            text = out.text
            if out.block_reason:
                finish, native, text = "content_filter", out.block_reason, ""
            elif out.finish_reason and out.finish_reason.upper() in _BLOCK_NATIVE:
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


_BLOCK_NATIVE = frozenset({"SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "IMAGE_PROHIBITED_CONTENT",
                           "RECITATION", "IMAGE_RECITATION", "BLOCKLIST", "SPII"})
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
    if body is _INVALID_JSON or not isinstance(body, dict):
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
                    imgs.append(_data_url(_get_url(part), f"messages[{i}].content[{j}]"))
                else:
                    raise _BadRequest(f"messages[{i}].content[{j}]: unsupported content part {kind!r}")
        elif content is not None:
            raise _BadRequest(f"messages[{i}].content must be a string or a list of parts")
        # Assistant images replayed from an earlier answer (OpenRouter returns them in message.images).
        for j, part in enumerate(msg.get("images") or []):
            imgs.append(_data_url(_get_url(part), f"messages[{i}].images[{j}]"))
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
    return _ChatRequest(model, info, prompt, texts, all_images, working, list(modalities), ar, size, seed,
                        fingerprint)


def _get_url(part: Any) -> str:
    url = part.get("image_url") if isinstance(part, dict) else None
    if isinstance(url, dict):
        url = url.get("url")
    if not isinstance(url, str):
        raise _BadRequest("image_url.url must be a string")
    return url


def _data_url(url: str, where: str) -> tuple[bytes, str]:
    """``data:<mime>;base64,<data>`` -> (bytes, mime); a _BadRequest naming ``where`` otherwise."""
    if not url.startswith("data:") or ";base64," not in url:
        raise _BadRequest(f"{where}: only base64 data URLs can be fetched by this fake, got {url[:40]!r}")
    head, _, data = url.partition(";base64,")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _BadRequest(f"{where}: the data URL is not valid base64") from None
    return raw, head[5:] or "application/octet-stream"


# --------------------------------------------------------------------------------------------------
# fal.ai
# --------------------------------------------------------------------------------------------------

_FAL_RESOLUTION_APPS = frozenset({"fal-ai/nano-banana-2", "fal-ai/nano-banana-pro"})
_FAL_RESOLUTIONS = {"0.5K": "512", "1K": "1K", "2K": "2K", "4K": "4K"}
_FAL_FORMATS = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
_FAL_REQUEST_ERRORS = {  # status -> (error_type, detail) of fal's infrastructure errors
    500: ("runner_server_error", "The runner encountered an internal server error."),
    502: ("runner_incomplete_response", "The runner sent an incomplete response payload."),
    503: ("runner_scheduling_failure", "No runner could be allocated to handle the request."),
    504: ("request_timeout", "Request timed out"),
}
_FAL_SUBMIT_ERRORS = {
    400: "Bad request",
    401: "Authentication is required to access this application.",
    403: "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing.",
    404: "Application not found",
    429: "Too many concurrent requests: the concurrency limit of your account was reached.",
}


def _fal_apps() -> dict[str, ModelInfo]:
    out: dict[str, ModelInfo] = {}
    for m in registry.MODELS:
        if m.fal_app:
            out.setdefault(m.fal_app, m)
    base = registry.lookup("gemini-2.5-flash-image")
    assert base is not None
    out.setdefault("fal-ai/gemini-25-flash-image", base)  # fal's alias of nano-banana (reference section 7)
    return out


@dataclass
class _Job:
    request_id: str
    app: str            # owner/alias
    path: str           # "" or "edit"
    body: Any
    outcome: FakeOutcome
    polls: int = 0
    done: bool = False
    cancelled: bool = False
    result: tuple[int, Any, dict[str, str]] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class FakeFalServer(_FakeServer):
    """A loopback HTTP server that answers like fal.ai's queue and run endpoints, for tests.

    ``fal-client`` builds submission URLs from ``fal_client.client.QUEUE_URL_FORMAT`` (hard-coded https);
    point it here with ``FalBackend(base_url=fake.base_url)`` / ``Studio(backend="fal", base_url=...)``,
    which scope that override safely. Status, result and cancel URLs come from the submission answer
    and point back at this server.

    Routes (one server stands for the two fal hosts):

    * ``POST /{owner}/{app}[/{path}]`` (queue host, at :attr:`base_url`): submit; answers ``request_id``,
      ``status_url``, ``response_url``, ``cancel_url`` and ``queue_position``.
    * ``GET /{owner}/{app}/requests/{id}/status?logs=1``: ``IN_QUEUE`` (with ``queue_position`` counting
      down) for ``queue_steps`` polls, ``IN_PROGRESS`` with logs for ``progress_steps`` polls, then
      ``COMPLETED`` (with ``metrics``, and ``error``/``error_type`` when the job failed). Note that
      status and result URLs use the app without the ``/edit`` path, as fal's do.
    * ``GET /{owner}/{app}/requests/{id}``: the output JSON, or the job's error.
    * ``PUT /{owner}/{app}/requests/{id}/cancel``: ``CANCELLATION_REQUESTED`` or ``ALREADY_COMPLETED``.
    * ``POST /run/{owner}/{app}[/{path}]`` (the run host, at :attr:`run_url`): synchronous; answers the
      output JSON directly.
    * ``GET /files/{name}``: the images of answers made without ``sync_mode``.

    Parameters
    ----------
    api_key : str, optional
        When set, requests must carry ``Authorization: Key <api_key>`` (401 otherwise).
    latency_s : float
        Sleep this long before answering each request.
    queue_steps, progress_steps : int
        How many status polls see ``IN_QUEUE`` and ``IN_PROGRESS`` before ``COMPLETED``.
    host, port : str, int
        Where to listen; port 0 picks a free port.

    Notes
    -----
    * Output: ``{"images": [{"url", "content_type", "file_name", "file_size", "width", "height"}],
      "description"}``. ``url`` is a file on this server, or a data URI with ``sync_mode: true``.
    * Inputs are validated when the job runs (as on fal, where the queue accepts anything): model errors
      are 422 ``{"detail": [{"loc", "msg", "type", "url", "input"?}]}`` with ``X-Fal-Retryable: false``;
      refusals use the types ``content_policy_violation`` and ``no_media_generated`` (the simulator's
      ``[sim:blocked]``/``[sim:image_safety]`` and ``[sim:no_image]`` triggers give them too).
    * Infrastructure errors are ``{"detail": "...", "error_type": "..."}`` with ``X-Fal-Error-Type``.
      Every answer carries ``x-fal-request-id``, so fal-client never mistakes one for an ingress error.
    * ``image_urls`` accept data URIs and this server's own file URLs (other URLs: 422
      ``file_download_error``). ``resolution`` is honoured on the apps that have it (nano-banana-2 and
      pro) and ignored elsewhere; ``num_images`` 1-4; ``output_format`` jpeg, png or webp.
    """

    SHORTCUTS: Mapping[str, FakeOutcome] = {
        "ok": _OK,
        "blocked": FakeOutcome.blocked("content_policy_violation"),
        "content_policy": FakeOutcome.blocked("content_policy_violation"),
        "content_policy_violation": FakeOutcome.blocked("content_policy_violation"),
        "no_image": FakeOutcome.no_image("no_media_generated"),
        "no_media_generated": FakeOutcome.no_image("no_media_generated"),
        "drop": FakeOutcome.drop(),
        "html": FakeOutcome.html(502),
        "malformed": FakeOutcome.malformed(),
    }
    _thread_name = "FakeFalServer"

    def __init__(self, *, api_key: str | None = None, latency_s: float = 0.0, queue_steps: int = 2,
                 progress_steps: int = 1, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(api_key=api_key, latency_s=latency_s, host=host, port=port)
        if queue_steps < 0 or progress_steps < 0:
            raise ValueError("queue_steps and progress_steps must be >= 0.")
        self.queue_steps = int(queue_steps)
        self.progress_steps = int(progress_steps)
        self._jobs: dict[str, _Job] = {}
        self._files: dict[str, tuple[bytes, str]] = {}

    @property
    def base_url(self) -> str:
        """``http://host:port``: the queue host (what ``FalBackend(base_url=...)`` takes)."""
        return self.origin

    @property
    def run_url(self) -> str:
        """``http://host:port/run``: the synchronous run host (``fal_client.client.RUN_URL_FORMAT`` + "/")."""
        return self.origin + "/run"

    def __repr__(self) -> str:
        where = self.base_url if self._httpd is not None else "stopped"
        return f"<FakeFalServer {where} calls={self.call_count} jobs={len(self._jobs)}>"

    def reset(self) -> None:
        """Forget recorded requests, scripted outcomes, jobs, files and the call counter."""
        super().reset()
        with self._lock:
            self._jobs.clear()
            self._files.clear()

    def _internal_error(self, message: str) -> Any:
        return {"detail": message, "error_type": "internal_error"}

    # ---- dispatch ----------------------------------------------------------------------------

    def _handle(self, h: _Handler, req: _Incoming) -> None:
        parts = [p for p in req.path.split("/") if p]
        action, app, request_id = self._route(req.method, parts)
        auth_error = None if action == "file" else self._check_key(req.headers.get("authorization"))
        outcome = self._admit(req.record(action=action, app=app), is_call=action in ("submit", "run"),
                              authorized=auth_error is None)
        self._sleep()
        rid_header = {"x-fal-request-id": request_id or secrets.token_hex(8)}
        if auth_error is not None:
            h.send_json(401, {"detail": auth_error}, rid_header)
            return
        if action == "file":
            found = self._files.get(parts[-1])
            if found is None:
                h.send_json(404, {"detail": "File not found"}, rid_header)
            else:
                h.send(200, found[0], found[1], rid_header)
            return
        if action in ("submit", "run"):
            assert app is not None
            self._generate(h, req, app, outcome, sync=action == "run")
            return
        job = self._jobs.get(request_id or "")
        if action is None or job is None:
            h.send_json(404, {"detail": f"Not found: {req.method} {req.path}"}, rid_header)
        elif action == "status":
            self._status(h, job, req.query.get("logs", "0").lower() in ("1", "true"))
        elif action == "result":
            self._result(h, job)
        elif action == "cancel":
            with job.lock:
                if job.done:
                    h.send_json(400, {"status": "ALREADY_COMPLETED"}, rid_header)
                    return
                job.cancelled = job.done = True
                job.result = (499, {"detail": "The request was cancelled by the client.",
                                    "error_type": "client_cancelled"}, {"X-Fal-Error-Type": "client_cancelled"})
            h.send_json(202, {"status": "CANCELLATION_REQUESTED"}, rid_header)

    @staticmethod
    def _route(method: str, parts: list[str]) -> tuple[str | None, str | None, str | None]:
        if method == "GET" and len(parts) == 2 and parts[0] == "files":
            return "file", None, None
        if len(parts) >= 4 and parts[2] == "requests":
            rest = parts[4:]
            if method == "GET" and rest == ["status"]:
                return "status", "/".join(parts[:2]), parts[3]
            if method == "GET" and not rest:
                return "result", "/".join(parts[:2]), parts[3]
            if method == "PUT" and rest == ["cancel"]:
                return "cancel", "/".join(parts[:2]), parts[3]
            return None, None, None
        if method == "POST" and parts[:1] == ["run"] and len(parts) >= 3:
            return "run", "/".join(parts[1:]), None
        if method == "POST" and len(parts) >= 2:
            return "submit", "/".join(parts), None
        return None, None, None

    def _check_key(self, header: str | None) -> str | None:
        expected = self.api_key
        if expected is None:
            return None
        if not header or not header.startswith("Key ") or not header[4:].strip():
            return "Authentication is required to access this application."
        if not secrets.compare_digest(header[4:].strip().encode(), expected.encode()):
            return "Invalid authentication credentials. Check your FAL_KEY."
        return None

    # ---- submission and sync runs ------------------------------------------------------------

    def _generate(self, h: _Handler, req: _Incoming, endpoint: str, outcome: FakeOutcome, *, sync: bool) -> None:
        rid = _request_id()
        headers = {"x-fal-request-id": rid}
        if outcome.kind == "drop":
            h.drop()
            return
        if outcome.kind == "html":  # an ingress page: no x-fal-request-id, "nginx" in the body
            code = outcome.code or 502
            h.send(code, f"<html><body><center><h1>{code} {_phrase(code)}</h1></center><hr><center>nginx</center>"
                   "</body></html>".encode(), "text/html")
            return
        if outcome.kind == "malformed":
            h.send(200, b'{"request_id": "' + rid.encode() + b'", "status_u', "application/json", headers)
            return
        at = outcome.at or ("result" if outcome.code in (None, 422) or (outcome.code or 0) >= 500 else "submit")
        if outcome.kind == "error" and (at == "submit" or sync):
            self._send_error_or_json(h, self._error_answer(outcome, req.body), rid)
            return
        app, _, path = _split_endpoint(endpoint)
        if app not in _fal_apps() or path not in ("", "edit"):
            h.send_json(404, {"detail": f"Application '{endpoint}' not found"}, headers)
            return
        if sync:
            self._send_error_or_json(h, self._compute(app, path, req.body, outcome), rid)
            return
        job = _Job(rid, app, path, req.body, outcome)
        with self._lock:
            position = sum(1 for j in self._jobs.values() if not j.done)
            self._jobs[rid] = job
        base = f"{self.origin}/{app}/requests/{rid}"
        h.send_json(200, {"status": "IN_QUEUE", "request_id": rid, "response_url": base,
                          "status_url": base + "/status", "cancel_url": base + "/cancel",
                          "queue_position": position}, headers)

    def _status(self, h: _Handler, job: _Job, logs: bool) -> None:
        base = f"{self.origin}/{job.app}/requests/{job.request_id}"
        common = {"request_id": job.request_id, "response_url": base, "status_url": base + "/status",
                  "cancel_url": base + "/cancel"}
        headers = {"x-fal-request-id": job.request_id}
        with job.lock:
            job.polls += 1
            n = job.polls
            if not job.done and n <= self.queue_steps:
                h.send_json(202, {"status": "IN_QUEUE", "queue_position": self.queue_steps - n, **common}, headers)
                return
            if not job.done and n <= self.queue_steps + self.progress_steps:
                entries = _log_entries(job, n - self.queue_steps, done=False)
                h.send_json(202, {"status": "IN_PROGRESS", "logs": entries if logs else None, **common}, headers)
                return
            if job.result is None:
                job.result = self._compute(job.app, job.path, job.body, job.outcome)
            job.done = True
            code, payload, _ = job.result
            entries = _log_entries(job, self.progress_steps, done=True)
        status: dict[str, Any] = {"status": "COMPLETED", "logs": entries if logs else None,
                                  "metrics": {"inference_time": 1.25}, **common}
        if code >= 400:
            status["error"] = _detail_text(payload)
            status["error_type"] = _error_type(payload)
        h.send_json(200, status, headers)

    def _result(self, h: _Handler, job: _Job) -> None:
        with job.lock:
            if not job.done:
                h.send_json(400, {"detail": "Request is still in progress"}, {"x-fal-request-id": job.request_id})
                return
            assert job.result is not None
            result = job.result
        self._send_error_or_json(h, result, job.request_id)

    def _send_error_or_json(self, h: _Handler, result: tuple[int, Any, dict[str, str]], rid: str) -> None:
        code, payload, headers = result
        h.send_json(code, payload, {"x-fal-request-id": rid, **headers})

    @staticmethod
    def _error_answer(outcome: FakeOutcome, body: Any) -> tuple[int, Any, dict[str, str]]:
        code = outcome.code or 500
        if outcome.kind in ("blocked", "no_image") or code == 422:
            kind = outcome.reason or ("no_media_generated" if outcome.kind == "no_image" else
                                      "content_policy_violation")
            msg = outcome.message or _REFUSALS.get(kind, "The input could not be processed.")
            entry: dict[str, Any] = {"loc": ["body", "prompt"] if kind == "content_policy_violation" else ["body"],
                                     "msg": msg, "type": kind, "url": f"https://docs.fal.ai/errors#{kind}"}
            if kind == "content_policy_violation" and isinstance(body, dict):
                entry["input"] = body.get("prompt")
            return 422, {"detail": [entry]}, {"X-Fal-Retryable": "false"}
        if code in _FAL_REQUEST_ERRORS:
            etype, detail = _FAL_REQUEST_ERRORS[code]
            etype = outcome.reason or etype
            return code, {"detail": outcome.message or detail, "error_type": etype}, {"X-Fal-Error-Type": etype}
        headers = {"Retry-After": f"{outcome.retry_after:g}"} if outcome.retry_after is not None else {}
        return code, {"detail": outcome.message or _FAL_SUBMIT_ERRORS.get(code, _phrase(code))}, headers

    # ---- the model ---------------------------------------------------------------------------

    def _compute(self, app: str, path: str, body: Any, outcome: FakeOutcome) -> tuple[int, Any, dict[str, str]]:
        """Run one job: (status code, JSON payload, extra headers)."""
        from PIL import Image

        from . import simulator

        if outcome.kind in ("blocked", "no_image", "error"):
            return self._error_answer(outcome, body)
        info = _fal_apps()[app]
        try:
            args = _fal_arguments(app, path, body, info, self._files)
        except _Invalid as e:
            return 422, {"detail": [e.entry]}, {"X-Fal-Retryable": "false"}
        images = [Image.open(io.BytesIO(d)) for d in args["images"]]
        out_images = []
        description = ""
        for i in range(args["num_images"]):
            out = simulator.render(args["prompt"], images, model=info, aspect_ratio=args["aspect_ratio"],
                                   image_size=args["image_size"], seed=args["seed"] + i)
            if out.block_reason or (out.finish_reason or "").upper() in _BLOCK_NATIVE:
                return self._error_answer(FakeOutcome.blocked("content_policy_violation", out.message), body)
            if not out.images:
                return self._error_answer(FakeOutcome.no_image("no_media_generated", out.message), body)
            description = description or out.text
            out_images += list(out.images)
        files = []
        for im in out_images:
            data, mime = _convert(im.data, im.mime, args["output_format"])
            ext = "jpg" if mime == "image/jpeg" else mime.split("/")[1]
            name = f"{secrets.token_hex(8)}.{ext}"
            if args["sync_mode"]:
                url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
            else:
                with self._lock:
                    self._files[name] = (data, mime)
                url = f"{self.origin}/files/{name}"
            files.append({"url": url, "content_type": mime, "file_name": name, "file_size": len(data),
                          "width": im.width, "height": im.height})
        return 200, {"images": files, "description": description}, {}


_REFUSALS = {
    "content_policy_violation": "The content was flagged by a content checker.",
    "no_media_generated": "The model did not generate any images. Try rephrasing the prompt.",
}


class _Invalid(Exception):
    def __init__(self, loc: list[str], msg: str, kind: str, value: Any = None) -> None:
        super().__init__(msg)
        self.entry = {"loc": ["body", *loc], "msg": msg, "type": kind, "url": f"https://docs.fal.ai/errors#{kind}"}
        if value is not None:
            self.entry["input"] = value


def _fal_arguments(app: str, path: str, body: Any, info: ModelInfo,
                   files: Mapping[str, tuple[bytes, str]]) -> dict[str, Any]:
    if body is _INVALID_JSON or not isinstance(body, dict):
        raise _Invalid([], "Input should be a valid dictionary", "dict_type")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise _Invalid(["prompt"], "Field required", "missing")
    images: list[bytes] = []
    if path == "edit":
        urls = body.get("image_urls")
        if not isinstance(urls, list) or not urls:
            raise _Invalid(["image_urls"], "Field required", "missing")
        if len(urls) > info.max_input_images:
            raise _Invalid(["image_urls"], f"List should have at most {info.max_input_images} items", "too_long")
        for i, url in enumerate(urls):
            images.append(_fal_image(url, i, files))
    n = body.get("num_images", 1)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 4:
        raise _Invalid(["num_images"], "Input should be between 1 and 4", "less_than_equal", n)
    ar = body.get("aspect_ratio")
    if ar == "auto":
        ar = None
    if ar is not None and ar not in info.aspect_ratios:
        raise _Invalid(["aspect_ratio"], f"Input should be one of {', '.join(('auto', *info.aspect_ratios))}",
                       "literal_error", ar)
    fmt = body.get("output_format", "png" if info.output_mime == "image/png" else "jpeg")
    if fmt not in _FAL_FORMATS:
        raise _Invalid(["output_format"], "Input should be 'jpeg', 'png' or 'webp'", "literal_error", fmt)
    size = None
    resolution = body.get("resolution")
    if resolution is not None and app in _FAL_RESOLUTION_APPS:
        size = _FAL_RESOLUTIONS.get(resolution)
        if size is None or size not in info.image_sizes:
            allowed = [k for k, v in _FAL_RESOLUTIONS.items() if v in info.image_sizes]
            raise _Invalid(["resolution"], f"Input should be one of {', '.join(allowed)}", "literal_error", resolution)
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise _Invalid(["seed"], "Input should be a valid integer", "int_type", seed)
    if seed is None:  # fal draws a random seed; the fake derives one so answers stay reproducible
        seed = int(hashlib.sha256(json.dumps([app, path, prompt, ar, resolution]).encode()).hexdigest()[:12], 16)
    return {"prompt": prompt, "images": images, "num_images": n, "aspect_ratio": ar, "image_size": size,
            "output_format": fmt, "seed": seed, "sync_mode": bool(body.get("sync_mode"))}


def _fal_image(url: Any, i: int, files: Mapping[str, tuple[bytes, str]]) -> bytes:
    if isinstance(url, str) and url.startswith("data:"):
        try:
            return _data_url(url, f"image_urls[{i}]")[0]
        except _BadRequest as e:
            raise _Invalid(["image_urls", str(i)], str(e), "file_download_error", url[:40]) from None
    if isinstance(url, str) and "/files/" in url and url.rsplit("/", 1)[-1] in files:
        return files[url.rsplit("/", 1)[-1]][0]
    raise _Invalid(["image_urls", str(i)], "Failed to download the file. Please check if the URL is accessible.",
                   "file_download_error", str(url)[:80])


def _split_endpoint(endpoint: str) -> tuple[str, str, str]:
    parts = endpoint.split("/")
    return "/".join(parts[:2]), "/", "/".join(parts[2:])


def _log_entries(job: _Job, steps: int, *, done: bool) -> list[dict[str, Any]]:
    """The logs of a job after ``steps`` polls in progress (cumulative, as fal's status returns them)."""
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    messages = [f"Starting {job.app}{'/' + job.path if job.path else ''} (fake)"]
    messages += [f"Step {k}: drawing" for k in range(1, max(0, steps))]
    if done:
        messages.append("Done")
    return [{"message": m, "level": "INFO", "source": "user", "timestamp": stamp} for m in messages]


def _detail_text(payload: Any) -> str:
    detail = payload.get("detail") if isinstance(payload, dict) else None
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        return str(detail[0].get("msg", ""))
    return str(detail or "")


def _error_type(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    detail = payload.get("detail")
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        return detail[0].get("type")
    return payload.get("error_type")


def _convert(data: bytes, mime: str, fmt: str) -> tuple[bytes, str]:
    want = _FAL_FORMATS[fmt]
    if want == mime:
        return data, mime
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        buf = io.BytesIO()
        img.convert("RGB").save(buf, format={"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}[fmt])
    return buf.getvalue(), want


def _request_id() -> str:
    raw = secrets.token_hex(16)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------


def _phrase(code: int) -> str:
    if code == 524:
        return "A Timeout Occurred"
    if code == 529:
        return "Site Overloaded"
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return "Error"


def _html_page(code: int) -> bytes:
    return (f"<!DOCTYPE html><html><head><title>{code}: {_phrase(code)}</title></head><body><h1>Error {code}</h1>"
            f"<p>{_phrase(code)}. The origin web server did not answer in time.</p><p>cloudflare</p></body></html>"
            ).encode()

