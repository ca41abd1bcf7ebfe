"""The Gemini API backend, over the official google-genai SDK (``client.aio.models.generate_content``).

API version: google-genai 3.x sends ``/v1/...`` by default, while Google's image-generation docs and
every REST example use ``v1beta``, and a ``responseModalities`` rejection has been reported on ``v1``
(reference section 0, items 1-2). We send ``v1beta`` unless ``GOOGLE_GENAI_API_VERSION`` or
``api_version=`` says otherwise.

Retries are ours, not the SDK's (its default is one attempt, and it ignores ``RetryInfo``): the SDK is
built with no retry options and :func:`toolkit.runner.with_retries` decides, honouring the server's
``retryDelay`` on 429.

Streaming (:meth:`GenerateContentBackend.generate_stream`, shared with Vertex AI): google-genai 3.3.0 raises
``ValueError`` for ``should_return_http_response`` on ``generate_content_stream`` and its typed chunks drop
``finishMessage``, so the SSE events are read as wire JSON through the SDK's own API client
(``_api_client.async_request_streamed``, the call ``generate_content_stream`` makes), merged
(:func:`merge_stream`) and parsed by :func:`parse_response`, like a ``generateContent`` reply. If a later
SDK lacks that private method, the typed stream is dumped back to JSON instead (losing ``finishMessage``).

Batch mode (reference section 5): :meth:`GeminiBackend.submit_batch` sends one job per model with
``client.aio.batches.create``, inline while the serialised requests stay under
``batch_inline_limit_bytes`` (18 MB by default: the API refuses inline bodies past 20 MB) and otherwise as a
JSONL file uploaded with ``client.aio.files.upload``. :meth:`GeminiBackend.poll_batch` reads each answer as
wire JSON and parses it with :func:`parse_response`, exactly like a ``generateContent`` reply.

Why wire JSON and not the SDK's typed ``BatchJob``: google-genai 3.3.0 converts a batch answer through
``_Candidate_from_mldev``, which drops ``finishMessage`` (the human-readable refusal), and its ``JobError``
drops the error's ``status`` name; ``model_dump(mode="json", by_alias=True, exclude_none=True)`` cannot bring
back what was dropped (checked against the fake; thought signatures, images, finish reasons and usage do
survive). So the operation is fetched with the SDK's own API client (``client.aio._api_client.async_request
("get", "batches/<id>", {})``, the very call ``batches.get`` makes, so auth, base URL, API version, timeout
and error mapping stay the SDK's) and the JSONL output file with ``client.aio.files.download`` (raw bytes
already). That client is private API: if a later SDK lacks it, :meth:`GeminiBackend.poll_batch` falls back
to the typed ``batches.get`` plus ``model_dump`` and loses only ``finishMessage``
(``raw_batch_json=False`` forces the fallback).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import re
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar
from urllib.parse import urlparse

from .. import registry
from ..errors import ConfigError, ModelNotFoundError, OptionError, ProviderError
from ..request import ImagePart, Options, Request, TextPart, Turn
from ..secrets import Secret, scrub
from .base import TERMINAL_JOB_STATES, BatchStatus, Reply, ReplyImage, classify

DEFAULT_API_VERSION = "v1beta"
DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/"
#: Largest serialised batch sent inline; above it the requests go as an uploaded JSONL file. The API refuses
#: inline requests past 20 MB in total; the margin covers the envelope and the SDK's own encoding.
BATCH_INLINE_LIMIT_BYTES = 18_000_000


def env_api_key() -> str | None:
    """The key the SDK would use: ``GOOGLE_API_KEY`` takes precedence over ``GEMINI_API_KEY``."""
    return os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY") or None


def check_base_url(url: str, what: str = "base_url") -> str:
    """Refuse a base URL that cannot work, naming the fix."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(
            f"{what}={url!r} is not a usable URL: it needs a scheme and a host, like "
            f"'https://generativelanguage.googleapis.com' or 'http://127.0.0.1:8080'."
        )
    return url


#: Image options only Vertex AI accepts (``ImageConfig`` fields the SDK refuses with ValueError on the Gemini
#: API, reference sections 1.2 and 8), as :class:`~toolkit.request.Options` field names.
VERTEX_ONLY_OPTIONS = ("person_generation", "prominent_people", "output_mime_type", "output_compression_quality")


def vertex_only_options(options: Options) -> list[str]:
    """The Vertex-only options that are set on ``options``, in :data:`VERTEX_ONLY_OPTIONS` order."""
    return [name for name in VERTEX_ONLY_OPTIONS if getattr(options, name, None) is not None]


