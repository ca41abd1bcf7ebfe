"""The backend protocol, the normalised reply every backend returns, and the one check every reply passes.

The network can send anything. :func:`check_reply` is what the Engine runs on every reply inside each attempt,
before anything is stored or cached: image bytes that are not an image, a reply over
:data:`MAX_REPLY_IMAGE_BYTES`, token counts that are not numbers. A reply that fails it is a
:class:`MalformedReplyError` (``MALFORMED_RESPONSE``): retried like a transport failure, then raised.

Batch mode is optional: a backend that can run requests through a provider's batch API also implements
:class:`BatchBackend` (``submit_batch`` / ``poll_batch`` / ``cancel_batch``) and reports on a job with a
:class:`BatchStatus`. :func:`supports_batch` tells the two kinds apart.
"""

from __future__ import annotations

import dataclasses
import io
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .. import pricing
from ..errors import MalformedReplyError, ProviderError
from ..images import MAX_PIXELS, header_size, sniff_mime
from ..request import ImagePart, Request, Turn
from ..result import STATUSES
from ..secrets import scrub

#: The most image bytes one reply may carry (final and interim images together): 64 MiB. The largest real
#: answer, a 4096x4096 PNG from a Pro image model, is 10-30 MB; 48 MiB is even an uncompressed 4K RGB image.
#: Larger replies are refused as malformed before they are decoded, hashed, stored or cached.
MAX_REPLY_IMAGE_BYTES = 64 * 1024 * 1024
#: Formats :func:`check_reply` accepts from the header alone (Pillow needs a plugin to open them).
_PLUGIN_FORMATS = frozenset({"image/heic", "image/heif", "image/avif"})

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
    """A provider's answer, normalised. ``status`` uses :data:`toolkit.result.STATUSES`.

    ``images`` holds every final (non-thought) image, in the order received; interim thought images stay in
    ``model_turn`` only. ``extra`` carries provider facts such as ``serviceTier`` (the tier that served it).
    """

    status: str
    images: list[ReplyImage]
    text: str = ""
    reason: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    response_id: str | None = None
    model_version: str | None = None
    model_turn: Turn | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: Search grounding of the answer (queries, sources, entry point HTML), or None: see
    #: :func:`toolkit.backends.gemini_wire.parse_grounding` for the shape.
    grounding: dict[str, Any] | None = None


def as_provider_error(provider: str, e: BaseException) -> ProviderError:
    """An exception a backend let through, as a ProviderError: a transport failure (``OSError``: timeouts,
    dropped connections) stays one; anything else (KeyError, TypeError, ValueError, a pydantic
    ValidationError, ...) arose reading the answer and is a :class:`MalformedReplyError`. The exception's type
    name is kept, its message scrubbed and shortened.

    >>> as_provider_error("gemini", KeyError(0)).status, as_provider_error("gemini", ConnectionResetError()).status
    ('MALFORMED_RESPONSE', 'ConnectionResetError')
    """
    detail = scrub(str(e)) or ""
    detail = detail if len(detail) <= 300 else detail[:299] + "…"
    name = type(e).__name__
    if isinstance(e, OSError):
        return ProviderError(provider, None, name, detail or name,
                             hint="check the network, the base_url and the timeout (Studio(timeout_s=...)).")
    return MalformedReplyError(provider, f"it could not be read ({name}{': ' + detail if detail else ''})")


def check_encoded_size(chars: int, provider: str, max_bytes: int | None = None) -> None:
    """Refuse base64 image data of ``chars`` characters (a whole reply's) that would decode past ``max_bytes``
    (default :data:`MAX_REPLY_IMAGE_BYTES`), before decoding it."""
    max_bytes = MAX_REPLY_IMAGE_BYTES if max_bytes is None else max_bytes
    if chars * 3 // 4 > max_bytes:
        raise MalformedReplyError(provider, f"its images add up to about {chars * 3 // 4 / 2**20:.1f} MB, more than "
                                            f"the {max_bytes / 2**20:g} MB a reply may carry (MAX_REPLY_IMAGE_BYTES)")


