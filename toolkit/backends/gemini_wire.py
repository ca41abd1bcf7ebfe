"""The ``generateContent`` wire format, shared by the Gemini API and Vertex AI backends: request bodies,
reply parsing and error mapping. No transport here (see :mod:`toolkit.backends.gemini`).

Requests. :func:`request_json` builds the wire ``GenerateContentRequest`` (camelCase, standard base64:
https://ai.google.dev/api/generate-content), used for streaming and as a line of a batch
JSONL file; :func:`sdk_contents` and :func:`sdk_config` build the same request as google-genai's typed
objects for ``models.generate_content`` and inline batch jobs. Image settings go in
``generationConfig.imageConfig`` (``aspectRatio``, ``imageSize``:
https://ai.google.dev/api/generate-content#ImageConfig); ``responseModalities`` is always
``["TEXT", "IMAGE"]`` (https://ai.google.dev/gemini-api/docs/image-generation).

Replies. :func:`parse_response` reads the wire JSON (``should_return_http_response=True``), not the SDK's
typed response: google-genai 3.3.0 drops ``candidates[].finishMessage`` (the human-readable refusal,
https://ai.google.dev/api/generate-content#FinishReason) on the Gemini API, and we want it. Field names are
accepted in camelCase and snake_case.

Errors. :func:`to_provider_error` maps google-genai's ``APIError`` (the JSON error body and status
codes of https://ai.google.dev/gemini-api/docs/troubleshooting) and transport failures to
:class:`~toolkit.errors.ProviderError`, with the server's ``RetryInfo.retryDelay`` on 429
(:func:`retry_delay_s`; the SDK ignores it) and a ``Fix:`` line from :func:`gemini_hint`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

from pydantic_core import SchemaValidator, ValidationError, core_schema

from .. import registry
from ..errors import RETRYABLE_CODES, MalformedReplyError, ModelNotFoundError, OptionError, ProviderError
from ..request import ImagePart, Options, Request, TextPart, Turn
from ..secrets import scrub
from .base import Reply, ReplyImage, check_encoded_size, classify

#: A ``Fix:`` line writer: ``hint(code, status, message, model)``.
HintFn = Callable[[int | None, str | None, str, str | None], str | None]

# -- options only Vertex AI accepts ------------------------------------------------------------------------
#: Image options only Vertex AI accepts, as :class:`~toolkit.request.Options` field names. The Gemini API's
#: ``ImageConfig`` has ``aspectRatio`` and ``imageSize`` only (https://ai.google.dev/api/generate-content#ImageConfig);
#: google-genai documents the others as "not supported in Gemini API" and refuses them there with ValueError
#: (https://googleapis.github.io/python-genai/genai.html#genai.types.ImageConfig).
VERTEX_ONLY_OPTIONS = ("person_generation", "prominent_people", "output_mime_type", "output_compression_quality")


#: Options of ``generate_content`` beyond the image config, carried by the Gemini API (and, but for
#: ``service_tier``, by Vertex AI): thinking, Google Search grounding and the service tier (:func:`wire_extras`).
GENERATE_CONTENT_OPTIONS = ("thinking_level", "include_thoughts", "grounding", "service_tier")


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


# -- request --------------------------------------------------------------------------------------------------
def sdk_contents(request: Request) -> list[dict[str, Any]]:
    """The request's turns in google-genai's ``ContentDict`` shape (thought flags and signatures kept).

    Plain dicts, not ``types.Content`` objects: the SDK validates either, but walks a pydantic object field by
    field when it converts the request, about 0.9 ms more CPU per call (``benchmarks/overhead.py``).

    >>> from toolkit.request import TextPart, Turn
    >>> sdk_contents(Request("gemini", "m", (Turn("user", (TextPart("a cat"),)),), Options()))
    [{'role': 'user', 'parts': [{'text': 'a cat'}]}]
    """
    contents = []
    for turn in request.turns:
        parts = []
        for p in turn.parts:
            part: dict[str, Any] = ({"text": p.text} if isinstance(p, TextPart)
                                    else {"inline_data": {"data": p.data, "mime_type": p.mime}})
            if p.thought:
                part["thought"] = True
            if p.thought_signature:
                part["thought_signature"] = p.thought_signature
            parts.append(part)
        contents.append({"role": turn.role, "parts": parts})
    return contents


def sdk_image_config(options: Options) -> Any:
    """``ImageConfig`` for the Gemini API: aspect ratio and size only (see :data:`VERTEX_ONLY_OPTIONS`)."""
    from google.genai import types as t

    refuse_vertex_options(options, "gemini")
    if options.aspect_ratio or options.image_size:
        return t.ImageConfig(aspect_ratio=options.aspect_ratio, image_size=options.image_size)
    return None


def sdk_config(request: Request, image_config: Any, *, raw: bool = True) -> Any:
    """``GenerateContentConfig``: text and image out, the image config, seed and temperature.

    ``raw=True`` asks the SDK for the HTTP body (``should_return_http_response``), which
    :func:`parse_response` reads; it is refused on streams and inline batch requests.
    """
    from google.genai import types as t

    o = request.options
    thinking = None
    if o.thinking_level is not None or o.include_thoughts is not None:
        thinking = t.ThinkingConfig(
            thinking_level=t.ThinkingLevel(o.thinking_level.upper()) if o.thinking_level else None,
            include_thoughts=o.include_thoughts)
    tools: list[Any] | None = None
    if o.grounding:
        search = t.SearchTypes(web_search=t.WebSearch() if "web" in o.grounding else None,
                               image_search=t.ImageSearch() if "image" in o.grounding else None)
        tools = [t.Tool(google_search=t.GoogleSearch(search_types=search))]
    return t.GenerateContentConfig(
        response_modalities=["TEXT", "IMAGE"], image_config=image_config, seed=o.seed,
        temperature=o.temperature, should_return_http_response=True if raw else None,
        thinking_config=thinking, tools=tools,
        service_tier=t.ServiceTier(o.service_tier) if o.service_tier else None,
    )


def wire_extras(options: Options) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``generationConfig`` additions, top-level request fields) for thinking, grounding and the service tier.

    ``thinkingConfig{thinkingLevel, includeThoughts}`` (the level as the API's upper-case enum),
    ``tools: [{googleSearch: {searchTypes: {webSearch: {}, imageSearch: {}}}}]`` and ``serviceTier``, as
    google-genai sends them (https://ai.google.dev/api/generate-content#ThinkingConfig,
    https://ai.google.dev/gemini-api/docs/image-generation, https://ai.google.dev/gemini-api/docs/optimization).

    >>> wire_extras(Options(thinking_level="high", grounding=("web",), service_tier="flex"))
    ({'thinkingConfig': {'thinkingLevel': 'HIGH'}}, {'tools': [{'googleSearch': {'searchTypes': {'webSearch': {}}}}], 'serviceTier': 'flex'})
    """
    gen: dict[str, Any] = {}
    top: dict[str, Any] = {}
    thinking: dict[str, Any] = {}
    if options.thinking_level is not None:
        thinking["thinkingLevel"] = options.thinking_level.upper()
    if options.include_thoughts is not None:
        thinking["includeThoughts"] = options.include_thoughts
    if thinking:
        gen["thinkingConfig"] = thinking
    if options.grounding:
        top["tools"] = [{"googleSearch": {"searchTypes": {f"{kind}Search": {} for kind in options.grounding}}}]
    if options.service_tier is not None:
        top["serviceTier"] = options.service_tier
    return gen, top


