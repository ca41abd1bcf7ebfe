"""Test seam: :class:`FakeGeminiServer`, a loopback fake of the Gemini REST API.

The server speaks enough of ``generativelanguage.googleapis.com`` for the real google-genai SDK (and for
plain HTTP clients) to be pointed at it with ``HttpOptions(base_url=...)``: ``generateContent``,
``streamGenerateContent`` (SSE), ``countTokens``, ``models.list`` and ``models.get``, the Batch API
(``batchGenerateContent``, ``batches.get/list/cancel/delete``) and the Files API (resumable upload, get,
list, delete, download), under ``/v1``, ``/v1beta`` or ``/v1alpha`` and behind an optional path prefix. It also
serves the Vertex AI surface (``genai.Client(vertexai=True)``): ``/v1beta1|v1/projects/{p}/locations/{l}/publishers/
google/models/{m}:generateContent`` and ``:streamGenerateContent``, the express-mode paths without the project,
base-model listing, and an OAuth token endpoint (``/token``) for Application Default Credentials. Successful calls are answered with images
from the offline simulator (:func:`toolkit.simulator.render`), so pixel sizes, MIME types and token counts
look like the real model's. Tests script what the next calls get (:meth:`FakeGeminiServer.enqueue`) or
inject faults at random (``faults=``), and read back what was sent (:attr:`FakeGeminiServer.requests`).

Wire facts come from ``shared/reference/gemini-image-api.md`` (sections 1, 2, 3, 4.3, 5 and 11). Where the
fake has to choose something the real API does not document, the choice is written next to the code.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import functools
import hashlib
import http
import io
import itertools
import json
import random
import re
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from . import registry
from ._scripted import LoopbackHandler, LoopbackHTTPServer, ScriptedRecords
from .registry import ModelInfo

__all__ = ["FakeBatch", "FakeFile", "FakeGeminiServer", "Outcome", "RecordedRequest"]

REDACTED = "<redacted>"

_KINDS = frozenset({
    "ok", "blocked", "finish", "text_only", "error", "drop", "stall", "html", "malformed",
    "many_images", "thoughts_with_interim_images",
})

# google.rpc.Code names for the HTTP statuses Google's front end maps them from.
_STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 500: "INTERNAL", 501: "UNIMPLEMENTED",
    503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}
_TROUBLESHOOTING = "https://developers.generativeai.google/guide/troubleshooting"
_MESSAGE_BY_CODE = {
    400: "Request contains an invalid argument.",
    401: "Request had invalid authentication credentials.",
    403: "The caller does not have permission",
    409: "The operation was aborted.",
    499: "The operation was cancelled.",
    500: f"An internal error has occurred. Please retry or report in {_TROUBLESHOOTING}",
    501: "Method not implemented.",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}
_DEFAULT_RETRY_DELAY = "0.05s"  # short on purpose: retry loops in tests should not sleep for real

# finishMessage texts modelled on real refusals (reference 1.4c); NO_IMAGE and IMAGE_OTHER come without
# one on the real API, so they get none unless the caller (or the simulator) supplies it.
_FINISH_MESSAGES = {
    "IMAGE_SAFETY": "Unable to show the generated image. The generated image may violate Google's "
    "Generative AI Prohibited Use policy. Try rephrasing the prompt. If you think this was an error, "
    "send feedback. Support code: {code}.",
    "IMAGE_PROHIBITED_CONTENT": "The model output could not be generated. This output contains sensitive "
    "words that violate Google's Responsible AI practices. If you think this was an error, send feedback. "
    "Support code: {code}.",
    "PROHIBITED_CONTENT": "The model output could not be generated. This output may contain prohibited "
    "content. If you think this was an error, send feedback. Support code: {code}.",
    "SAFETY": "The model output could not be generated because it may violate Google's Responsible AI "
    "practices. If you think this was an error, send feedback. Support code: {code}.",
    "IMAGE_RECITATION": "The generated image may be a recitation from a source and was not returned. "
    "Support code: {code}.",
}

_GENERATION_METHODS = ["generateContent", "streamGenerateContent", "countTokens", "batchGenerateContent"]
_CALL_METHODS = frozenset({"generateContent", "streamGenerateContent"})
_INPUT_IMAGE_MIMES = frozenset({"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"})
_THOUGHT_SIGNATURE_HELP = (
    "Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures#model-behavior for more details."
)

_ROUTE = re.compile(r"^(?P<prefix>(?:/[^/]+)*?)/(?P<version>v1|v1beta|v1alpha)/(?P<rest>.*)$")
# Vertex AI (reference section 8): project paths, and express mode (an API key, no project) without them.
_VERTEX_ROUTE = re.compile(
    r"^(?P<prefix>(?:/[^/]+)*?)/(?P<version>v1|v1beta1)/"
    r"(?:projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/)?"
    r"publishers/(?P<publisher>[^/]+)/models(?:/(?P<model>[^:/]+)(?::(?P<method>[A-Za-z]+))?)?/?$"
)
_VERTEX_METHODS = frozenset({"generateContent", "streamGenerateContent", "countTokens"})
_PERSON_GENERATION = frozenset({"ALLOW_ALL", "ALLOW_ADULT", "ALLOW_NONE"})
_PROMINENT_PEOPLE = frozenset({"PROMINENT_PEOPLE_UNSPECIFIED", "ALLOW_PROMINENT_PEOPLE", "BLOCK_PROMINENT_PEOPLE"})
_OUTPUT_MIMES = frozenset({"image/png", "image/jpeg"})
_VERTEX_ONLY_IMAGE_FIELDS = ("personGeneration", "prominentPeople", "imageOutputOptions", "outputMimeType",
                             "outputCompressionQuality")
_OAUTH_LOGIN_HELP = "See https://developers.google.com/identity/sign-in/web/devconsole-project."
_MODELS_ROUTE = re.compile(r"^models(?:/(?P<model>[^:/]+)(?::(?P<method>[A-Za-z]+))?)?/?$")
_FILES_ROUTE = re.compile(r"^files(?:/(?P<id>[^:/]+)(?::(?P<method>download))?)?/?$")
_BATCHES_ROUTE = re.compile(r"^batches(?:/(?P<id>[^:/]+)(?::(?P<method>cancel))?)?/?$")

# Batch API (reference section 5). The real @type names say v1main whatever the path version.
_BATCH_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
_BATCH_OUTPUT_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"
_BATCH_LIVE = frozenset({"BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"})
_BATCH_STATES = frozenset({
    "BATCH_STATE_PENDING", "BATCH_STATE_RUNNING", "BATCH_STATE_SUCCEEDED", "BATCH_STATE_FAILED",
    "BATCH_STATE_CANCELLED", "BATCH_STATE_EXPIRED",
})
INLINE_BATCH_LIMIT_BYTES = 20 * 1024 * 1024  # "inlined requests up to a 20 MB total" (reference section 5)


# --------------------------------------------------------------------------------------------------
# Public values
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """How the fake answers one ``generateContent`` / ``streamGenerateContent`` call.

    Build one with the constructors (``Outcome.ok()``, ``Outcome.error(429)``, ...) or pass a string
    shortcut to :meth:`FakeGeminiServer.enqueue` (see :meth:`parse`). HTTP-level outcomes (``error``,
    ``drop``, ``html``, ``malformed``) are applied before the request is validated, the way a front end
    or load balancer fails before the model sees anything; content outcomes (``blocked``, ``finish``,
    ``text_only``, ``many_images``, ...) apply to valid requests.

    Attributes
    ----------
    kind : str
        One of ``ok``, ``blocked``, ``finish``, ``text_only``, ``error``, ``drop``, ``stall``, ``html``,
        ``malformed``, ``many_images``, ``thoughts_with_interim_images``.
    reason : str or None
        ``blockReason`` (blocked) or ``finishReason`` (finish).
    message : str or None
        ``finishMessage`` (finish) or the error message (error).
    text : str or None
        The text part of a ``text_only`` answer.
    code, status : int, str or None
        HTTP code and ``google.rpc.Code`` name of an ``error`` (or the code of an ``html`` page).
    retry_delay : str or None
        ``RetryInfo.retryDelay`` of a 429, as a protobuf Duration string such as ``"2s"``.
    seconds : float
        How long a ``stall`` sleeps before answering normally.
    count : int
        Number of final images of ``many_images``.
    mid_stream : bool
        For ``error`` on a streaming call: send two text events first, then the error as an SSE event
        (``data: {"error": ...}``) instead of failing the HTTP response.
    """

    kind: str
    reason: str | None = None
    message: str | None = None
    text: str | None = None
    code: int | None = None
    status: str | None = None
    retry_delay: str | None = None
    seconds: float = 0.0
    count: int = 1
    mid_stream: bool = False

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"Unknown outcome kind {self.kind!r}; use one of {', '.join(sorted(_KINDS))}.")

    @classmethod
    def ok(cls) -> Outcome:
        """Answer normally (simulator image, or ``static_image``)."""
        return cls("ok")

    @classmethod
    def blocked(cls, reason: str = "PROHIBITED_CONTENT") -> Outcome:
        """Block the prompt: HTTP 200 with ``promptFeedback.blockReason`` and no candidates."""
        return cls("blocked", reason=reason)

    @classmethod
    def finish(cls, reason: str, message: str | None = None) -> Outcome:
        """HTTP 200 with one candidate, no parts and this ``finishReason`` (``IMAGE_SAFETY``, ``NO_IMAGE``, ...).

        ``message`` becomes ``finishMessage``; by default safety reasons get a realistic refusal text and
        ``NO_IMAGE`` / ``IMAGE_OTHER`` get none, as on the real API.
        """
        return cls("finish", reason=reason.upper(), message=message)

    @classmethod
    def text_only(cls, text: str = "I can describe it, but I did not draw an image this time.") -> Outcome:
        """Finish with ``STOP`` and only a text part (the model chose not to draw)."""
        return cls("text_only", text=text)

    @classmethod
    def error(
        cls,
        code: int,
        status: str | None = None,
        message: str | None = None,
        retry_delay: str | float | None = None,
        *,
        mid_stream: bool = False,
    ) -> Outcome:
        """Answer with HTTP ``code`` and Google's error JSON (429 adds Help, QuotaFailure and RetryInfo).

        ``retry_delay`` may be a Duration string (``"2s"``, ``"0.500s"``) or seconds as a number; a 429
        defaults to ``"0.05s"`` so tests that honour it stay fast.
        """
        code = int(code)
        if not 400 <= code <= 599:
            raise ValueError(f"An error outcome needs an HTTP code from 400 to 599, not {code}.")
        delay = _duration(retry_delay) if retry_delay is not None else None
        if delay is None and code == 429:
            delay = _DEFAULT_RETRY_DELAY
        return cls("error", code=code, status=status, message=message, retry_delay=delay, mid_stream=mid_stream)

    @classmethod
    def drop(cls) -> Outcome:
        """Close the connection without answering (the client sees a transport error)."""
        return cls("drop")

    @classmethod
    def stall(cls, seconds: float) -> Outcome:
        """Sleep ``seconds`` (on top of ``latency_s``), then answer normally; pair with a client timeout."""
        if seconds < 0:
            raise ValueError("stall seconds must be >= 0.")
        return cls("stall", seconds=float(seconds))

    @classmethod
    def html(cls, code: int = 502) -> Outcome:
        """Answer with a non-JSON HTML error page, as Google's edge does for 502s."""
        return cls("html", code=int(code))

    @classmethod
    def malformed(cls) -> Outcome:
        """HTTP 200 whose JSON body is cut off half-way."""
        return cls("malformed")

    @classmethod
    def many_images(cls, k: int = 3) -> Outcome:
        """Answer with ``k`` final (non-thought) image parts, each billed."""
        if k < 1:
            raise ValueError("many_images needs k >= 1.")
        return cls("many_images", count=int(k))

    @classmethod
    def thoughts_with_interim_images(cls) -> Outcome:
        """Thought parts including an interim ``thought: true`` image, then the final image (the last one)."""
        return cls("thoughts_with_interim_images")

    @classmethod
    def parse(cls, spec: str | int | Outcome) -> Outcome:
        """An :class:`Outcome` from a shortcut.

        Shortcuts (case-insensitive): ``ok``, ``blocked``, ``image_safety``, ``image_prohibited_content``,
        ``prohibited_content``, ``image_recitation``, ``no_image``, ``image_other``, ``text_only``,
        ``drop``, ``html``, ``malformed``, ``many_images`` (3), ``thoughts_with_interim_images``, and HTTP
        codes such as ``"429"`` or ``503``.
        """
        if isinstance(spec, Outcome):
            return spec
        if isinstance(spec, int) and not isinstance(spec, bool):
            return cls.error(spec)
        if not isinstance(spec, str):
            raise TypeError(f"An outcome is a str, an int HTTP code or an Outcome, not {type(spec).__name__}.")
        key = spec.strip().lower()
        if key.isdigit():
            return cls.error(int(key))
        if key in _FINISH_SHORTCUTS:
            return cls.finish(key.upper())
        factory = _SIMPLE_SHORTCUTS.get(key)
        if factory is None:
            names = sorted([*_SIMPLE_SHORTCUTS, *_FINISH_SHORTCUTS])
            raise ValueError(f"Unknown outcome {spec!r}; use one of {', '.join(names)}, an HTTP code, or Outcome.*().")
        return factory()


