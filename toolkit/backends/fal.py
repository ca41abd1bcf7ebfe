"""The fal.ai backend: the Nano Banana apps through fal's queue, with the official ``fal-client``.

One request is one queue job (https://fal.ai/docs/documentation/model-apis/inference/queue): ``submit``
to ``{app}`` (text to image) or ``{app}/edit`` (with ``image_urls`` as data URIs), then status polls with
logs until ``COMPLETED``, then the result. Each app's inputs and outputs are on its model page
(https://fal.ai/models/fal-ai/nano-banana-pro/api and the like). fal has no chat: a request sends its last
user turn's text and its working images (the last user turn's images, or for a follow-up the last image of
the conversation), so a Studio chat still edits the latest picture. ``num_images`` is always 1: the Studio
fans out ``n`` itself, one cache entry per image.

Progress: every queue position and log line goes to :attr:`FalBackend.on_progress` (a callable taking
one string, for a progress bar or ``print``) and to ``logging.getLogger("toolkit.fal")`` at DEBUG.

Money: fal bills a flat price per image (``toolkit.pricing.OVERRIDES``, per size); that is
``Reply.extra["cost_usd"]``. fal reports no token usage, so ``usage`` is estimated from the registry
(the model's output tokens per image at that size, the prompt and input images as the Gemini API would
count them) and the Studio's ``list_cost_usd`` is the Gemini-API equivalent of the same call. Refusals
record $0 (fal does not document billing for them).

fal-client 1.0.3 details this module works around (read from its source):

* **Base URL.** Submission URLs are ``fal_client.client.QUEUE_URL_FORMAT + app``, a module global built at
  import from ``FAL_QUEUE_RUN_HOST`` (default ``queue.{FAL_RUN_HOST}``, default ``queue.fal.run``) with
  https hard-coded. :func:`fal_globals` sets it for the duration of one ``submit`` call and restores it,
  reference-counted across concurrent calls that want the same URL (calls that want another one wait,
  so no call ever submits to another backend's URL). Status, result and cancel URLs come from the
  submission answer, so only the submission needs it. Code in the same process that calls fal-client
  directly sees the override only while a toolkit submission is in flight. ``base_url=`` wins; else the two env variables
  are read when the backend is built (so setting them after ``import fal_client`` still works).
* **Retries.** The client retries every request up to 10 times on 408/409/429/ingress 5xx and transport
  errors, on top of which the Studio's :class:`~toolkit.runner.RetryPolicy` would retry again (up to 40
  submissions per call, deaf to the Studio's rate limiter). The same scope sets the module global
  ``MAX_ATTEMPTS`` to 1 while submitting, so the Studio's policy is the only retry of a submission.
  Status polls, the result fetch and image downloads are idempotent GETs: they keep a few retries of
  their own here (:data:`POLL_ATTEMPTS`), because failing one would make the Studio resubmit a job that
  may already be paid for.
* **Credentials.** The key is always passed explicitly (``AsyncClient(key=...)``): without one the client
  falls back to a ``fal auth login`` token in ``~/.fal``, which a toolkit user did not choose.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http
import io
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar, TypeVar

from .. import pricing, registry
from ..errors import ConfigError, MalformedReplyError, ModelNotFoundError, OptionError, ProviderError
from ..request import ImagePart, Request, TextPart, Turn
from ..secrets import Secret, register, scrub
from .base import MAX_REPLY_IMAGE_BYTES, Reply, ReplyImage
from .gemini import check_base_url
from .openrouter import decode_data_url, sniff_mime

T = TypeVar("T")
log = logging.getLogger("toolkit.fal")

ENV_KEY = "FAL_KEY"
ENV_KEY_ID = "FAL_KEY_ID"
ENV_KEY_SECRET = "FAL_KEY_SECRET"
#: Apps that take ``resolution`` (https://fal.ai/models/fal-ai/nano-banana-2/api,
#: https://fal.ai/models/fal-ai/nano-banana-pro/api; the others have no such input).
RESOLUTION_APPS = frozenset({"fal-ai/nano-banana-2", "fal-ai/nano-banana-pro"})
#: Output tokens' price per million on fal for token-billed apps (https://fal.ai/learn/tools/nano-banana-api).
TOKEN_PRICED_APPS = {"google/nano-banana-2.1": 35.294}
#: Attempts for the idempotent GETs (status, result, image download).
POLL_ATTEMPTS = 3
_RESOLUTION = {"512": "0.5K"}
_REFUSALS = {"content_policy_violation": "blocked", "no_media_generated": "no_image"}


def env_api_key() -> str | None:
    """The key fal-client would use: ``FAL_KEY``, else ``FAL_KEY_ID:FAL_KEY_SECRET``."""
    if key := os.environ.get(ENV_KEY):
        return key
    key_id, key_secret = os.environ.get(ENV_KEY_ID), os.environ.get(ENV_KEY_SECRET)
    if key_id and key_secret:
        register(key_id)  # scrub() should find either half on its own, not only the joined key
        register(key_secret)
        return f"{key_id}:{key_secret}"
    return None


def default_queue_url() -> str:
    """The queue URL fal-client would use: ``https://{FAL_QUEUE_RUN_HOST or queue.{FAL_RUN_HOST}}/``."""
    run_host = os.environ.get("FAL_RUN_HOST") or "fal.run"
    return f"https://{os.environ.get('FAL_QUEUE_RUN_HOST') or 'queue.' + run_host}/"