def request_json(request: Request, *, vertex: bool = False) -> dict[str, Any]:
    """A request as the wire ``GenerateContentRequest`` (camelCase, standard base64), as in a batch JSONL line.

    The same contents and generation config the SDK sends for ``generate_content``. With ``vertex=True``
    the Vertex-only image options go in ``imageConfig`` as the SDK's ``_ImageConfig_to_vertex`` puts them
    (``personGeneration``, ``prominentPeople``, ``imageOutputOptions{mimeType, compressionQuality}``);
    without it they raise :class:`~toolkit.errors.OptionError`, as the SDK refuses them on the Gemini API.

    >>> from toolkit.request import Options, Request, TextPart, Turn
    >>> req = Request("gemini", "gemini-3.1-flash-image", (Turn("user", (TextPart("a kite"),)),),
    ...               Options(aspect_ratio="16:9"))
    >>> request_json(req)["generationConfig"]
    {'responseModalities': ['TEXT', 'IMAGE'], 'imageConfig': {'aspectRatio': '16:9'}}
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
    more_gen, top = wire_extras(o)
    gen.update(more_gen)
    return {"contents": contents, "generationConfig": gen, **top}


# -- response -------------------------------------------------------------------------------------------------
def json_field(d: Any, *names: str) -> Any:
    """The first of ``names`` present in ``d`` (camelCase and snake_case spellings); None if absent or not a dict.

    >>> json_field({"finish_reason": "STOP"}, "finishReason", "finish_reason")
    'STOP'
    """
    if not isinstance(d, dict):
        return None
    for n in names:
        if n in d:
            return d[n]
    return None


#: pydantic-core's base64 decoder (Rust; google-genai already depends on pydantic): about 4-5x faster than
#: binascii on a 3.5 MB image, and it accepts both alphabets, padding optional.
_B64 = SchemaValidator(core_schema.bytes_schema(), config={"val_json_bytes": "base64"})


def decode_b64(data: str) -> bytes:
    """Base64 in either alphabet (standard or URL-safe), padding optional.

    Decoded by pydantic-core; what it refuses (line breaks, stray characters) falls back to :mod:`base64`,
    which skips characters outside the alphabet as it always did here.

    >>> decode_b64("-__-AGFiYw"), decode_b64("+//+AGFiYw==")
    (b'\\xfb\\xff\\xfe\\x00abc', b'\\xfb\\xff\\xfe\\x00abc')
    """
    try:
        out = _B64.validate_python(data)
    except ValidationError:
        out = None
    if isinstance(out, bytes):
        return out
    if "-" in data or "_" in data:
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return base64.b64decode(data + "=" * (-len(data) % 4))


def _modality_tokens(details: Any, modality: str) -> int:
    return sum(int(json_field(d, "tokenCount", "token_count") or 0) for d in details or []
               if json_field(d, "modality") == modality)


def parse_usage(meta: Any) -> dict[str, int]:
    """``usageMetadata`` (wire JSON, https://ai.google.dev/api/generate-content#UsageMetadata) -> the toolkit's
    usage dict."""
    if not isinstance(meta, dict):
        return {}
    return {
        "input_tokens": int(json_field(meta, "promptTokenCount", "prompt_token_count") or 0),
        "input_image_tokens": _modality_tokens(
            json_field(meta, "promptTokensDetails", "prompt_tokens_details"), "IMAGE"),
        "output_tokens": int(json_field(meta, "candidatesTokenCount", "candidates_token_count") or 0),
        "output_image_tokens": _modality_tokens(
            json_field(meta, "candidatesTokensDetails", "candidates_tokens_details"), "IMAGE"),
        "thought_tokens": int(json_field(meta, "thoughtsTokenCount", "thoughts_token_count") or 0),
        "cached_tokens": int(json_field(meta, "cachedContentTokenCount", "cached_content_token_count") or 0),
    }


def parse_response(body: dict[str, Any], *, provider: str = "gemini") -> Reply:
    """A ``GenerateContentResponse`` (wire JSON) -> :class:`Reply`.

    A reply whose base64 image data would decode past :data:`~toolkit.backends.base.MAX_REPLY_IMAGE_BYTES`
    is refused (:class:`~toolkit.backends.base.MalformedReplyError`, naming ``provider``) before any of it is
    decoded. Other odd shapes raise what reading them raises; the Engine reports those as malformed replies.

    The images are every non-thought ``inlineData`` part, in order (an answer may interleave several images
    with text: https://ai.google.dev/gemini-api/docs/image-generation). Interim ``thought: true`` images are
    not answers: they stay in the model turn only (``Result.thought_images``). The MIME type is read, never
    assumed. ``groundingMetadata`` is read by :func:`parse_grounding`. The model turn keeps every part exactly as received, thought signatures included, for replay in
    a chat (https://ai.google.dev/gemini-api/docs/thought-signatures).
    """
    usage = parse_usage(json_field(body, "usageMetadata", "usage_metadata"))
    response_id = json_field(body, "responseId", "response_id")
    model_version = json_field(body, "modelVersion", "model_version")
    # Vertex AI reports how the call was billed (usageMetadata.trafficType: ON_DEMAND, PROVISIONED_THROUGHPUT,
    # ...) and when it was served (createTime); the SDK's typed response keeps neither on every path.
    meta = json_field(body, "usageMetadata", "usage_metadata") or {}
    extra = {k: v for k, v in (("trafficType", json_field(meta, "trafficType", "traffic_type")),
                               ("serviceTier", json_field(meta, "serviceTier", "service_tier")),
                               ("createTime", json_field(body, "createTime", "create_time"))) if v}
    feedback = json_field(body, "promptFeedback", "prompt_feedback") or {}
    block = json_field(feedback, "blockReason", "block_reason")
    if block:
        message = json_field(feedback, "blockReasonMessage", "block_reason_message")
        return Reply(
            status="blocked", images=[], reason=f"prompt blocked: {block}" + (f": {message}" if message else ""),
            usage=usage, response_id=response_id, model_version=model_version, extra=extra,
        )
    candidates = json_field(body, "candidates") or []
    if not candidates:
        return Reply(status="no_image", images=[], reason="the reply had no candidates", usage=usage,
                     response_id=response_id, model_version=model_version, extra=extra)
    cand = candidates[0]
    finish = json_field(cand, "finishReason", "finish_reason")
    finish_message = json_field(cand, "finishMessage", "finish_message")
    parts = json_field(json_field(cand, "content") or {}, "parts") or []
    inline_data = (json_field(json_field(p, "inlineData", "inline_data"), "data") for p in parts)
    check_encoded_size(sum(len(d) for d in inline_data if isinstance(d, str)), provider)
    turn_parts: list[TextPart | ImagePart] = []
    texts: list[str] = []
    finals: list[ReplyImage] = []
    for part in parts:
        thought = bool(json_field(part, "thought"))
        sig_text = json_field(part, "thoughtSignature", "thought_signature")
        sig = decode_b64(sig_text) if sig_text else None
        inline = json_field(part, "inlineData", "inline_data")
        text = json_field(part, "text")
        if inline and json_field(inline, "data"):
            mime = json_field(inline, "mimeType", "mime_type") or "application/octet-stream"
            data = decode_b64(json_field(inline, "data"))
            image_part = ImagePart.from_bytes(data, mime, thought=thought, thought_signature=sig)
            turn_parts.append(image_part)
            if not thought and mime.startswith("image/"):
                finals.append(ReplyImage(data, mime, image_part.sha256))
        elif text is not None:
            turn_parts.append(TextPart(text, thought=thought, thought_signature=sig))
            if not thought:
                texts.append(text)
    images = finals
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
        grounding=parse_grounding(json_field(cand, "groundingMetadata", "grounding_metadata")),
    )


def _strings(values: Any) -> list[str]:
    return [v for v in values or [] if isinstance(v, str) and v.strip()] if isinstance(values, list) else []


def parse_grounding(meta: Any) -> dict[str, Any] | None:
    """A candidate's ``groundingMetadata`` (https://ai.google.dev/api/generate-content#GroundingMetadata) -> the
    toolkit's grounding dict, or None when there is none.

    ``web_search_queries`` and ``image_search_queries`` (empty strings dropped), ``queries`` (how many were
    run: what search grounding bills), ``sources`` (``{"kind": "web" | "image", "title", "uri"}`` from
    ``groundingChunks[].web`` / ``.image``, an image's picture in ``image_uri``) and ``search_entry_point`` (the
    ``searchEntryPoint.renderedContent`` HTML, kept as sent: show it only sandboxed).

    >>> g = parse_grounding({"webSearchQueries": ["", "weather paris"], "groundingChunks": [
    ...     {"web": {"title": "example.org", "uri": "https://example.org/a"}}]})
    >>> g["queries"], g["sources"][0]["uri"]
    (1, 'https://example.org/a')
    """
    if not isinstance(meta, dict) or not meta:
        return None
    web = _strings(json_field(meta, "webSearchQueries", "web_search_queries"))
    image = _strings(json_field(meta, "imageSearchQueries", "image_search_queries"))
    sources: list[dict[str, str]] = []
    for chunk in json_field(meta, "groundingChunks", "grounding_chunks") or []:
        for kind in ("web", "image"):
            src = json_field(chunk, kind)
            if not isinstance(src, dict):
                continue
            uri = json_field(src, "uri") if kind == "web" else json_field(src, "sourceUri", "source_uri")
            entry = {"kind": kind, "title": str(json_field(src, "title") or json_field(src, "domain") or ""),
                     "uri": str(uri or "")}
            picture = json_field(src, "imageUri", "image_uri") if kind == "image" else None
            if picture:
                entry["image_uri"] = str(picture)
            sources.append(entry)
    entry_point = json_field(json_field(meta, "searchEntryPoint", "search_entry_point") or {},
                             "renderedContent", "rendered_content")
    return {"web_search_queries": web, "image_search_queries": image, "queries": len(web) + len(image),
            "sources": sources, "search_entry_point": entry_point if isinstance(entry_point, str) else None}


# -- streaming ------------------------------------------------------------------------------------------------
def text_deltas(chunk: dict[str, Any]) -> list[str]:
    """The non-thought text parts of one stream event (``candidates[0]``), in order.

    >>> text_deltas({"candidates": [{"content": {"parts": [{"text": "Here", "thought": True}, {"text": "Hi"}]}}]})
    ['Hi']
    """
    candidates = json_field(chunk, "candidates") or []
    if not candidates or not isinstance(candidates[0], dict):
        return []
    parts = json_field(json_field(candidates[0], "content") or {}, "parts") or []
    return [t for p in parts if isinstance(p, dict) and not json_field(p, "thought")
            and isinstance(t := json_field(p, "text"), str) and t]


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
        for part in json_field(candidates[0].get("content") or {}, "parts") or []:
            if not isinstance(part, dict):
                continue
            prev = parts[-1] if parts else None
            if (prev is not None and isinstance(prev.get("text"), str) and not prev.get("thought")
                    and isinstance(part.get("text"), str) and not part.get("thought")
                    and not json_field(part, "thoughtSignature", "thought_signature")):
                parts[-1] = {**prev, "text": prev["text"] + part["text"]}
            else:
                parts.append(dict(part))
    if parts or candidate:
        merged["candidates"] = [{**candidate, "content": {"role": "model", "parts": parts}}]
    return merged


# -- errors ---------------------------------------------------------------------------------------------------
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def retry_delay_s(body: Any) -> float | None:
    """The ``google.rpc.RetryInfo.retryDelay`` of an error body, in seconds (``"56s"``, ``"2.500s"``).

    >>> retry_delay_s({"error": {"details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
    ...                                       "retryDelay": "2.500s"}]}})
    2.5
    """
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


def gemini_hint(code: int | None, status: str | None, message: str, model: str | None) -> str | None:
    """The ``Fix:`` line for a Gemini API error (causes from https://ai.google.dev/gemini-api/docs/troubleshooting)."""
    if code == 404:
        info = registry.lookup(model) if model else None
        extra = ""
        if info is not None and info.successor:
            when = f"was listed to shut down on {info.shutdown}" if info.shutdown else "may have been retired"
            extra = f" {info.id} {when}; its successor is {info.successor!r}: pass model={info.successor!r}."
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
    if code in RETRYABLE_CODES:
        return f"the service, or a gateway in front of it, failed (HTTP {code}); this is retried."
    return f"see the provider's message above; HTTP {code} is not retried."


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
                      hint: HintFn | None = None) -> ProviderError | None:
    """An exception from the SDK call -> a ProviderError with a clear message (and no secret).

    None for exceptions that are not provider or transport failures (programming errors propagate).
    ``provider`` names the backend in the message (``"gemini"``, ``"vertex"``); ``hint(code, status,
    message, model)`` writes the ``Fix:`` line (default :func:`gemini_hint`).
    """
    write_hint = hint or gemini_hint
    from google.genai import errors as genai_errors

    if isinstance(e, genai_errors.APIError):
        body = e.details if isinstance(e.details, dict) else {}
        inner = body.get("error")
        err: dict[str, Any] = inner if isinstance(inner, dict) else body
        message = scrub(str(err.get("message") or e.message or "")) or "(no message)"
        status = e.status or err.get("status")
        cls = ModelNotFoundError if e.code == 404 else ProviderError
        return cls(
            provider, e.code, status, message, retry_after_s=retry_delay_s(body) if e.code == 429 else None,
            hint=write_hint(e.code, status, message, model),
        )
    if isinstance(e, genai_errors.UnknownApiResponseError) or e.__class__.__name__ in (
        "JSONDecodeError", "ValidationError"
    ):
        return MalformedReplyError(provider, f"the reply could not be parsed: {(scrub(str(e)) or '')[:300]}")
    if isinstance(e, _transport_errors()):
        name = type(e).__name__
        text = scrub(str(e)) or name
        return ProviderError(provider, None, name, text, hint=write_hint(None, None, text, model))
    return None


#: What a classroom gateway (``flash-image classroom serve``) charged the seat for a call, in USD ("0" for a
#: room-cache replay): the toolkit records it as the call's cost when the Studio was made with ``classroom=``.
CLASSROOM_CHARGE_HEADER = "x-classroom-charged-usd"


def classroom_charge(headers: Any) -> float | None:
    """The gateway's charge from a reply's headers (None when absent or not a finite amount of 0 or more).

    >>> classroom_charge({"X-Classroom-Charged-USD": "0.0672"}), classroom_charge({"x-classroom-charged-usd": "nan"})
    (0.0672, None)
    """
    if not headers:
        return None
    value = next((v for k, v in dict(headers).items() if str(k).lower() == CLASSROOM_CHARGE_HEADER), None)
    try:
        amount = float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return amount if amount is not None and 0 <= amount < 1e6 else None