def vertex_option_message(name: str) -> str:
    """Why a Vertex-only option is refused, and the fix."""
    return (f"{name} is a Vertex AI option: use Studio(backend='vertex') or leave it unset (the Gemini API, "
            f"OpenRouter, fal and the offline simulator have no such setting).")


def refuse_vertex_options(options: Options, kind: str) -> None:
    """Raise :class:`~toolkit.errors.OptionError` when a Vertex-only option is set on a non-Vertex backend."""
    if kind == "vertex":
        return
    found = vertex_only_options(options)
    if found:
        raise OptionError(vertex_option_message(found[0]))


class StreamInterruptedError(ProviderError):
    """A stream failed after some of its text had been delivered. Never retried: a retry would deliver
    the text again (the callback cannot take it back). Run the call again to get a complete answer."""

    @classmethod
    def after(cls, e: ProviderError) -> StreamInterruptedError:
        # A retryable error's own hint says "it was retried", which is no longer true here.
        hint = ("the answer stopped part-way, after some text had been shown, so it was not retried (a retry "
                "would show the text twice). Run the call again." + (f" {e.hint}" if e.hint and not e.retryable else ""))
        return cls(e.provider, e.code, e.status, f"the stream was interrupted: {e.message}",
                   attempts=e.attempts, retry_after_s=e.retry_after_s, hint=hint)

    @property
    def retryable(self) -> bool:
        return False


