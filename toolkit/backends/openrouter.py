"""The OpenRouter backend: Gemini image models through OpenRouter's chat-completions API.

``POST {base_url}/chat/completions`` with ``modalities: ["image", "text"]`` and ``image_config``
(``aspect_ratio``, ``image_size``); images come back as data URLs in ``choices[0].message.images[]``
(https://openrouter.ai/docs/guides/overview/multimodal/image-generation) and the money spent in
``usage.cost`` (https://openrouter.ai/docs/use-cases/usage-accounting). Error bodies and status codes (402:
out of credits; an error after the answer started comes inside a 200 body): https://openrouter.ai/docs/api/errors.

Client: the official ``openai`` package, ``AsyncOpenAI(base_url=..., max_retries=0)``, rather than plain
httpx. OpenRouter's endpoint is OpenAI's wire format, so the client gives us connection pooling,
timeouts, typed status errors (``APIStatusError`` with the parsed error body, ``APIConnectionError``,
``APITimeoutError``) and proxy/TLS handling for free, and users who already know it can reuse their
knowledge (``http_client=``, logging). OpenRouter's own fields (``modalities``, ``image_config``,
``message.images``, ``usage.cost``, ``native_finish_reason``) are not in OpenAI's types: they are sent
through ``extra_body`` and the reply is read from the raw JSON (``with_raw_response``), so nothing
depends on how a given ``openai`` release models unknown fields. ``max_retries=0`` makes the Studio's
:class:`~toolkit.runner.RetryPolicy` the only retry loop (the client's own would double it and ignore
our rate limiter).

Base URL: ``base_url=`` first, else ``OPENROUTER_BASE_URL``, else ``https://openrouter.ai/api/v1`` (the
URL ``/chat/completions`` is appended to). ``OPENAI_BASE_URL`` is deliberately ignored: it belongs to
OpenAI and would silently send OpenRouter traffic (and the OpenRouter key) elsewhere. For the same reason
``OPENAI_ORG_ID`` / ``OPENAI_PROJECT_ID`` headers are not sent.

Chat history: user turns are sent as text and ``image_url`` data-URL parts; model turns are replayed as
OpenRouter returned them: ``content`` (the text), ``images`` (the data URLs) and ``reasoning_details``
(the encrypted Gemini thought signatures OpenRouter returns for thinking models, which Gemini 3 needs
to continue an image edit). ``reasoning_details`` rides in the model turn as the first part's
``thought_signature`` (prefixed with :data:`REASONING_PREFIX`), so it is cached and replayed with the
turn like a Gemini signature.
"""

from __future__ import annotations

import base64
import binascii
import http
import json
import os
from typing import Any, ClassVar, NoReturn

from .. import registry
from ..errors import ConfigError, MalformedReplyError, ModelNotFoundError, ProviderError
from ..request import ImagePart, Request, TextPart, Turn
from ..secrets import Secret, scrub
from .base import Reply, ReplyImage, check_encoded_size, classify
from .gemini import check_base_url

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
ENV_KEY = "OPENROUTER_API_KEY"
ENV_BASE_URL = "OPENROUTER_BASE_URL"
APP_TITLE = "Flash Image Toolkit"
#: Marks a model turn's first ``thought_signature`` as OpenRouter ``reasoning_details`` JSON.
REASONING_PREFIX = b"openrouter.reasoning_details:"

# OpenRouter's finish_reason values -> the Gemini vocabulary classify() understands.
_FINISH = {"stop": "STOP", "length": "MAX_TOKENS", "content_filter": "SAFETY", "tool_calls": "STOP"}
_STATUS_NAMES = {402: "INSUFFICIENT_CREDITS", 524: "UPSTREAM_TIMEOUT", 529: "PROVIDER_OVERLOADED"}


def env_api_key() -> str | None:
    """``OPENROUTER_API_KEY`` from the environment, or None."""
    return os.environ.get(ENV_KEY) or None


def openrouter_model(model_id: str) -> str:
    """The OpenRouter slug for a toolkit model id: the registry's ``openrouter_id``, else ``google/<id>``.

    >>> openrouter_model("gemini-3.1-flash-image")
    'google/gemini-3.1-flash-image'
    """
    info = registry.lookup(model_id)
    if info is not None and info.openrouter_id:
        return info.openrouter_id
    bare = info.id if info is not None else model_id.strip().removeprefix("models/")
    return bare if "/" in bare else f"google/{bare}"


