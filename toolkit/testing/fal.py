""":class:`FakeFalServer`, a loopback fake of fal.ai's queue and run endpoints (the Nano Banana apps).

It speaks fal's queue protocol (submit, status with logs, result, cancel), the synchronous run endpoint
and a small file host, well enough for the real ``fal-client`` to be pointed at it, and answers with real
images from the offline simulator (:func:`toolkit.simulator.render`). Use it like
:class:`~toolkit.testing.FakeGeminiServer`: as a context manager, script the next calls with ``enqueue``
(shortcuts, HTTP codes or :class:`~toolkit.testing.Outcome`), and read back what was sent from
``requests`` / ``calls`` (:class:`~toolkit.testing.Recorded`, credentials redacted).

Wire facts follow fal's documentation: the app pages (inputs and output, e.g.
https://fal.ai/models/fal-ai/nano-banana-pro/edit/api and https://fal.ai/models/fal-ai/nano-banana-pro/llms.txt),
https://docs.fal.ai/errors (error types), and the queue protocol as ``fal-client``
(https://github.com/fal-ai/fal) speaks it. Where the fake has to choose something fal does not document,
the choice is noted in the code.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .. import registry
from ..registry import ModelInfo
from .base import BLOCK_REASONS, BadDataURL, Outcome, decode_data_url
from .loopback import Incoming, LoopbackFake, LoopbackHandler, http_phrase

__all__ = ["FakeFalServer"]

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
    out.setdefault("fal-ai/gemini-25-flash-image", base)  # fal's alias of nano-banana
    return out


@dataclass
class _Job:
    request_id: str
    app: str            # owner/alias
    path: str           # "" or "edit"
    body: Any
    outcome: Outcome
    polls: int = 0
    done: bool = False
    cancelled: bool = False
    result: tuple[int, Any, dict[str, str]] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class FakeFalServer(LoopbackFake):
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

    SHORTCUTS: ClassVar[Mapping[str, Outcome]] = {
        "ok": Outcome.ok(),
        "blocked": Outcome.blocked("content_policy_violation"),
        "content_policy": Outcome.blocked("content_policy_violation"),
        "content_policy_violation": Outcome.blocked("content_policy_violation"),
        "no_image": Outcome.no_image("no_media_generated"),
        "no_media_generated": Outcome.no_image("no_media_generated"),
        "drop": Outcome.drop(),
        "html": Outcome.html(502),
        "malformed": Outcome.malformed(),
    }
    KINDS: ClassVar[frozenset[str]] = frozenset({"ok", "blocked", "no_image", "error", "drop", "html", "malformed"})

    def __init__(self, *, api_key: str | None = None, latency_s: float = 0.0, queue_steps: int = 2,
                 progress_steps: int = 1, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(api_key=api_key, latency_s=latency_s, host=host, port=port)
        if queue_steps < 0 or progress_steps < 0:
            raise ValueError("queue_steps and progress_steps must be >= 0.")
        self.queue_steps = int(queue_steps)
        self.progress_steps = int(progress_steps)
        self._jobs_lock = threading.Lock()
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
        where = self.base_url if self.running else "stopped"
        return f"<FakeFalServer {where} calls={self.call_count} jobs={len(self._jobs)}>"

    def reset(self) -> None:
        """Forget recorded requests, scripted outcomes, jobs, files and the call counter."""
        super().reset()
        with self._jobs_lock:
            self._jobs.clear()
            self._files.clear()

    def internal_error_body(self, message: str) -> Any:
        """fal's body for a 500 caused by a bug in the fake."""
        return {"detail": message, "error_type": "internal_error"}

    # ---- dispatch ----------------------------------------------------------------------------

    def handle(self, h: LoopbackHandler, req: Incoming) -> None:
        """Answer one request (called by the handler thread)."""
        parts = [p for p in req.path.split("/") if p]
        action, app, request_id = self._route(req.method, parts)
        auth_error = None if action == "file" else self._check_key(req.headers.get("authorization"))
        outcome, _ = self.admit(req.record(action=action, app=app, is_call=action in ("submit", "run")),
                                authorized=auth_error is None)
        self.sleep_latency()
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

    def _generate(self, h: LoopbackHandler, req: Incoming, endpoint: str, outcome: Outcome, *, sync: bool) -> None:
        rid = _request_id()
        headers = {"x-fal-request-id": rid}
        if outcome.kind == "drop":
            h.drop()
            return
        if outcome.kind == "html":  # an ingress page: no x-fal-request-id, "nginx" in the body
            code = outcome.code or 502
            h.send(code, f"<html><body><center><h1>{code} {http_phrase(code)}</h1></center><hr><center>nginx</center>"
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
        with self._jobs_lock:
            position = sum(1 for j in self._jobs.values() if not j.done)
            self._jobs[rid] = job
        base = f"{self.origin}/{app}/requests/{rid}"
        h.send_json(200, {"status": "IN_QUEUE", "request_id": rid, "response_url": base,
                          "status_url": base + "/status", "cancel_url": base + "/cancel",
                          "queue_position": position}, headers)

    def _status(self, h: LoopbackHandler, job: _Job, logs: bool) -> None:
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

    def _result(self, h: LoopbackHandler, job: _Job) -> None:
        with job.lock:
            if not job.done:
                h.send_json(400, {"detail": "Request is still in progress"}, {"x-fal-request-id": job.request_id})
                return
            assert job.result is not None
            result = job.result
        self._send_error_or_json(h, result, job.request_id)

    def _send_error_or_json(self, h: LoopbackHandler, result: tuple[int, Any, dict[str, str]], rid: str) -> None:
        code, payload, headers = result
        h.send_json(code, payload, {"x-fal-request-id": rid, **headers})

    @staticmethod
    def _error_answer(outcome: Outcome, body: Any) -> tuple[int, Any, dict[str, str]]:
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
        return code, {"detail": outcome.message or _FAL_SUBMIT_ERRORS.get(code, http_phrase(code))}, headers

    # ---- the model ---------------------------------------------------------------------------

    def _compute(self, app: str, path: str, body: Any, outcome: Outcome) -> tuple[int, Any, dict[str, str]]:
        """Run one job: (status code, JSON payload, extra headers)."""
        from PIL import Image

        from .. import simulator

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
            if out.block_reason or (out.finish_reason or "").upper() in BLOCK_REASONS:
                return self._error_answer(Outcome.blocked("content_policy_violation", out.message), body)
            if not out.images:
                return self._error_answer(Outcome.no_image("no_media_generated", out.message), body)
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
                with self._jobs_lock:
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
    if body is Incoming.INVALID or not isinstance(body, dict):
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
            return decode_data_url(url, f"image_urls[{i}]")[0]
        except BadDataURL as e:
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