class GenerateContentBackend:
    """What the Gemini API and Vertex AI backends share: one google-genai client, requests built the same
    way, replies read from the wire JSON (:func:`parse_response`), and streaming.

    Subclasses build ``self._client`` (a ``genai.Client``) and set ``kind``. Kept separate from
    :class:`GeminiBackend` rather than having Vertex subclass it, because ``isinstance(b, GeminiBackend)``
    means "this backend has the Gemini API's Interactions and Batch endpoints" (:mod:`toolkit.chat`,
    :mod:`toolkit.batch`), which Vertex AI does not offer in the same shape.

    Attributes
    ----------
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
    raw_stream_json: bool = True
    _client: Any
    _types: Any

    # -- request ------------------------------------------------------------------------------------------
    def _contents(self, request: Request) -> list[Any]:
        t = self._types
        contents = []
        for turn in request.turns:
            parts = []
            for p in turn.parts:
                extra: dict[str, Any] = {}
                if p.thought:
                    extra["thought"] = True
                if p.thought_signature:
                    extra["thought_signature"] = p.thought_signature
                if isinstance(p, TextPart):
                    parts.append(t.Part(text=p.text, **extra))
                else:
                    parts.append(t.Part(inline_data=t.Blob(data=p.data, mime_type=p.mime), **extra))
            contents.append(t.Content(role=turn.role, parts=parts))
        return contents

    def _image_config(self, o: Options) -> Any:
        """``ImageConfig`` for the Gemini API: aspect ratio and size only (see :func:`vertex_only_options`)."""
        refuse_vertex_options(o, self.kind)
        if o.aspect_ratio or o.image_size:
            return self._types.ImageConfig(aspect_ratio=o.aspect_ratio, image_size=o.image_size)
        return None

    def _config(self, request: Request, *, raw: bool = True) -> Any:
        o = request.options
        return self._types.GenerateContentConfig(
            response_modalities=["TEXT", "IMAGE"], image_config=self._image_config(o), seed=o.seed,
            temperature=o.temperature, should_return_http_response=True if raw else None,
        )

    def _model_path(self, model: str) -> str:
        """The resource path the SDK builds for a model id (``models/<id>`` on the Gemini API)."""
        return model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"

    def _wire_request(self, request: Request) -> dict[str, Any]:
        return request_json(request)

    def _error(self, e: Exception, model: str | None) -> ProviderError | None:
        """An exception from the SDK -> ProviderError (None: not a provider failure; let it propagate)."""
        return to_provider_error(e, model, provider=self.kind)

    async def generate(self, request: Request) -> Reply:
        contents, config = self._contents(request), self._config(request)
        try:
            response = await self._client.aio.models.generate_content(
                model=request.model, contents=contents, config=config
            )
        except Exception as e:
            mapped = self._error(e, request.model)
            if mapped is None:
                raise
            raise mapped from None
        raw = response.sdk_http_response.body if response.sdk_http_response else None
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            raise ProviderError(self.kind, None, "MALFORMED_RESPONSE",
                                f"the reply was not valid JSON ({len(raw or '')} bytes)") from None
        if not isinstance(body, dict):
            raise ProviderError(self.kind, None, "MALFORMED_RESPONSE", "the reply was not a JSON object")
        return parse_response(body)

    # -- streaming ----------------------------------------------------------------------------------------
    async def generate_stream(self, request: Request, on_text: Callable[[str], None]) -> Reply:
        """Answer one request over ``streamGenerateContent`` (SSE), calling ``on_text`` with each text delta.

        The reply is the same :class:`Reply` as :meth:`generate` gives: the events are merged
        (:func:`merge_stream`) and parsed with :func:`parse_response`. Thought text is not passed to
        ``on_text`` (it is not part of ``Result.text`` either).

        Raises
        ------
        ProviderError
            As :meth:`generate`. A failure after some text was delivered raises
            :class:`StreamInterruptedError`, which is not retried: a retry would deliver the text again.
        """
        delivered = False
        chunks: list[dict[str, Any]] = []
        try:
            async for chunk in self._stream_chunks(request):
                chunks.append(chunk)
                for delta in text_deltas(chunk):
                    delivered = True
                    on_text(delta)
        except ProviderError as e:
            raise (StreamInterruptedError.after(e) if delivered else e) from None
        except Exception as e:
            mapped = self._error(e, request.model)
            if mapped is None:
                raise
            raise (StreamInterruptedError.after(mapped) if delivered else mapped) from None
        if not chunks:
            raise ProviderError(self.kind, None, "MALFORMED_RESPONSE", "the stream ended without any event")
        return parse_response(merge_stream(chunks))

    async def _stream_chunks(self, request: Request) -> AsyncIterator[dict[str, Any]]:
        """Each SSE event of the answer as a wire-JSON dict (see :attr:`raw_stream_json`)."""
        api = getattr(self._client.aio, "_api_client", None)
        streamed = getattr(api, "async_request_streamed", None)
        if self.raw_stream_json and streamed is not None:
            # The same call models.generate_content_stream makes (so auth, base URL, the Vertex project
            # prefix, API version, timeout and mid-stream error events stay the SDK's), with our own wire
            # request: the one the batch JSONL uses, which the SDK would build identically.
            path = f"{self._model_path(request.model)}:streamGenerateContent?alt=sse"
            events = await streamed("post", path, self._wire_request(request), None)
            async for event in events:
                body = json.loads(event.body) if event.body else {}
                if not isinstance(body, dict):
                    raise ProviderError(self.kind, None, "MALFORMED_RESPONSE", "a stream event was not a JSON object")
                yield body
            return
        stream = await self._client.aio.models.generate_content_stream(
            model=request.model, contents=self._contents(request), config=self._config(request, raw=False))
        async for typed in stream:
            yield typed.model_dump(mode="json", by_alias=True, exclude_none=True)

    def list_models(self) -> list[str]:
        """Image-capable model ids the credentials can use (live ``models.list``)."""
        try:
            found = list(self._client.models.list())
        except Exception as e:
            mapped = self._error(e, None)
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
        Per-request timeout (the SDK takes milliseconds; we convert).
    batch_inline_limit_bytes : int
        :meth:`submit_batch` sends a job inline while its serialised requests stay under this size, and as
        an uploaded JSONL file otherwise (default :data:`BATCH_INLINE_LIMIT_BYTES`). Settable.

    Attributes
    ----------
    raw_batch_json : bool
        True (default) reads batch answers as wire JSON (see the module docstring); False uses the SDK's
        typed objects dumped back to JSON, which loses ``finishMessage``.
    """

    kind: ClassVar[str] = "gemini"
    raw_batch_json: bool = True

    def __init__(
        self,
        api_key: str | Secret,
        *,
        base_url: str | None = None,
        api_version: str | None = None,
        timeout_s: float = 180.0,
        batch_inline_limit_bytes: int = BATCH_INLINE_LIMIT_BYTES,
    ) -> None:
        from google import genai
        from google.genai import types

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
        self._client = genai.Client(vertexai=False, api_key=self._key.reveal(), http_options=http)
        self._types = types

    @property
    def description(self) -> str:
        return f"Gemini API at {self.base_url} ({self.api_version or 'SDK default version'})"

    def __repr__(self) -> str:
        return f"GeminiBackend(base_url={self.base_url!r}, api_version={self.api_version!r}, api_key=<redacted>)"

    # -- batch mode -----------------------------------------------------------------------------------------
    async def submit_batch(self, requests: list[Request], display_name: str, *,
                           inline_limit_bytes: int | None = None) -> str:
        """Submit requests of one model as one Batch API job (50% of the standard price); returns its name.

        Each request is keyed by its :attr:`~toolkit.request.Request.key` (``metadata.key`` inline, ``key``
        in JSONL), so the answers map back to cache keys. Inline when the serialised requests are smaller
        than ``inline_limit_bytes`` (default :attr:`batch_inline_limit_bytes`), else a JSONL file uploaded
        with the Files API and named in ``inputConfig.fileName``.

        Raises
        ------
        ValueError
            Requests of several models, duplicate keys, or none.
        ProviderError
            The upload or the job creation failed.
        """
        _check_batch(requests)
        model = requests[0].model
        limit = self.batch_inline_limit_bytes if inline_limit_bytes is None else inline_limit_bytes
        lines = [json.dumps({"key": r.key, "request": request_json(r)}, separators=(",", ":")) for r in requests]
        t = self._types
        config = t.CreateBatchJobConfig(display_name=display_name)
        try:
            if sum(len(line) for line in lines) < limit:
                src: Any = [t.InlinedRequest(contents=self._contents(r), config=self._config(r, raw=False),
                                             metadata={"key": r.key}) for r in requests]
            else:
                data = ("\n".join(lines) + "\n").encode("utf-8")
                uploaded = await self._client.aio.files.upload(
                    file=io.BytesIO(data),
                    config=t.UploadFileConfig(mime_type="application/jsonl", display_name=display_name),
                )
                src = uploaded.name
            job = await self._client.aio.batches.create(model=model, src=src, config=config)
        except Exception as e:
            mapped = to_provider_error(e, model)
            if mapped is None:
                raise
            raise mapped from None
        if not job.name:
            raise ProviderError("gemini", None, "MALFORMED_RESPONSE", "the batch job was created without a name")
        return job.name

    async def poll_batch(self, job_name: str) -> BatchStatus:
        """The job's state; once done, every answer parsed from wire JSON (see the module docstring)."""
        try:
            op = await self._operation(job_name)
            status = _batch_status(job_name, op)
            if status.done:
                output = _get(op.get("metadata"), "output") or op.get("response") or {}
                inlined = _get(_get(output, "inlinedResponses", "inlined_responses"),
                               "inlinedResponses", "inlined_responses")
                file_name = _get(output, "responsesFile", "responses_file")
                model = str(_get(op.get("metadata"), "model") or "").removeprefix("models/") or None
                if inlined:  # in request order; "#n" stands for the n-th request if its key was not echoed
                    for n, entry in enumerate(inlined):
                        key = _get(_get(entry, "metadata") or {}, "key")
                        status.results[str(key) if key is not None else f"#{n}"] = _batch_answer(entry, model)
                elif file_name:
                    data = await self._client.aio.files.download(file=file_name)
                    for line in data.decode("utf-8").splitlines():
                        if line.strip():
                            entry = json.loads(line)
                            if isinstance(entry, dict) and entry.get("key") is not None:
                                status.results[str(entry["key"])] = _batch_answer(entry, model)
        except Exception as e:
            mapped = to_provider_error(e, None)
            if mapped is None:
                raise
            raise mapped from None
        return status

    async def cancel_batch(self, job_name: str) -> None:
        """Ask the Batch API to cancel the job (``batches.cancel``)."""
        try:
            await self._client.aio.batches.cancel(name=job_name)
        except Exception as e:
            mapped = to_provider_error(e, None)
            if mapped is None:
                raise
            raise mapped from None

    async def _operation(self, job_name: str) -> dict[str, Any]:
        """The job's long-running Operation as wire JSON (typed fallback: see the module docstring)."""
        api = getattr(self._client.aio, "_api_client", None)
        request = getattr(api, "async_request", None)
        if self.raw_batch_json and request is not None:
            name = job_name if job_name.startswith("batches/") else f"batches/{job_name}"
            response = await request("get", name, {})
            body = json.loads(response.body) if response.body else {}
            if not isinstance(body, dict):
                raise ProviderError("gemini", None, "MALFORMED_RESPONSE", "the batch job was not a JSON object")
            return body
        job = await self._client.aio.batches.get(name=job_name)
        return _operation_from_typed(job)


