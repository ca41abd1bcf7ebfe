"""The vocabulary every loopback fake shares: one :class:`Outcome`, one :class:`Recorded`, one script.

* :class:`Outcome` is how a fake answers one scripted (or fault-injected) generation call, whichever
  provider it plays; each fake says which kinds it knows (``KINDS``) and how it reads string shortcuts
  (``SHORTCUTS``).
* :class:`Recorded` is one request a fake received, credentials redacted.
* :class:`ScriptedFake` keeps the script (``enqueue``, seeded ``faults``) and the records (``requests``,
  ``calls``, ``call_count``).
* Small helpers the provider modules share (:func:`text_tokens`, :func:`decode_data_url`, ...).

The HTTP side (the threaded server, the handler base and :class:`~toolkit.testing.loopback.LoopbackFake`)
is in :mod:`toolkit.testing.loopback`. Nothing here is provider-specific: the wire formats live in the
provider modules.
"""

from __future__ import annotations

import base64
import binascii
import random
import re
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

__all__ = [
    "BLOCK_REASONS",
    "DEFAULT_RETRY_DELAY",
    "KINDS",
    "REDACTED",
    "SHORTCUTS",
    "BadDataURL",
    "Outcome",
    "Recorded",
    "ScriptedFake",
    "decode_data_url",
    "duration",
    "text_tokens",
]

REDACTED = "<redacted>"
DEFAULT_RETRY_DELAY = "0.05s"  # short on purpose: retry loops in tests should not sleep for real

#: Every outcome kind some fake knows. Each fake narrows this to its own ``KINDS``.
KINDS = frozenset({
    "ok", "blocked", "finish", "no_image", "text_only", "error", "drop", "stall", "html", "malformed",
    "many_images", "interleaved", "thoughts_with_interim_images", "failed", "incomplete", "junk_image", "raw",
})

#: Gemini finish / block reasons that mean "refused for safety" (OpenRouter and fal map them to refusals).
BLOCK_REASONS = frozenset({"SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "IMAGE_PROHIBITED_CONTENT",
                           "RECITATION", "IMAGE_RECITATION", "BLOCKLIST", "SPII"})


