"""The Gemini API backend, over the official google-genai SDK (``client.aio.models.generate_content``).

API version: google-genai 3.x sends ``/v1/...`` by default, while Google's image-generation docs and
every REST example use ``v1beta``, and a ``responseModalities`` rejection has been reported on ``v1``
(reference section 0, items 1-2). We send ``v1beta`` unless ``GOOGLE_GENAI_API_VERSION`` or
``api_version=`` says otherwise.

Retries are ours, not the SDK's (its default is one attempt, and it ignores ``RetryInfo``): the SDK is
built with no retry options and :func:`toolkit.runner.with_retries` decides, honouring the server's
``retryDelay`` on 429.
"""

from __future__ import annotations

import base64
import json
import os
import re
from typing import Any, ClassVar
from urllib.parse import urlparse

from .. import registry
from ..errors import ConfigError, ModelNotFoundError, ProviderError
from ..request import ImagePart, Request, TextPart, Turn
from ..secrets import Secret, scrub
from .base import Reply, ReplyImage, classify

DEFAULT_API_VERSION = "v1beta"
DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/"


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


class GeminiBackend:
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
    """

    kind: ClassVar[str] = "gemini"
    spends_money: ClassVar[bool] = True

    def __init__(
        self,
        api_key: str | Secret,
        *,
        base_url: str | None = None,
        api_version: str | None = None,
        timeout_s: float = 180.0,
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
        http = types.HttpOptions(base_url=base_url, api_version=api_version, timeout=int(timeout_s * 1000))
        self._client = genai.Client(api_key=self._key.reveal(), http_options=http)
        self._types = types

    @property
    def description(self) -> str:
        return f"Gemini API at {self.base_url} ({self.api_version or 'SDK default version'})"

    def __repr__(self) -> str:
        return f"GeminiBackend(base_url={self.base_url!r}, api_version={self.api_version!r}, api_key=<redacted>)"

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

    def _config(self, request: Request) -> Any:
        t = self._types
        o = request.options
        image_config = None
        if o.aspect_ratio or o.image_size:
            image_config = t.ImageConfig(aspect_ratio=o.aspect_ratio, image_size=o.image_size)
        return t.GenerateContentConfig(
            response_modalities=["TEXT", "IMAGE"], image_config=image_config, seed=o.seed,
            temperature=o.temperature, should_return_http_response=True,
        )

    async def generate(self, request: Request) -> Reply:
        contents, config = self._contents(request), self._config(request)
        try:
            response = await self._client.aio.models.generate_content(
                model=request.model, contents=contents, config=config
            )
        except Exception as e:
            mapped = to_provider_error(e, request.model)
            if mapped is None:
                raise
            raise mapped from None
        raw = response.sdk_http_response.body if response.sdk_http_response else None
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            raise ProviderError("gemini", None, "MALFORMED_RESPONSE",
                                f"the reply was not valid JSON ({len(raw or '')} bytes)") from None
        if not isinstance(body, dict):
            raise ProviderError("gemini", None, "MALFORMED_RESPONSE", "the reply was not a JSON object")
        return parse_response(body)

    def list_models(self) -> list[str]:
        """Image-capable model ids the key can use (live ``models.list``)."""
        try:
            found = list(self._client.models.list())
        except Exception as e:
            mapped = to_provider_error(e, None)
            if mapped is None:
                raise
            raise mapped from None
        ids = []
        for m in found:
            name = (m.name or "").removeprefix("models/")
            actions = getattr(m, "supported_actions", None) or []
            if "image" in name and (not actions or "generateContent" in actions):
                ids.append(name)
        return ids


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
    extra = {k: v for k, v in (("trafficType", _get(_get(body, "usageMetadata") or {}, "trafficType")),
                               ("serviceTier", _get(_get(body, "usageMetadata") or {}, "serviceTier"))) if v}
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


def to_provider_error(e: Exception, model: str | None) -> ProviderError | None:
    """An exception from the SDK call -> a ProviderError with a clear message (and no secret).

    None for exceptions that are not provider or transport failures (programming errors propagate).
    """
    from google.genai import errors as genai_errors

    if isinstance(e, genai_errors.APIError):
        body = e.details if isinstance(e.details, dict) else {}
        err = body.get("error") if isinstance(body.get("error"), dict) else body
        message = scrub(str(err.get("message") or e.message or "")) or "(no message)"
        status = e.status or err.get("status")
        cls = ModelNotFoundError if e.code == 404 else ProviderError
        return cls(
            "gemini", e.code, status, message, retry_after_s=retry_delay_s(body) if e.code == 429 else None,
            hint=_hint(e.code, status, message, model),
        )
    if isinstance(e, genai_errors.UnknownApiResponseError) or e.__class__.__name__ in (
        "JSONDecodeError", "ValidationError"
    ):
        return ProviderError("gemini", None, "MALFORMED_RESPONSE",
                             f"the reply could not be parsed: {scrub(str(e))[:300]}", hint=None)
    if isinstance(e, _transport_errors()):
        name = type(e).__name__
        text = scrub(str(e)) or name
        return ProviderError("gemini", None, name, text, hint=_hint(None, None, text, model))
    return None