# -- response -------------------------------------------------------------------------------------------
# The reply is parsed from the wire JSON (``should_return_http_response=True``), not from the SDK's
# typed response: google-genai 3.3.0 drops ``finishMessage`` (the human-readable refusal) on the Gemini
# API, and we want it. Field names are accepted in camelCase and snake_case.


def _get(d: Any, *names: str) -> Any:
    if not isinstance(d, dict):
        return None
    for n in names:
        if n in d:
            return d[n]
    return None


def _b64(data: str) -> bytes:
    if "-" in data or "_" in data:
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return base64.b64decode(data + "=" * (-len(data) % 4))


def _modality_tokens(details: Any, modality: str) -> int:
    return sum(int(_get(d, "tokenCount", "token_count") or 0) for d in details or []
               if _get(d, "modality") == modality)


def parse_usage(meta: Any) -> dict[str, int]:
    """``usageMetadata`` (wire JSON) -> the toolkit's usage dict."""
    if not isinstance(meta, dict):
        return {}
    return {
        "input_tokens": int(_get(meta, "promptTokenCount", "prompt_token_count") or 0),
        "input_image_tokens": _modality_tokens(_get(meta, "promptTokensDetails", "prompt_tokens_details"), "IMAGE"),
        "output_tokens": int(_get(meta, "candidatesTokenCount", "candidates_token_count") or 0),
        "output_image_tokens": _modality_tokens(
            _get(meta, "candidatesTokensDetails", "candidates_tokens_details"), "IMAGE"),
        "thought_tokens": int(_get(meta, "thoughtsTokenCount", "thoughts_token_count") or 0),
        "cached_tokens": int(_get(meta, "cachedContentTokenCount", "cached_content_token_count") or 0),
    }