# --------------------------------------------------------------------------------------------------
# Outcome and Recorded
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """How a fake answers one generation call: a scripted outcome (or a drawn fault).

    Build one with the constructors (``Outcome.ok()``, ``Outcome.error(429)``, ...) or pass a string
    shortcut or an HTTP code to a fake's ``enqueue`` (see :meth:`parse` and each fake's ``SHORTCUTS``).
    HTTP-level kinds (``error``, ``drop``, ``html``, ``malformed``) fail the call before the request is
    looked at, the way a front end fails before the model sees anything; content kinds apply to valid
    requests. A fake refuses kinds it does not know (its ``KINDS``) when they are enqueued.

    Attributes
    ----------
    kind : str
        ``ok``, ``blocked``, ``finish``, ``no_image``, ``text_only``, ``error``, ``drop``, ``stall``,
        ``html``, ``malformed``, ``many_images``, ``interleaved``, ``thoughts_with_interim_images``,
        ``junk_image``, ``raw`` (Gemini); ``failed``, ``incomplete`` (Interactions).
    code, status : int, str or None
        HTTP code of an ``error`` or ``html`` answer; Gemini's ``google.rpc.Code`` name of an ``error``.
    message : str or None
        Error or refusal message (a provider-like default when None); Gemini's ``finishMessage``.
    reason : str or None
        Gemini: ``blockReason`` (blocked) or ``finishReason`` (finish). OpenRouter:
        ``native_finish_reason`` of a refusal. fal: the error ``type`` of a refusal
        (``content_policy_violation``, ``no_media_generated``) or the ``error_type`` of a request error.
    text : str or None
        The text of a ``text_only`` answer.
    retry_delay : str or None
        How long the client should wait, as a protobuf Duration string (``"2s"``): Gemini's
        ``RetryInfo.retryDelay``; OpenRouter and fal send it as a ``Retry-After`` header
        (:attr:`retry_after`).
    seconds : float
        How long a ``stall`` sleeps before answering normally.
    count : int
        Number of final images of ``many_images`` and ``interleaved``; number of junk bytes of ``junk_image``.
    body : object
        ``raw``: the HTTP 200 body, as a JSON-ready object (or bytes, sent as they are).
    mid_stream : bool
        Gemini, ``error`` on a streaming call: two text events first, then the error as an SSE event.
    cost : float or None
        OpenRouter, ``ok``: ``usage.cost`` to report instead of the list price.
    at : str or None
        fal only: ``"submit"`` (the submission is refused) or ``"result"`` (the job runs, then fails).
        None picks by code: 422 and 5xx at ``"result"``, others at ``"submit"``.

    Examples
    --------
    >>> Outcome.parse("503") == Outcome.error(503)
    True
    >>> Outcome.error(429).retry_delay, Outcome.error(429, retry_after=1.5).retry_after
    ('0.05s', 1.5)
    """

    kind: str
    code: int | None = None
    status: str | None = None
    message: str | None = None
    reason: str | None = None
    text: str | None = None
    retry_delay: str | None = None
    seconds: float = 0.0
    count: int = 1
    mid_stream: bool = False
    cost: float | None = None
    at: str | None = None
    body: Any = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown outcome kind {self.kind!r}; use one of {', '.join(sorted(KINDS))}.")
        if self.at not in (None, "submit", "result"):
            raise ValueError(f"at={self.at!r} must be 'submit', 'result' or None.")

    @property
    def retry_after(self) -> float | None:
        """:attr:`retry_delay` in seconds (what a ``Retry-After`` header carries), or None."""
        return None if self.retry_delay is None else float(self.retry_delay[:-1])

    @classmethod
    def ok(cls, *, cost: float | None = None) -> Outcome:
        """Answer normally (a simulator image); ``cost`` overrides OpenRouter's ``usage.cost``."""
        return cls("ok", cost=cost)

    @classmethod
    def blocked(cls, reason: str | None = None, message: str | None = None) -> Outcome:
        """A refusal of the prompt.

        Gemini: HTTP 200 with ``promptFeedback.blockReason`` (default ``PROHIBITED_CONTENT``) and no
        candidates. OpenRouter: ``finish_reason="content_filter"`` (default ``IMAGE_SAFETY``). fal: 422
        ``content_policy_violation``. Interactions: ``status: "failed"`` with a safety error.
        """
        return cls("blocked", reason=reason, message=message)

    @classmethod
    def finish(cls, reason: str, message: str | None = None) -> Outcome:
        """Gemini: HTTP 200, one candidate, no parts and this ``finishReason`` (``IMAGE_SAFETY``, ...).

        ``message`` becomes ``finishMessage``; by default safety reasons get a realistic refusal text and
        ``NO_IMAGE`` / ``IMAGE_OTHER`` get none, as on the real API.
        """
        return cls("finish", reason=reason.upper(), message=message)

    @classmethod
    def no_image(cls, reason: str | None = None, message: str | None = None) -> Outcome:
        """No image drawn: Gemini ``finishReason: NO_IMAGE``; OpenRouter ``NO_IMAGE``; fal 422
        ``no_media_generated``; Interactions a completed text-only turn (``message`` is its text)."""
        return cls("no_image", reason=reason, message=message)

    @classmethod
    def text_only(cls, text: str = "I can describe it, but I did not draw an image this time.") -> Outcome:
        """Finish normally with only text (the model chose not to draw)."""
        return cls("text_only", text=text)

    @classmethod
    def error(
        cls,
        code: int,
        message: str | None = None,
        *,
        status: str | None = None,
        retry_delay: str | float | None = None,
        retry_after: float | None = None,
        reason: str | None = None,
        at: str | None = None,
        mid_stream: bool = False,
    ) -> Outcome:
        """Answer with HTTP ``code`` and the provider's JSON error body.

        ``retry_delay`` (a Duration string such as ``"2s"``, or seconds) and ``retry_after`` (seconds)
        say the same thing in Google's and HTTP's words; a 429 defaults to ``"0.05s"`` so tests that
        honour it stay fast (build ``Outcome("error", code=429)`` for a 429 without one).
        """
        code = int(code)
        if not 400 <= code <= 599:
            raise ValueError(f"An error outcome needs an HTTP code from 400 to 599, not {code}.")
        if retry_delay is not None and retry_after is not None:
            raise ValueError("Give retry_delay or retry_after, not both: they are the same wait.")
        wait = retry_delay if retry_delay is not None else retry_after
        delay = duration(wait) if wait is not None else None
        if delay is None and code == 429:
            delay = DEFAULT_RETRY_DELAY
        return cls("error", code=code, status=status, message=message, reason=reason, retry_delay=delay, at=at,
                   mid_stream=mid_stream)

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
        """A non-JSON HTML error page, as an edge proxy sends."""
        return cls("html", code=int(code))

    @classmethod
    def malformed(cls) -> Outcome:
        """HTTP 200 whose JSON body is cut off half-way."""
        return cls("malformed")

    @classmethod
    def many_images(cls, k: int = 3) -> Outcome:
        """Gemini: answer with ``k`` final (non-thought) image parts, each billed."""
        if k < 1:
            raise ValueError("many_images needs k >= 1.")
        return cls("many_images", count=int(k))

    @classmethod
    def interleaved(cls, k: int = 3) -> Outcome:
        """Gemini: answer with ``k`` final images interleaved with text (text, image, text, image, ...), each
        image billed: the shape of a "show me how, with images" answer."""
        if k < 1:
            raise ValueError("interleaved needs k >= 1.")
        return cls("interleaved", count=int(k))

    @classmethod
    def thoughts_with_interim_images(cls) -> Outcome:
        """Gemini: thought parts including an interim ``thought: true`` image, then the final image."""
        return cls("thoughts_with_interim_images")

    @classmethod
    def junk_image(cls, nbytes: int = 4096) -> Outcome:
        """Gemini: HTTP 200, a normal answer whose final image part holds ``nbytes`` random bytes (seeded by
        the call number) declared ``image/png``: base64 that decodes, but not to an image."""
        if nbytes < 0:
            raise ValueError("junk_image needs nbytes >= 0.")
        return cls("junk_image", count=int(nbytes))

    @classmethod
    def raw(cls, body: Any) -> Outcome:
        """Gemini: HTTP 200 with exactly this body (a JSON-ready object, or bytes): odd shapes such as
        ``{"candidates": {"0": ...}}`` or token counts given as text. On a stream it is the one SSE event."""
        return cls("raw", body=body)

    @classmethod
    def failed(cls, message: str | None = None) -> Outcome:
        """Interactions: HTTP 200 with ``status: "failed"`` and an internal error on the model step."""
        return cls("failed", message=message)

    @classmethod
    def incomplete(cls, message: str | None = None) -> Outcome:
        """Interactions: HTTP 200 with ``status: "incomplete"`` (cut off at the output token limit)."""
        return cls("incomplete", message=message)

    @classmethod
    def parse(cls, spec: str | int | Outcome, shortcuts: Mapping[str, Outcome] | None = None) -> Outcome:
        """An :class:`Outcome` from a shortcut, an HTTP code (``"429"`` or ``503``) or an Outcome.

        ``shortcuts`` maps lower-case names to outcomes (a fake's ``SHORTCUTS``); the default
        :data:`SHORTCUTS` has every kind that needs no argument (``many_images`` and ``interleaved`` draw 3)
        and the Gemini finish reasons (``image_safety``, ``image_prohibited_content``, ``prohibited_content``,
        ``image_recitation``, ``image_other``). Names are case-insensitive.
        """
        if isinstance(spec, Outcome):
            return spec
        if isinstance(spec, int) and not isinstance(spec, bool):
            return cls.error(spec)
        if not isinstance(spec, str):
            raise TypeError(f"An outcome is a str, an int HTTP code or an Outcome, not {type(spec).__name__}.")
        table = SHORTCUTS if shortcuts is None else shortcuts
        key = spec.strip().lower()
        if key.isdigit():
            return cls.error(int(key))
        if key not in table:
            raise ValueError(f"Unknown outcome {spec!r}; use one of {', '.join(sorted(table))}, an HTTP code, "
                             "or Outcome.*().")
        return table[key]


