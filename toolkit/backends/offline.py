"""The offline simulator backend: the embedded default when there is no API key.

Deterministic (the seed comes from the request key), spends nothing, and reports the usage the real
model would bill, so cost lessons hold offline. Every image carries a visible "OFFLINE SIMULATOR" mark.

It also simulates batch mode (``submit_batch`` / ``poll_batch`` / ``cancel_batch``) so notebooks can show
the whole flow without a key: see :meth:`OfflineBackend.submit_batch`.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from PIL import Image

from .. import registry, simulator
from ..errors import ProviderError
from ..request import ImagePart, Request, TextPart, Turn
from .base import BatchStatus, Reply, ReplyImage, classify
from .registry import BASE_OPTIONS


@dataclass
class _OfflineJob:
    requests: list[Request]
    display_name: str
    created: float = field(default_factory=time.monotonic)
    state: str = "JOB_STATE_PENDING"
    results: dict[str, Reply | ProviderError] = field(default_factory=dict)
    elapsed_s: float | None = None


# Process-wide, so a new Studio (a new OfflineBackend) in the same process can resume a job.
_JOBS: dict[str, _OfflineJob] = {}
_JOBS_LOCK = threading.Lock()


class OfflineBackend:
    """Answers every request with :func:`toolkit.simulator.render`.

    Parameters
    ----------
    latency_s : float
        Simulated seconds per call (default 0), for teaching concurrency: ``n=4`` at 1 s each takes about
        1 s, not 4.
    """

    kind: ClassVar[str] = "offline"
    spends_money: ClassVar[bool] = False
    #: The options it takes (its ``BackendSpec.options``): the image options, plus thinking (simulated, and
    #: labelled so). Search grounding and service tiers are refused: nothing is searched or billed here.
    options: ClassVar[frozenset[str]] = BASE_OPTIONS | {"thinking_level", "include_thoughts"}

    def __init__(self, latency_s: float = 0.0) -> None:
        self.latency_s = float(latency_s)

    @property
    def description(self) -> str:
        return "offline simulator (no key: images are drawn locally and say so)"

    async def generate(self, request: Request) -> Reply:
        reply, _ = await asyncio.gather(self._answer(request), asyncio.sleep(self.latency_s))
        return reply

    async def generate_stream(self, request: Request, on_text: Callable[[str], None]) -> Reply:
        """:meth:`generate`, with the reply text passed to ``on_text`` in two or three word-aligned deltas.

        The simulator draws the whole answer at once, so the deltas are a demonstration of streaming (the
        Playground shows them arriving offline): they are spread over ``latency_s``, and the Reply is
        identical to :meth:`generate`'s.
        """
        start = time.monotonic()
        reply = await self._answer(request)
        pieces = split_text(reply.text)
        for piece in pieces:
            on_text(piece)
            # the image "lands" after the text, as on the real API; the total stays latency_s
            await asyncio.sleep(max(0.0, self.latency_s - (time.monotonic() - start)) / (len(pieces) + 1))
        await asyncio.sleep(max(0.0, self.latency_s - (time.monotonic() - start)))
        return reply

    async def _answer(self, request: Request) -> Reply:
        info = registry.resolve(request.model, warn=False)
        sources = request.working_images()
        pil_images = [Image.open(io.BytesIO(p.data)) for p in sources]
        opts = request.options
        sim_seed = request.seed_int()
        out = await asyncio.to_thread(
            simulator.render, request.prompt, pil_images, model=info, aspect_ratio=opts.aspect_ratio,
            image_size=opts.image_size, seed=sim_seed,
        )
        image_parts = [ImagePart.from_bytes(img.data, img.mime) for img in out.images]
        images = [ReplyImage(p.data, p.mime, p.sha256) for p in image_parts]
        parts: list[TextPart | ImagePart] = simulated_thoughts(request, image_parts) if opts.include_thoughts else []
        parts += [TextPart(out.text)] if out.text else []
        parts += image_parts
        reason = out.block_reason or (out.finish_reason if out.finish_reason not in ("STOP", "") else None)
        if reason and out.message:
            reason = f"{reason}: {out.message}"
        elif out.message and not images:
            reason = out.message
        extra: dict[str, str] = {}
        if out.not_simulated:
            # A stable, machine-readable prefix: studies filter these cells with reason.startswith(...).
            reason = f"{simulator.NOT_SIMULATED_PREFIX} {out.not_simulated}"
            extra["simulated"] = "not_simulated"
        if out.credits:
            extra["artwork"] = " ".join(out.credits)
        usage = {
            "input_tokens": out.input_text_tokens + out.input_image_tokens,
            "input_image_tokens": out.input_image_tokens,
            "output_tokens": out.output_text_tokens + out.output_image_tokens,
            "output_image_tokens": out.output_image_tokens,
            "thought_tokens": 0,
        }
        return Reply(
            status=classify(out.finish_reason, out.block_reason, bool(images)),
            images=images, text=out.text, reason=reason, usage=usage,
            response_id=f"offline-{request.key[:16]}", model_version=info.id,
            model_turn=Turn("model", tuple(parts)) if parts else None, extra=extra,
        )

    def list_models(self) -> list[str]:
        return [m.id for m in registry.MODELS if not m.is_shut_down()]

    # -- simulated batch mode -------------------------------------------------------------------------------
    async def submit_batch(self, requests: list[Request], display_name: str) -> str:
        """Record a simulated batch job and return its name (``offline-batches/<id>``); nothing runs yet.

        The first :meth:`poll_batch` runs every request through the simulator and completes the job
        (``JOB_STATE_SUCCEEDED``), so a notebook shows submit -> pending -> refresh -> collected with no
        key and no wait. Jobs live in this process only: a new process does not know them and polling one
        there answers 404 (``JOB_STATE_NOT_FOUND`` in a study). The simulator is deterministic, so running
        the study again gives the same images.
        """
        if not requests:
            raise ValueError("A batch job needs at least one request.")
        if len({r.model for r in requests}) > 1:
            raise ValueError("A batch job runs one model; submit one job per model.")
        name = f"offline-batches/{uuid.uuid4().hex[:16]}"
        with _JOBS_LOCK:
            _JOBS[name] = _OfflineJob(list(requests), display_name)
        return name

    async def poll_batch(self, job_name: str) -> BatchStatus:
        """Complete the job on its first poll (every request through :meth:`generate`), then report it."""
        with _JOBS_LOCK:
            job = _JOBS.get(job_name)
            run_now = False
            if job is not None and job.state == "JOB_STATE_PENDING":
                job.state = "JOB_STATE_RUNNING"  # a concurrent poll sees it running, never twice rendered
                run_now = True
        if job is None:
            raise ProviderError("offline", 404, "NOT_FOUND",
                                f"no simulated batch job {job_name!r} in this process (simulated jobs live in the "
                                f"process that submitted them)",
                                hint="run the study again: the simulator is deterministic and gives the same images.")
        if run_now:
            replies = await asyncio.gather(*(self.generate(r) for r in job.requests))
            with _JOBS_LOCK:
                if job.state == "JOB_STATE_RUNNING":  # not cancelled meanwhile
                    job.results = {r.key: reply for r, reply in zip(job.requests, replies, strict=True)}
                    job.state = "JOB_STATE_SUCCEEDED"
                job.elapsed_s = time.monotonic() - job.created
        with _JOBS_LOCK:
            done = job.state not in ("JOB_STATE_PENDING", "JOB_STATE_RUNNING")
            return BatchStatus(job_name, job.state, done, dict(job.results) if done else {},
                               elapsed_s=job.elapsed_s if done else None)

    async def cancel_batch(self, job_name: str) -> None:
        """Cancel a simulated job that has not completed yet (a no-op once it has)."""
        with _JOBS_LOCK:
            job = _JOBS.get(job_name)
            if job is not None and job.state in ("JOB_STATE_PENDING", "JOB_STATE_RUNNING"):
                job.state = "JOB_STATE_CANCELLED"
                job.elapsed_s = time.monotonic() - job.created

    def __repr__(self) -> str:
        return f"OfflineBackend(latency_s={self.latency_s})"


#: The first line of every simulated thought: the simulator does not think, and says so.
SIMULATED_THOUGHT = "[Simulated by the offline simulator: no model thought this.]"


def simulated_thoughts(request: Request, images: list[ImagePart]) -> list[TextPart | ImagePart]:
    """Thought parts for ``include_thoughts=True`` offline: a deterministic, labelled text and, when the answer
    has an image, a small copy of it standing for the interim "draft" a thinking model shows.

    >>> from toolkit.request import Options
    >>> req = Request("offline", "gemini-3.1-flash-image", (Turn("user", (TextPart("a kite"),)),),
    ...               Options(thinking_level="high", include_thoughts=True))
    >>> simulated_thoughts(req, [])[0].text.splitlines()[0] == SIMULATED_THOUGHT
    True
    """
    level = request.options.thinking_level or "the model's default"
    subject = " ".join(request.prompt.split())[:80] or "the request"
    text = (f"{SIMULATED_THOUGHT}\nA thinking model (level: {level}) would plan {subject!r} here: composition, "
            f"palette, then a draft it refines into the final image.")
    parts: list[TextPart | ImagePart] = [TextPart(text, thought=True)]
    if images:
        with Image.open(io.BytesIO(images[0].data)) as img:
            draft = img.convert("RGB")
            draft.thumbnail((256, 256))
            buf = io.BytesIO()
            draft.save(buf, "PNG")
        parts.append(ImagePart.from_bytes(buf.getvalue(), "image/png", thought=True))
    return parts


def forget_batch_job(job_name: str) -> bool:
    """Drop a simulated batch job from this process, as if it had been submitted by another process.

    Polling it afterwards answers 404 (``JOB_STATE_NOT_FOUND`` in a study). Returns whether it was known.
    """
    with _JOBS_LOCK:
        return _JOBS.pop(job_name, None) is not None


def split_text(text: str, pieces: int = 3) -> list[str]:
    """``text`` cut at spaces into at most ``pieces`` deltas that join back to exactly ``text``.

    >>> split_text("Here is your lighthouse at dusk.")
    ['Here is', ' your lighthouse', ' at dusk.']
    """
    words = text.split(" ")
    if not text or len(words) < 2:
        return [text] if text else []
    step = max(1, -(-len(words) // pieces))
    chunks = [" ".join(words[i:i + step]) for i in range(0, len(words), step)]
    return [c if i == 0 else " " + c for i, c in enumerate(chunks)]