def fal_app(model_id: str) -> str:
    """The fal app of a model (its registry ``fal_app``); an OptionError naming the models that have one."""
    info = registry.lookup(model_id)
    if info is not None and info.fal_app:
        return info.fal_app
    have = ", ".join(f"{m.id} ({m.fal_app})" for m in registry.MODELS if m.fal_app and not m.is_shut_down())
    raise OptionError(f"Model {model_id!r} has no fal.ai app. On backend='fal' use one of: {have}.")


def fal_price(app: str, image_size: str | None) -> float | None:
    """fal's flat price per image for an app at a size (``toolkit.pricing.OVERRIDES``), or None if unknown."""
    entry = pricing.OVERRIDES.get(app)
    if entry is None:
        return None
    suffix = {"512": "_512", "2K": "_2k", "4K": "_4k"}.get(image_size or "", "")
    value = entry.get("per_image" + suffix, entry.get("per_image"))
    return float(value) if isinstance(value, int | float) else None


class _FalGlobals:
    """A process-wide, reference-counted override of fal-client's module globals (module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # never held across an await
        self._holders = 0
        self._url: str | None = None
        self._saved: tuple[str, int] | None = None

    def _try_acquire(self, queue_url: str) -> bool:
        from fal_client import client as fc

        with self._lock:
            if self._holders == 0:
                self._saved = (fc.QUEUE_URL_FORMAT, fc.MAX_ATTEMPTS)
                fc.QUEUE_URL_FORMAT, fc.MAX_ATTEMPTS = queue_url, 1
                self._url, self._holders = queue_url, 1
                return True
            if self._url == queue_url:
                self._holders += 1
                return True
            return False

    def _release(self) -> None:
        from fal_client import client as fc

        with self._lock:
            self._holders -= 1
            if self._holders == 0 and self._saved is not None:
                fc.QUEUE_URL_FORMAT, fc.MAX_ATTEMPTS = self._saved
                self._saved, self._url = None, None

    @contextlib.asynccontextmanager
    async def scope(self, queue_url: str) -> AsyncIterator[None]:
        """Hold ``QUEUE_URL_FORMAT=queue_url`` and ``MAX_ATTEMPTS=1`` inside the block."""
        while not self._try_acquire(queue_url):
            await asyncio.sleep(0.005)  # another backend is submitting elsewhere; submissions are short
        try:
            yield
        finally:
            self._release()


fal_globals = _FalGlobals()


class FalBackend:
    """Calls the Nano Banana apps on fal.ai through its queue.

    Parameters
    ----------
    api_key : str or Secret, optional
        Default ``FAL_KEY`` (or ``FAL_KEY_ID`` + ``FAL_KEY_SECRET``). Held in a
        :class:`~toolkit.secrets.Secret`: never written or shown.
    base_url : str, optional
        The queue host to submit to: a gateway, a proxy or :class:`~toolkit.fakes.FakeFalServer`.
        Default ``https://`` + ``FAL_QUEUE_RUN_HOST`` (or ``queue.`` + ``FAL_RUN_HOST``), as fal-client.
    timeout_s : float
        Limit for one job, queue wait included; past it the job is cancelled and the Studio may retry.
        Also sent as fal's ``X-Fal-Request-Timeout`` so fal drops a job still queued by then.
    output_format : {"jpeg", "png", "webp"}, optional
        Default: the model's native format on the Gemini API (JPEG for 3.x, PNG for 2.5). Not part of
        the cache key: change it only with ``refresh=True`` or a new home.
    on_progress : callable, optional
        Called with one line of text per queue event ("queued, position 2", "running: <log>",
        "completed in 3.2 s"); exceptions it raises are logged, never propagated.
    poll_interval_s : float
        Seconds between status polls.

    Attributes
    ----------
    on_progress, poll_interval_s : see Parameters
        Plain attributes; the Studio (or you) may set them at any time.
    """

    kind: ClassVar[str] = "fal"
    spends_money: ClassVar[bool] = True

    def __init__(self, api_key: str | Secret | None = None, *, base_url: str | None = None,
                 timeout_s: float = 150.0, output_format: str | None = None,
                 on_progress: Callable[[str], None] | None = None, poll_interval_s: float = 0.25) -> None:
        import fal_client

        if api_key is None:
            api_key = env_api_key()
        self._key = api_key if isinstance(api_key, Secret) else Secret(api_key or "")
        for half in self._key.reveal().split(":", 1) if ":" in self._key.reveal() else ():
            register(half)  # FAL_KEY may be "id:secret"; scrub() should find either half on its own
        if not self._key:
            raise ConfigError(
                f"backend='fal' needs a fal.ai key: set {ENV_KEY} (or {ENV_KEY_ID} and {ENV_KEY_SECRET}) in the "
                f"environment, or pass api_key=... (keys: https://fal.ai/dashboard/keys)."
            )
        if base_url is not None:
            check_base_url(base_url)
        self.queue_url = base_url.rstrip("/") + "/" if base_url else default_queue_url()
        if output_format is not None and output_format not in ("jpeg", "png", "webp"):
            raise ConfigError(f"output_format={output_format!r} must be 'jpeg', 'png', 'webp' or None.")
        self.output_format = output_format
        self.timeout_s = float(timeout_s)
        self.on_progress = on_progress
        self.poll_interval_s = float(poll_interval_s)
        self._client = fal_client.AsyncClient(key=self._key.reveal(), default_timeout=self.timeout_s)

    @property
    def base_url(self) -> str:
        """The queue host jobs are submitted to."""
        return self.queue_url.rstrip("/")

    @property
    def description(self) -> str:
        return f"fal.ai queue at {self.base_url} (fal-client)"

    def __repr__(self) -> str:
        return f"FalBackend(base_url={self.base_url!r}, api_key=<redacted>)"

    # -- request ------------------------------------------------------------------------------------------
    def arguments(self, request: Request) -> tuple[str, str, dict[str, Any]]:
        """(app, path, input JSON) for a request; OptionError for what the app cannot do."""
        info = registry.resolve(request.model, warn=False)
        app = fal_app(request.model)
        images = request.working_images()
        fmt = self.output_format or ("png" if info.output_mime == "image/png" else "jpeg")
        args: dict[str, Any] = {"prompt": request.prompt, "num_images": 1, "output_format": fmt}
        if images:
            args["image_urls"] = [_data_uri(p) for p in images]
        o = request.options
        if o.aspect_ratio:
            args["aspect_ratio"] = o.aspect_ratio
        if o.image_size is not None:
            if app in RESOLUTION_APPS:
                args["resolution"] = _RESOLUTION.get(o.image_size, o.image_size)
            elif o.image_size != info.default_size:
                raise OptionError(
                    f"{app} on fal.ai has no resolution option, so image_size={o.image_size!r} cannot be honoured. "
                    f"Omit image_size (the app draws {info.default_size or 'its fixed size'}) or use one of: "
                    f"{', '.join(sorted(RESOLUTION_APPS))}."
                )
        if o.seed is not None:
            args["seed"] = o.seed
        # fal's apps take no temperature: it stays in the cache key but is not sent.
        return app, "edit" if images else "", args

    def _emit(self, message: str) -> None:
        log.debug("%s", message)
        if self.on_progress is not None:
            try:
                self.on_progress(message)
            except Exception:  # a progress display must never break a paid call
                log.exception("on_progress callback failed")

    async def generate(self, request: Request) -> Reply:
        import fal_client

        info = registry.resolve(request.model, warn=False)
        app, path, args = self.arguments(request)
        endpoint = f"{app}/{path}" if path else app
        handle = None
        try:
            async with asyncio.timeout(self.timeout_s):
                async with fal_globals.scope(self.queue_url):
                    handle = await self._client.submit(
                        app, args, path=path, start_timeout=self.timeout_s if self.timeout_s > 1 else None)
                rid = handle.request_id
                self._emit(f"fal {endpoint}: submitted as {rid}")
                done = await self._wait(handle, rid)
                output = await _idempotent(lambda: handle.get(interval=self.poll_interval_s))
                images = await self._images(output, rid)
        except fal_client.FalClientHTTPError as e:
            refusal = _refusal(e)
            if refusal is not None:
                return self._reply(request, info, app, endpoint, [], "", refusal, handle)
            raise _http_error(e, submitted=handle is not None) from None
        except TimeoutError:
            if handle is not None:
                _cancel_soon(handle)
            raise ProviderError("fal", None, "TIMEOUT", f"the job did not finish within {self.timeout_s:g} s",
                                hint="fal's queue may be busy; it was retried. Raise Studio(timeout_s=...) for "
                                     "large sizes.") from None
        except asyncio.CancelledError:
            if handle is not None:
                _cancel_soon(handle)  # the notebook's stop button: do not leave a job running on fal
            raise
        except Exception as e:
            mapped = _to_provider_error(e, request.model, submitted=handle is not None)
            if mapped is None:
                raise
            raise mapped from None
        description = str(output.get("description") or "") if isinstance(output, dict) else ""
        return self._reply(request, info, app, endpoint, images, description, None, handle,
                           inference_time=_inference_time(done))

    async def _wait(self, handle: Any, rid: str) -> Any:
        import fal_client

        short = rid[:8]
        seen, last_position, running = 0, None, False
        while True:
            status = await _idempotent(lambda: handle.status(with_logs=True))
            if isinstance(status, fal_client.Queued):
                if status.position != last_position:
                    self._emit(f"fal {short}: queued, position {status.position}")
                    last_position = status.position
            else:
                logs = list(getattr(status, "logs", None) or [])
                if not running and isinstance(status, fal_client.InProgress):
                    self._emit(f"fal {short}: running")
                    running = True
                for entry in logs[seen:]:
                    text = entry.get("message") if isinstance(entry, dict) else str(entry)
                    self._emit(f"fal {short}: {text}")
                seen = max(seen, len(logs))
                if isinstance(status, fal_client.Completed):
                    t = _inference_time(status)
                    self._emit(f"fal {short}: completed" + (f" in {t:.1f} s" if t is not None else "")
                               + (f" with {status.error_type or 'an error'}" if status.error else ""))
                    return status
            await asyncio.sleep(self.poll_interval_s)

    async def _images(self, output: Any, rid: str) -> list[ReplyImage]:
        if not isinstance(output, dict):
            raise MalformedReplyError("fal", f"job {rid}: the result was not a JSON object")
        out = []
        for item in output.get("images") or []:
            url = item.get("url") if isinstance(item, dict) else None
            if not isinstance(url, str):
                continue
            if url.startswith("data:"):
                try:
                    data, mime = decode_data_url(url)
                except ValueError as e:
                    raise MalformedReplyError("fal", f"job {rid}: {e}") from None
            else:
                # CDN files are public: fetched without the fal key, which must not leave for another host.
                data, declared = await _idempotent(functools.partial(asyncio.to_thread, _download, url, self.timeout_s))
                mime = sniff_mime(data, item.get("content_type") or declared)
            if not mime.startswith("image/"):
                raise MalformedReplyError("fal", f"job {rid}: an output was {mime}, not an image")
            part = ImagePart.from_bytes(data, mime)
            out.append(ReplyImage(data, mime, part.sha256))
        return out

    def _reply(self, request: Request, info: registry.ModelInfo, app: str, endpoint: str, images: list[ReplyImage],
               text: str, refusal: tuple[str, str] | None, handle: Any, inference_time: float | None = None) -> Reply:
        o = request.options
        sizes = [_dims(p) for p in request.working_images()]
        usage = pricing.estimate_usage(info, pricing.estimate_text_tokens(request.prompt), sizes, o.image_size)
        per_image = usage["output_image_tokens"]
        usage["output_tokens"] = usage["output_image_tokens"] = per_image * len(images)
        extra: dict[str, Any] = {"fal_endpoint": endpoint, "usage_estimated": True}
        if handle is not None:
            extra["fal_request_id"] = handle.request_id
        if inference_time is not None:
            extra["inference_time_s"] = inference_time
        price = fal_price(app, o.image_size)
        if price is None and app in TOKEN_PRICED_APPS:
            price = round(TOKEN_PRICED_APPS[app] * per_image / 1e6, 6)
        if price is not None:
            extra["cost_usd"] = round(price * len(images), 10)
            extra["cost_source"] = f"fal flat price per image ({app})"
        else:
            extra["cost_source"] = "list-price estimate (fal price unknown to the toolkit)"
        parts: list[TextPart | ImagePart] = [TextPart(text)] if text else []
        parts += [ImagePart(im.data, im.mime, im.sha256) for im in images]
        if refusal is not None:
            status, reason = refusal
            extra["cost_usd"] = 0.0
        elif images:
            status, reason = "ok", None
        else:
            status, reason = "no_image", "fal returned no image"
        return Reply(status=status, images=images, text=text, reason=reason, usage=usage,
                     response_id=handle.request_id if handle is not None else None, model_version=endpoint,
                     model_turn=Turn("model", tuple(parts)) if parts else None, extra=extra)

    def list_models(self) -> list[str]:
        """Registry models that have a fal app (fal has no live model list for these apps)."""
        return [m.id for m in registry.MODELS if m.fal_app and not m.is_shut_down()]


# -- helpers --------------------------------------------------------------------------------------------
def _data_uri(part: ImagePart) -> str:
    import base64

    return f"data:{part.mime};base64,{base64.b64encode(part.data).decode('ascii')}"


def _dims(part: ImagePart) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(part.data)) as img:
        return img.size


def _download(url: str, timeout_s: float, max_bytes: int = MAX_REPLY_IMAGE_BYTES) -> tuple[bytes, str | None]:
    """GET an output file: at most ``max_bytes`` (a larger one is a malformed reply, refused while reading),
    within ``timeout_s`` as a whole (a server that drips bytes cannot hold the worker thread longer)."""
    deadline = time.monotonic() + timeout_s
    req = urllib.request.Request(url, headers={"User-Agent": "flash-image-toolkit"})
    with urllib.request.urlopen(req, timeout=timeout_s) as resp:
        declared = resp.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            raise MalformedReplyError("fal", f"an output file is {int(declared) / 2**20:.0f} MB, more than the "
                                             f"{max_bytes / 2**20:g} MB a reply may carry (MAX_REPLY_IMAGE_BYTES)")
        chunks, size = [], 0
        while chunk := resp.read(1 << 20):
            size += len(chunk)
            if size > max_bytes:
                raise MalformedReplyError("fal", f"an output file is larger than the {max_bytes / 2**20:g} MB a "
                                                 f"reply may carry (MAX_REPLY_IMAGE_BYTES)")
            if time.monotonic() > deadline:
                raise ProviderError("fal", None, "TIMEOUT", f"downloading an output file took longer than "
                                    f"{timeout_s:g} s", hint=_hint(None, None))
            chunks.append(chunk)
        return b"".join(chunks), resp.headers.get_content_type()


def _inference_time(status: Any) -> float | None:
    metrics = getattr(status, "metrics", None) or {}
    t = metrics.get("inference_time") if isinstance(metrics, dict) else None
    return float(t) if isinstance(t, int | float) else None


def _cancel_soon(handle: Any) -> None:
    async def cancel() -> None:
        with contextlib.suppress(Exception):
            await handle.cancel()

    with contextlib.suppress(RuntimeError):
        asyncio.get_running_loop().create_task(cancel())


def _retryable_get(e: BaseException) -> bool:
    import fal_client
    import httpx

    if isinstance(e, fal_client.FalClientHTTPError):
        return e.status_code in (408, 429) or (e.status_code >= 500 and _error_type(e) is None)
    return isinstance(e, httpx.TransportError | urllib.error.URLError | TimeoutError | ConnectionError)


async def _idempotent(call: Callable[[], Awaitable[T]]) -> T:
    """Await an idempotent GET, retrying transport failures and 408/429/ingress 5xx a few times."""
    for attempt in range(1, POLL_ATTEMPTS + 1):
        try:
            return await call()
        except Exception as e:
            if attempt == POLL_ATTEMPTS or not _retryable_get(e):
                raise
            await asyncio.sleep(0.2 * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def _detail(e: Any) -> Any:
    return e.message if isinstance(e.message, list | str) else str(e.message)


def _error_type(e: Any) -> str | None:
    if e.error_type:
        return str(e.error_type)
    detail = _detail(e)
    if isinstance(detail, list) and detail and isinstance(detail[0], dict) and detail[0].get("type"):
        return str(detail[0]["type"])
    return None


def _message(e: Any) -> str:
    detail = _detail(e)
    if isinstance(detail, list):
        parts = []
        for d in detail:
            if isinstance(d, dict):
                loc = ".".join(str(x) for x in d.get("loc") or [] if x != "body")
                parts.append((f"{loc}: " if loc else "") + str(d.get("msg") or d.get("type") or d))
            else:
                parts.append(str(d))
        return "; ".join(parts) or "(no message)"
    return detail.strip() or "(no message)"


def _refusal(e: Any) -> tuple[str, str] | None:
    """(status, reason) when a fal error is a content refusal, which the toolkit reports as a Result."""
    kind = _error_type(e)
    if kind in _REFUSALS:
        return _REFUSALS[kind], f"{kind}: {scrub(_message(e))}"
    return None


def _hint(code: int | None, kind: str | None) -> str:
    if code == 401:
        return (f"check the key in {ENV_KEY} (or {ENV_KEY_ID} + {ENV_KEY_SECRET}, or api_key=...); keys are at "
                f"https://fal.ai/dashboard/keys.")
    if code == 403:
        return ("the key may not use this app, or the account is locked (an exhausted balance shows here): top up "
                "at https://fal.ai/dashboard/billing. Not retried.")
    if code == 404:
        return "fal does not know this app; tk.models_table() lists the models with a fal app."
    if code == 422:
        return ("fal refused the input (not retried). Check the options against tk.models_table() and the message "
                "above.")
    if code == 429:
        return ("fal's concurrency or rate limit was reached; it was retried with backoff. Lower "
                "Studio(concurrency=...) or set a rate_limit.")
    if code is None:
        return "check the network, the base_url (FAL_QUEUE_RUN_HOST / FAL_RUN_HOST) and the timeout."
    if code >= 500:
        return (f"fal's infrastructure failed{f' ({kind})' if kind else ''}; fal's queue already retried it and it "
                f"was retried here too. Try again later.")
    if code == 408:
        return "fal timed out waiting for the request; it was retried."
    return f"see the message above; HTTP {code} is not retried."


def _http_error(e: Any, *, submitted: bool) -> ProviderError:
    """A ``FalClientHTTPError`` (that is not a refusal) -> ProviderError; a 404 before submission is the app."""
    code, kind = e.status_code, _error_type(e)
    message = scrub(_message(e)) or "(no message)"
    if isinstance(e.message, str) and "nginx" in e.message:
        message = f"the fal edge answered with an HTML error page ({code})"
    try:
        status = kind or http.HTTPStatus(code).name
    except ValueError:
        status = f"HTTP_{code}"
    retry_after = None
    header = (e.response_headers or {}).get("retry-after") if code == 429 else None
    if header is not None:
        with contextlib.suppress(TypeError, ValueError):
            retry_after = float(header)
    cls = ModelNotFoundError if code == 404 and not submitted else ProviderError
    return cls("fal", code, status, message, retry_after_s=retry_after, hint=_hint(code, kind))


def _to_provider_error(e: Exception, model: str | None, *, submitted: bool) -> ProviderError | None:
    """An exception from fal-client -> a ProviderError with a clear message (and no secret)."""
    import fal_client
    import httpx

    if isinstance(e, fal_client.FalClientHTTPError):
        return _http_error(e, submitted=submitted)
    if isinstance(e, fal_client.FalClientTimeoutError):
        return ProviderError("fal", None, "TIMEOUT", scrub(str(e)) or "timed out", hint=_hint(None, None))
    if isinstance(e, httpx.TransportError | urllib.error.URLError | ConnectionError):
        name = type(e).__name__
        return ProviderError("fal", None, name, scrub(str(e)) or name, hint=_hint(None, None))
    if isinstance(e, ValueError | KeyError) and e.__class__.__name__ in ("JSONDecodeError", "KeyError"):
        return MalformedReplyError("fal", f"the reply could not be parsed: {(scrub(str(e)) or '')[:300]}")
    return None