async def completion_json(client: Any, model: str, wire_model: str, messages: Any, **kwargs: Any) -> dict[str, Any]:
    """One chat completion through the ``openai`` client (``with_raw_response``) -> the reply's JSON object.

    An SDK exception becomes a :class:`~toolkit.errors.ProviderError` (``model`` names it); a body that is not a
    JSON object is a :class:`~toolkit.errors.MalformedReplyError`.
    """
    try:
        raw = await client.chat.completions.with_raw_response.create(model=wire_model, messages=messages, **kwargs)
        content = raw.content
    except Exception as e:
        mapped = to_provider_error(e, model)
        if mapped is None:
            raise
        raise mapped from None
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise MalformedReplyError("openrouter", f"the reply was not valid JSON ({len(content)} bytes)") from None
    if not isinstance(body, dict):
        raise MalformedReplyError("openrouter", "the reply was not a JSON object")
    return body


class OpenRouterBackend:
    """Calls Gemini image models through OpenRouter.

    Parameters
    ----------
    api_key : str or Secret, optional
        Default ``OPENROUTER_API_KEY``. Held in a :class:`~toolkit.secrets.Secret`: never written or shown.
    base_url : str, optional
        Where ``/chat/completions`` is appended: a gateway, a proxy or
        :class:`~toolkit.fakes.FakeOpenRouterServer`. Default ``OPENROUTER_BASE_URL``, else
        ``https://openrouter.ai/api/v1``.
    timeout_s : float
        Per-request timeout.
    app_title : str
        Sent as OpenRouter's optional ``X-Title`` attribution header.

    Notes
    -----
    ``Reply.extra["cost_usd"]`` is OpenRouter's ``usage.cost`` (plus ``cost_details.upstream_inference_cost``
    for bring-your-own-key calls, which the upstream provider bills separately); the Studio records it as
    the money spent, beside its own list-price estimate from the token usage.
    """

    kind: ClassVar[str] = "openrouter"
    spends_money: ClassVar[bool] = True

    def __init__(self, api_key: str | Secret | None = None, *, base_url: str | None = None,
                 timeout_s: float = 150.0, app_title: str = APP_TITLE) -> None:
        import openai

        if api_key is None:
            api_key = env_api_key()
        self._key = api_key if isinstance(api_key, Secret) else Secret(api_key or "")
        if not self._key:
            raise ConfigError(
                f"backend='openrouter' needs an OpenRouter API key: set {ENV_KEY} in the environment, or pass "
                f"api_key=... (keys: https://openrouter.ai/settings/keys)."
            )
        env_url = os.environ.get(ENV_BASE_URL)
        if base_url is not None:
            check_base_url(base_url)
        elif env_url:
            check_base_url(env_url, ENV_BASE_URL)
        self.base_url = (base_url or env_url or DEFAULT_BASE_URL).rstrip("/")
        self.timeout_s = float(timeout_s)
        self._headers = {"X-Title": app_title}
        self._client = openai.AsyncOpenAI(
            api_key=self._key.reveal(), base_url=self.base_url, max_retries=0, timeout=self.timeout_s,
            default_headers=self._headers,
        )
        _forget_openai_identity(self._client)
        self._sync_client: Any = None

    @property
    def description(self) -> str:
        return f"OpenRouter at {self.base_url} (openai client)"

    @property
    def client(self) -> Any:
        """The ``openai.AsyncOpenAI`` client (``max_retries=0``) every call goes through, the judge's too."""
        return self._client

    def __repr__(self) -> str:
        return f"OpenRouterBackend(base_url={self.base_url!r}, api_key=<redacted>)"

    # -- request ------------------------------------------------------------------------------------------
    def messages(self, request: Request) -> list[dict[str, Any]]:
        """The chat messages for a request (see the module docstring for what is replayed)."""
        out: list[dict[str, Any]] = []
        for turn in request.turns:
            if turn.role == "user":
                content: list[dict[str, Any]] = []
                for p in turn.parts:
                    if p.thought:
                        continue
                    if isinstance(p, TextPart):
                        content.append({"type": "text", "text": p.text})
                    else:
                        content.append({"type": "image_url", "image_url": {"url": _data_url(p)}})
                out.append({"role": "user", "content": content})
                continue
            msg: dict[str, Any] = {"role": "assistant", "content": turn.text}
            if turn.images:
                msg["images"] = [{"type": "image_url", "image_url": {"url": _data_url(p)}} for p in turn.images]
            details = reasoning_details(turn)
            if details is not None:
                msg["reasoning_details"] = details
            out.append(msg)
        return out

    def extra_body(self, request: Request) -> dict[str, Any]:
        """OpenRouter's own request fields (sent through the client's ``extra_body``)."""
        body: dict[str, Any] = {"modalities": ["image", "text"],
                                # Cost is "always included" now; the flag is harmless and makes older
                                # deployments and OpenRouter-compatible gateways report it too.
                                "usage": {"include": True}}
        o = request.options
        config = {k: v for k, v in (("aspect_ratio", o.aspect_ratio), ("image_size", o.image_size)) if v}
        if config:
            body["image_config"] = config
        return body

    async def generate(self, request: Request) -> Reply:
        info = registry.resolve(request.model, warn=False)
        kwargs: dict[str, Any] = {}
        if request.options.seed is not None:
            kwargs["seed"] = request.options.seed
        if request.options.temperature is not None:
            kwargs["temperature"] = request.options.temperature
        body = await completion_json(self._client, request.model, openrouter_model(request.model),
                                     self.messages(request), extra_body=self.extra_body(request), **kwargs)
        return parse_completion(body, info, request.options.image_size)

    def list_models(self) -> list[str]:
        """Image-output Google models OpenRouter lists (live ``GET /models``), as toolkit ids."""
        import openai

        if self._sync_client is None:
            self._sync_client = openai.OpenAI(api_key=self._key.reveal(), base_url=self.base_url, max_retries=0,
                                              timeout=self.timeout_s, default_headers=self._headers)
            _forget_openai_identity(self._sync_client)
        try:
            body = json.loads(self._sync_client.models.with_raw_response.list().content)
        except Exception as e:
            mapped = to_provider_error(e, None)
            if mapped is None:
                raise
            raise mapped from None
        ids = []
        for m in body.get("data") or [] if isinstance(body, dict) else []:
            slug = str(m.get("id", ""))
            outputs = (m.get("architecture") or {}).get("output_modalities") or []
            if slug.startswith("google/") and "image" in outputs:
                info = registry.lookup(slug)
                ids.append(info.id if info is not None and info.openrouter_id == slug else slug.removeprefix("google/"))
        return ids