#: The default shortcuts of :meth:`Outcome.parse` (the Gemini fake's vocabulary).
SHORTCUTS: Mapping[str, Outcome] = {
    "ok": Outcome.ok(), "blocked": Outcome.blocked(), "no_image": Outcome.no_image(),
    "text_only": Outcome.text_only(), "drop": Outcome.drop(), "html": Outcome.html(),
    "malformed": Outcome.malformed(), "many_images": Outcome.many_images(), "interleaved": Outcome.interleaved(),
    "thoughts_with_interim_images": Outcome.thoughts_with_interim_images(),
    "failed": Outcome.failed(), "incomplete": Outcome.incomplete(),
    **{r.lower(): Outcome.finish(r) for r in ("IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "PROHIBITED_CONTENT",
                                              "IMAGE_RECITATION", "IMAGE_OTHER")},
}


@dataclass(frozen=True)
class Recorded:
    """One HTTP request a fake received, with credentials redacted.

    Every fake fills the common fields; the rest stay None (or 0) where they mean nothing.

    Attributes
    ----------
    method, path : str
        HTTP method and URL path without the query string (so a ``?key=`` never lands here).
    query : dict
        Query parameters; ``key`` is ``"<redacted>"``.
    headers : dict
        Lower-cased header names; credentials (``authorization``, ``x-goog-api-key``, ``x-api-key``) are
        ``"<redacted>"``.
    json : object or None
        The parsed JSON body (None when absent or not JSON).
    received_at : float
        ``time.time()`` when the request arrived.
    action : str or None
        What the request asked for. Gemini: ``generateContent``, ``streamGenerateContent``,
        ``countTokens``, ``list``/``get`` (models), ``batchGenerateContent``, ``batches.*``, ``files.*``,
        ``oauth.token``. Interactions: ``create``, ``get``, ``delete``, ``cancel``. OpenRouter: ``chat``
        or ``models``. fal: ``submit``, ``run``, ``status``, ``result``, ``cancel`` or ``file``.
    outcome : str or None
        The :attr:`Outcome.kind` a generation call took (None for other requests and for calls refused
        for their credentials).
    is_call : bool
        True for generation calls: what ``calls`` and ``call_count`` count.
    surface : str or None
        Gemini: ``"gemini"``, ``"vertex"`` (a Vertex AI project path), ``"vertex-express"`` (a Vertex
        path without a project) or ``"oauth"`` (the token endpoint).
    version : str or None
        The API version in the path (``v1``, ``v1beta``, ``v1alpha``, ``v1beta1``).
    model : str or None
        The model: from a Gemini path (without ``models/``), or an OpenRouter body.
    app : str or None
        fal: the endpoint id (``fal-ai/nano-banana-2/edit``). OpenRouter: the model.
    project, location : str or None
        The Vertex AI project and location from the path.
    auth : str or None
        Gemini: the credential carried, ``"api_key"`` or ``"bearer"`` (never its value).
    interaction_id, previous_interaction_id : str or None
        Interactions: the id in the path (or the id created), and what a create continued from.
    bytes_in, bytes_out : int
        Interactions: body bytes received and sent.
    status_code : int or None
        Interactions: the HTTP status answered.
    """

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    received_at: float = 0.0
    action: str | None = None
    outcome: str | None = None
    is_call: bool = False
    surface: str | None = None
    version: str | None = None
    model: str | None = None
    app: str | None = None
    project: str | None = None
    location: str | None = None
    auth: str | None = None
    interaction_id: str | None = None
    previous_interaction_id: str | None = None
    bytes_in: int = 0
    bytes_out: int = 0
    status_code: int | None = None


