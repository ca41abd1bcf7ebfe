"""The backend protocol and the normalised reply every backend returns.

Batch mode is optional: a backend that can run requests through a provider's batch API also implements
:class:`BatchBackend` (``submit_batch`` / ``poll_batch`` / ``cancel_batch``) and reports on a job with a
:class:`BatchStatus`. :func:`supports_batch` tells the two kinds apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..errors import ProviderError
from ..request import ImagePart, Request, Turn

# Provider finish reasons that mean "refused" rather than "failed to draw".
BLOCK_REASONS = frozenset({
    "SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "IMAGE_PROHIBITED_CONTENT", "BLOCKLIST", "SPII",
    "RECITATION", "IMAGE_RECITATION", "MODEL_ARMOR", "JAILBREAK",
})
NO_IMAGE_REASONS = frozenset({"NO_IMAGE", "IMAGE_OTHER", "MAX_TOKENS", "STOP", "FINISH_REASON_UNSPECIFIED", ""})


@dataclass(frozen=True)
class ReplyImage:
    data: bytes = field(repr=False)
    mime: str
    sha256: str = ""  # filled by backends that already hashed the bytes, so the hot path hashes once

    def part(self) -> ImagePart:
        """As a request ImagePart (hashing only if no backend did)."""
        if self.sha256:
            return ImagePart(self.data, self.mime, self.sha256)
        return ImagePart.from_bytes(self.data, self.mime)


@dataclass
class Reply:
    """A provider's answer, normalised. ``status`` uses :data:`toolkit.result.STATUSES`."""

    status: str
    images: list[ReplyImage]
    text: str = ""
    reason: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    response_id: str | None = None
    model_version: str | None = None
    model_turn: Turn | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def classify(finish_reason: str | None, block_reason: str | None, has_image: bool) -> str:
    """Map a provider's finish and block reasons (https://ai.google.dev/api/generate-content#FinishReason) to a status."""
    if block_reason:
        return "blocked"
    reason = (finish_reason or "").upper()
    if reason in BLOCK_REASONS:
        return "blocked"
    if has_image:
        return "ok"
    if reason in NO_IMAGE_REASONS:
        return "no_image"
    return "error"


@runtime_checkable
class Backend(Protocol):
    """What a backend provides. ``kind`` is part of every cache key.

    Batch mode is optional: see :class:`BatchBackend` (kept as a separate protocol so that a backend
    without it still passes ``isinstance(backend, Backend)``).
    """

    @property
    def kind(self) -> str:
        """The backend kind: a registered name, part of every cache key."""
        ...

    @property
    def spends_money(self) -> bool:
        """True when its calls are paid (budgeted and written ahead to the ledger)."""
        ...

    @property
    def description(self) -> str: ...

    async def generate(self, request: Request) -> Reply:
        """Answer one request. Raise ProviderError for transport/HTTP failures; return Reply otherwise."""
        ...

    def list_models(self) -> list[str]:
        """Image model ids this backend can use right now."""
        ...


# -- batch mode (optional) ---------------------------------------------------------------------------------
#: Job states, with the names google-genai uses (``JobState``); the Gemini API's ``BATCH_STATE_X`` is ``JOB_STATE_X``.
JOB_STATES = (
    "JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED",
    "JOB_STATE_EXPIRED",
)
#: States after which a job never changes again. ``JOB_STATE_NOT_FOUND`` is the toolkit's own: the provider
#: no longer knows the job (deleted, or an offline job of another process).
TERMINAL_JOB_STATES = frozenset({
    "JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED",
    "JOB_STATE_PARTIALLY_SUCCEEDED", "JOB_STATE_NOT_FOUND",
})


@dataclass
class BatchStatus:
    """Where a batch job is, as one poll saw it.

    Attributes
    ----------
    name : str
        The job name (``batches/...`` on the Gemini API).
    state : str
        One of :data:`JOB_STATES` (or another ``JOB_STATE_*`` the provider reports).
    done : bool
        True once the job reached a terminal state (:data:`TERMINAL_JOB_STATES`).
    results : dict
        When done: request key -> :class:`Reply` (any answer, blocked and empty ones included) or
        :class:`~toolkit.errors.ProviderError` (that request failed). Keys missing from it got no answer
        (a job that failed, was cancelled or expired as a whole). ``"#n"`` stands for the n-th submitted
        request when the provider's answer did not echo its key.
    error : str or None
        The job-level failure message, if the provider gave one.
    elapsed_s : float or None
        The provider's creation-to-end time of a finished job, when it reports both.
    """

    name: str
    state: str
    done: bool
    results: dict[str, Reply | ProviderError] = field(default_factory=dict)
    error: str | None = None
    elapsed_s: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.state == "JOB_STATE_SUCCEEDED"


@runtime_checkable
class BatchBackend(Protocol):
    """The optional batch methods of a backend (one job per model: batch APIs are per model)."""

    async def submit_batch(self, requests: list[Request], display_name: str) -> str:
        """Submit requests of ONE model as one job; returns the job name. Each answer is keyed by ``Request.key``."""
        ...

    async def poll_batch(self, job_name: str) -> BatchStatus:
        """The job's state, with every answer once it is done."""
        ...

    async def cancel_batch(self, job_name: str) -> None:
        """Ask the provider to stop the job (its unfinished requests are never answered)."""
        ...


def supports_batch(backend: Any) -> bool:
    """True when ``backend`` implements :class:`BatchBackend`."""
    return isinstance(backend, BatchBackend)
