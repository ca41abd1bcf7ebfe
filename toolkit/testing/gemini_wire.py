"""The request side of the Gemini fake: routes, Google's error shape, and parsing a ``generateContent`` body.

Facts follow Google's documentation: the request format of
https://ai.google.dev/gemini-api/docs/image-generation, the error codes and bodies of
https://ai.google.dev/gemini-api/docs/generate-content/api-errors, and the thought-signature rule of
https://ai.google.dev/gemini-api/docs/thought-signatures. Where the fake has to choose something the real
API does not document, the choice is written next to the code.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import json
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import registry
from ..registry import ModelInfo
from .loopback import http_phrase

__all__ = [
    "CALL_METHODS",
    "GENERATION_METHODS",
    "MESSAGE_BY_CODE",
    "ROUTE",
    "STATUS_BY_CODE",
    "TROUBLESHOOTING",
    "ApiError",
    "GenRequest",
    "Reply",
    "available",
    "b64decode",
    "check_api_key",
    "decode_and_check_history",
    "get",
    "inline",
    "int64",
    "lookup_model",
    "page",
    "parse_generate",
    "route",
]

# google.rpc.Code names for the HTTP statuses Google's front end maps them from.
STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 500: "INTERNAL", 501: "UNIMPLEMENTED",
    503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}
TROUBLESHOOTING = "https://developers.generativeai.google/guide/troubleshooting"
MESSAGE_BY_CODE = {
    400: "Request contains an invalid argument.",
    401: "Request had invalid authentication credentials.",
    403: "The caller does not have permission",
    409: "The operation was aborted.",
    499: "The operation was cancelled.",
    500: f"An internal error has occurred. Please retry or report in {TROUBLESHOOTING}",
    501: "Method not implemented.",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}

GENERATION_METHODS = ("generateContent", "streamGenerateContent", "countTokens", "batchGenerateContent")
CALL_METHODS = frozenset({"generateContent", "streamGenerateContent"})
_INPUT_IMAGE_MIMES = frozenset({"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"})
_THOUGHT_SIGNATURE_HELP = (
    "Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures#model-behavior for more details."
)
_PERSON_GENERATION = frozenset({"ALLOW_ALL", "ALLOW_ADULT", "ALLOW_NONE"})
_PROMINENT_PEOPLE = frozenset({"PROMINENT_PEOPLE_UNSPECIFIED", "ALLOW_PROMINENT_PEOPLE", "BLOCK_PROMINENT_PEOPLE"})
_OUTPUT_MIMES = frozenset({"image/png", "image/jpeg"})
_VERTEX_ONLY_IMAGE_FIELDS = ("personGeneration", "prominentPeople", "imageOutputOptions", "outputMimeType",
                             "outputCompressionQuality")

ROUTE = re.compile(r"^(?P<prefix>(?:/[^/]+)*?)/(?P<version>v1|v1beta|v1alpha)/(?P<rest>.*)$")
_MODELS_ROUTE = re.compile(r"^models(?:/(?P<model>[^:/]+)(?::(?P<method>[A-Za-z]+))?)?/?$")
_FILES_ROUTE = re.compile(r"^files(?:/(?P<id>[^:/]+)(?::(?P<method>download))?)?/?$")
_BATCHES_ROUTE = re.compile(r"^batches(?:/(?P<id>[^:/]+)(?::(?P<method>cancel))?)?/?$")


class ApiError(Exception):
    """An error answer in Google's JSON shape: ``{"error": {"code", "message", "status", "details"?}}``."""

    def __init__(self, code: int, message: str | None = None, *, status: str | None = None,
                 details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status or STATUS_BY_CODE.get(code, "UNKNOWN")
        self.message = message or MESSAGE_BY_CODE.get(code) or http_phrase(code)
        self.details = details

    def payload(self) -> dict[str, Any]:
        """The JSON body."""
        err: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            err["details"] = self.details
        return {"error": err}

    def status_json(self) -> dict[str, Any]:
        """The ``google.rpc.Status`` of a failed batch item: code, message and status."""
        return {"code": self.code, "message": self.message, "status": self.status}


@dataclass(frozen=True)
class Reply:
    """An HTTP answer built away from the handler (the Batch and Files API build theirs this way)."""

    code: int
    body: bytes
    content_type: str = "application/json; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, code: int, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
        """Compact JSON."""
        return cls(code, json.dumps(payload, separators=(",", ":")).encode(), headers=dict(headers or {}))


# --------------------------------------------------------------------------------------------------
# Routing, keys and models
# --------------------------------------------------------------------------------------------------


def route(method: str, prefix: str, rest: str, query: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
    """``(action, model, resource id)`` for the part of a Gemini API path after the version segment."""
    mm = _MODELS_ROUTE.match(rest)
    if mm:
        model = mm["model"]
        if mm["method"]:
            return (mm["method"] if method == "POST" else None), model, None
        if method == "GET":
            return ("get" if model else "list"), model, None
        return None, model, None
    fm = _FILES_ROUTE.match(rest)
    if fm:
        file_id = fm["id"]
        if prefix.endswith("/upload"):  # POST /upload/{v}/files starts a session; ?upload_id= sends to it
            if file_id is None and method == "POST":
                return ("files.upload" if "upload_id" in query else "files.create"), None, None
            return None, None, None
        if fm["method"] == "download":  # /{v}/files/x:download and /download/{v}/files/x:download
            return ("files.download" if method == "GET" else None), None, file_id
        if prefix.endswith("/download"):
            return None, None, None
        if file_id is None:
            return ("files.list" if method == "GET" else None), None, None
        return {"GET": "files.get", "DELETE": "files.delete"}.get(method), None, file_id
    bm = _BATCHES_ROUTE.match(rest)
    if bm:
        batch_id = bm["id"]
        if bm["method"] == "cancel":
            return ("batches.cancel" if method == "POST" else None), None, batch_id
        if batch_id is None:
            return ("batches.list" if method == "GET" else None), None, None
        return {"GET": "batches.get", "DELETE": "batches.delete"}.get(method), None, batch_id
    return None, None, None


def page(query: Mapping[str, str]) -> tuple[int, int]:
    """``(start, size)`` of a list request's ``pageToken`` / ``pageSize``."""
    try:
        size = max(1, min(1000, int(query.get("pageSize") or 50)))
        start = max(0, int(query.get("pageToken") or 0))
    except ValueError:
        raise ApiError(400, "Invalid page size or page token.") from None
    return start, size


def paged(field: str, items: Sequence[Any], query: Mapping[str, str],
          render: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """One page of a list response: ``{field: [...], "nextPageToken": ...}`` (the token only when more remain)."""
    start, size = page(query)
    payload: dict[str, Any] = {field: [render(item) for item in items[start:start + size]]}
    if start + size < len(items):
        payload["nextPageToken"] = str(start + size)
    return payload


def check_api_key(key: str | None, expected: str | None) -> ApiError | None:
    """The error for a missing (403) or wrong (400 ``API_KEY_INVALID``) key; None when it is accepted.

    A missing key gets 403 ``PERMISSION_DENIED`` ("Method doesn't allow unregistered callers"), as the real
    API answers; only a wrong key gets 400 ``API_KEY_INVALID``.
    """
    if expected is None:
        return None
    if not key:
        return ApiError(
            403, "Method doesn't allow unregistered callers (callers without established identity). "
            "Please use API Key or other form of API consumer identity to call this API.",
        )
    if not secrets.compare_digest(key.encode(), expected.encode()):
        msg = "API key not valid. Please pass a valid API key."
        return ApiError(400, msg, details=[
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
             "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}},
            {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": msg},
        ])
    return None


def available(info: ModelInfo, today: dt.date | None) -> bool:
    """Whether the model is served on ``today`` (default: the real date): released and not shut down."""
    today = today or dt.date.today()
    if info.shutdown is not None and today >= info.shutdown:
        return False
    return not (info.released is not None and today < info.released)


def lookup_model(model_id: str, version: str, method: str, today: dt.date | None,
                 vertex_path: str | None = None) -> ModelInfo:
    """The served model with this canonical id, else the real 404 (Vertex's when ``vertex_path`` is set).

    Only canonical ids: the real API knows no toolkit aliases (``nano-banana-2``), and a client that sends
    one is buggy.
    """
    info = registry.lookup(model_id)
    if info is not None and info.id == model_id and available(info, today):
        return info
    if vertex_path is not None:
        raise ApiError(
            404, f"Publisher Model `{vertex_path}` was not found or your project does not have access to it. "
            "Please ensure you are using a valid model version. For more information, see: "
            "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions",
        )
    raise ApiError(
        404, f"models/{model_id} is not found for API version {version}, or is not supported for "
        f"{method}. Call ListModels to see the list of available models and their supported methods.",
    )


# --------------------------------------------------------------------------------------------------
# Field access
# --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()


def get(obj: Any, camel: str, default: Any = None) -> Any:
    """A field by its proto-JSON name, accepting camelCase and snake_case spellings."""
    if not isinstance(obj, Mapping):
        return default
    if camel in obj:
        return obj[camel]
    return obj.get(_snake(camel), default)


def int64(value: Any) -> int | None:
    """An integer field as proto-JSON allows it (a number or a decimal string); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def b64decode(data: Any, where: str) -> bytes:
    """Decode base64 in either alphabet, padding optional (the SDK sends URL-safe, REST docs standard)."""
    if not isinstance(data, str):
        raise ApiError(400, f"Invalid value at '{where}' (TYPE_BYTES), expected a base64 string.")
    s = "".join(data.split()).replace("-", "+").replace("_", "/")
    s += "=" * (-len(s) % 4)
    try:
        return base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(
            400, f"Invalid value at '{where}' (TYPE_BYTES), Base64 decoding failed for \"{data[:40]}\""
        ) from None


def inline(part: Any) -> Mapping[str, Any] | None:
    """A part's ``inlineData`` blob, or None."""
    blob = get(part, "inlineData")
    return blob if isinstance(blob, Mapping) else None


def _is_thought(part: Mapping[str, Any]) -> bool:
    return get(part, "thought") is True


# --------------------------------------------------------------------------------------------------
# generateContent requests
# --------------------------------------------------------------------------------------------------


@dataclass
class GenRequest:
    """A validated ``generateContent`` request, reduced to what the answer needs."""

    model: ModelInfo
    version: str
    digest: str
    prompt: str
    images: list[bytes]
    aspect_ratio: str | None
    image_size: str | None
    seed: int
    text_out: bool
    image_out: bool
    input_image_count: int
    vertex: bool = False
    person_generation: str | None = None
    prominent_people: str | None = None
    output_mime: str | None = None
    output_quality: int | None = None
    include_thoughts: bool = False
    thinking_level: str | None = None
    #: Search types of a ``googleSearch`` tool (``("web",)``, ``("image",)``, both), empty without one.
    grounding: tuple[str, ...] = ()
    #: The request's top-level ``serviceTier`` (lower case), ``"standard"`` when absent.
    service_tier: str = "standard"


#: Every ``imageSize`` value the API knows; 2.5 Flash Image accepts these and ignores them.
_KNOWN_IMAGE_SIZES = frozenset({"512", "1K", "2K", "4K"})
_THINKING_LEVELS = frozenset({"MINIMAL", "LOW", "MEDIUM", "HIGH", "XHIGH", "THINKING_LEVEL_UNSPECIFIED"})
_SERVICE_TIERS = frozenset({"unspecified", "standard", "flex", "priority"})


def parse_generate(today: dt.date | None, version: str, model_id: str, method: str, body: Any,
                   vertex_path: str | None = None) -> GenRequest:
    """Parse and validate a generate body; ``vertex_path`` (the model's resource path) marks the Vertex surface."""
    if not isinstance(body, Mapping):
        raise ApiError(400, "Invalid JSON payload received. Expected an object.")
    info = lookup_model(model_id, version, method, today, vertex_path)
    contents = get(body, "contents")
    if not isinstance(contents, list) or not contents:
        raise ApiError(400, "* GenerateContentRequest.contents: contents is not specified\n")
    gen = get(body, "generationConfig") or {}
    if not isinstance(gen, Mapping):
        raise ApiError(400, "Invalid JSON payload received. 'generation_config' must be an object.")

    count = int64(get(gen, "candidateCount"))
    if count is not None and count > 1:
        raise ApiError(400, f"Multiple candidates is not enabled for models/{info.id}")

    modalities = get(gen, "responseModalities")
    text_out = image_out = True
    if modalities is not None:
        if not isinstance(modalities, list):
            raise ApiError(400, "Invalid value at 'generation_config.response_modalities', expected a list.")
        names = set()
        for i, m in enumerate(modalities):
            name = str(m).upper()
            if name not in {"TEXT", "IMAGE", "AUDIO", "MODALITY_UNSPECIFIED"}:
                raise ApiError(400, f"Invalid value at 'generation_config.response_modalities[{i}]' "
                                    f"(type.googleapis.com/google.ai.generativelanguage.{version}."
                                    f"GenerationConfig.Modality), \"{m}\"")
            names.add(name)
        if "AUDIO" in names:
            raise ApiError(400, "Model does not support the requested response modalities: audio")
        if names - {"MODALITY_UNSPECIFIED"}:
            text_out, image_out = "TEXT" in names, "IMAGE" in names

    image_config = get(gen, "imageConfig") or {}
    if not isinstance(image_config, Mapping):
        raise ApiError(400, "Invalid JSON payload received. 'image_config' must be an object.")
    aspect_ratio = get(image_config, "aspectRatio")
    image_size = get(image_config, "imageSize")
    if image_size == "512px":  # the spelling Google's cookbook (and much public code) sends for 512
        image_size = "512"
    if aspect_ratio is not None and aspect_ratio not in info.aspect_ratios:
        raise ApiError(400, f"Unsupported aspect ratio {aspect_ratio!r} for models/{info.id}. "
                            f"Supported aspect ratios: {', '.join(info.aspect_ratios)}.")
    if image_size is not None:
        if not info.image_sizes:
            # 2.5 Flash Image accepts a size and ignores it: Google's cookbook's saved run of
            # gemini-2.5-flash-image with image_size="1K" shows a 1152x896 (its fixed 5:4) output.
            if image_size not in _KNOWN_IMAGE_SIZES:
                raise ApiError(400, f"Unsupported image size {image_size!r}. Use one of 512, 1K, 2K, 4K "
                                    "(with an uppercase K).")
            image_size = None
        elif image_size not in info.image_sizes:
            raise ApiError(400, f"Unsupported image size {image_size!r} for models/{info.id}. "
                                f"Supported image sizes: {', '.join(info.image_sizes)}.")
    vertex_options = _vertex_image_options(image_config, version, vertex_path is not None)
    include_thoughts, thinking_level = _thinking(gen, info, version)
    grounding = _grounding(get(body, "tools"), info)
    service_tier = _service_tier(get(body, "serviceTier"), info, version)

    decoded = decode_and_check_history(contents, info)

    last_user = next((i for i in range(len(contents) - 1, -1, -1)
                      if get(contents[i], "role") in (None, "", "user")), len(contents) - 1)
    user_parts = get(contents[last_user], "parts") or []
    prompt = "\n".join(p["text"] for p in user_parts if isinstance(p.get("text"), str) and not _is_thought(p))
    images = [decoded[(last_user, j)] for j, p in enumerate(user_parts)
              if (last_user, j) in decoded and not _is_thought(p)]
    if not images:
        # A chat follow-up with no image of its own edits the last image of the conversation.
        for i in range(last_user - 1, -1, -1):
            parts = get(contents[i], "parts") or []
            found = [decoded[(i, j)] for j, p in enumerate(parts) if (i, j) in decoded and not _is_thought(p)]
            if found:
                images = [found[-1]]
                break

    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    seed = int64(get(gen, "seed"))
    if seed is None:
        seed = int(digest[:8], 16)
    n_inputs = sum(1 for key in decoded if key[0] == last_user)
    return GenRequest(
        model=info, version=version, digest=digest, prompt=prompt, images=images, aspect_ratio=aspect_ratio,
        image_size=image_size, seed=seed, text_out=text_out, image_out=image_out,
        input_image_count=n_inputs or len(images), vertex=vertex_path is not None, **vertex_options,
        include_thoughts=include_thoughts, thinking_level=thinking_level, grounding=grounding,
        service_tier=service_tier,
    )


def _thinking(gen: Mapping[str, Any], info: ModelInfo, version: str) -> tuple[bool, str | None]:
    """``(includeThoughts, thinkingLevel)`` of ``thinkingConfig``: a level on a model without levels gets the
    real 400; one the model does not list (``minimal`` on 3 Pro) the fake's own 400 naming those it takes."""
    config = get(gen, "thinkingConfig")
    if not isinstance(config, Mapping):
        if config is not None:
            raise ApiError(400, "Invalid JSON payload received. 'thinking_config' must be an object.")
        return False, None
    level = get(config, "thinkingLevel")
    name = None if level is None else str(level).upper()
    if name is not None and name not in _THINKING_LEVELS:
        raise ApiError(400, f"Invalid value at 'generation_config.thinking_config.thinking_level' (type.googleapis"
                            f".com/google.ai.generativelanguage.{version}.ThinkingConfig.ThinkingLevel), \"{level}\"")
    if name is not None and name != "THINKING_LEVEL_UNSPECIFIED":
        if not info.thinking_levels:
            raise ApiError(400, "Thinking level is not supported for this model.")
        if name.lower() not in info.thinking_levels:
            raise ApiError(400, f"Thinking level {name} is not supported for models/{info.id}. Supported levels: "
                                f"{', '.join(v.upper() for v in info.thinking_levels)}.")
        return get(config, "includeThoughts") is True, name.lower()
    return get(config, "includeThoughts") is True, None


def _grounding(tools: Any, info: ModelInfo) -> tuple[str, ...]:
    """The search types of a ``googleSearch`` tool (``{}`` is web; ``searchTypes`` names ``webSearch`` and/or
    ``imageSearch``). A model with no grounding gets the real "Search Grounding is not supported." (quoted in
    googleapis/go-genai#429); image search on a web-only model is the fake's own 400."""
    if not isinstance(tools, list):
        if tools is not None:
            raise ApiError(400, "Invalid value at 'tools', expected a list.")
        return ()
    found: set[str] = set()
    for tool in tools:
        if get(tool, "googleSearchRetrieval") is not None:
            raise ApiError(400, "Unable to submit request because Please use google_search field instead of "
                                "google_search_retrieval field.")
        search = get(tool, "googleSearch")
        if search is not None:
            kinds = get(search, "searchTypes")
            named = {t for t, key in (("web", "webSearch"), ("image", "imageSearch")) if get(kinds, key) is not None}
            found |= named or {"web"}
    if found and not info.grounding:
        raise ApiError(400, "Search Grounding is not supported.")
    if "image" in found and "image" not in info.grounding:
        raise ApiError(400, f"Image search is not supported for models/{info.id}; use web search only.")
    return tuple(t for t in ("web", "image") if t in found)


def _service_tier(value: Any, info: ModelInfo, version: str) -> str:
    """The request's ``serviceTier`` (``flex``, ``priority``, ``standard``), checked against the registry."""
    tier = "standard" if value is None else str(value).lower().removeprefix("service_tier_")
    if tier not in _SERVICE_TIERS:
        raise ApiError(400, f"Invalid value at 'service_tier' (type.googleapis.com/google.ai.generativelanguage."
                            f"{version}.ServiceTier), \"{value}\"")
    tier = "standard" if tier == "unspecified" else tier
    if tier not in info.service_tiers:
        raise ApiError(400, f"Service tier {tier!r} is not supported for models/{info.id}. Supported tiers: "
                            f"{', '.join(info.service_tiers)}.")
    return tier


def decode_and_check_history(contents: list[Any], info: ModelInfo) -> dict[tuple[int, int], bytes]:
    """Decode every inline image and enforce thought signatures; returns {(content, part): bytes}.

    Signature rule (Gemini 3 image models, https://ai.google.dev/gemini-api/docs/thought-signatures): in a
    model turn, every non-thought image part and the first non-thought text part that comes before any
    image must carry a ``thoughtSignature``. Consecutive ``model`` contents form one turn, because the SDK's
    streaming chat records one Content per chunk. Positions in the error are 1-based indices into
    ``contents`` and into that content's ``parts`` (thought parts included): "content position 2, part
    position 1" is the first part of the first model reply after one user turn, matching public reports
    such as gunpal5/Google_GenerativeAI#86.
    """
    decoded: dict[tuple[int, int], bytes] = {}
    prev_role = None
    seen_text = seen_image = False
    for i, content in enumerate(contents):
        if not isinstance(content, Mapping):
            raise ApiError(400, f"Invalid value at 'contents[{i}]', expected an object.")
        role = get(content, "role")
        if role not in (None, "", "user", "model"):
            raise ApiError(400, "Please use a valid role: user, model.")
        if role == "model" and prev_role != "model":
            seen_text = seen_image = False
        prev_role = role
        parts = get(content, "parts") or []
        if not isinstance(parts, list):
            raise ApiError(400, f"Invalid value at 'contents[{i}].parts', expected a list.")
        for j, part in enumerate(parts):
            if not isinstance(part, Mapping):
                raise ApiError(400, f"Invalid value at 'contents[{i}].parts[{j}]', expected an object.")
            blob = inline(part)
            is_image = False
            if blob is not None:
                mime = get(blob, "mimeType")
                if not mime:
                    raise ApiError(400, f"* GenerateContentRequest.contents[{i}].parts[{j}].inline_data."
                                        "mime_type: mime_type is not specified\n")
                data = b64decode(get(blob, "data"), f"contents[{i}].parts[{j}].inline_data.data")
                if str(mime).startswith("image/"):
                    if mime not in _INPUT_IMAGE_MIMES:
                        raise ApiError(400, f"Unsupported MIME type: {mime}")
                    decoded[(i, j)] = data
                    is_image = True
            if role != "model" or not info.thinking or _is_thought(part):
                continue
            signed = bool(get(part, "thoughtSignature"))
            if is_image:
                if not signed:
                    raise ApiError(400, f"Image part is missing a thought_signature in content position {i + 1}, "
                                        f"part position {j + 1}. {_THOUGHT_SIGNATURE_HELP}")
                seen_image = True
            elif isinstance(part.get("text"), str):
                if not seen_text and not seen_image and not signed:
                    raise ApiError(400, f"Text part is missing a thought_signature in content position {i + 1}, "
                                        f"part position {j + 1}. {_THOUGHT_SIGNATURE_HELP}")
                seen_text = True
    return decoded


def _vertex_image_options(image_config: Mapping[str, Any], version: str, vertex: bool) -> dict[str, Any]:
    """Validate the Vertex-only ``imageConfig`` fields; on the Gemini surface any of them is a 400."""
    present = [f for f in _VERTEX_ONLY_IMAGE_FIELDS if get(image_config, f) is not None]
    if not vertex:
        if present:
            # What proto-JSON answers for a field the Gemini API's ImageConfig does not have.
            text = (f"Invalid JSON payload received. Unknown name \"{present[0]}\" at "
                    "'generation_config.image_config': Cannot find field.")
            raise ApiError(400, text, details=[
                {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [
                    {"field": "generation_config.image_config", "description": text}]}])
        return {}
    proto = f"type.googleapis.com/google.cloud.aiplatform.{version}.ImageConfig"
    person = get(image_config, "personGeneration")
    if person is not None and person not in _PERSON_GENERATION:
        raise ApiError(400, f"Invalid value at 'generation_config.image_config.person_generation' "
                            f"({proto}.PersonGeneration), \"{person}\"")
    prominent = get(image_config, "prominentPeople")
    if prominent is not None and prominent not in _PROMINENT_PEOPLE:
        raise ApiError(400, f"Invalid value at 'generation_config.image_config.prominent_people' "
                            f"({proto}.ProminentPeople), \"{prominent}\"")
    output = get(image_config, "imageOutputOptions") or {}
    if not isinstance(output, Mapping):
        raise ApiError(400, "Invalid JSON payload received. 'image_output_options' must be an object.")
    mime = get(output, "mimeType")
    if mime is not None and mime not in _OUTPUT_MIMES:
        raise ApiError(400, f"Unsupported output MIME type {mime!r}. Supported: image/png, image/jpeg.")
    quality = get(output, "compressionQuality")
    if quality is not None:
        quality = int64(quality)
        if quality is None or not 0 <= quality <= 100:
            raise ApiError(400, "image_output_options.compression_quality must be between 0 and 100.")
    return {"person_generation": person, "prominent_people": prominent, "output_mime": mime,
            "output_quality": quality}