# --------------------------------------------------------------------------------------------------
# Scripting and recording
# --------------------------------------------------------------------------------------------------


class BadDataURL(ValueError):
    """A ``data:`` URL a fake could not decode."""


class ScriptedFake:
    """Scripted outcomes, seeded faults and recorded requests, thread-safe.

    Parameters
    ----------
    faults : dict, optional
        Outcome shortcut (or :class:`Outcome`) -> probability, e.g. ``{"503": 0.2, "drop": 0.05}``: calls
        with no scripted outcome get that outcome with that probability (seeded, so a run is reproducible
        when calls arrive in the same order).
    fault_seed : int
        Seed of the fault RNG.
    """

    #: How this fake reads string shortcuts (see :meth:`Outcome.parse`).
    SHORTCUTS: ClassVar[Mapping[str, Outcome]] = SHORTCUTS
    #: The outcome kinds this fake can act out; others are refused by :meth:`enqueue`.
    KINDS: ClassVar[frozenset[str]] = KINDS

    def __init__(self, *, faults: Mapping[str | Outcome, float] | None = None, fault_seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Outcome] = deque()
        self._requests: list[Recorded] = []
        self._calls = 0
        self.fault_seed = fault_seed
        self._rng = random.Random(fault_seed)
        self._faults = self._parse_faults(faults or {})

    def parse_outcome(self, spec: str | int | Outcome) -> Outcome:
        """An :class:`Outcome` this fake can act out, from a shortcut, an HTTP code or an Outcome."""
        outcome = Outcome.parse(spec, self.SHORTCUTS)
        if outcome.kind not in self.KINDS:
            raise ValueError(f"{type(self).__name__} cannot act out a {outcome.kind!r} outcome; it knows "
                             f"{', '.join(sorted(self.KINDS))}.")
        return outcome

    def enqueue(self, *outcomes: str | int | Outcome) -> None:
        """Script the next generation calls: each takes the next outcome; then ``ok`` (or faults) again.

        Scripted outcomes take precedence over probabilistic faults; calls refused for their credentials
        do not consume one.
        """
        parsed = [self.parse_outcome(o) for o in outcomes]
        with self._lock:
            self._queue.extend(parsed)

    @property
    def pending(self) -> int:
        """How many scripted outcomes are still waiting."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[Recorded]:
        """A snapshot of every request received, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def calls(self) -> list[Recorded]:
        """A snapshot of the generation calls only."""
        with self._lock:
            return [r for r in self._requests if r.is_call]

    @property
    def call_count(self) -> int:
        """Number of generation calls received (including ones refused for their credentials)."""
        with self._lock:
            return self._calls

    def reset(self) -> None:
        """Forget recorded requests, scripted outcomes and the call counter; reseed the fault RNG."""
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self._calls = 0
            self._rng = random.Random(self.fault_seed)

    # ---- for the fakes' request handlers -----------------------------------------------------------
    def admit(self, record: Recorded, *, authorized: bool = True) -> tuple[Outcome, int]:
        """Record a request; for a call, count it and choose its outcome, atomically (arrival order).

        Returns the outcome (``ok`` for non-calls and unauthorized calls, which take no scripted one)
        and the call's number (1-based; the current count for non-calls).
        """
        with self._lock:
            outcome = Outcome.ok()
            if record.is_call:
                self._calls += 1
                if authorized:
                    outcome = self._next()
                    record = replace(record, outcome=outcome.kind)
            self._requests.append(record)
            return outcome, self._calls

    def take(self, n: int = 1) -> list[Outcome]:
        """The next ``n`` outcomes (scripted first, then faults), without recording a call."""
        with self._lock:
            return [self._next() for _ in range(n)]

    def record(self, record: Recorded) -> None:
        """Record a request whose outcome was already taken (counted when ``is_call``)."""
        with self._lock:
            if record.is_call:
                self._calls += 1
            self._requests.append(record)

    def _next(self) -> Outcome:
        if self._queue:
            return self._queue.popleft()
        r = self._rng.random() if self._faults else 1.0
        acc = 0.0
        for outcome, p in self._faults:
            acc += p
            if r < acc:
                return outcome
        return Outcome.ok()

    def _parse_faults(self, faults: Mapping[str | Outcome, float]) -> tuple[tuple[Outcome, float], ...]:
        parsed = []
        total = 0.0
        for spec, p in faults.items():
            p = float(p)
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"Fault probability for {spec!r} must be between 0 and 1, not {p}.")
            parsed.append((self.parse_outcome(spec), p))
            total += p
        if total > 1.0 + 1e-9:
            raise ValueError(f"Fault probabilities add up to {total:g}, more than 1.")
        return tuple(parsed)