def parse_response(body: dict[str, Any]) -> Reply:
    """A ``GenerateContentResponse`` (wire JSON) -> :class:`Reply`.

    The image is the LAST non-thought ``inlineData`` part (thinking models send interim thought images;
    complex prompts sometimes send several); the MIME type is read, never assumed. The model turn keeps
    every part exactly as received, thought signatures included, for replay in a chat.
    """
    usage = parse_usage(_get(body, "usageMetadata", "usage_metadata"))
    response_id = _get(body, "responseId", "response_id")
    model_version = _get(body, "modelVersion", "model_version")
    # Vertex AI reports how the call was billed (usageMetadata.trafficType: ON_DEMAND, PROVISIONED_THROUGHPUT,
    # ...) and when it was served (createTime); the SDK's typed response keeps neither on every path.
    meta = _get(body, "usageMetadata", "usage_metadata") or {}
    extra = {k: v for k, v in (("trafficType", _get(meta, "trafficType", "traffic_type")),
                               ("serviceTier", _get(meta, "serviceTier", "service_tier")),
                               ("createTime", _get(body, "createTime", "create_time"))) if v}
    feedback = _get(body, "promptFeedback", "prompt_feedback") or {}
    block = _get(feedback, "blockReason", "block_reason")
    if block:
        message = _get(feedback, "blockReasonMessage", "block_reason_message")
        return Reply(
            status="blocked", images=[], reason=f"prompt blocked: {block}" + (f": {message}" if message else ""),
            usage=usage, response_id=response_id, model_version=model_version, extra=extra,
        )
    candidates = _get(body, "candidates") or []
    if not candidates:
        return Reply(status="no_image", images=[], reason="the reply had no candidates", usage=usage,
                     response_id=response_id, model_version=model_version, extra=extra)
    cand = candidates[0]
    finish = _get(cand, "finishReason", "finish_reason")
    finish_message = _get(cand, "finishMessage", "finish_message")
    parts = _get(_get(cand, "content") or {}, "parts") or []
    turn_parts: list[TextPart | ImagePart] = []
    texts: list[str] = []
    final: ReplyImage | None = None
    for part in parts:
        thought = bool(_get(part, "thought"))
        sig_text = _get(part, "thoughtSignature", "thought_signature")
        sig = _b64(sig_text) if sig_text else None
        inline = _get(part, "inlineData", "inline_data")
        text = _get(part, "text")
        if inline and _get(inline, "data"):
            mime = _get(inline, "mimeType", "mime_type") or "application/octet-stream"
            data = _b64(_get(inline, "data"))
            image_part = ImagePart.from_bytes(data, mime, thought=thought, thought_signature=sig)
            turn_parts.append(image_part)
            if not thought and mime.startswith("image/"):
                final = ReplyImage(data, mime, image_part.sha256)
        elif text is not None:
            turn_parts.append(TextPart(text, thought=thought, thought_signature=sig))
            if not thought:
                texts.append(text)
    images = [final] if final else []
    status = classify(finish, None, bool(images))
    reason = None
    if finish and finish != "STOP":
        reason = finish + (f": {finish_message}" if finish_message else "")
    elif not images:
        reason = "the model answered with text only" if texts else "the reply had no image"
    return Reply(
        status=status, images=images, text="".join(texts), reason=reason, usage=usage,
        response_id=response_id, model_version=model_version,
        model_turn=Turn("model", tuple(turn_parts)) if turn_parts else None, extra=extra,
    )