_FINISH_SHORTCUTS = frozenset({
    "image_safety", "image_prohibited_content", "prohibited_content", "image_recitation", "no_image",
    "image_other",
})
_SIMPLE_SHORTCUTS = {
    "ok": Outcome.ok, "blocked": Outcome.blocked, "text_only": Outcome.text_only, "drop": Outcome.drop,
    "html": Outcome.html, "malformed": Outcome.malformed, "many_images": Outcome.many_images,
    "thoughts_with_interim_images": Outcome.thoughts_with_interim_images,
}
_OK = Outcome.ok()


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the fake received, with credentials redacted.

    Attributes
    ----------
    method : str
        HTTP method.
    path : str
        URL path without the query string (so a ``?key=`` never lands here).
    version : str or None
        ``"v1"``, ``"v1beta"`` or ``"v1alpha"``; None when the path matched no route.
    model : str or None
        Model id from the path, without ``models/``.
    action : str or None
        ``generateContent``, ``streamGenerateContent``, ``countTokens``, ``list`` or ``get`` (models);
        ``batchGenerateContent``, ``batches.get``, ``batches.list``, ``batches.cancel``, ``batches.delete``;
        ``files.create`` (upload start), ``files.upload`` (a chunk), ``files.get``, ``files.list``,
        ``files.delete``, ``files.download``.
    query : dict
        Query parameters; ``key`` is replaced by ``"<redacted>"``.
    headers : dict
        Headers with lower-cased names; ``x-goog-api-key`` and ``authorization`` are ``"<redacted>"``.
    json : object or None
        The parsed JSON body, or None when there was no body or it was not JSON.
    received_at : float
        ``time.time()`` when the request line was read.
    outcome : str or None
        The :attr:`Outcome.kind` chosen for a generate call (scripted, fault or ``ok``); None otherwise
        and for calls refused for their API key.
    surface : str
        Which API the request came to: ``"gemini"`` (the Gemini Developer API paths), ``"vertex"`` (a
        Vertex AI project path), ``"vertex-express"`` (a Vertex AI path without a project: express mode)
        or ``"oauth"`` (the token endpoint).
    project, location : str or None
        The Vertex AI project and location from the path (None elsewhere and in express mode).
    auth : str or None
        The credential the request carried: ``"api_key"`` (``x-goog-api-key`` or ``?key=``), ``"bearer"``
        (``Authorization: Bearer``) or None. The values themselves are never recorded.
    """

    method: str
    path: str
    version: str | None
    model: str | None
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    received_at: float
    action: str | None = None
    outcome: str | None = None
    surface: str = "gemini"
    project: str | None = None
    location: str | None = None
    auth: str | None = None

    @property
    def is_call(self) -> bool:
        """True for ``generateContent`` and ``streamGenerateContent`` requests."""
        return self.action in _CALL_METHODS


@dataclass(frozen=True)
class FakeBatch:
    """A snapshot of one batch job held by the fake (see :attr:`FakeGeminiServer.batches`).

    Attributes
    ----------
    name : str
        ``batches/<id>``.
    model : str
        Model id, without ``models/``.
    display_name : str or None
        ``batch.displayName`` as sent.
    state : str
        ``BATCH_STATE_PENDING``, ``_RUNNING``, ``_SUCCEEDED``, ``_FAILED``, ``_CANCELLED`` or ``_EXPIRED``.
    source : str
        ``"inline"`` (``inputConfig.requests``) or ``"file"`` (``inputConfig.fileName``).
    input_file, output_file : str or None
        ``files/...`` names of the JSONL input and (file input, once done) the JSONL output.
    keys : tuple
        Each request's key (``metadata.key`` inline, ``key`` in JSONL), in order.
    outcomes : tuple of str
        The :attr:`Outcome.kind` each request took when the job was created.
    polls : int
        ``GET batches/<id>`` requests seen so far.
    """

    name: str
    model: str
    display_name: str | None
    state: str
    source: str
    input_file: str | None
    output_file: str | None
    keys: tuple[str | None, ...]
    outcomes: tuple[str, ...]
    polls: int


@dataclass(frozen=True)
class FakeFile:
    """A file held by the fake's Files API (see :attr:`FakeGeminiServer.files`).

    ``source`` is ``"UPLOADED"`` (sent through the resumable upload) or ``"GENERATED"`` (a batch job's
    JSONL output, the only kind that can be downloaded).
    """

    name: str
    display_name: str | None
    mime_type: str
    data: bytes = field(repr=False)
    source: str = "UPLOADED"
    created: float = field(default=0.0, repr=False)


# --------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------


class FakeGeminiServer(ScriptedRecords):
    """A loopback HTTP server that answers like the Gemini API, for tests.

    Runs in a background thread (``ThreadingHTTPServer``, one daemon thread per connection, HTTP/1.1
    keep-alive), so a client's connection pool is reused and concurrent calls really overlap.

    Parameters
    ----------
    api_key : str, optional
        When set, requests must carry it in ``x-goog-api-key`` or ``?key=``: a wrong key gets the real
        400 ``API_KEY_INVALID`` body and a missing one the real 403 "unregistered callers" body. The key
        is never stored in :attr:`requests` nor logged. On the Vertex AI surface it is the express-mode key
        (also accepted on project paths, as Vertex accepts bound API keys there).
    bearer_token : str, optional
        The OAuth access token Vertex AI project paths accept in ``Authorization: Bearer``; the token
        endpoint (:attr:`token_uri`) issues it. When None, any bearer token is accepted. A wrong token gets
        401 ``UNAUTHENTICATED``; a project path with no credential at all gets 401 ``CREDENTIALS_MISSING``
        (unless neither ``api_key`` nor ``bearer_token`` is set: then nothing is checked, as on the
        Gemini surface).
    latency_s : float
        Sleep this long before answering each request (in the handler thread).
    host, port : str, int
        Where to listen; port 0 picks a free port.
    static_image : bytes, optional
        Answer every successful call with these bytes instead of running the simulator (fast; used by
        benchmarks). Usage comes from the registry.
    static_mime : str
        MIME type of ``static_image``.
    faults : dict, optional
        Outcome shortcut -> probability, e.g. ``{"503": 0.2, "drop": 0.05}``: calls with no scripted
        outcome get that outcome with that probability (seeded, so a run is reproducible when calls
        arrive in the same order).
    fault_seed : int
        Seed of the fault RNG.
    today : datetime.date, optional
        The date the fake believes it is, for model availability: a model past its registry
        ``shutdown`` (or before its ``released`` date) answers 404 and is not listed. Defaults to the
        real date.
    batch_polls_until_done : int
        A batch job is ``BATCH_STATE_PENDING`` when created, ``BATCH_STATE_RUNNING`` on the ``GET``
        polls before this one, and finishes (its requests are answered) on ``GET`` number
        ``batch_polls_until_done`` (default 2; 1 or less finishes on the first poll).
    batch_seconds_until_done : float, optional
        When set, a batch job finishes on the first poll at least this many seconds after it was
        created, instead of counting polls.
    batch_inline_limit_bytes : int
        A ``batchGenerateContent`` body larger than this is refused with 400, as the real API refuses
        inlined requests past 20 MB (the default); tests lower it.

    Attributes
    ----------
    api_key, latency_s, today, batch_polls_until_done, batch_seconds_until_done, batch_inline_limit_bytes
        See Parameters. Plain attributes; a test may change them while the server runs.
    static_image : bytes or None
        Settable; None switches back to the simulator.

    Notes
    -----
    Choices where the real API is undocumented or the brief left room:

    * Scripted and fault outcomes are taken by every ``generateContent`` / ``streamGenerateContent``
      call in arrival order, valid or not; HTTP-level ones fail the call before validation. Calls
      refused for their API key are counted in :attr:`call_count` but take no outcome.
    * Model ids must be canonical (``gemini-3.1-flash-image``): toolkit aliases such as
      ``nano-banana-2`` are not Google names and get the real 404.
    * A missing key gets 403 ``PERMISSION_DENIED`` ("Method doesn't allow unregistered callers"), as the
      real API answers; only a wrong key gets 400 ``API_KEY_INVALID``.
    * ``promptTokensDetails`` lists IMAGE only when the prompt had images (the real API omits zero
      modalities).
    * Thought-signature positions in the 400 message are 1-based (see ``_decode_and_check_history``).
    * Batch jobs: each request of a job takes the next scripted (or fault) outcome when the job is
      *created*, in request order, so ``enqueue("ok", "blocked", "503")`` before ``batches.create``
      scripts the first three requests. The answers are built when the job finishes, by the same code
      as ``generateContent``. HTTP-level outcomes become that request's ``error`` entry: ``error``
      keeps its code and message; ``drop``, ``html`` and ``malformed`` (which have no meaning inside a
      batch) become 500 ``INTERNAL``; ``stall`` answers normally. Batch requests are not counted in
      :attr:`call_count`. ``batchStats`` counts are int64 strings, zero counts omitted (proto3 JSON).
      Cancelling a finished job is a no-op; ``DELETE`` forgets a job without cancelling it.
    * Files API: the upload-session URL (``?upload_id=...``) is its own credential, as on Google's
      upload front end, so chunks are accepted without the API key. Uploaded files cannot be
      downloaded (only a batch job's generated output can), as the SDK documents.
    * Vertex AI: any project and location are accepted (no IAM); only the ``google`` publisher exists.
      Replies add ``usageMetadata.trafficType: "ON_DEMAND"`` and ``createTime`` (and a
      ``blockReasonMessage`` on prompt blocks). ``imageConfig`` may carry ``personGeneration``,
      ``prominentPeople`` and ``imageOutputOptions{mimeType, compressionQuality}`` there (the Gemini
      surface answers 400 "Unknown name" for them, as proto-JSON does); ``mimeType`` is honoured by
      re-encoding the simulator's image as PNG or JPEG (at ``compressionQuality``, default 75), the
      other two are validated and recorded but do not change the drawing. A Vertex 429 carries Vertex's
      message. ``countTokens`` works on both surfaces; batch, files and Interactions are Gemini-only.
    * OAuth: ``POST /token`` (under any path prefix) answers a ``refresh_token`` or ``jwt-bearer`` grant with
      ``bearer_token`` (or ``"fake-access-token"``), so google-auth's Application Default Credentials
      can run for real against the fake (an ``authorized_user`` file whose ``token_uri`` is
      :attr:`token_uri`).

    Examples
    --------
    >>> from google import genai
    >>> from google.genai import errors, types
    >>> with FakeGeminiServer(api_key="test-key") as server:
    ...     client = genai.Client(api_key="test-key", http_options=types.HttpOptions(
    ...         base_url=server.base_url, api_version="v1beta"))
    ...     config = types.GenerateContentConfig(image_config=types.ImageConfig(image_size="512"))
    ...     server.enqueue("503")
    ...     try:
    ...         client.models.generate_content(model="gemini-3.1-flash-image", contents="a cat", config=config)
    ...     except errors.ServerError as e:
    ...         print(e.code, e.status)
    ...     r = client.models.generate_content(model="gemini-3.1-flash-image", contents="a cat", config=config)
    ...     print(server.call_count, r.candidates[0].finish_reason.name, r.parts[-1].inline_data.mime_type)
    503 UNAVAILABLE
    2 STOP image/jpeg
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        latency_s: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        static_image: bytes | None = None,
        static_mime: str = "image/png",
        faults: Mapping[str | Outcome, float] | None = None,
        fault_seed: int = 0,
        today: dt.date | None = None,
        batch_polls_until_done: int = 2,
        batch_seconds_until_done: float | None = None,
        batch_inline_limit_bytes: int = INLINE_BATCH_LIMIT_BYTES,
        bearer_token: str | None = None,
    ) -> None:
        if latency_s < 0:
            raise ValueError("latency_s must be >= 0.")
        self.api_key = api_key
        self.bearer_token = bearer_token
        self.latency_s = float(latency_s)
        self.host = host
        self._port = port
        self.static_mime = static_mime
        self.static_image = static_image
        self.today = today
        self.fault_seed = fault_seed
        self._faults: tuple[tuple[Outcome, float], ...] = _parse_faults(faults or {})
        self._lock = threading.Lock()
        self._queue: deque[Outcome] = deque()
        self._requests: list[RecordedRequest] = []
        self._calls = 0
        self._rng = random.Random(fault_seed)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        from .interactions_fake import FakeInteractions

        #: The Interactions API (``/v1|v1beta/interactions``): script, expire and inspect it here.
        self.interactions = FakeInteractions(self)
        self.batch_polls_until_done = int(batch_polls_until_done)
        self.batch_seconds_until_done = batch_seconds_until_done
        self.batch_inline_limit_bytes = int(batch_inline_limit_bytes)
        self._batches: dict[str, _Batch] = {}
        self._files: dict[str, FakeFile] = {}
        self._uploads: dict[str, _Upload] = {}
        self._batch_numbers = itertools.count(1_000_000)  # response ids apart from generateContent's

    @property
    def static_image(self) -> bytes | None:
        """The bytes every successful call answers with, or None to use the simulator."""
        return self._static_image

    @static_image.setter
    def static_image(self, data: bytes | None) -> None:
        self._static_image = data
        # Encoded once here rather than per call: this is the benchmark path.
        self._static_b64 = base64.b64encode(data).decode("ascii") if data is not None else None

    # ---- lifecycle ---------------------------------------------------------------------------

    _thread_name = "FakeGeminiServer"

    def _server_classes(self) -> tuple[type, type]:
        return _HTTPServer, _Handler

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server (pass it to ``HttpOptions(base_url=...)``)."""
        return self.origin

    @property
    def token_uri(self) -> str:
        """The OAuth token endpoint, for the ``token_uri`` of test credentials (see the class Notes)."""
        return f"{self.base_url}/token"

    # ---- scripting and inspection ------------------------------------------------------------

    def _parse_outcome(self, outcome: str | int | Outcome) -> Outcome:
        return Outcome.parse(outcome)

    def reset(self) -> None:
        """Forget recorded requests, scripted outcomes, the call counter, batch jobs and files; reseed the fault RNG."""
        with self._lock:
            self._reset_records()
            self._rng = random.Random(self.fault_seed)
            self._batches.clear()
            self._files.clear()
            self._uploads.clear()
        self.interactions.reset()

    @property
    def batches(self) -> list[FakeBatch]:
        """A snapshot of the batch jobs the fake holds, in creation order (deleted ones are gone)."""
        with self._lock:
            return [b.snapshot() for b in self._batches.values()]

    @property
    def files(self) -> dict[str, FakeFile]:
        """A snapshot of the Files API store: ``files/<id>`` -> :class:`FakeFile`."""
        with self._lock:
            return dict(self._files)

    def set_batch_state(self, name: str, state: str, message: str | None = None) -> None:
        """Force a batch job into a terminal state (``BATCH_STATE_FAILED``, ``_EXPIRED``, ``_CANCELLED``).

        Lets tests reach the outcomes the real service decides on its own (a job that failed as a whole,
        one that expired after 48 hours). A ``FAILED`` job carries ``error`` (``message``, code 500) in
        its Operation. Its requests are never answered.
        """
        state = state.upper()
        if not state.startswith("BATCH_STATE_"):
            state = "BATCH_STATE_" + state
        if state not in _BATCH_STATES - _BATCH_LIVE - {"BATCH_STATE_SUCCEEDED"}:
            raise ValueError(f"set_batch_state takes FAILED, CANCELLED or EXPIRED, not {state!r}.")
        with self._lock:
            batch = self._batches.get(name if name.startswith("batches/") else f"batches/{name}")
            if batch is None:
                raise KeyError(f"no batch job {name!r}")
            batch.state = state
            batch.ended = batch.updated = time.time()
            if state == "BATCH_STATE_FAILED":
                batch.error = {"code": 13, "message": message or "The batch job failed."}

    def __repr__(self) -> str:
        where = self.base_url if self._httpd is not None else "stopped"
        mode = "static" if self.static_image is not None else "simulator"
        return f"<FakeGeminiServer {where} {mode} calls={self.call_count}>"

    # ---- internals used by the handler -------------------------------------------------------

    def _admit(self, record: RecordedRequest, *, is_call: bool, authorized: bool) -> tuple[Outcome, int]:
        """Count the call, choose its outcome and record the request, atomically (arrival order)."""
        with self._lock:
            outcome, number = _OK, self._calls
            if is_call:
                self._calls += 1
                number = self._calls
                if authorized:
                    outcome = self._queue.popleft() if self._queue else self._draw_fault()
                    record = _replace(record, outcome=outcome.kind)
            self._requests.append(record)
            return outcome, number

    def _batch_outcomes(self, n: int) -> tuple[list[Outcome], list[int]]:
        """Outcomes (scripted first, then faults) and answer numbers for the n requests of a new batch."""
        with self._lock:
            outcomes = [self._queue.popleft() if self._queue else self._draw_fault() for _ in range(n)]
            return outcomes, [next(self._batch_numbers) for _ in range(n)]

    def _batch(self, batch_id: str | None) -> _Batch:
        with self._lock:
            batch = self._batches.get(f"batches/{batch_id}")
        if batch is None:
            raise _ApiError(404, "Requested entity was not found.")
        return batch

    def _draw_fault(self) -> Outcome:
        if not self._faults:
            return _OK
        r = self._rng.random()
        acc = 0.0
        for outcome, p in self._faults:
            acc += p
            if r < acc:
                return outcome
        return _OK

    def _check_key(self, key: str | None) -> _ApiError | None:
        expected = self.api_key  # read once: tests may swap it while requests are in flight
        if expected is None:
            return None
        if not key:
            return _ApiError(
                403, "Method doesn't allow unregistered callers (callers without established identity). "
                "Please use API Key or other form of API consumer identity to call this API.",
            )
        if not secrets.compare_digest(key.encode(), expected.encode()):
            msg = "API key not valid. Please pass a valid API key."
            return _ApiError(400, msg, details=[
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                 "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}},
                {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": msg},
            ])
        return None

    def _check_vertex_auth(self, key: str | None, authorization: str | None) -> _ApiError | None:
        """Vertex AI auth: an OAuth bearer token or the API key (express mode uses the key)."""
        bearer = authorization[7:].strip() if authorization and authorization[:7].lower() == "bearer " else None
        expected_key, expected_token = self.api_key, self.bearer_token  # read once: tests may swap them
        if bearer is not None:
            if expected_token is None or secrets.compare_digest(bearer.encode(), expected_token.encode()):
                return None
            return _ApiError(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                                  f"login cookie or other valid authentication credential. {_OAUTH_LOGIN_HELP}",
                             details=[_vertex_error_info("ACCESS_TOKEN_TYPE_UNSUPPORTED")])
        if key:
            err = self._check_key(key)
            if err is not None and err.details:  # the same 400 API_KEY_INVALID, from Vertex's service
                err.details = [dict(d, metadata={"service": "aiplatform.googleapis.com"}) if "reason" in d else d
                               for d in err.details]
            return err
        if expected_key is None and expected_token is None:
            return None
        return _ApiError(401, "Request is missing required authentication credential. Expected OAuth 2 access "
                              f"token, login cookie or other valid authentication credential. {_OAUTH_LOGIN_HELP}",
                         details=[_vertex_error_info("CREDENTIALS_MISSING")])

    def _available(self, info: ModelInfo) -> bool:
        today = self.today or dt.date.today()
        if info.shutdown is not None and today >= info.shutdown:
            return False
        return not (info.released is not None and today < info.released)

    def _model(self, model_id: str, version: str, method: str, vertex_path: str | None = None) -> ModelInfo:
        info = registry.lookup(model_id)
        # Only canonical ids: the real API knows no toolkit aliases, and a client that sends one is buggy.
        if (info is None or info.id != model_id or not self._available(info)) and vertex_path is not None:
            raise _ApiError(
                404, f"Publisher Model `{vertex_path}` was not found or your project does not have access to it. "
                "Please ensure you are using a valid model version. For more information, see: "
                "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions",
            )
        if info is None or info.id != model_id or not self._available(info):
            raise _ApiError(
                404, f"models/{model_id} is not found for API version {version}, or is not supported for "
                f"{method}. Call ListModels to see the list of available models and their supported methods.",
            )
        return info


# --------------------------------------------------------------------------------------------------
# Request parsing and validation
# --------------------------------------------------------------------------------------------------


class _ApiError(Exception):
    """An error answer in Google's JSON shape."""

    def __init__(self, code: int, message: str | None = None, *, status: str | None = None,
                 details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status or _STATUS_BY_CODE.get(code, "UNKNOWN")
        self.message = message or _MESSAGE_BY_CODE.get(code) or _phrase(code)
        self.details = details

    def payload(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            err["details"] = self.details
        return {"error": err}


@dataclass
class _GenRequest:
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


def _vertex_error_info(reason: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": "googleapis.com",
            "metadata": {"service": "aiplatform.googleapis.com",
                         "method": "google.cloud.aiplatform.v1beta1.PredictionService.GenerateContent"}}


def _vertex_image_options(image_config: Mapping[str, Any], version: str, vertex: bool) -> dict[str, Any]:
    """Validate the Vertex-only ``imageConfig`` fields; on the Gemini surface any of them is a 400."""
    present = [f for f in _VERTEX_ONLY_IMAGE_FIELDS if _get(image_config, f) is not None]
    if not vertex:
        if present:
            # What proto-JSON answers for a field the Gemini API's ImageConfig does not have.
            raise _ApiError(400, f"Invalid JSON payload received. Unknown name \"{present[0]}\" at "
                                 "'generation_config.image_config': Cannot find field.", details=[
                {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [
                    {"field": "generation_config.image_config", "description":
                     f"Invalid JSON payload received. Unknown name \"{present[0]}\" at "
                     "'generation_config.image_config': Cannot find field."}]}])
        return {}
    proto = f"type.googleapis.com/google.cloud.aiplatform.{version}.ImageConfig"
    person = _get(image_config, "personGeneration")
    if person is not None and person not in _PERSON_GENERATION:
        raise _ApiError(400, f"Invalid value at 'generation_config.image_config.person_generation' "
                             f"({proto}.PersonGeneration), \"{person}\"")
    prominent = _get(image_config, "prominentPeople")
    if prominent is not None and prominent not in _PROMINENT_PEOPLE:
        raise _ApiError(400, f"Invalid value at 'generation_config.image_config.prominent_people' "
                             f"({proto}.ProminentPeople), \"{prominent}\"")
    output = _get(image_config, "imageOutputOptions") or {}
    if not isinstance(output, Mapping):
        raise _ApiError(400, "Invalid JSON payload received. 'image_output_options' must be an object.")
    mime = _get(output, "mimeType")
    if mime is not None and mime not in _OUTPUT_MIMES:
        raise _ApiError(400, f"Unsupported output MIME type {mime!r}. Supported: image/png, image/jpeg.")
    quality = _get(output, "compressionQuality")
    if quality is not None:
        quality = _int64(quality)
        if quality is None or not 0 <= quality <= 100:
            raise _ApiError(400, "image_output_options.compression_quality must be between 0 and 100.")
    return {"person_generation": person, "prominent_people": prominent, "output_mime": mime,
            "output_quality": quality}


@functools.lru_cache(maxsize=256)
def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()


def _get(obj: Any, camel: str, default: Any = None) -> Any:
    """A field by its proto-JSON name, accepting camelCase and snake_case spellings."""
    if not isinstance(obj, Mapping):
        return default
    if camel in obj:
        return obj[camel]
    return obj.get(_snake(camel), default)


def _b64decode(data: Any, where: str) -> bytes:
    """Decode base64 in either alphabet, padding optional (the SDK sends URL-safe, REST docs standard)."""
    if not isinstance(data, str):
        raise _ApiError(400, f"Invalid value at '{where}' (TYPE_BYTES), expected a base64 string.")
    s = "".join(data.split()).replace("-", "+").replace("_", "/")
    s += "=" * (-len(s) % 4)
    try:
        return base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        raise _ApiError(
            400, f"Invalid value at '{where}' (TYPE_BYTES), Base64 decoding failed for \"{data[:40]}\""
        ) from None


def _is_thought(part: Mapping[str, Any]) -> bool:
    return _get(part, "thought") is True


def _inline(part: Any) -> Mapping[str, Any] | None:
    blob = _get(part, "inlineData")
    return blob if isinstance(blob, Mapping) else None


def _parse_generate(fake: FakeGeminiServer, version: str, model_id: str, method: str, body: Any,
                    vertex_path: str | None = None) -> _GenRequest:
    """Parse and validate a generate body; ``vertex_path`` (the model's resource path) marks the Vertex surface."""
    if not isinstance(body, Mapping):
        raise _ApiError(400, "Invalid JSON payload received. Expected an object.")
    info = fake._model(model_id, version, method, vertex_path)
    contents = _get(body, "contents")
    if not isinstance(contents, list) or not contents:
        raise _ApiError(400, "* GenerateContentRequest.contents: contents is not specified\n")
    gen = _get(body, "generationConfig") or {}
    if not isinstance(gen, Mapping):
        raise _ApiError(400, "Invalid JSON payload received. 'generation_config' must be an object.")

    count = _int64(_get(gen, "candidateCount"))
    if count is not None and count > 1:
        raise _ApiError(400, f"Multiple candidates is not enabled for models/{info.id}")

    modalities = _get(gen, "responseModalities")
    text_out = image_out = True
    if modalities is not None:
        if not isinstance(modalities, list):
            raise _ApiError(400, "Invalid value at 'generation_config.response_modalities', expected a list.")
        names = set()
        for i, m in enumerate(modalities):
            name = str(m).upper()
            if name not in {"TEXT", "IMAGE", "AUDIO", "MODALITY_UNSPECIFIED"}:
                raise _ApiError(400, f"Invalid value at 'generation_config.response_modalities[{i}]' "
                                     f"(type.googleapis.com/google.ai.generativelanguage.{version}."
                                     f"GenerationConfig.Modality), \"{m}\"")
            names.add(name)
        if "AUDIO" in names:
            raise _ApiError(400, "Model does not support the requested response modalities: audio")
        if names - {"MODALITY_UNSPECIFIED"}:
            text_out, image_out = "TEXT" in names, "IMAGE" in names

    image_config = _get(gen, "imageConfig") or {}
    if not isinstance(image_config, Mapping):
        raise _ApiError(400, "Invalid JSON payload received. 'image_config' must be an object.")
    aspect_ratio = _get(image_config, "aspectRatio")
    image_size = _get(image_config, "imageSize")
    if aspect_ratio is not None and aspect_ratio not in info.aspect_ratios:
        raise _ApiError(400, f"Unsupported aspect ratio {aspect_ratio!r} for models/{info.id}. "
                             f"Supported aspect ratios: {', '.join(info.aspect_ratios)}.")
    if image_size is not None:
        if not info.image_sizes:
            raise _ApiError(400, f"imageSize is not supported for models/{info.id}.")
        if image_size not in info.image_sizes:
            raise _ApiError(400, f"Unsupported image size {image_size!r} for models/{info.id}. "
                                 f"Supported image sizes: {', '.join(info.image_sizes)}.")
    vertex_options = _vertex_image_options(image_config, version, vertex_path is not None)

    decoded = _decode_and_check_history(contents, info)

    last_user = next((i for i in range(len(contents) - 1, -1, -1)
                      if _get(contents[i], "role") in (None, "", "user")), len(contents) - 1)
    user_parts = _get(contents[last_user], "parts") or []
    prompt = "\n".join(p["text"] for p in user_parts if isinstance(p.get("text"), str) and not _is_thought(p))
    images = [decoded[(last_user, j)] for j, p in enumerate(user_parts)
              if (last_user, j) in decoded and not _is_thought(p)]
    if not images:
        # A chat follow-up with no image of its own edits the last image of the conversation.
        for i in range(last_user - 1, -1, -1):
            parts = _get(contents[i], "parts") or []
            found = [decoded[(i, j)] for j, p in enumerate(parts) if (i, j) in decoded and not _is_thought(p)]
            if found:
                images = [found[-1]]
                break

    digest = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    seed = _int64(_get(gen, "seed"))
    if seed is None:
        seed = int(digest[:8], 16)
    n_inputs = sum(1 for key in decoded if key[0] == last_user)
    return _GenRequest(
        model=info, version=version, digest=digest, prompt=prompt, images=images, aspect_ratio=aspect_ratio,
        image_size=image_size, seed=seed, text_out=text_out, image_out=image_out,
        input_image_count=n_inputs or len(images), vertex=vertex_path is not None, **vertex_options,
    )


def _decode_and_check_history(contents: list[Any], info: ModelInfo) -> dict[tuple[int, int], bytes]:
    """Decode every inline image and enforce thought signatures; returns {(content, part): bytes}.

    Signature rule (reference 1.3, Gemini 3 image models): in a model turn, every non-thought image
    part and the first non-thought text part that comes before any image must carry a
    ``thoughtSignature``. Consecutive ``model`` contents form one turn, because the SDK's streaming chat
    records one Content per chunk. Positions in the error are 1-based indices into ``contents`` and
    into that content's ``parts`` (thought parts included): "content position 2, part position 1" is
    the first part of the first model reply after one user turn, matching the reports quoted in the
    reference and gunpal5/Google_GenerativeAI#86.
    """
    decoded: dict[tuple[int, int], bytes] = {}
    prev_role = None
    seen_text = seen_image = False
    for i, content in enumerate(contents):
        if not isinstance(content, Mapping):
            raise _ApiError(400, f"Invalid value at 'contents[{i}]', expected an object.")
        role = _get(content, "role")
        if role not in (None, "", "user", "model"):
            raise _ApiError(400, "Please use a valid role: user, model.")
        if role == "model" and prev_role != "model":
            seen_text = seen_image = False
        prev_role = role
        parts = _get(content, "parts") or []
        if not isinstance(parts, list):
            raise _ApiError(400, f"Invalid value at 'contents[{i}].parts', expected a list.")
        for j, part in enumerate(parts):
            if not isinstance(part, Mapping):
                raise _ApiError(400, f"Invalid value at 'contents[{i}].parts[{j}]', expected an object.")
            blob = _inline(part)
            is_image = False
            if blob is not None:
                mime = _get(blob, "mimeType")
                if not mime:
                    raise _ApiError(400, f"* GenerateContentRequest.contents[{i}].parts[{j}].inline_data."
                                         "mime_type: mime_type is not specified\n")
                data = _b64decode(_get(blob, "data"), f"contents[{i}].parts[{j}].inline_data.data")
                if str(mime).startswith("image/"):
                    if mime not in _INPUT_IMAGE_MIMES:
                        raise _ApiError(400, f"Unsupported MIME type: {mime}")
                    decoded[(i, j)] = data
                    is_image = True
            if role != "model" or not info.thinking or _is_thought(part):
                continue
            signed = bool(_get(part, "thoughtSignature"))
            if is_image:
                if not signed:
                    raise _ApiError(400, f"Image part is missing a thought_signature in content position {i + 1}, "
                                         f"part position {j + 1}. {_THOUGHT_SIGNATURE_HELP}")
                seen_image = True
            elif isinstance(part.get("text"), str):
                if not seen_text and not seen_image and not signed:
                    raise _ApiError(400, f"Text part is missing a thought_signature in content position {i + 1}, "
                                         f"part position {j + 1}. {_THOUGHT_SIGNATURE_HELP}")
                seen_text = True
    return decoded


# --------------------------------------------------------------------------------------------------
# Building answers
# --------------------------------------------------------------------------------------------------


@dataclass
class _Answer:
    model: ModelInfo
    response_id: str
    parts: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = "STOP"
    finish_message: str | None = None
    block_reason: str | None = None
    prompt_text_tokens: int = 0
    prompt_image_tokens: int = 0
    out_text_tokens: int = 0
    out_image_tokens: int = 0
    thoughts_tokens: int = 0
    stream_error: _ApiError | None = None
    vertex: bool = False  # Vertex AI surface: trafficType, createTime, blockReasonMessage
    create_time: str = ""


def _text_tokens(text: str) -> int:
    return max(1, round(len(text) / 4)) if text else 0


def _response_id(digest: str, number: int) -> str:
    raw = hashlib.sha256(f"{digest}:{number}".encode()).digest()
    return base64.urlsafe_b64encode(raw).decode("ascii")[:22]


def _signature(response_id: str, index: int) -> str:
    return base64.b64encode(b"sig:" + hashlib.sha256(f"{response_id}:{index}".encode()).digest()).decode("ascii")


def _thought_text(prompt: str, step: int = 0) -> str:
    subject = " ".join(prompt.split())[:80] or "the request"
    if step == 0:
        return f"**Planning the image**\n\nThe request is: {subject!r}. I'll settle composition and palette first."
    return "**Refining the draft**\n\nThe draft works; tightening details and lighting for the final render."


def _image_part(data_b64: str, mime: str, *, thought: bool = False) -> dict[str, Any]:
    part: dict[str, Any] = {"inlineData": {"mimeType": mime, "data": data_b64}}
    if thought:
        part["thought"] = True
    return part


def _answer(fake: FakeGeminiServer, req: _GenRequest, outcome: Outcome, number: int) -> _Answer:
    info = req.model
    ans = _Answer(model=info, response_id=_response_id(req.digest, number), vertex=req.vertex,
                  create_time=_rfc3339(time.time()) if req.vertex else "")
    ans.prompt_text_tokens = _text_tokens(req.prompt)
    ans.prompt_image_tokens = req.input_image_count * info.input_image_tokens
    if info.thinking:
        ans.thoughts_tokens = 120 + int(req.digest[8:12], 16) % 181
    kind = outcome.kind

    if kind == "blocked":
        ans.block_reason, ans.finish_reason, ans.thoughts_tokens = outcome.reason, None, 0
        return ans
    if kind == "finish":
        _refuse(ans, outcome.reason or "OTHER", outcome.message, req.digest)
        return ans
    if kind == "error":  # only mid-stream errors get this far
        ans.stream_error = _error_for(outcome, info.id, req.version, vertex=req.vertex)

    thoughts: list[dict[str, Any]] = [{"text": _thought_text(req.prompt), "thought": True}] if info.thinking else []
    text = ""
    finals: list[tuple[str, str]] = []  # (base64, mime)
    if kind == "text_only":
        text = outcome.text or ""
    else:
        n_final = outcome.count if kind == "many_images" else 1
        n_render = n_final + (1 if kind == "thoughts_with_interim_images" else 0)
        rendered = _render_images(fake, req, n_render, ans)
        if rendered is None:  # the simulator refused or blocked; ans already says so
            return ans
        text, images = rendered
        if kind == "thoughts_with_interim_images":
            interim, images = images[-1], images[:-1]
            thoughts.append(_image_part(interim[0], interim[1], thought=True))
            thoughts.append({"text": _thought_text(req.prompt, 1), "thought": True})
        finals = images if req.image_out else []
        if not req.image_out and not text:
            text = "Here is a description instead of an image, as only TEXT output was requested."
    if not req.text_out and finals:
        text = ""
    ans.out_text_tokens = _text_tokens(text)
    ans.out_image_tokens = len(finals) * info.output_image_tokens(req.image_size)
    parts = list(thoughts)
    if text:
        parts.append({"text": text})
    parts.extend(_image_part(b64, mime) for b64, mime in finals)
    if info.thinking:
        _sign(parts, ans.response_id)
    ans.parts = parts
    return ans


def _sign(parts: list[dict[str, Any]], response_id: str) -> None:
    """Attach signatures where Gemini 3 does: each final image and the first text part before any image."""
    seen_text = seen_image = False
    for idx, part in enumerate(parts):
        if part.get("thought"):
            continue
        if "inlineData" in part:
            part["thoughtSignature"] = _signature(response_id, idx)
            seen_image = True
        elif "text" in part and not seen_text and not seen_image:
            part["thoughtSignature"] = _signature(response_id, idx)
            seen_text = True


def _refuse(ans: _Answer, reason: str, message: str | None, digest: str) -> None:
    ans.parts, ans.finish_reason = [], reason
    if message is None and reason in _FINISH_MESSAGES:
        message = _FINISH_MESSAGES[reason].format(code=int(digest[12:20], 16) % 90_000_000 + 10_000_000)
    ans.finish_message = message


def _render_images(
    fake: FakeGeminiServer, req: _GenRequest, n: int, ans: _Answer
) -> tuple[str, list[tuple[str, str]]] | None:
    """``n`` images (static or simulated) and the answer text; None when the simulator refused."""
    static = fake._static_b64
    if static is not None:
        if req.output_mime and req.output_mime != fake.static_mime:
            data, mime = _transcode(fake._static_image or b"", req.output_mime, req.output_quality)
            return "Here is the image you asked for.", [(base64.b64encode(data).decode("ascii"), mime)] * n
        return "Here is the image you asked for.", [(static, fake.static_mime)] * n

    from PIL import Image

    from . import simulator  # looked up per call so tests can monkeypatch toolkit.simulator.render

    pil_images = []
    for data in req.images:
        try:
            img = Image.open(io.BytesIO(data))
            img.load()
        except Exception:
            raise _ApiError(400, f"Unable to process input image. Please retry or report in {_TROUBLESHOOTING}") from None
        pil_images.append(img)

    text = ""
    out: list[tuple[str, str]] = []
    for k in range(n):
        sim = simulator.render(req.prompt, pil_images, model=req.model, aspect_ratio=req.aspect_ratio,
                               image_size=req.image_size, seed=req.seed + k)
        if k == 0:
            ans.prompt_text_tokens = sim.input_text_tokens
            ans.prompt_image_tokens = sim.input_image_tokens
            if sim.block_reason:
                ans.block_reason, ans.finish_reason, ans.thoughts_tokens = sim.block_reason, None, 0
                return None
            if sim.finish_reason != "STOP":
                _refuse(ans, sim.finish_reason, sim.message, req.digest)
                return None
            text = sim.text
        for im in sim.images:
            data, mime = im.data, im.mime
            if req.output_mime:  # Vertex imageOutputOptions.mimeType: re-encode as asked
                data, mime = _transcode(data, req.output_mime, req.output_quality)
            out.append((base64.b64encode(data).decode("ascii"), mime))
    return text, out


def _transcode(data: bytes, mime: str, quality: int | None) -> tuple[bytes, str]:
    """Re-encode an image as PNG or JPEG (Vertex's default JPEG compressionQuality is 75)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        img.load()
        buf = io.BytesIO()
        if mime == "image/jpeg":
            img.convert("RGB").save(buf, format="JPEG", quality=75 if quality is None else max(1, quality))
        else:
            img.save(buf, format="PNG")
    return buf.getvalue(), mime


def _usage(ans: _Answer, *, cand_text: int | None = None, final: bool = True) -> dict[str, Any]:
    text_out = ans.out_text_tokens if cand_text is None else cand_text
    image_out = ans.out_image_tokens if final else 0
    prompt = ans.prompt_text_tokens + ans.prompt_image_tokens
    cand = text_out + image_out
    usage: dict[str, Any] = {"promptTokenCount": prompt}
    if cand:
        usage["candidatesTokenCount"] = cand
    usage["totalTokenCount"] = prompt + cand + ans.thoughts_tokens
    details = [{"modality": "TEXT", "tokenCount": ans.prompt_text_tokens}]
    if ans.prompt_image_tokens:
        details.append({"modality": "IMAGE", "tokenCount": ans.prompt_image_tokens})
    usage["promptTokensDetails"] = details
    if final and cand:
        cdetails = []
        if image_out:
            cdetails.append({"modality": "IMAGE", "tokenCount": image_out})
        if text_out:
            cdetails.append({"modality": "TEXT", "tokenCount": text_out})
        usage["candidatesTokensDetails"] = cdetails
    if ans.thoughts_tokens:
        usage["thoughtsTokenCount"] = ans.thoughts_tokens
    if ans.vertex:
        usage["trafficType"] = "ON_DEMAND"
    return usage


def _envelope(ans: _Answer, parts: list[dict[str, Any]] | None, *, finish: bool,
              usage: dict[str, Any]) -> dict[str, Any]:
    extra = {"createTime": ans.create_time} if ans.vertex else {}
    if ans.block_reason:
        feedback = {"blockReason": ans.block_reason}
        if ans.vertex:  # Vertex explains a prompt block (the Gemini API does not)
            feedback["blockReasonMessage"] = (
                "The prompt could not be submitted. This prompt contains sensitive words that violate Google's "
                "Responsible AI practices. Try rephrasing the prompt.")
        return {"promptFeedback": feedback, "usageMetadata": usage, "modelVersion": ans.model.id,
                **extra, "responseId": ans.response_id}
    content: dict[str, Any] = {"role": "model"}
    if parts:
        content = {"parts": parts, "role": "model"}
    candidate: dict[str, Any] = {"content": content}
    if finish:
        candidate["finishReason"] = ans.finish_reason
        if ans.finish_message:
            candidate["finishMessage"] = ans.finish_message
    candidate["index"] = 0
    return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": ans.model.id, **extra,
            "responseId": ans.response_id}


def _response_json(ans: _Answer) -> dict[str, Any]:
    return _envelope(ans, ans.parts, finish=True, usage=_usage(ans))


def _stream_events(ans: _Answer) -> Iterator[dict[str, Any]]:
    """The answer as SSE chunks: thoughts, then text deltas, then the images with finishReason."""
    if ans.block_reason or not ans.parts:
        yield _response_json(ans)
        return
    events: list[list[dict[str, Any]]] = []
    finals: list[dict[str, Any]] = []
    for part in ans.parts:
        if part.get("thought"):
            events.append([part])
        elif "text" in part:
            events.extend([d] for d in _deltas(part))
        else:
            finals.append(part)
    if not finals:
        finals = events.pop()
    if ans.stream_error is not None:
        # A couple of events, then the error: what a mid-stream failure looks like on the wire.
        for chunk in events[:2]:
            yield _envelope(ans, chunk, finish=False, usage=_usage(ans, cand_text=0, final=False))
        yield ans.stream_error.payload()
        return
    sent_text = 0
    for chunk in events:
        sent_text += sum(_text_tokens(p.get("text", "")) for p in chunk if not p.get("thought"))
        yield _envelope(ans, chunk, finish=False,
                        usage=_usage(ans, cand_text=min(sent_text, ans.out_text_tokens), final=False))
    yield _envelope(ans, finals, finish=True, usage=_usage(ans))


def _deltas(part: dict[str, Any]) -> list[dict[str, Any]]:
    """Split a text part into two or three deltas; the first keeps the thoughtSignature."""
    text = part["text"]
    words = text.split(" ")
    cut = [0, max(1, len(words) // 3), max(2, 2 * len(words) // 3), len(words)]
    pieces = []
    for a, b in itertools.pairwise(cut):
        if b > a:
            piece = " ".join(words[a:b])
            pieces.append(piece if a == 0 else " " + piece)
    out = [{"text": p} for p in pieces if p] or [{"text": text}]
    if "thoughtSignature" in part:
        out[0]["thoughtSignature"] = part["thoughtSignature"]
    return out


def _error_for(outcome: Outcome, model_id: str | None, version: str | None, *, vertex: bool = False) -> _ApiError:
    code = outcome.code or 500
    status = outcome.status or _STATUS_BY_CODE.get(code, "UNKNOWN")
    message = outcome.message
    details = None
    if vertex and code == 429 and message is None:
        # Vertex's 429 text; it comes without Help / QuotaFailure (the RetryInfo stays, to keep tests fast).
        message = ("Resource exhausted. Please try again later. Please refer to "
                   "https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.")
        return _ApiError(code, message, status=status, details=[
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": outcome.retry_delay or _DEFAULT_RETRY_DELAY}])
    if code == 404 and message is None and model_id:
        message = (f"models/{model_id} is not found for API version {version}, or is not supported for "
                   "generateContent. Call ListModels to see the list of available models and their supported "
                   "methods.")
    if code == 429:
        delay = outcome.retry_delay or _DEFAULT_RETRY_DELAY
        quota_model = model_id or registry.DEFAULT_MODEL
        metric = "generativelanguage.googleapis.com/generate_content_paid_tier_requests"
        if message is None:
            message = (
                "You exceeded your current quota, please check your plan and billing details. For more "
                "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To "
                "monitor your current usage, head to: https://ai.dev/rate-limit. \n"
                f"* Quota exceeded for metric: {metric}, limit: 10, model: {quota_model}\n"
                f"Please retry in {delay}."
            )
        details = [
            {"@type": "type.googleapis.com/google.rpc.Help", "links": [
                {"description": "Learn more about Gemini API quotas",
                 "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
                {"quotaMetric": metric, "quotaId": "GenerateRequestsPerMinutePerProjectPerModel",
                 "quotaDimensions": {"location": "global", "model": quota_model}, "quotaValue": "10"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay},
        ]
    elif outcome.retry_delay is not None:
        details = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": outcome.retry_delay}]
    return _ApiError(code, message, status=status, details=details)


def _html_page(code: int) -> bytes:
    phrase = "Server Error" if code >= 500 else "Client Error"
    return (
        "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
        "  <meta name=viewport content=\"initial-scale=1, minimum-scale=1, width=device-width\">\n"
        f"  <title>Error {code} ({phrase})!!1</title>\n"
        "  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>\n"
        f"  <p><b>{code}.</b> <ins>That’s an error.</ins>\n"
        "  <p>The server encountered a temporary error and could not complete your request."
        "<p>Please try again in 30 seconds.  <ins>That’s all we know.</ins>\n"
    ).encode()


def _vertex_action(method: str, publisher: str, model: str | None, call: str | None) -> str | None:
    """The action of a Vertex AI path (only Google's publisher exists here)."""
    if publisher != "google":
        return None
    if call is not None:
        return call if method == "POST" and call in _VERTEX_METHODS else None
    if method == "GET":
        return "get" if model else "list"
    return None


def _vertex_model_json(info: ModelInfo) -> dict[str, Any]:
    return {"name": f"publishers/google/models/{info.id}", "versionId": "001", "launchStage": "GA",
            "openSourceCategory": "PROPRIETARY", "displayName": f"{info.nickname} ({info.id})"}


def _model_json(info: ModelInfo) -> dict[str, Any]:
    sizes = ", ".join(info.image_sizes) or "fixed ~1 MP"
    return {
        "name": f"models/{info.id}",
        "version": "001",
        "displayName": f"{info.nickname} ({info.id})",
        "description": f"{info.nickname} image model, served by FakeGeminiServer from the offline simulator. "
                       f"Sizes: {sizes}; {len(info.aspect_ratios)} aspect ratios.",
        "inputTokenLimit": 32768 if not info.thinking else 65536,
        "outputTokenLimit": 32768,
        "supportedGenerationMethods": list(_GENERATION_METHODS),
        "temperature": 1.0,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2.0,
        "thinking": info.thinking,
    }


# --------------------------------------------------------------------------------------------------
# Batch API and Files API (reference section 5)
# --------------------------------------------------------------------------------------------------


def _route(method: str, prefix: str, rest: str, query: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
    """``(action, model, resource id)`` for the part of a path after the version segment."""
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


def _page(query: Mapping[str, str]) -> tuple[int, int]:
    try:
        size = max(1, min(1000, int(query.get("pageSize") or 50)))
        start = max(0, int(query.get("pageToken") or 0))
    except ValueError:
        raise _ApiError(400, "Invalid page size or page token.") from None
    return start, size


def _rfc3339(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class _BatchItem:
    key: str | None
    metadata: Any  # echoed back with an inlined response
    body: Any  # the GenerateContentRequest
    outcome: Outcome
    number: int
    error: _ApiError | None = None  # the item could not be read (no request, a bad JSONL line)


@dataclass
class _Batch:
    name: str
    model: str
    version: str
    display_name: str | None
    source: str
    input_file: str | None
    items: list[_BatchItem]
    created: float
    updated: float
    state: str = "BATCH_STATE_PENDING"
    polls: int = 0
    ended: float | None = None
    results: list[dict[str, Any]] | None = None  # per item: {"response": ...} or {"error": ...}
    output_file: str | None = None
    error: dict[str, Any] | None = None  # the Operation's google.rpc.Status of a FAILED job
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self) -> FakeBatch:
        return FakeBatch(
            name=self.name, model=self.model, display_name=self.display_name, state=self.state,
            source=self.source, input_file=self.input_file, output_file=self.output_file,
            keys=tuple(i.key for i in self.items), outcomes=tuple(i.outcome.kind for i in self.items),
            polls=self.polls,
        )


@dataclass
class _Upload:
    id: str
    display_name: str | None
    name: str | None
    mime_type: str
    size: int
    data: bytearray


def _advance(fake: FakeGeminiServer, job: _Batch) -> None:
    """One poll: PENDING/RUNNING until the job is due, then answer every request (SUCCEEDED)."""
    with job.lock:
        job.polls += 1
        if job.state not in _BATCH_LIVE:
            return
        if fake.batch_seconds_until_done is not None:
            due = time.time() - job.created >= fake.batch_seconds_until_done
        else:
            due = job.polls >= fake.batch_polls_until_done
        if not due:
            job.state, job.updated = "BATCH_STATE_RUNNING", time.time()
            return
        results = [_batch_result(fake, job, item) for item in job.items]
        if job.source == "file":
            lines = [json.dumps({"key": item.key, **r}, separators=(",", ":"))
                     for item, r in zip(job.items, results, strict=True)]
            out = FakeFile(f"files/batch-{job.name.removeprefix('batches/')}", f"{job.name} responses",
                           "application/jsonl", ("\n".join(lines) + "\n").encode(), "GENERATED", time.time())
            with fake._lock:
                fake._files[out.name] = out
            job.output_file = out.name
        job.results = results
        job.state = "BATCH_STATE_SUCCEEDED"
        job.ended = job.updated = time.time()


def _status_json(err: _ApiError) -> dict[str, Any]:
    return {"code": err.code, "message": err.message, "status": err.status}


def _batch_result(fake: FakeGeminiServer, job: _Batch, item: _BatchItem) -> dict[str, Any]:
    """One request of a batch, answered by the generateContent machinery: ``{"response"}`` or ``{"error"}``."""
    if item.error is not None:
        return {"error": _status_json(item.error)}
    kind = item.outcome.kind
    if kind == "error":
        return {"error": _status_json(_error_for(item.outcome, job.model, job.version))}
    if kind in ("drop", "html", "malformed"):  # transport faults have no meaning inside a batch
        return {"error": _status_json(_ApiError(500))}
    try:
        req = _parse_generate(fake, job.version, job.model, "batchGenerateContent", item.body)
        ans = _answer(fake, req, _OK if kind == "stall" else item.outcome, item.number)
    except _ApiError as exc:
        return {"error": _status_json(exc)}
    return {"response": _response_json(ans)}


def _operation(job: _Batch) -> dict[str, Any]:
    """The long-running Operation for a batch job (reference section 5: the SDK reads ``metadata`` only)."""
    n = len(job.items)
    stats = {"requestCount": str(n)}  # int64 fields are JSON strings in proto3 JSON
    if job.state in _BATCH_LIVE:
        stats["pendingRequestCount"] = str(n)
    elif job.results is not None:
        ok = sum(1 for r in job.results if "response" in r)
        if ok:
            stats["successfulRequestCount"] = str(ok)
        if n - ok:
            stats["failedRequestCount"] = str(n - ok)
    meta: dict[str, Any] = {"@type": _BATCH_TYPE, "model": f"models/{job.model}"}
    if job.display_name is not None:
        meta["displayName"] = job.display_name
    meta.update(createTime=_rfc3339(job.created), updateTime=_rfc3339(job.updated))
    if job.ended is not None:
        meta["endTime"] = _rfc3339(job.ended)
    meta.update(batchStats=stats, state=job.state, name=job.name)
    op: dict[str, Any] = {"name": job.name, "metadata": meta}
    if job.state in _BATCH_LIVE:
        return op
    op["done"] = True
    if job.state == "BATCH_STATE_SUCCEEDED" and job.results is not None:
        if job.output_file is not None:
            output: dict[str, Any] = {"responsesFile": job.output_file}
        else:
            entries = []
            for item, r in zip(job.items, job.results, strict=True):
                entry = dict(r)
                if item.metadata is not None:
                    entry["metadata"] = item.metadata
                entries.append(entry)
            output = {"inlinedResponses": {"inlinedResponses": entries}}
        meta["output"] = output  # what google-genai reads
        op["response"] = {"@type": _BATCH_OUTPUT_TYPE, **output}  # what the REST docs show
    elif job.error is not None:
        op["error"] = dict(job.error)
    return op


def _file_json(f: FakeFile, base: str, version: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name}
    if f.display_name:
        out["displayName"] = f.display_name
    digest = hashlib.sha256(f.data).hexdigest()
    out.update(
        mimeType=f.mime_type, sizeBytes=str(len(f.data)), createTime=_rfc3339(f.created),
        updateTime=_rfc3339(f.created), expirationTime=_rfc3339(f.created + 48 * 3600),
        sha256Hash=base64.b64encode(digest.encode()).decode(), uri=f"{base}/{version}/{f.name}", state="ACTIVE",
        source=f.source,
    )
    if f.source == "GENERATED":
        out["downloadUri"] = f"{base}/download/{version}/{f.name}:download?alt=media"
    return out


# --------------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------------


_HTTPServer = LoopbackHTTPServer


class _Handler(LoopbackHandler):
    server_version = "scaffolding on HTTPServer2"

    # ---- request -----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        fake = self.server.fake
        self._t0 = time.perf_counter()
        self._responded = False
        received = time.time()
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        key = headers.get("x-goog-api-key") or query.get("key")
        authorization = headers.get("authorization")
        path = unquote(split.path)
        version = model = action = resource = None
        prefix = ""
        surface, project, location, vertex_path = "gemini", None, None, None
        m = None
        vm = _VERTEX_ROUTE.match(path)
        if vm:  # Vertex AI: checked first, since its v1 paths share the version segment with the Gemini API's
            version, prefix, model = vm["version"], vm["prefix"], vm["model"]
            project, location = vm["project"], vm["location"]
            surface = "vertex" if project else "vertex-express"
            action = _vertex_action(self.command, vm["publisher"], model, vm["method"])
            scope = f"projects/{project}/locations/{location}/" if project else ""
            vertex_path = f"{scope}publishers/{vm['publisher']}/models/{model}"
        elif self.command == "POST" and path.rstrip("/").endswith("/token"):
            surface, action = "oauth", "oauth.token"
        else:
            m = _ROUTE.match(path)
            if m:
                version, prefix = m["version"], m["prefix"]
                action, model, resource = _route(self.command, prefix, m["rest"], query)

        raw = self._read_body()
        body: Any = None
        body_error = False
        # upload chunks are the file's bytes, and a token request is a form, not JSON
        if raw and action not in ("files.upload", "oauth.token"):
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                body_error = True

        # The upload-session URL is its own credential (Google's upload front end works that way).
        if action in ("files.upload", "oauth.token"):
            auth_error = None
        elif surface != "gemini":
            auth_error = fake._check_vertex_auth(key, authorization)
        else:
            auth_error = fake._check_key(key)
        is_bearer = bool(authorization and authorization[:7].lower() == "bearer ")
        record = RecordedRequest(
            method=self.command, path=split.path, version=version, model=model,
            query={k: (REDACTED if k == "key" else v) for k, v in query.items()},
            headers={k: (REDACTED if k in ("x-goog-api-key", "authorization") else v) for k, v in headers.items()},
            json=body, received_at=received, action=action, surface=surface, project=project, location=location,
            auth="bearer" if is_bearer else "api_key" if key else None,
        )
        is_call = action in _CALL_METHODS
        outcome, number = fake._admit(record, is_call=is_call, authorized=auth_error is None)
        if fake.latency_s:
            time.sleep(fake.latency_s)
        try:
            if auth_error is not None:
                self._send_api_error(auth_error)
            elif body_error:
                self._send_api_error(_ApiError(400, "Invalid JSON payload received. Unexpected token."))
            elif action == "oauth.token":
                self._token(fake, raw)
            elif action in _CALL_METHODS:
                assert version is not None and model is not None
                self._generate(fake, version, model, action, body, outcome, number, split.query, vertex_path)
            elif surface != "gemini" and action in ("list", "get"):
                self._vertex_models(fake, model, vertex_path, query)
            elif action == "countTokens":
                self._count_tokens(fake, version or "v1", model or "", body)
            elif action == "batchGenerateContent":
                assert version is not None and model is not None
                self._batch_create(fake, version, model, body, len(raw))
            elif action is not None and action.startswith("batches."):
                self._batches_action(fake, action, resource, query)
            elif action is not None and action.startswith("files."):
                assert version is not None
                self._files_action(fake, action, version, prefix, split.path, resource, body, raw, headers, query)
            elif m is not None and version in ("v1", "v1beta") and m["rest"].split("/", 1)[0] == "interactions":
                code, out = fake.interactions.handle(self.command, version, m["rest"], split.path, raw, body)
                self._send(code, out, "application/json; charset=UTF-8")
            elif action == "list":
                self._list_models(fake, query)
            elif action == "get":
                info = registry.lookup(model or "")
                if info is None or info.id != model or not fake._available(info):
                    raise _ApiError(404, f"models/{model} is not found for API version {version}.")
                self._send_json(200, _model_json(info))
            else:
                self._send_api_error(_ApiError(404, "Requested entity was not found."))
        except _ApiError as exc:
            self._send_api_error(exc)
        except OSError:
            self.close_connection = True
        except Exception as exc:  # a bug here should fail the test loudly, not hang the client
            if not self._responded:
                self._send_api_error(_ApiError(500, f"FakeGeminiServer error: {exc!r}"))
            else:
                self.close_connection = True

    # ---- actions -----------------------------------------------------------------------------

    def _generate(self, fake: FakeGeminiServer, version: str, model: str, action: str, body: Any,
                  outcome: Outcome, number: int, query: str, vertex_path: str | None = None) -> None:
        stream = action == "streamGenerateContent"
        sse = stream and "alt=sse" in query
        kind = outcome.kind
        if kind == "drop":
            self._drop()
            return
        if kind == "html":
            self._send(outcome.code or 502, _html_page(outcome.code or 502), "text/html; charset=UTF-8")
            return
        if kind == "error" and not (stream and outcome.mid_stream):
            self._send_api_error(_error_for(outcome, model, version, vertex=vertex_path is not None))
            return
        if kind == "malformed":
            whole = json.dumps({"candidates": [{"content": {"parts": [{"text": "Here is your image"}],
                                                            "role": "model"}, "finishReason": "STOP"}]})
            cut = whole[: len(whole) // 2].encode()
            if sse:
                self._send(200, b"data: " + cut + b"\r\n\r\n", "text/event-stream")
            else:
                self._send(200, cut, "application/json; charset=UTF-8")
            return
        if kind == "stall":
            time.sleep(outcome.seconds)

        req = _parse_generate(fake, version, model, action, body, vertex_path)
        ans = _answer(fake, req, outcome, number)
        if not stream:
            self._send_json(200, _response_json(ans))
            return
        events = [_encode(e) for e in _stream_events(ans)]
        if not sse:  # without alt=sse the API streams one JSON array
            self._send(200, b"[" + b",\r\n".join(events) + b"]", "application/json; charset=UTF-8")
            return
        if self.request_version == "HTTP/1.0":
            self.close_connection = True
            self._send(200, b"".join(b"data: " + e + b"\r\n\r\n" for e in events), "text/event-stream")
            return
        self._start_chunked(200, "text/event-stream")
        for e in events:
            data = b"data: " + e + b"\r\n\r\n"
            self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
        self.wfile.write(b"0\r\n\r\n")

    def _count_tokens(self, fake: FakeGeminiServer, version: str, model: str, body: Any) -> None:
        info = fake._model(model, version, "countTokens")
        contents = _get(body, "contents") or _get(_get(body, "generateContentRequest") or {}, "contents") or []
        text = images = 0
        for content in contents if isinstance(contents, list) else []:
            for part in _get(content, "parts") or []:
                if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                    text += _text_tokens(part["text"])
                blob = _inline(part)
                if blob is not None and str(_get(blob, "mimeType", "")).startswith("image/"):
                    images += info.input_image_tokens
        details = [{"modality": "TEXT", "tokenCount": text}]
        if images:
            details.append({"modality": "IMAGE", "tokenCount": images})
        self._send_json(200, {"totalTokens": text + images, "promptTokensDetails": details})

    def _batch_create(self, fake: FakeGeminiServer, version: str, model_id: str, body: Any, size: int) -> None:
        info = fake._model(model_id, version, "batchGenerateContent")
        if size > fake.batch_inline_limit_bytes:
            raise _ApiError(400, f"Request payload size exceeds the limit: {fake.batch_inline_limit_bytes} bytes.")
        batch = _get(body, "batch")
        if not isinstance(batch, Mapping):
            raise _ApiError(400, "* BatchGenerateContentRequest.batch: batch is not specified\n")
        config = _get(batch, "inputConfig")
        requests = _get(_get(config, "requests"), "requests")
        file_name = _get(config, "fileName")
        entries: list[tuple[str | None, Any, Any, _ApiError | None]] = []
        if requests is not None:
            if not isinstance(requests, list):
                raise _ApiError(400, "Invalid value at 'batch.input_config.requests.requests', expected a list.")
            for item in requests:
                metadata = _get(item, "metadata")
                key = _get(metadata, "key")
                request = _get(item, "request")
                bad = None if isinstance(request, Mapping) else _ApiError(400, "The batch item has no request.")
                entries.append((str(key) if key is not None else None, metadata, request, bad))
            source = "inline"
        elif file_name:
            with fake._lock:
                stored = fake._files.get(str(file_name))
            if stored is None:
                raise _ApiError(404, f"File {file_name} not found.")
            for n, line in enumerate(stored.data.decode("utf-8", "replace").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    obj = None
                if not isinstance(obj, Mapping):
                    entries.append((None, None, None, _ApiError(400, f"Line {n} of {file_name} is not a JSON object.")))
                    continue
                key, request = obj.get("key"), _get(obj, "request")
                bad = None if isinstance(request, Mapping) else _ApiError(400, f"Line {n} of {file_name} has no request.")
                entries.append((str(key) if key is not None else None, None, request, bad))
            source = "file"
        else:
            raise _ApiError(400, "* BatchGenerateContentRequest.batch.input_config: input_config is not specified\n")
        if not entries:
            raise _ApiError(400, "* BatchGenerateContentRequest.batch.input_config: the batch has no requests\n")
        outcomes, numbers = fake._batch_outcomes(len(entries))
        now = time.time()
        job = _Batch(
            name=f"batches/{secrets.token_hex(10)}", model=info.id, version=version,
            display_name=_get(batch, "displayName"), source=source,
            input_file=str(file_name) if source == "file" else None,
            items=[_BatchItem(k, meta, req, out, num, bad)
                   for (k, meta, req, bad), out, num in zip(entries, outcomes, numbers, strict=True)],
            created=now, updated=now,
        )
        with fake._lock:
            fake._batches[job.name] = job
        self._send_json(200, _operation(job))

    def _batches_action(self, fake: FakeGeminiServer, action: str, resource: str | None,
                        query: Mapping[str, str]) -> None:
        if action == "batches.list":
            with fake._lock:
                jobs = list(fake._batches.values())
            start, size = _page(query)
            payload: dict[str, Any] = {"operations": [_operation(j) for j in jobs[start:start + size]]}
            if start + size < len(jobs):
                payload["nextPageToken"] = str(start + size)
            self._send_json(200, payload)
            return
        job = fake._batch(resource)
        if action == "batches.get":
            _advance(fake, job)
            self._send_json(200, _operation(job))
        elif action == "batches.cancel":
            with job.lock:
                if job.state in _BATCH_LIVE:
                    job.state = "BATCH_STATE_CANCELLED"
                    job.ended = job.updated = time.time()
            self._send_json(200, {})
        else:  # batches.delete
            with fake._lock:
                fake._batches.pop(job.name, None)
            self._send_json(200, {})

    def _files_action(self, fake: FakeGeminiServer, action: str, version: str, prefix: str, path: str,
                      resource: str | None, body: Any, raw: bytes, headers: Mapping[str, str],
                      query: Mapping[str, str]) -> None:
        base = fake.base_url + prefix.removesuffix("/upload").removesuffix("/download")
        if action == "files.create":
            if headers.get("x-goog-upload-protocol", "").lower() != "resumable" or \
                    headers.get("x-goog-upload-command", "").lower() != "start":
                raise _ApiError(400, "Only resumable uploads are supported: send X-Goog-Upload-Protocol: resumable "
                                     "and X-Goog-Upload-Command: start.")
            meta = _get(body, "file") or {}
            size = _int64(headers.get("x-goog-upload-header-content-length")) or _int64(_get(meta, "sizeBytes"))
            mime = headers.get("x-goog-upload-header-content-type") or _get(meta, "mimeType")
            if size is None or not mime:
                raise _ApiError(400, "The upload needs X-Goog-Upload-Header-Content-Length and a MIME type.")
            upload = _Upload(secrets.token_urlsafe(24), _get(meta, "displayName"), _get(meta, "name"), str(mime),
                             size, bytearray())
            with fake._lock:
                fake._uploads[upload.id] = upload
            url = f"{fake.base_url}{path}?upload_id={upload.id}&upload_protocol=resumable"
            self._send(200, b"", "text/plain; charset=utf-8", [
                f"x-goog-upload-url: {url}", "x-goog-upload-status: active",
                "x-goog-upload-chunk-granularity: 8388608",
            ])
            return
        if action == "files.upload":
            with fake._lock:
                upload = fake._uploads.get(query.get("upload_id", ""))
            if upload is None:
                raise _ApiError(404, "The upload session was not found or has expired.")
            command = headers.get("x-goog-upload-command", "").lower()
            offset = _int64(headers.get("x-goog-upload-offset"))
            if "upload" in command:
                if offset is not None and offset != len(upload.data):
                    raise _ApiError(400, f"Invalid upload offset {offset}: {len(upload.data)} bytes were received.")
                upload.data += raw
            if "finalize" not in command:
                self._send(200, b"", "text/plain; charset=utf-8", [
                    "x-goog-upload-status: active", f"x-goog-upload-size-received: {len(upload.data)}"])
                return
            if len(upload.data) != upload.size:
                raise _ApiError(400, f"The upload declared {upload.size} bytes but {len(upload.data)} were sent.")
            name = upload.name if upload.name and upload.name.startswith("files/") else f"files/{secrets.token_hex(6)}"
            stored = FakeFile(name, upload.display_name, upload.mime_type, bytes(upload.data), "UPLOADED", time.time())
            with fake._lock:
                fake._uploads.pop(upload.id, None)
                fake._files[name] = stored
            self._send(200, _encode({"file": _file_json(stored, base, version)}),
                       "application/json; charset=UTF-8", ["x-goog-upload-status: final"])
            return
        if action == "files.list":
            with fake._lock:
                files = list(fake._files.values())
            start, size = _page(query)
            payload: dict[str, Any] = {"files": [_file_json(f, base, version) for f in files[start:start + size]]}
            if start + size < len(files):
                payload["nextPageToken"] = str(start + size)
            self._send_json(200, payload)
            return
        with fake._lock:
            stored = fake._files.get(f"files/{resource}")
        if stored is None:
            raise _ApiError(404, f"File files/{resource} not found.", status="NOT_FOUND")
        if action == "files.get":
            self._send_json(200, _file_json(stored, base, version))
        elif action == "files.delete":
            with fake._lock:
                fake._files.pop(stored.name, None)
            self._send_json(200, {})
        else:  # files.download
            if stored.source != "GENERATED":
                raise _ApiError(400, "Only generated files can be downloaded; files created by upload cannot.",
                                status="FAILED_PRECONDITION")
            self._send(200, stored.data, stored.mime_type)

    def _vertex_models(self, fake: FakeGeminiServer, model: str | None, vertex_path: str | None,
                       query: Mapping[str, str]) -> None:
        """``GET publishers/google/models`` (base models, as ``models.list(query_base=True)`` asks) and ``.../{m}``."""
        if model is not None:
            info = registry.lookup(model)
            if info is None or info.id != model or not fake._available(info):
                raise _ApiError(404, f"Publisher Model `{vertex_path}` was not found.")
            self._send_json(200, _vertex_model_json(info))
            return
        models = [_vertex_model_json(m) for m in registry.MODELS if fake._available(m)]
        start, size = _page(query)
        payload: dict[str, Any] = {"publisherModels": models[start:start + size]}
        if start + size < len(models):
            payload["nextPageToken"] = str(start + size)
        self._send_json(200, payload)

    def _token(self, fake: FakeGeminiServer, raw: bytes) -> None:
        """The OAuth 2 token endpoint google-auth refreshes against (form body in, JSON out)."""
        form = dict(parse_qsl(raw.decode("utf-8", "replace")))
        grant = form.get("grant_type", "")
        if grant not in ("refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"):
            self._send(400, _encode({"error": "unsupported_grant_type",
                                     "error_description": f"Invalid grant_type: {grant}"}),
                       "application/json; charset=utf-8")
            return
        self._send_json(200, {"access_token": fake.bearer_token or "fake-access-token", "expires_in": 3599,
                              "scope": "https://www.googleapis.com/auth/cloud-platform", "token_type": "Bearer"})

    def _list_models(self, fake: FakeGeminiServer, query: Mapping[str, str]) -> None:
        models = [_model_json(m) for m in registry.MODELS if fake._available(m)]
        start, size = _page(query)
        payload: dict[str, Any] = {"models": models[start:start + size]}
        if start + size < len(models):
            payload["nextPageToken"] = str(start + size)
        self._send_json(200, payload)

    # ---- responses ---------------------------------------------------------------------------

    def _drop(self) -> None:
        self.close_connection = True
        self._responded = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _head(self, code: int, content_type: str, extra: list[str]) -> bytes:
        lines = [
            f"HTTP/1.1 {code} {_phrase(code)}",
            f"Content-Type: {content_type}",
            "Vary: Origin, X-Origin, Referer",
            f"Date: {self.date_time_string()}",
            f"Server: {self.server_version}",
            "X-XSS-Protection: 0",
            "X-Frame-Options: SAMEORIGIN",
            "X-Content-Type-Options: nosniff",
            f"Server-Timing: gfet4t7; dur={(time.perf_counter() - self._t0) * 1000:.3f}",
            *extra,
        ]
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(self, code: int, body: bytes, content_type: str, headers: list[str] | None = None) -> None:
        self._responded = True
        head = self._head(code, content_type, [*(headers or []), f"Content-Length: {len(body)}"])
        if len(body) < 65536:
            self.wfile.write(head + body)
        else:  # no copy of a multi-megabyte body; TCP_NODELAY keeps two writes from stalling
            self.wfile.write(head)
            self.wfile.write(body)

    def _start_chunked(self, code: int, content_type: str) -> None:
        self._responded = True
        self.wfile.write(self._head(code, content_type, ["Transfer-Encoding: chunked"]))

    def _send_json(self, code: int, payload: Any) -> None:
        self._send(code, _encode(payload), "application/json; charset=UTF-8")

    def _send_api_error(self, exc: _ApiError) -> None:
        self._send_json(exc.code, exc.payload())


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------


_BLOB_MARK = secrets.token_hex(8)  # random, so no text in a response can collide with a placeholder


def _encode(payload: dict[str, Any]) -> bytes:
    """Compact JSON, with large base64 image data spliced in rather than scanned by the JSON encoder.

    Base64 needs no JSON escaping, and skipping the encoder's scan of a multi-megabyte string is most
    of what keeps a ``static_image`` answer well under 2 ms.
    """
    blobs: list[str] = []
    candidates = payload.get("candidates")
    if candidates:
        payload = {**payload, "candidates": [_stub_blobs(c, blobs) for c in candidates]}
    out = json.dumps(payload, separators=(",", ":")).encode()
    for i, data in enumerate(blobs):
        mark = b'"\\u0000%s%d\\u0000"' % (_BLOB_MARK.encode(), i)
        out = out.replace(mark, b'"' + data.encode("ascii") + b'"', 1)
    return out


def _stub_blobs(candidate: dict[str, Any], blobs: list[str]) -> dict[str, Any]:
    parts = (candidate.get("content") or {}).get("parts")
    if not parts:
        return candidate
    new_parts = []
    for part in parts:
        blob = part.get("inlineData")
        if blob is not None and len(blob.get("data", "")) > 4096:
            part = {**part, "inlineData": {**blob, "data": f"\x00{_BLOB_MARK}{len(blobs)}\x00"}}
            blobs.append(blob["data"])
        new_parts.append(part)
    return {**candidate, "content": {**candidate["content"], "parts": new_parts}}


def _int64(value: Any) -> int | None:
    """An integer field as proto-JSON allows it (a number or a decimal string); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def _phrase(code: int) -> str:
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return "Error"


def _duration(value: str | float) -> str:
    """A protobuf Duration string ("2s", "0.500s") from a string or a number of seconds."""
    if isinstance(value, str):
        if not re.fullmatch(r"\d+(\.\d+)?s", value):
            raise ValueError(f"retry_delay {value!r} is not a Duration string such as '2s' or '0.500s'.")
        return value
    seconds = float(value)
    if seconds < 0:
        raise ValueError("retry_delay must be >= 0.")
    return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"


def _parse_faults(faults: Mapping[str | Outcome, float]) -> tuple[tuple[Outcome, float], ...]:
    parsed = []
    total = 0.0
    for spec, p in faults.items():
        p = float(p)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Fault probability for {spec!r} must be between 0 and 1, not {p}.")
        parsed.append((Outcome.parse(spec), p))
        total += p
    if total > 1.0 + 1e-9:
        raise ValueError(f"Fault probabilities add up to {total:g}, more than 1.")
    return tuple(parsed)


def _replace(record: RecordedRequest, **changes: Any) -> RecordedRequest:
    from dataclasses import replace

    return replace(record, **changes)