def _forget_openai_identity(client: Any) -> None:
    # The client picks OPENAI_ORG_ID / OPENAI_PROJECT_ID up from the environment and would send them as
    # headers; they identify an OpenAI account and have no business going to OpenRouter.
    client.organization = None
    client.project = None


def _data_url(part: ImagePart) -> str:
    return f"data:{part.mime};base64,{base64.b64encode(part.data).decode('ascii')}"


def reasoning_details(turn: Turn) -> list[Any] | None:
    """The ``reasoning_details`` a model turn carries (see the module docstring), or None."""
    if not turn.parts:
        return None
    sig = turn.parts[0].thought_signature
    if not sig or not sig.startswith(REASONING_PREFIX):
        return None
    try:
        details = json.loads(sig[len(REASONING_PREFIX):])
    except ValueError:
        return None
    return details if isinstance(details, list) else None


# -- response -------------------------------------------------------------------------------------------
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"))


def sniff_mime(data: bytes, declared: str | None) -> str:
    """The image type from the bytes' magic number; the declared type when unknown."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return declared or "application/octet-stream"


def decode_data_url(url: str) -> tuple[bytes, str]:
    """``data:<mime>;base64,<data>`` -> (bytes, mime as sniffed from the bytes)."""
    if not url.startswith("data:") or "," not in url:
        raise ValueError(f"not a data URL: {url[:40]!r}")
    head, _, data = url.partition(",")
    declared = head[5:].split(";")[0] or None
    if ";base64" not in head:
        raise ValueError("the data URL is not base64-encoded")
    try:
        raw = base64.b64decode(data + "=" * (-len(data) % 4), validate=False)
    except (binascii.Error, ValueError):
        raise ValueError("the data URL is not valid base64") from None
    return raw, sniff_mime(raw, declared)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def parse_usage(usage: Any, info: registry.ModelInfo, image_size: str | None, n_images: int) -> dict[str, int]:
    """OpenRouter ``usage`` -> the toolkit's usage dict.

    ``completion_tokens`` includes the reasoning tokens (OpenAI's convention), so output tokens are
    ``completion_tokens - reasoning_tokens``. ``completion_tokens_details.image_tokens`` is optional in
    OpenRouter's schema; without it the registry's tokens per image at this size are used.
    """
    if not isinstance(usage, dict):
        return {}
    completion = usage.get("completion_tokens_details") or {}
    prompt = usage.get("prompt_tokens_details") or {}
    reasoning = _int(completion.get("reasoning_tokens"))
    output = max(0, _int(usage.get("completion_tokens")) - reasoning)
    if completion.get("image_tokens") is not None:
        image_out = _int(completion.get("image_tokens"))
    else:
        image_out = min(output, info.output_image_tokens(image_size) * n_images if n_images else 0)
    return {
        "input_tokens": _int(usage.get("prompt_tokens")),
        "input_image_tokens": _int(prompt.get("image_tokens")),
        "output_tokens": output,
        "output_image_tokens": image_out,
        "thought_tokens": reasoning,
        "cached_tokens": _int(prompt.get("cached_tokens")),
    }


def _cost(usage: Any) -> float | None:
    if not isinstance(usage, dict) or not isinstance(usage.get("cost"), int | float):
        return None
    cost = float(usage["cost"])
    upstream = (usage.get("cost_details") or {}).get("upstream_inference_cost")
    if usage.get("is_byok") and isinstance(upstream, int | float):
        cost += float(upstream)  # BYOK: OpenRouter bills its fee, the provider bills the inference
    return round(cost, 10)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _raise_body_error(err: Any) -> NoReturn:
    if not isinstance(err, dict):
        err = {"message": str(err)}
    code = _int(err.get("code")) or None
    message = scrub(str(err.get("message") or "(no message)")) or "(no message)"
    meta = err.get("metadata") or {}
    if isinstance(meta, dict) and meta.get("provider_name"):
        message += f" (provider: {meta['provider_name']})"
    # OpenRouter reports a failure that happens after the response started inside a 200 body; with no
    # usable code it is treated as a transport-level failure, which the Studio retries.
    raise ProviderError("openrouter", code if code and 400 <= code <= 599 else None,
                        _status_name(code) if code else "UPSTREAM_ERROR", message,
                        hint=_hint(code, message, None))


def parse_completion(body: dict[str, Any], info: registry.ModelInfo, image_size: str | None = None) -> Reply:
    """A chat-completion reply (wire JSON) -> :class:`Reply`."""
    choices = body.get("choices") or []
    if body.get("error") and not choices:
        _raise_body_error(body["error"])
    response_id, model_version = body.get("id"), body.get("model")
    if not choices or not isinstance(choices[0], dict):
        usage = parse_usage(body.get("usage"), info, image_size, 0)
        return Reply(status="no_image", images=[], reason="the reply had no choices", usage=usage,
                     response_id=response_id, model_version=model_version, extra=_extra(body))
    choice = choices[0]
    if choice.get("error") or choice.get("finish_reason") == "error":
        _raise_body_error(choice.get("error") or {"message": "the provider failed while generating"})
    message = choice.get("message") or {}
    text = _text(message.get("content"))
    images: list[ReplyImage] = []
    parts: list[TextPart | ImagePart] = [TextPart(text)] if text else []
    encoded_chars = 0
    for item in message.get("images") or []:
        url = (item.get("image_url") or {}).get("url") if isinstance(item, dict) else None
        if not isinstance(url, str):
            continue
        encoded_chars += len(url)
        check_encoded_size(encoded_chars, "openrouter")  # before decoding: a reply has a size cap
        try:
            data, mime = decode_data_url(url)
        except ValueError as e:
            raise MalformedReplyError("openrouter", f"an image could not be decoded: {e}") from None
        part = ImagePart.from_bytes(data, mime)
        parts.append(part)
        images.append(ReplyImage(data, mime, part.sha256))
    details = message.get("reasoning_details")
    if details and parts:
        sig = REASONING_PREFIX + json.dumps(details, separators=(",", ":")).encode()
        first = parts[0]
        if isinstance(first, TextPart):
            parts[0] = TextPart(first.text, first.thought, sig)
        else:
            parts[0] = ImagePart(first.data, first.mime, first.sha256, first.thought, sig)
    finish = str(choice.get("finish_reason") or "")
    native = str(choice.get("native_finish_reason") or "")
    reason_code = native.upper() or _FINISH.get(finish, finish.upper())
    status = classify(reason_code, None, bool(images))
    if finish == "content_filter" and status != "blocked":
        status = "blocked"  # OpenRouter's own filter, whatever the provider said
    reason = None
    if status == "blocked":
        reason = native or finish
        if text:
            reason += f": {text}"
    elif reason_code not in ("", "STOP"):
        reason = native or finish
    elif not images:
        reason = "the model answered with text only" if text else "the reply had no image"
    usage = parse_usage(body.get("usage"), info, image_size, len(images))
    return Reply(
        status=status, images=images, text=text, reason=reason, usage=usage, response_id=response_id,
        model_version=model_version, model_turn=Turn("model", tuple(parts)) if parts else None,
        extra=_extra(body, native_finish_reason=native or None),
    )


def _extra(body: dict[str, Any], **more: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    cost = _cost(body.get("usage"))
    if cost is not None:
        extra["cost_usd"] = cost
        extra["cost_source"] = "openrouter usage.cost"
    if body.get("provider"):
        extra["provider"] = body["provider"]
    extra.update({k: v for k, v in more.items() if v is not None})
    return extra


# -- errors ---------------------------------------------------------------------------------------------
def _status_name(code: int | None) -> str | None:
    if code is None:
        return None
    if code in _STATUS_NAMES:
        return _STATUS_NAMES[code]
    try:
        return http.HTTPStatus(code).name
    except ValueError:
        return f"HTTP_{code}"


def _hint(code: int | None, message: str, model: str | None) -> str:
    slug = f" (sent as {openrouter_model(model)!r})" if model else ""
    hints = {
        400: "OpenRouter refused the request as invalid (not retried). Check aspect_ratio and image_size against "
             "tk.models_table() and the message above.",
        401: f"check the key in {ENV_KEY} (or api_key=...); keys are at https://openrouter.ai/settings/keys.",
        402: "the OpenRouter account is out of credits, or the key reached its credit limit (not retried). Add "
             "credits at https://openrouter.ai/settings/credits or raise the key's limit.",
        403: "the input was flagged by moderation, or the key may not use this model (not retried).",
        404: f"OpenRouter has no endpoint for this model id{slug}. See https://openrouter.ai/models or "
             f"studio.models().",
        408: "OpenRouter timed out waiting for the request; it was retried.",
        413: "the request is too large (big input images?): lower Studio(max_input_side=...) or send fewer images.",
        429: "rate limited by OpenRouter or by the upstream provider; it was retried with backoff. Slow down with "
             "Studio(rate_limit=tk.RateLimit(rpm=...)) or try again later.",
        502: "the upstream provider failed or answered badly; it was retried. Try again later.",
        524: "the upstream provider timed out behind OpenRouter's edge (Cloudflare 524); it was retried. Large "
             "sizes take longer: try a smaller image_size.",
        529: "the upstream provider is overloaded; it was retried. Try again later or use another model.",
    }
    if code in hints:
        return hints[code]
    if code is None:
        return f"check the network, the base_url ({ENV_BASE_URL}) and the timeout (Studio(timeout_s=...))."
    if code >= 500:
        return "OpenRouter or the upstream provider failed; it was retried. Try again later."
    return f"see the message above; HTTP {code} is not retried."


def _retry_after(headers: Any) -> float | None:
    try:
        value = headers.get("retry-after") if headers is not None else None
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None  # an HTTP-date Retry-After: fall back to the policy's backoff


def to_provider_error(e: Exception, model: str | None) -> ProviderError | None:
    """An exception from the ``openai`` client -> a ProviderError with a clear message (and no secret).

    None for exceptions that are not provider or transport failures (programming errors propagate).
    """
    import openai

    if isinstance(e, openai.APIStatusError):
        code = e.status_code
        body = e.body
        if isinstance(body, dict):
            message = str(body.get("message") or e.message)
            meta = body.get("metadata")
            if isinstance(meta, dict) and meta.get("provider_name"):
                message += f" (provider: {meta['provider_name']})"
        elif isinstance(body, str) and body.strip():
            message = f"the server answered with a non-JSON page ({len(body)} bytes): {body.strip()[:120]}"
        else:
            message = e.message
        message = scrub(message) or "(no message)"
        cls = ModelNotFoundError if code == 404 else ProviderError
        return cls("openrouter", code, _status_name(code), message,
                   retry_after_s=_retry_after(e.response.headers) if code == 429 else None,
                   hint=_hint(code, message, model))
    if isinstance(e, openai.APIConnectionError):  # includes APITimeoutError
        name = "TIMEOUT" if isinstance(e, openai.APITimeoutError) else "CONNECTION_ERROR"
        cause = e.__cause__
        text = scrub(f"{e.message} ({type(cause).__name__}: {cause})" if cause else e.message) or name
        return ProviderError("openrouter", None, name, text, hint=_hint(None, text, model))
    if isinstance(e, openai.APIResponseValidationError | json.JSONDecodeError):
        return MalformedReplyError("openrouter", f"the reply could not be parsed: {(scrub(str(e)) or '')[:300]}")
    return None