def text_deltas(chunk: dict[str, Any]) -> list[str]:
    """The non-thought text parts of one stream event (``candidates[0]``), in order."""
    candidates = _get(chunk, "candidates") or []
    if not candidates or not isinstance(candidates[0], dict):
        return []
    parts = _get(_get(candidates[0], "content") or {}, "parts") or []
    return [t for p in parts if isinstance(p, dict) and not _get(p, "thought")
            and isinstance(t := _get(p, "text"), str) and t]


def merge_stream(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """The events of one streamed answer -> one ``GenerateContentResponse``, as ``generateContent`` returns it.

    Parts are appended in order, with consecutive non-thought text deltas joined into one part (the
    first delta carries the thought signature, as the whole part does in a non-streamed answer), so a
    streamed Result has the same text and model turn as a non-streamed one. Everything else is taken
    from the last event that has it: ``usageMetadata`` is cumulative and complete only at the end,
    ``finishReason`` / ``finishMessage`` arrive with the final event, ``promptFeedback`` with the first.
    """
    merged: dict[str, Any] = {}
    parts: list[dict[str, Any]] = []
    candidate: dict[str, Any] = {}
    for chunk in chunks:
        for key, value in chunk.items():
            if key != "candidates":
                merged[key] = value
        candidates = chunk.get("candidates") or []
        if not candidates or not isinstance(candidates[0], dict):
            continue
        for key, value in candidates[0].items():
            if key != "content":
                candidate[key] = value
        for part in _get(candidates[0].get("content") or {}, "parts") or []:
            if not isinstance(part, dict):
                continue
            prev = parts[-1] if parts else None
            joinable = (prev is not None and isinstance(prev.get("text"), str) and not prev.get("thought")
                        and isinstance(part.get("text"), str) and not part.get("thought")
                        and not _get(part, "thoughtSignature", "thought_signature"))
            if joinable:
                parts[-1] = {**prev, "text": prev["text"] + part["text"]}
            else:
                parts.append(dict(part))
    if parts or candidate:
        merged["candidates"] = [{**candidate, "content": {"role": "model", "parts": parts}}]
    return merged


# -- batch ----------------------------------------------------------------------------------------------
def request_json(request: Request, *, vertex: bool = False) -> dict[str, Any]:
    """A request as the wire ``GenerateContentRequest`` (camelCase, standard base64), as in a batch JSONL line.

    The same contents and generation config the SDK sends for :meth:`GeminiBackend.generate`. With
    ``vertex=True`` the Vertex-only image options go in ``imageConfig`` as the SDK's
    ``_ImageConfig_to_vertex`` puts them (``personGeneration``, ``prominentPeople``,
    ``imageOutputOptions{mimeType, compressionQuality}``); without it they raise
    :class:`~toolkit.errors.OptionError`, as the SDK refuses them on the Gemini API.
    """
    if not vertex:
        refuse_vertex_options(request.options, "gemini")
    contents = []
    for turn in request.turns:
        parts: list[dict[str, Any]] = []
        for p in turn.parts:
            if isinstance(p, TextPart):
                d: dict[str, Any] = {"text": p.text}
            else:
                d = {"inlineData": {"mimeType": p.mime, "data": base64.b64encode(p.data).decode("ascii")}}
            if p.thought:
                d["thought"] = True
            if p.thought_signature:
                d["thoughtSignature"] = base64.b64encode(p.thought_signature).decode("ascii")
            parts.append(d)
        contents.append({"role": turn.role, "parts": parts})
    o = request.options
    gen: dict[str, Any] = {"responseModalities": ["TEXT", "IMAGE"]}
    image: dict[str, Any] = {k: v for k, v in (("aspectRatio", o.aspect_ratio), ("imageSize", o.image_size)) if v}
    if vertex:
        image.update({k: v for k, v in (("personGeneration", o.person_generation),
                                        ("prominentPeople", o.prominent_people)) if v is not None})
        output = {k: v for k, v in (("mimeType", o.output_mime_type),
                                    ("compressionQuality", o.output_compression_quality)) if v is not None}
        if output:
            image["imageOutputOptions"] = output
    if image:
        gen["imageConfig"] = image
    if o.seed is not None:
        gen["seed"] = o.seed
    if o.temperature is not None:
        gen["temperature"] = o.temperature
    return {"contents": contents, "generationConfig": gen}


def _check_batch(requests: list[Request]) -> None:
    if not requests:
        raise ValueError("A batch job needs at least one request.")
    models = {r.model for r in requests}
    if len(models) > 1:
        raise ValueError(f"A batch job runs one model (the Batch API is per model); got {sorted(models)}.")
    keys = [r.key for r in requests]
    if len(set(keys)) != len(keys):
        raise ValueError("A batch job's requests must have distinct keys (send each identical request once).")


def job_state(state: Any) -> str:
    """``BATCH_STATE_X`` (Gemini API) or ``JOB_STATE_X`` (SDK) -> ``JOB_STATE_X``, as google-genai maps it."""
    name = str(getattr(state, "name", state) or "JOB_STATE_UNSPECIFIED")
    return "JOB_STATE_" + name.removeprefix("BATCH_STATE_") if name.startswith("BATCH_STATE_") else name


def _timestamp(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    head, dot, tail = text.partition(".")
    if dot:  # RFC 3339 allows nanoseconds; fromisoformat takes at most microseconds
        digits = len(tail) - len(tail.lstrip("0123456789"))
        tail = tail[:min(digits, 6)] + tail[digits:]
        text = f"{head}.{tail}"
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _batch_status(job_name: str, op: dict[str, Any]) -> BatchStatus:
    meta = op.get("metadata") or {}
    state = job_state(_get(meta, "state"))
    done = bool(op.get("done")) or state in TERMINAL_JOB_STATES
    message = scrub(str(_get(op.get("error"), "message") or "")) or None  # a FAILED job's google.rpc.Status
    start, end = _timestamp(_get(meta, "createTime", "create_time")), _timestamp(_get(meta, "endTime", "end_time"))
    elapsed = (end - start).total_seconds() if start and end else None
    return BatchStatus(name=str(op.get("name") or job_name), state=state, done=done, error=message,
                       elapsed_s=elapsed)


# google.rpc.Code numbers (what a google.rpc.Status inside an Operation carries) -> (name, HTTP code).
_RPC_CODES = {
    1: ("CANCELLED", 499), 2: ("UNKNOWN", 500), 3: ("INVALID_ARGUMENT", 400), 4: ("DEADLINE_EXCEEDED", 504),
    5: ("NOT_FOUND", 404), 7: ("PERMISSION_DENIED", 403), 8: ("RESOURCE_EXHAUSTED", 429),
    9: ("FAILED_PRECONDITION", 400), 13: ("INTERNAL", 500), 14: ("UNAVAILABLE", 503), 16: ("UNAUTHENTICATED", 401),
}


def _batch_answer(entry: dict[str, Any], model: str | None) -> Reply | ProviderError:
    """One ``{"response"}`` / ``{"error"}`` entry of a batch's output -> Reply or ProviderError."""
    response = _get(entry, "response")
    if isinstance(response, dict):
        return parse_response(response)
    err = _get(entry, "error") if isinstance(_get(entry, "error"), dict) else {}
    try:
        code: int | None = int(err.get("code")) if err.get("code") is not None else None
    except (TypeError, ValueError):
        code = None
    status = err.get("status")
    if code is not None and code < 100:  # a google.rpc.Code number rather than an HTTP status
        status = status or _RPC_CODES.get(code, ("UNKNOWN", 500))[0]
        code = _RPC_CODES.get(code, ("UNKNOWN", 500))[1]
    message = scrub(str(err.get("message") or "")) or "the batch returned neither a response nor an error"
    if code in (429, 500, 502, 503, 504):
        hint = ("this request failed inside the batch job and was not retried; run the study again to send only "
                "the cells that failed (the others replay from the cache).")
    else:
        hint = _hint(code, status, message, model)
    return ProviderError("gemini", code, status, message, hint=hint)


def _operation_from_typed(job: Any) -> dict[str, Any]:
    """The typed ``BatchJob`` back to the Operation's wire shape (the fallback; loses ``finishMessage``)."""

    def dump(obj: Any) -> Any:
        return obj.model_dump(mode="json", by_alias=True, exclude_none=True) if obj is not None else None

    state = job_state(job.state)
    meta: dict[str, Any] = {"state": state, "model": job.model,
                            "createTime": job.create_time.isoformat() if job.create_time else None,
                            "endTime": job.end_time.isoformat() if job.end_time else None}
    dest = job.dest
    if dest is not None and dest.inlined_responses is not None:
        entries = []
        for r in dest.inlined_responses:
            entry: dict[str, Any] = {"metadata": r.metadata or {}}
            if r.response is not None:
                entry["response"] = dump(r.response)
            else:
                entry["error"] = dump(r.error) or {}
            entries.append(entry)
        meta["output"] = {"inlinedResponses": {"inlinedResponses": entries}}
    elif dest is not None and dest.file_name:
        meta["output"] = {"responsesFile": dest.file_name}
    op: dict[str, Any] = {"name": job.name, "metadata": meta, "done": state in TERMINAL_JOB_STATES}
    if job.error is not None:
        op["error"] = dump(job.error)
    return op


# -- errors ---------------------------------------------------------------------------------------------
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def retry_delay_s(body: Any) -> float | None:
    """The ``google.rpc.RetryInfo.retryDelay`` of an error body, in seconds (``"56s"``, ``"2.500s"``)."""
    try:
        details = body["error"]["details"]
    except (KeyError, TypeError):
        return None
    for d in details or []:
        if isinstance(d, dict) and str(d.get("@type", "")).endswith("google.rpc.RetryInfo"):
            m = _DURATION.match(str(d.get("retryDelay", "")))
            if m:
                return float(m.group(1))
    return None


def _hint(code: int | None, status: str | None, message: str, model: str | None) -> str | None:
    if code == 404:
        info = registry.lookup(model) if model else None
        extra = ""
        if info is not None and info.successor:
            extra = f" {info.id} was listed to shut down on {info.shutdown}; use {info.successor!r}."
        return (f"the model id is not available on this API/version.{extra} studio.models() lists the image "
                f"models your key can use.")
    if code == 429:
        return ("you hit a rate limit or quota (free-tier quota for image models is often 0). Enable billing, "
                "slow down, or use batch mode for volume.")
    if code == 400 and "API key" in message:
        return "check the key in GEMINI_API_KEY / GOOGLE_API_KEY (create one at https://aistudio.google.com/apikey)."
    if code == 403:
        return "the key has no access to this model or API; check the project and its API restrictions."
    if code in (500, 503, 504):
        return "the service is overloaded or timed out; it was retried. Try again later or use a lighter model."
    if code is None:
        return "check the network, the base_url and the timeout (Studio(timeout_s=...))."
    if code == 400:
        return ("the provider refused the request as invalid (not retried). Check the options against "
                "tk.models_table() and the message above; a chat rebuilt by hand may miss thought signatures.")
    return f"see the provider's message above; HTTP {code} is {'retried' if code in (408, 429) else 'not retried'}."


def _transport_errors() -> tuple[type[BaseException], ...]:
    kinds: list[type[BaseException]] = [TimeoutError, ConnectionError]
    for mod, names in (("httpx2", ("TransportError", "TimeoutException")), ("httpx", ("TransportError",)),
                       ("aiohttp", ("ClientError",))):
        try:
            module = __import__(mod)
        except ImportError:
            continue
        kinds += [getattr(module, n) for n in names if hasattr(module, n)]
    return tuple(kinds)


def to_provider_error(e: Exception, model: str | None, *, provider: str = "gemini",
                      hint: Callable[[int | None, str | None, str, str | None], str | None] | None = None,
                      ) -> ProviderError | None:
    """An exception from the SDK call -> a ProviderError with a clear message (and no secret).

    None for exceptions that are not provider or transport failures (programming errors propagate).
    ``provider`` names the backend in the message (``"gemini"``, ``"vertex"``); ``hint(code, status,
    message, model)`` writes the ``Fix:`` line (default: the Gemini API's).
    """
    hint = hint or _hint
    from google.genai import errors as genai_errors

    if isinstance(e, genai_errors.APIError):
        body = e.details if isinstance(e.details, dict) else {}
        err = body.get("error") if isinstance(body.get("error"), dict) else body
        message = scrub(str(err.get("message") or e.message or "")) or "(no message)"
        status = e.status or err.get("status")
        cls = ModelNotFoundError if e.code == 404 else ProviderError
        return cls(
            provider, e.code, status, message, retry_after_s=retry_delay_s(body) if e.code == 429 else None,
            hint=hint(e.code, status, message, model),
        )
    if isinstance(e, genai_errors.UnknownApiResponseError) or e.__class__.__name__ in (
        "JSONDecodeError", "ValidationError"
    ):
        return ProviderError(provider, None, "MALFORMED_RESPONSE",
                             f"the reply could not be parsed: {scrub(str(e))[:300]}", hint=None)
    if isinstance(e, _transport_errors()):
        name = type(e).__name__
        text = scrub(str(e)) or name
        return ProviderError(provider, None, name, text, hint=hint(None, None, text, model))
    return None
