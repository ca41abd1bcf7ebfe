"""The Gemini API backend, over the official google-genai SDK (``client.aio.models.generate_content``).

This module is the transport: the client, ``generateContent``, streaming and the model list. The wire
format (request bodies, reply parsing, error mapping) is :mod:`toolkit.backends.gemini_wire`; batch mode
(Batch API and Files API) is :mod:`toolkit.backends.gemini_batch`. Their public names are re-exported here.

API version: google-genai 3.x sends ``/v1/...`` by default ("Major version 3" in its README,
https://github.com/googleapis/python-genai), while Google's image-generation docs and every REST example use
``v1beta`` (https://ai.google.dev/gemini-api/docs/image-generation; versions:
https://ai.google.dev/gemini-api/docs/api-versions), and a ``responseModalities`` rejection has been reported
on ``v1`` (https://github.com/googleapis/js-genai/issues/1322). We send ``v1beta`` unless
``GOOGLE_GENAI_API_VERSION`` or ``api_version=`` says otherwise.

Retries are ours, not the SDK's (its default is one attempt, and it ignores ``RetryInfo``): the SDK is
built with no retry options and :func:`toolkit.runner.with_retries` decides, honouring the server's
``retryDelay`` on 429 (https://ai.google.dev/gemini-api/docs/rate-limits).

Streaming (:meth:`GenerateContentBackend.generate_stream`, shared with Vertex AI; ``streamGenerateContent``,
https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent): google-genai 3.3.0 raises
``ValueError`` for ``should_return_http_response`` on ``generate_content_stream`` and its typed chunks drop
``finishMessage``, so the SSE events are read as wire JSON through the SDK's own API client
(``_api_client.async_request_streamed``, the call ``generate_content_stream`` makes), merged
(:func:`~toolkit.backends.gemini_wire.merge_stream`) and parsed by
:func:`~toolkit.backends.gemini_wire.parse_response`, like a ``generateContent`` reply. If a later SDK lacks
that private method, the typed stream is dumped back to JSON instead (losing ``finishMessage``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar
from urllib.parse import urlparse

from pydantic_core import from_json

from ..errors import ConfigError, MalformedReplyError, ProviderError, StreamInterruptedError
from ..request import Options, Request
from ..secrets import Secret
from .base import BatchStatus, Reply
from .gemini_batch import BATCH_INLINE_LIMIT_BYTES, cancel_job, job_state, poll_job, submit_job
from .gemini_calls import post_json, sdk_generate_json, sdk_post_json
from .gemini_wire import (
    GENERATE_CONTENT_OPTIONS,
    VERTEX_ONLY_OPTIONS,
    classroom_charge,
    gemini_hint,
    merge_stream,
    parse_response,
    parse_usage,
    refuse_vertex_options,
    request_json,
    retry_delay_s,
    sdk_config,
    sdk_contents,
    sdk_image_config,
    text_deltas,
    to_provider_error,
    vertex_only_options,
    vertex_option_message,
)
from .registry import BASE_OPTIONS
from .workers import DaemonWorkers

__all__ = [
    "BATCH_INLINE_LIMIT_BYTES", "DEFAULT_API_VERSION", "DEFAULT_BASE_URL", "VERTEX_ONLY_OPTIONS",
    "GeminiBackend", "GenerateContentBackend", "StreamInterruptedError", "check_base_url", "env_api_key",
    "gemini_hint", "job_state", "merge_stream", "parse_response", "parse_usage", "refuse_vertex_options",
    "request_json", "retry_delay_s", "text_deltas", "to_provider_error", "vertex_only_options",
    "vertex_option_message",
]

DEFAULT_API_VERSION = "v1beta"
DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/"


def env_api_key() -> str | None:
    """The key the SDK would use: ``GOOGLE_API_KEY`` takes precedence over ``GEMINI_API_KEY``."""
    return os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY") or None


def check_base_url(url: str, what: str = "base_url") -> str:
    """Refuse a base URL that cannot work, naming the fix.

    >>> check_base_url("http://127.0.0.1:8080")
    'http://127.0.0.1:8080'
    """
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(
            f"{what}={url!r} is not a usable URL: it needs a scheme and a host, like "
            f"'https://generativelanguage.googleapis.com' or 'http://127.0.0.1:8080'."
        )
    return url


class GenerateContentBackend:
    """What the Gemini API and Vertex AI backends share: one google-genai client, requests built the same
    way, replies read from the wire JSON (:func:`~toolkit.backends.gemini_wire.parse_response`), and streaming.

    Subclasses build the ``genai.Client``, pass it to ``__init__`` and set ``kind``; they override the
    request hooks (:meth:`image_config`, :meth:`model_path`, :meth:`wire_request`, :meth:`provider_error`)
    where their API differs. Kept separate from :class:`GeminiBackend` rather than having Vertex subclass it,
    because ``isinstance(b, GeminiBackend)`` means "this backend has the Gemini API's Interactions and Batch
    endpoints" (:mod:`toolkit.chat`, :mod:`toolkit.batch`), which Vertex AI does not offer in the same shape.

    Parameters
    ----------
    client : google.genai.Client
        The client every call goes through (built with no retry options: the Studio retries).

    Attributes
    ----------
    raw_json : bool
        True (default): :meth:`generate` posts our own wire request (:meth:`wire_request`, the one streams and
        batch files send) through the SDK's own API client, the call ``models.generate_content`` makes after
        converting its typed arguments; skipping that converter saves about 1.2 ms of CPU per call. False uses
        ``models.generate_content`` with ``should_return_http_response=True`` (also the fallback if a later SDK
        lacks the private ``request``/``async_request``). Both read the reply as wire JSON.
    threaded : bool
        True (default): with ``raw_json``, the POST goes through the SDK's *sync* API client in a worker thread
        (:class:`~toolkit.backends.workers.DaemonWorkers`), where the reply is also parsed: for a 2.65 MB image
        that costs about 23 ms of CPU against 28 ms on the async client (``benchmarks/transport.py``).
        Timeouts and cancellation act on the awaiting task at once; the abandoned request ends in its thread
        at the HTTP client's timeout. False: the async API client on the runner's loop.
    raw_stream_json : bool
        True (default): :meth:`generate_stream` reads each SSE event as wire JSON through the SDK's own API
        client, so ``finishMessage`` survives. google-genai 3.3.0 refuses ``should_return_http_response``
        on streams ("Accessing the raw HTTP response is not supported in streaming methods") and its typed
        chunks drop ``finishMessage`` on the Gemini API. False uses the typed
        ``generate_content_stream`` dumped back to JSON (also the fallback if a later SDK lacks the private
        ``async_request_streamed``), losing only ``finishMessage``.
    """

    kind: ClassVar[str] = "gemini"
    spends_money: ClassVar[bool] = True
    raw_json: bool = True
    threaded: bool = True
    raw_stream_json: bool = True
    #: True when the base URL is a classroom gateway: its charge header (``x-classroom-charged-usd``) is the
    #: call's cost (a room-cache replay costs the seat $0).
    classroom: bool = False

    def __init__(self, client: Any) -> None:
        self._client = client
        #: The worker threads of :attr:`threaded` calls (none until the first call; one per call in flight).
        self.workers = DaemonWorkers(f"flash-image-{self.kind}")

    @property
    def client(self) -> Any:
        """The ``google.genai.Client`` this backend calls (for what the toolkit does not wrap)."""
        return self._client

    # -- request hooks --------------------------------------------------------------------------------------
    def image_config(self, options: Options) -> Any:
        """The SDK's ``ImageConfig`` for these options (Gemini API: aspect ratio and size only)."""
        return sdk_image_config(options)

    def generation_config(self, request: Request, *, raw: bool = True) -> Any:
        """The SDK's ``GenerateContentConfig`` for a request (``raw``: ask for the HTTP body back)."""
        return sdk_config(request, self.image_config(request.options), raw=raw)

    def model_path(self, model: str) -> str:
        """The resource path the SDK builds for a model id (``models/<id>`` on the Gemini API).

        >>> GenerateContentBackend(None).model_path("gemini-3.1-flash-image")
        'models/gemini-3.1-flash-image'
        """
        return model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"

    def wire_request(self, request: Request) -> dict[str, Any]:
        """The wire ``GenerateContentRequest`` sent on streams (:func:`~toolkit.backends.gemini_wire.request_json`)."""
        return request_json(request)

    def provider_error(self, e: Exception, model: str | None) -> ProviderError | None:
        """An exception from the SDK -> ProviderError (None: not a provider failure; let it propagate)."""
        return to_provider_error(e, model, provider=self.kind)

    # -- calls ----------------------------------------------------------------------------------------------
    async def generate(self, request: Request) -> Reply:
        """Answer one request over ``generateContent`` (see :attr:`raw_json`), read as wire JSON."""
        headers: dict[str, str] = {}
        api = getattr(self._client, "_api_client", None)  # the SDK's API client, sync and async (private)
        path = f"{self.model_path(request.model)}:generateContent"
        blocking, post = getattr(api, "request", None), getattr(api, "async_request", None)
        if self.raw_json and self.threaded and blocking is not None:
            wire = self.wire_request(request)

            def call() -> Reply:  # in a worker thread: the POST, the JSON parse, the base64 decode and the hash
                body = post_json(blocking, path, wire, request.model, self.kind, self.provider_error, headers)
                return parse_response(body, provider=self.kind)
            return self._charged(await self.workers.run(call), headers)
        if self.raw_json and post is not None:
            body = await sdk_post_json(post, path, self.wire_request(request), request.model, self.kind,
                                       self.provider_error, headers)
        else:
            body = await sdk_generate_json(self._client, request.model, sdk_contents(request),
                                           self.generation_config(request), self.kind, self.provider_error, headers)
        return self._charged(parse_response(body, provider=self.kind), headers)

    def _charged(self, reply: Reply, headers: dict[str, str]) -> Reply:
        """A classroom gateway's charge, when it sent one, as the reply's cost (what the seat really paid)."""
        charge = classroom_charge(headers) if self.classroom else None
        if charge is not None:
            reply.extra["cost_usd"] = charge
        return reply

    async def generate_stream(self, request: Request, on_text: Callable[[str], None]) -> Reply:
        """Answer one request over ``streamGenerateContent`` (SSE), calling ``on_text`` with each text delta.

        The reply is the same :class:`Reply` as :meth:`generate` gives: the events are merged
        (:func:`~toolkit.backends.gemini_wire.merge_stream`) and parsed with
        :func:`~toolkit.backends.gemini_wire.parse_response`. Thought text is not passed to ``on_text`` (it
        is not part of ``Result.text`` either).

        Raises
        ------
        ProviderError
            As :meth:`generate`. A failure after some text was delivered raises
            :class:`StreamInterruptedError`, which is not retried: a retry would deliver the text again.
        """
        delivered = False
        chunks: list[dict[str, Any]] = []
        headers: dict[str, str] = {}
        try:
            async for chunk in self._stream_chunks(request, headers):
                chunks.append(chunk)
                for delta in text_deltas(chunk):
                    delivered = True
                    on_text(delta)
        except ProviderError as e:
            raise (StreamInterruptedError.after(e) if delivered else e) from None
        except Exception as e:
            mapped = self.provider_error(e, request.model)
            if mapped is None:
                raise
            raise (StreamInterruptedError.after(mapped) if delivered else mapped) from None
        if not chunks:
            raise MalformedReplyError(self.kind, "the stream ended without any event")
        return self._charged(parse_response(merge_stream(chunks), provider=self.kind), headers)

    async def _stream_chunks(self, request: Request, headers: dict[str, str]) -> AsyncIterator[dict[str, Any]]:
        """Each SSE event of the answer as a wire-JSON dict (see :attr:`raw_stream_json`); the HTTP headers go
        into ``headers``."""
        api = getattr(self._client.aio, "_api_client", None)
        streamed = getattr(api, "async_request_streamed", None)
        if self.raw_stream_json and streamed is not None:
            # The same call models.generate_content_stream makes (so auth, base URL, the Vertex project
            # prefix, API version, timeout and mid-stream error events stay the SDK's), with our own wire
            # request: the one the batch JSONL uses, which the SDK would build identically.
            path = f"{self.model_path(request.model)}:streamGenerateContent?alt=sse"
            events = await streamed("post", path, self.wire_request(request), None)
            async for event in events:
                if event.headers and not headers:
                    headers.update(event.headers)
                body = from_json(event.body) if event.body else {}
                if not isinstance(body, dict):
                    raise MalformedReplyError(self.kind, "a stream event was not a JSON object")
                yield body
            return
        stream = await self._client.aio.models.generate_content_stream(
            model=request.model, contents=sdk_contents(request), config=self.generation_config(request, raw=False))
        async for typed in stream:
            yield typed.model_dump(mode="json", by_alias=True, exclude_none=True)

    def list_models(self) -> list[str]:
        """Image-capable model ids the credentials can use (live ``models.list``)."""
        try:
            found = list(self._client.models.list())
        except Exception as e:
            mapped = self.provider_error(e, None)
            if mapped is None:
                raise
            raise mapped from None
        ids = []
        for m in found:
            name = (m.name or "").removeprefix("models/").removeprefix("publishers/google/models/")
            actions = getattr(m, "supported_actions", None) or []
            if "image" in name and (not actions or "generateContent" in actions):
                ids.append(name)
        return ids