# --------------------------------------------------------------------------------------------------
# Small shared helpers
# --------------------------------------------------------------------------------------------------


def duration(value: str | float) -> str:
    """A protobuf Duration string (``"2s"``, ``"0.500s"``) from such a string or a number of seconds."""
    if isinstance(value, str):
        if not re.fullmatch(r"\d+(\.\d+)?s", value):
            raise ValueError(f"retry_delay {value!r} is not a Duration string such as '2s' or '0.500s'.")
        return value
    seconds = float(value)
    if seconds < 0:
        raise ValueError("retry_delay must be >= 0.")
    return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"


def text_tokens(text: str) -> int:
    """The fakes' token estimate for text: about four characters a token."""
    return max(1, round(len(text) / 4)) if text else 0


def decode_data_url(url: str, where: str) -> tuple[bytes, str]:
    """``data:<mime>;base64,<data>`` -> (bytes, mime); :class:`BadDataURL` naming ``where`` otherwise."""
    if not url.startswith("data:") or ";base64," not in url:
        raise BadDataURL(f"{where}: only base64 data URLs can be fetched by this fake, got {url[:40]!r}")
    head, _, data = url.partition(";base64,")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise BadDataURL(f"{where}: the data URL is not valid base64") from None
    return raw, head[5:] or "application/octet-stream"