def _image_problem(data: bytes, declared: str) -> tuple[str | None, str | None]:
    """(problem, sniffed MIME type) of image bytes, read from the header only (never decoded)."""
    sniffed = sniff_mime(data)
    if sniffed is None:
        return (f"{len(data):,} bytes declared {declared!r} that are not an image (they begin "
                f"{bytes(data[:8]).hex(' ') or 'with nothing'})"), None
    if sniffed in _PLUGIN_FORMATS:
        return None, sniffed
    size = header_size(data) if sniffed in ("image/png", "image/jpeg") else None  # a few microseconds
    if size is not None:
        w, h = size
        return (f"a {sniffed} of impossible size {w}x{h}" if w < 1 or h < 1 or w * h > MAX_PIXELS else None), sniffed
    # other formats, or a PNG/JPEG header the fast reader does not find: Pillow reads it
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: the pixel count is checked below
            with Image.open(io.BytesIO(data)) as img:  # lazy: reads the header only
                w, h = img.size
    except Exception as e:
        return f"a {sniffed} whose header cannot be read ({type(e).__name__})", sniffed
    if w < 1 or h < 1 or w * h > MAX_PIXELS:
        return f"a {sniffed} of impossible size {w}x{h}", sniffed
    return None, sniffed


def check_reply(reply: Reply, max_bytes: int = MAX_REPLY_IMAGE_BYTES, *, provider: str = "the provider") -> Reply:
    """Check a backend's reply before anything of it is stored or cached; returns it (image types corrected to
    what the bytes are), or raises :class:`MalformedReplyError`.

    Checked, cheaply (headers only, no pixel decode): the status is one of :data:`toolkit.result.STATUSES`;
    every image, final or interim, is an image whose header gives a sane size; all images together stay under
    ``max_bytes``; the usage holds whole token counts (:func:`toolkit.pricing.normalize_usage`) and a reported
    ``cost_usd`` is a finite number >= 0.
    """
    if reply.status not in STATUSES:
        raise MalformedReplyError(provider, f"status {reply.status!r} is not one of {', '.join(STATUSES)}")
    try:
        usage = pricing.normalize_usage(reply.usage)
    except (TypeError, ValueError, AttributeError) as e:
        raise MalformedReplyError(provider, f"its usage could not be read ({(scrub(str(e)) or '')[:200]})") from None
    cost = reply.extra.get("cost_usd") if isinstance(reply.extra, dict) else None
    if cost is not None:
        try:
            ok = isinstance(cost, int | float | str) and not isinstance(cost, bool) and math.isfinite(float(cost)) \
                and float(cost) >= 0
        except ValueError:
            ok = False
        if not ok:
            raise MalformedReplyError(provider, f"its cost {(scrub(repr(cost)) or '')[:60]} is not a number of dollars")
    finals = list(reply.images)
    final_shas = {im.sha256 for im in finals if im.sha256}
    interim = [p for p in (reply.model_turn.parts if reply.model_turn else ())
               if isinstance(p, ImagePart) and p.sha256 not in final_shas and all(p.data is not im.data for im in finals)]
    total = sum(len(im.data) for im in finals) + sum(len(p.data) for p in interim)
    if total > max_bytes:
        raise MalformedReplyError(provider, f"its images add up to {total / 2**20:.1f} MB, more than the "
                                            f"{max_bytes / 2**20:g} MB a reply may carry (MAX_REPLY_IMAGE_BYTES)")
    fixed: dict[str, str] = {}  # sha256 -> the type the bytes really are
    images = []
    for i, im in enumerate(finals, start=1):
        problem, sniffed = _image_problem(im.data, im.mime)
        if problem is not None:
            raise MalformedReplyError(provider, f"image {i} of {len(finals)} is {problem}")
        if sniffed is not None and sniffed != im.mime:
            im = ReplyImage(im.data, sniffed, im.sha256)
            if im.sha256:
                fixed[im.sha256] = sniffed
        images.append(im)
    for p in interim:
        if p.mime.startswith("image/") or p.thought:
            problem, sniffed = _image_problem(p.data, p.mime)
            if problem is not None:
                raise MalformedReplyError(provider, f"an interim image of the answer is {problem}")
            if sniffed is not None and sniffed != p.mime:
                fixed[p.sha256] = sniffed
    turn = reply.model_turn
    if turn is not None and fixed:
        turn = Turn(turn.role, tuple(dataclasses.replace(p, mime=fixed[p.sha256])
                                     if isinstance(p, ImagePart) and p.sha256 in fixed else p for p in turn.parts))
    return dataclasses.replace(reply, images=images, usage=usage, model_turn=turn)


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
    results : Mapping
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
    results: Mapping[str, Reply | ProviderError] = field(default_factory=dict)
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