class GeminiBackend(GenerateContentBackend):
    """Calls the Gemini Developer API.

    Parameters
    ----------
    api_key : str
        Required. Held in a :class:`~toolkit.secrets.Secret`: never written or shown.
    base_url : str, optional
        Another endpoint (gateway, proxy, :class:`~toolkit.testing.FakeGeminiServer`). Without it the SDK
        honours ``GOOGLE_GEMINI_BASE_URL``, then Google's URL.
    api_version : str, optional
        Default ``"v1beta"`` (see the module docstring).
    timeout_s : float
        The HTTP client's timeout (the SDK takes milliseconds; we convert). It is an idle timeout; the Engine
        also cuts every attempt off at the Studio's ``timeout_s`` as a whole.
    batch_inline_limit_bytes : int
        :meth:`submit_batch` sends a job inline while its serialised requests stay under this size, and as
        an uploaded JSONL file otherwise (default :data:`~toolkit.backends.gemini_batch.BATCH_INLINE_LIMIT_BYTES`).
        Settable.

    Attributes
    ----------
    raw_batch_json : bool
        True (default) reads batch answers as wire JSON (see :mod:`toolkit.backends.gemini_batch`); False uses
        the SDK's typed objects dumped back to JSON, which loses ``finishMessage``.
    """

    kind: ClassVar[str] = "gemini"
    raw_batch_json: bool = True
    #: The options it carries (its ``BackendSpec.options``): the image config, seed, temperature, thinking,
    #: search grounding and the service tier (:func:`~toolkit.backends.gemini_wire.wire_extras`).
    options: ClassVar[frozenset[str]] = BASE_OPTIONS | frozenset(GENERATE_CONTENT_OPTIONS)

    def __init__(
        self,
        api_key: str | Secret,
        *,
        base_url: str | None = None,
        api_version: str | None = None,
        timeout_s: float = 150.0,
        batch_inline_limit_bytes: int = BATCH_INLINE_LIMIT_BYTES,
        classroom: bool = False,
    ) -> None:
        from google import genai
        from google.genai import types

        self.classroom = classroom

        self._key = api_key if isinstance(api_key, Secret) else Secret(api_key)
        if not self._key:
            raise ConfigError("The Gemini backend needs an API key: set GEMINI_API_KEY or pass api_key=...")
        env_url = os.environ.get("GOOGLE_GEMINI_BASE_URL")
        if base_url is not None:
            check_base_url(base_url)
        elif env_url:
            check_base_url(env_url, "GOOGLE_GEMINI_BASE_URL")
        self.base_url = base_url or env_url or DEFAULT_BASE_URL
        if api_version is None and not os.environ.get("GOOGLE_GENAI_API_VERSION"):
            api_version = DEFAULT_API_VERSION
        self.api_version = api_version or os.environ.get("GOOGLE_GENAI_API_VERSION", "")
        self.timeout_s = timeout_s
        self.batch_inline_limit_bytes = int(batch_inline_limit_bytes)
        http = types.HttpOptions(base_url=base_url, api_version=api_version, timeout=int(timeout_s * 1000))
        # vertexai=False explicitly: left as None, the SDK would switch to Vertex AI whenever
        # GOOGLE_GENAI_USE_VERTEXAI is set, and send this Gemini key to aiplatform.googleapis.com.
        super().__init__(genai.Client(vertexai=False, api_key=self._key.reveal(), http_options=http))

    @property
    def api_key(self) -> Secret:
        """The API key, masked (``.reveal()`` only to hand it to another client, e.g. Interactions)."""
        return self._key

    @property
    def description(self) -> str:
        return f"Gemini API at {self.base_url} ({self.api_version or 'SDK default version'})"

    def __repr__(self) -> str:
        return f"GeminiBackend(base_url={self.base_url!r}, api_version={self.api_version!r}, api_key=<redacted>)"

    # -- batch mode (toolkit.backends.gemini_batch) -----------------------------------------------------------
    async def submit_batch(self, requests: list[Request], display_name: str, *,
                           inline_limit_bytes: int | None = None) -> str:
        """Submit requests of one model as one Batch API job (50% of the standard price); returns its name.

        Inline when the serialised requests are smaller than ``inline_limit_bytes`` (default
        :attr:`batch_inline_limit_bytes`), else as an uploaded JSONL file: see
        :func:`~toolkit.backends.gemini_batch.submit_job`.

        Raises
        ------
        ValueError
            Requests of several models, duplicate keys, or none.
        ProviderError
            The upload or the job creation failed.
        """
        limit = self.batch_inline_limit_bytes if inline_limit_bytes is None else inline_limit_bytes
        return await submit_job(self._client, requests, display_name, inline_limit_bytes=limit)

    async def poll_batch(self, job_name: str) -> BatchStatus:
        """The job's state; once done, every answer (:func:`~toolkit.backends.gemini_batch.poll_job`)."""
        return await poll_job(self._client, job_name, raw_json=self.raw_batch_json)

    async def cancel_batch(self, job_name: str) -> None:
        """Ask the Batch API to cancel the job (``batches.cancel``)."""
        await cancel_job(self._client, job_name)
