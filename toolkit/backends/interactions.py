"""The Gemini Interactions API (``client.aio.interactions``), used for multi-turn chat editing.

Why a second Gemini transport
-----------------------------
``generate_content`` is stateless: every chat turn re-sends the whole conversation, each earlier image and
its thought signature included (hundreds of KB per turn on 3.1 Flash Image, megabytes on 3 Pro). The
Interactions API keeps the conversation on the server (``store=True``), so a follow-up sends only its text
and ``previous_interaction_id``. Google also says new models will launch there only. It has no Batch API
and no finish reasons, so one-shot calls, studies and batch jobs stay on ``generate_content``; only
:class:`toolkit.chat.Chat` uses this module (see ``Studio(gemini_api=...)``).

google-genai 3.3.0 findings (checked against the installed wheel and a loopback capture)
-----------------------------------------------------------------------------------------
* ``client.interactions`` / ``client.aio.interactions`` exist (``create``, ``get``, ``cancel``,
  ``delete``, ``with_raw_response``), and ``create`` takes ``response_format`` with the image entry
  ``{"type": "image", "aspect_ratio", "image_size"}``; ``generation_config.image_config`` is marked
  deprecated there, so image settings go in ``response_format``.
* The SDK sends ``POST /{api_version}/interactions`` with no ``Api-Revision`` header; a list of content
  dicts as ``input`` is wrapped into ``[{"type": "user_input", "content": [...]}]`` before sending.
* Errors are ``google.genai._interactions.*`` (``NotFoundError``, ``RateLimitError``,
  ``InternalServerError``, ``APIConnectionError``, ...), rooted at ``GeminiNextGenAPIClientError``:
  **not** ``google.genai.errors.APIError``. They carry ``status_code`` and the parsed ``body``
  (``{"error": {"code": "<slug>", "message": ...}}``). :func:`to_provider_error` maps them.
* The Interactions client retries **5 times** by default on 408/409/429/5xx (``_RETRY_ATTEMPTS``, with
  its own backoff), unlike ``generate_content`` (1 attempt). ``HttpOptions(retry_options=
  HttpRetryOptions(attempts=1))`` turns that off (``max_retries = attempts - 1``), verified with a 503:
  1 request instead of 5. We build our own client that way so :class:`toolkit.runner.RetryPolicy` is the
  only retry loop (otherwise 4 x 5 = 20 requests per failing turn).
* ``with_raw_response.create(...)`` calls the generated client directly: same error classes, a content
  list still goes out as one ``user_input`` step (verified on the wire), and it returns the HTTP response
  (``await r.read()``) instead of the typed ``Interaction``. It also bypasses the bridge's client-side
  ``automatic_continuation`` loop, which does not arise for single images (an unfinished status is
  reported as ``error``). We parse the wire JSON, as the generate_content backend does, so no field is
  lost to the typed objects and the image is not copied. (The typed objects keep unknown fields too:
  their pydantic models use ``extra="allow"``.)
* ``HttpOptions.api_version`` applies to Interactions as well; 3.x defaults to ``v1`` (the docs' curl
  examples use ``v1beta``). See :func:`interactions_api_version`.

Statuses (Interactions has no ``finishReason``): ``completed`` with an image is ``ok``; ``completed``
without one is ``no_image``; ``failed`` / ``incomplete`` / ``cancelled`` / ``budget_exceeded`` (and any
unfinished status) are ``error``, or ``blocked`` when the step or interaction error reads as a safety
refusal, with that error's message in ``reason``.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import (
    ConfigError,
    MalformedReplyError,
    ModelNotFoundError,
    OptionError,
    ProviderError,
    RequestWithdrawn,
)
from ..request import ImagePart, Request, TextPart, Turn
from ..secrets import Secret, scrub
from .base import Reply, ReplyImage, check_encoded_size
from .gemini import DEFAULT_API_VERSION
from .gemini_wire import decode_b64, retry_delay_s
from .gemini_wire import to_provider_error as generate_content_error

PROVIDER = "gemini"
#: How chats on the Gemini backend carry their history (``Studio(gemini_api=...)``); the first is the default.
GEMINI_APIS = ("interactions", "generate_content")
#: google-genai 3.x's own default for Interactions; the one Interactions went GA on.
SDK_DEFAULT_VERSION = "v1"

# Words that make a failed step's error a refusal rather than a failure. The Interactions schema has no
# finishReason / blockReason, only the interaction's ``status``, its ``errors`` and each step's ``error``
# (https://ai.google.dev/static/api/interactions-v1.openapi.json), so this is a reading of the error text.
_REFUSAL_WORDS = ("safety", "prohibited", "blocked", "recitation", "responsible ai", "policy", "spii",
                  "blocklist", "jailbreak")
_UNFINISHED = frozenset({"in_progress", "queued", "requires_action", "requires_continuation", "idle"})


def check_gemini_api(value: str) -> str:
    """Validate a ``gemini_api`` choice (case-insensitive); returns it lower-cased."""
    name = value.strip().lower().replace("-", "_") if isinstance(value, str) else None
    if name not in GEMINI_APIS:
        raise ConfigError(f"gemini_api={value!r}: use 'interactions' (chats keep their state on the server and "
                          f"upload only the new turn) or 'generate_content' (chats replay the whole history).")
    return name


class InteractionExpired(RequestWithdrawn):
    """The server no longer knows the ``previous_interaction_id`` a chat turn continued from.

    Stored interactions are kept 1 day on the free tier and 55 days on the paid tier, and may have been
    deleted or never stored. :class:`toolkit.chat.Chat` catches this and restarts from the last saved
    image. Deliberately *not* a :class:`~toolkit.errors.ProviderError`: the Studio's retry loop must not
    retry it and its ledger must not record it as a failed call, because the turn goes on as a restart
    (one turn, one ledger row).

    Attributes
    ----------
    interaction_id : str
        The id the server did not find.
    message : str
        The server's message (scrubbed).
    """

    def __init__(self, interaction_id: str, message: str) -> None:
        self.interaction_id = interaction_id
        self.message = message
        super().__init__(f"Interaction {interaction_id!r} is no longer on the server: {message}")


@dataclass(frozen=True)
class InteractionsRequest(Request):
    """A chat turn on the Interactions API.

    ``turns`` is the conversation *as the server holds it* for this turn: every exchange since the chain
    began (or was restarted), each model turn reduced to its text and final image, then the user turn that
    is uploaded now. Only ``turns[-1]`` goes over the wire; earlier turns are represented by
    ``previous_interaction_id``.

    Cache key (``key``): the contract of :mod:`toolkit.request` (version 1) plus ``"api": "interactions"``
    and, for the turn that restarts an expired chain, ``"restart": true``. So a turn is keyed by the full
    local conversation the model sees, never by the server's interaction id: replaying a recorded
    conversation hits the cache, a turn can never replay a ``generate_content`` answer (different payload),
    and a restart (which the model sees as a new conversation seeded with the last image) never shares an
    entry with the stateful turn it replaces.

    Attributes
    ----------
    previous_interaction_id : str or None
        The server-side conversation to continue; None starts a new chain.
    store : bool
        ``store`` on the wire; True so that the next turn can continue from this one.
    note : str or None
        Prepended to the reply's ``reason`` (e.g. the restart notice); not part of the key.
    restart : bool
        This turn restarts a chain whose server state was gone (part of the key).
    """

    previous_interaction_id: str | None = None
    store: bool = True
    note: str | None = None
    restart: bool = False

    def payload(self) -> dict[str, Any]:
        out = super().payload()
        out["api"] = "interactions"
        if self.restart:
            out["restart"] = True
        return out


def interactions_api_version(api_version: str | None) -> str:
    """The API version for Interactions calls, given the Gemini backend's version.

    The Gemini backend pins ``v1beta`` for ``generate_content`` because of a ``responseModalities``
    rejection reported on ``v1``; that reason does not apply here, and Interactions is GA on ``v1`` (the
    SDK's default). So ``v1`` unless ``GOOGLE_GENAI_API_VERSION`` or a non-default ``Studio(api_version=)``
    asks for another version.
    """
    if os.environ.get("GOOGLE_GENAI_API_VERSION"):
        return os.environ["GOOGLE_GENAI_API_VERSION"]
    if api_version and api_version != DEFAULT_API_VERSION:
        return api_version
    return SDK_DEFAULT_VERSION


#: Options of ``generate_content`` that chats over Interactions do not send (refused by
#: :meth:`InteractionsBackend.check_request`): thinking, search grounding and the service tier.
UNCARRIED_OPTIONS = ("thinking_level", "include_thoughts", "grounding", "service_tier")


class InteractionsBackend:
    """Chat turns over ``client.aio.interactions`` (google-genai), with the SDK's own retries off.

    Parameters
    ----------
    api_key : str or Secret
        Held in a :class:`~toolkit.secrets.Secret`; never written or shown.
    base_url : str, optional
        Another endpoint (gateway, proxy, :class:`~toolkit.testing.FakeGeminiServer`).
    api_version : str, optional
        See :func:`interactions_api_version`.
    timeout_s : float
        Per-request timeout.

    Notes
    -----
    ``kind`` is ``"gemini"``: the ledger shows these calls under the Gemini backend, and the
    ``"api": "interactions"`` marker of :class:`InteractionsRequest` keeps their cache keys apart.
    """

    kind: ClassVar[str] = "gemini"
    spends_money: ClassVar[bool] = True

    def __init__(self, api_key: str | Secret, *, base_url: str | None = None, api_version: str | None = None,
                 timeout_s: float = 150.0) -> None:
        from google import genai
        from google.genai import types

        self._key = api_key if isinstance(api_key, Secret) else Secret(api_key)
        self.base_url = base_url
        self.api_version = interactions_api_version(api_version)
        self.timeout_s = timeout_s
        http = types.HttpOptions(
            base_url=base_url, api_version=self.api_version, timeout=int(timeout_s * 1000),
            # attempts=1: the SDK's default for Interactions is 5; our RetryPolicy is the one retry loop.
            retry_options=types.HttpRetryOptions(attempts=1),
        )
        # vertexai=False: GOOGLE_GENAI_USE_VERTEXAI must not redirect a Gemini API key to Vertex
        self._client = genai.Client(api_key=self._key.reveal(), vertexai=False, http_options=http)

    @classmethod
    def from_gemini(cls, backend: Any) -> InteractionsBackend:
        """The Interactions transport for a :class:`~toolkit.backends.gemini.GeminiBackend` (same key, URL,
        timeout)."""
        return cls(backend.api_key, base_url=backend.base_url, api_version=backend.api_version,
                   timeout_s=backend.timeout_s)

    @property
    def client(self) -> Any:
        """The ``google.genai.Client`` this transport calls (its own retries off)."""
        return self._client

    @property
    def description(self) -> str:
        return f"Gemini Interactions API at {self.base_url} ({self.api_version})"

    def __repr__(self) -> str:
        return (f"InteractionsBackend(base_url={self.base_url!r}, api_version={self.api_version!r}, "
                f"api_key=<redacted>)")

    def list_models(self) -> list[str]:
        return []  # model listing stays on the Gemini backend (models.list is not part of Interactions)

    def check_request(self, request: Request) -> None:
        """Refuse, before anything is sent, options this transport does not carry (:data:`UNCARRIED_OPTIONS`):
        the Engine calls it for every request of a chat turn sent through it."""
        for name in UNCARRIED_OPTIONS:
            if getattr(request.options, name, None) is not None:
                raise OptionError(
                    f"{name} is not carried by chats over the Interactions API in this version. Start the chat "
                    f"with studio.chat(gemini_api='generate_content') (the history is replayed through "
                    f"generate_content, which carries it), or use studio.generate / studio.edit.")

    # -- calls ------------------------------------------------------------------------------------------
    async def generate(self, request: Request) -> Reply:
        """Send ``request.turns[-1]`` as one interaction and map the answer to a :class:`Reply`.

        Raises
        ------
        InteractionExpired
            When ``previous_interaction_id`` is unknown to the server (expired, deleted, never stored).
        ProviderError
            For other HTTP and transport failures (retried by the Studio when retryable).
        """
        previous = getattr(request, "previous_interaction_id", None)
        body = build_create_body(request)
        try:
            raw = await self._client.aio.interactions.with_raw_response.create(**body)
            data = await raw.read()
        except Exception as e:
            mapped = to_provider_error(e, request.model, previous)
            if mapped is None:
                raise
            raise mapped from None
        try:
            parsed = json.loads(data) if data else {}
        except ValueError:
            raise MalformedReplyError(PROVIDER, f"the interaction reply was not valid JSON ({len(data)} bytes)") from None
        if not isinstance(parsed, dict):
            raise MalformedReplyError(PROVIDER, "the interaction reply was not a JSON object")
        reply = parse_interaction(parsed)
        note = getattr(request, "note", None)
        if note:
            reply.reason = note if not reply.reason else f"{note}; {reply.reason}"
        return reply

    async def get(self, interaction_id: str) -> dict[str, Any]:
        """The stored interaction as wire JSON (``GET /interactions/{id}``)."""
        try:
            raw = await self._client.aio.interactions.with_raw_response.get(interaction_id)
            return json.loads(await raw.read())
        except Exception as e:
            mapped = to_provider_error(e, None, interaction_id)
            if mapped is None:
                raise
            raise mapped from None

    async def delete(self, interaction_id: str) -> None:
        """Delete a stored interaction (``DELETE /interactions/{id}``)."""
        try:
            await self._client.aio.interactions.with_raw_response.delete(interaction_id)
        except Exception as e:
            mapped = to_provider_error(e, None, interaction_id)
            if mapped is None:
                raise
            raise mapped from None


# -- request ------------------------------------------------------------------------------------------------
def response_format(request: Request) -> list[dict[str, Any]]:
    """``response_format`` for an image turn: text and image, with the image settings in the image entry.

    Re-sent every turn: the server keeps only the history, not per-turn settings.
    """
    image: dict[str, Any] = {"type": "image"}
    if request.options.aspect_ratio:
        image["aspect_ratio"] = request.options.aspect_ratio
    if request.options.image_size:
        image["image_size"] = request.options.image_size
    return [{"type": "text"}, image]


def build_create_body(request: Request) -> dict[str, Any]:
    """The ``interactions.create`` keyword arguments for one turn (plain dicts, snake_case).

    A text-only follow-up is sent as a plain string, the smallest form; a turn with images as a list of
    content (the SDK wraps it into one ``user_input`` step). Images go as standard base64 strings: the SDK
    refuses raw ``bytes``.
    """
    turn = request.turns[-1]
    content: list[dict[str, Any]] = []
    for p in turn.parts:
        if isinstance(p, TextPart):
            content.append({"type": "text", "text": p.text})
        else:
            content.append({"type": "image", "data": base64.b64encode(p.data).decode("ascii"), "mime_type": p.mime})
    body: dict[str, Any] = {"model": request.model}
    body["input"] = content[0]["text"] if len(content) == 1 and content[0]["type"] == "text" else content
    previous = getattr(request, "previous_interaction_id", None)
    if previous:
        body["previous_interaction_id"] = previous
    body["response_format"] = response_format(request)
    gen: dict[str, Any] = {}
    if request.options.seed is not None:
        gen["seed"] = request.options.seed
    if request.options.temperature is not None:
        gen["temperature"] = request.options.temperature  # deprecated on Interactions, still accepted
    if gen:
        body["generation_config"] = gen
    body["store"] = bool(getattr(request, "store", True))
    return body


# -- response -----------------------------------------------------------------------------------------------
def _by_modality(items: Any, modality: str) -> int:
    total = 0
    for d in items or []:
        if isinstance(d, dict) and str(d.get("modality", "")).lower() == modality:
            total += int(d.get("tokens") or 0)
    return total


def parse_usage(usage: Any) -> dict[str, int]:
    """Interactions ``usage`` -> the toolkit's usage dict.

    ``total_output_tokens`` excludes thoughts (which are ``total_thought_tokens``), as
    ``candidatesTokenCount`` does on generate_content; modality names are lower-case here.
    """
    if not isinstance(usage, dict):
        return {}
    return {
        "input_tokens": int(usage.get("total_input_tokens") or 0),
        "input_image_tokens": _by_modality(usage.get("input_tokens_by_modality"), "image"),
        "output_tokens": int(usage.get("total_output_tokens") or 0),
        "output_image_tokens": _by_modality(usage.get("output_tokens_by_modality"), "image"),
        "thought_tokens": int(usage.get("total_thought_tokens") or 0),
        "cached_tokens": int(usage.get("total_cached_tokens") or 0),
    }


def _error_text(err: Any) -> str | None:
    if not isinstance(err, dict):
        return None
    message = err.get("message")
    code = err.get("code")
    if message and code not in (None, ""):
        return f"{message} ({code})"
    return str(message or code or "") or None


def parse_interaction(body: dict[str, Any]) -> Reply:
    """An ``Interaction`` (wire JSON) -> :class:`Reply`.

    The image is the LAST image content of the ``model_output`` steps after the last ``user_input`` step
    (``create`` returns only model steps; ``GET`` returns the whole timeline). Interim "thinking" images
    live in ``thought.summary`` and are ignored, as the SDK's ``output_image`` does. The model turn keeps
    the answer's text, then the image, in that fixed order, without the thought signature: the server
    holds signatures in stateful mode, and a fixed shape lets the local turn record rebuild the same
    cache keys.
    """
    status = str(body.get("status") or "")
    interaction_id = body.get("id") or None
    usage = parse_usage(body.get("usage"))
    steps = body.get("steps") or []
    last_user = max((i for i, s in enumerate(steps) if isinstance(s, dict) and s.get("type") == "user_input"),
                    default=-1)
    texts: list[str] = []
    final: ImagePart | None = None
    step_errors: list[str] = []
    uri_only = False
    signature_chars = encoded_chars = 0
    for step in steps[last_user + 1:]:
        if not isinstance(step, dict):
            continue
        kind = step.get("type")
        if kind == "thought":
            signature_chars += len(step.get("signature") or "")
        if kind != "model_output":
            continue
        if (msg := _error_text(step.get("error"))) is not None:
            step_errors.append(msg)
        for c in step.get("content") or []:
            if not isinstance(c, dict):
                continue
            if c.get("type") == "text" and isinstance(c.get("text"), str):
                texts.append(c["text"])
            elif c.get("type") == "image":
                if c.get("data"):
                    mime = c.get("mime_type") or "application/octet-stream"
                    encoded_chars += len(c["data"])
                    check_encoded_size(encoded_chars, PROVIDER)  # before decoding: a reply has a size cap
                    final = ImagePart.from_bytes(decode_b64(c["data"]), mime)
                elif c.get("uri"):
                    uri_only = True
    errors = [m for e in body.get("errors") or [] if (m := _error_text(e))]
    text = "".join(texts)
    images = [ReplyImage(final.data, final.mime, final.sha256)] if final is not None else []
    parts: list[TextPart | ImagePart] = ([TextPart(text)] if text else []) + ([final] if final is not None else [])
    reason: str | None = None
    if status == "completed":
        result_status = "ok" if images else "no_image"
        if not images:
            reason = ("the model answered with text only" if text else "the interaction completed with no image")
            if uri_only:
                reason = "the image came as a uri (delivery='uri'), which this toolkit does not download"
    else:
        message = "; ".join(step_errors + errors)
        refusal = any(w in message.lower() for w in _REFUSAL_WORDS)
        result_status = "blocked" if refusal else "error"
        label = status or "unknown status"
        if status in _UNFINISHED:
            label = f"the interaction ended unfinished ({status})"
        reason = f"{label}: {message}" if message else label
    extra: dict[str, Any] = {"interaction_id": interaction_id, "interaction_status": status}
    if signature_chars:
        extra["signature_chars"] = signature_chars
    return Reply(
        status=result_status, images=images, text=text, reason=scrub(reason) if reason else None, usage=usage,
        response_id=interaction_id, model_version=body.get("model"),
        model_turn=Turn("model", tuple(parts)) if parts and result_status in ("ok", "no_image") else None,
        extra=extra,
    )


# -- errors -------------------------------------------------------------------------------------------------
def _hint(code: int | None, message: str) -> str | None:
    if code == 404:
        return "the model id is not available on the Interactions API; studio.models() lists the image models."
    if code == 429:
        return ("you hit a rate limit or quota (free-tier quota for image models is often 0). Enable billing or "
                "slow down.")
    if code in (401, 403) or "API key" in message:
        return "check the key in GEMINI_API_KEY / GOOGLE_API_KEY and its API restrictions."
    if code is not None and code >= 500:
        return "the service is overloaded or failed; it was retried. Try again later."
    if code is None:
        return "check the network, the base_url and the timeout (Studio(timeout_s=...))."
    if code == 400:
        return ("the Interactions API refused the request as invalid (not retried). Check the options against "
                "tk.models_table(), or use Studio(gemini_api='generate_content') for this chat.")
    return None


def _retry_after(e: Any, body: Any) -> float | None:
    delay = retry_delay_s(body)
    if delay is not None:
        return delay
    response = getattr(e, "response", None)
    header = response.headers.get("retry-after") if response is not None else None
    try:
        return float(header) if header is not None else None
    except ValueError:
        return None  # an HTTP date: let the backoff decide


def _is_expiry(code: int | None, message: str, previous: str | None) -> bool:
    """Does this error mean "the previous interaction is gone" (rather than "the model is unknown")?"""
    if not previous:
        return False
    low = message.lower()
    if code == 404:  # a model 404 names the model; misreading one only costs a fresh create, which reports it
        return previous.lower() in low or "model" not in low
    if code == 400:  # some front ends answer an unusable previous id as an invalid argument
        return "previous_interaction" in low and any(w in low for w in ("not found", "expired", "invalid", "exist"))
    return False


def to_provider_error(e: Exception, model: str | None, previous: str | None = None) -> Exception | None:
    """An exception from an Interactions call -> ProviderError, InteractionExpired, or None (not ours).

    Parameters
    ----------
    e : Exception
        What the SDK raised: ``google.genai._interactions`` errors, transport errors, pydantic errors.
    model : str or None
        The model id, for the message.
    previous : str or None
        The ``previous_interaction_id`` that was sent (or the id of a ``get``/``delete``): a 404 about it
        becomes :class:`InteractionExpired`.
    """
    try:
        from google.genai import _interactions as ix
    except ImportError:  # pragma: no cover - google-genai without Interactions (< 1.55)
        return generate_content_error(e, model)
    if isinstance(e, ix.APIResponseValidationError):
        return MalformedReplyError(PROVIDER, f"the interaction reply did not match the schema: {(scrub(str(e)) or '')[:300]}")
    if isinstance(e, ix.APIConnectionError):  # APITimeoutError included
        name = type(e).__name__
        text = scrub(str(e)) or name
        return ProviderError(PROVIDER, None, name, text, hint=_hint(None, text))
    if isinstance(e, ix.APIError):
        code = getattr(e, "status_code", None)
        body: dict[str, Any] = e.body if isinstance(e.body, dict) else {}
        inner = body.get("error")
        err: dict[str, Any] = inner if isinstance(inner, dict) else body
        message = scrub(str(err.get("message") or getattr(e, "message", "") or "")) or "(no message)"
        status = err.get("code") if isinstance(err.get("code"), str) else err.get("status")
        if _is_expiry(code, message, previous):
            assert previous is not None
            return InteractionExpired(previous, message)
        if code is None:
            return ProviderError(PROVIDER, None, "UNKNOWN", message, hint=_hint(None, message))
        cls = ModelNotFoundError if code == 404 else ProviderError
        return cls(PROVIDER, code, status, message, retry_after_s=_retry_after(e, body) if code == 429 else None,
                   hint=_hint(code, message))
    # transport errors not wrapped by the SDK, JSON and pydantic errors: same mapping as generate_content
    return generate_content_error(e, model)
