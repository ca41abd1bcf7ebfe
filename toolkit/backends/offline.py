"""The offline simulator backend: the embedded default when there is no API key.

Deterministic (the seed comes from the request key), spends nothing, and reports the usage the real
model would bill, so cost lessons hold offline. Every image carries a visible "OFFLINE SIMULATOR" mark.
"""

from __future__ import annotations

import asyncio
import io
from typing import ClassVar

from PIL import Image

from .. import registry, simulator
from ..request import ImagePart, Request, TextPart, Turn
from .base import Reply, ReplyImage, classify


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

    def __init__(self, latency_s: float = 0.0) -> None:
        self.latency_s = float(latency_s)

    @property
    def description(self) -> str:
        return "offline simulator (no key: images are drawn locally and say so)"

    async def generate(self, request: Request) -> Reply:
        info = registry.resolve(request.model, warn=False)
        sources = request.working_images()
        pil_images = [Image.open(io.BytesIO(p.data)) for p in sources]
        opts = request.options
        sim_seed = request.seed_int()
        out, _ = await asyncio.gather(
            asyncio.to_thread(
                simulator.render, request.prompt, pil_images, model=info, aspect_ratio=opts.aspect_ratio,
                image_size=opts.image_size, seed=sim_seed,
            ),
            asyncio.sleep(self.latency_s),
        )
        image_parts = [ImagePart.from_bytes(img.data, img.mime) for img in out.images]
        images = [ReplyImage(p.data, p.mime, p.sha256) for p in image_parts]
        parts: list[TextPart | ImagePart] = [TextPart(out.text)] if out.text else []
        parts += image_parts
        reason = out.block_reason or (out.finish_reason if out.finish_reason not in ("STOP", "") else None)
        if reason and out.message:
            reason = f"{reason}: {out.message}"
        elif out.message and not images:
            reason = out.message
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
            model_turn=Turn("model", tuple(parts)) if parts else None,
        )

    def list_models(self) -> list[str]:
        return [m.id for m in registry.MODELS if not m.is_shut_down()]

    def __repr__(self) -> str:
        return f"OfflineBackend(latency_s={self.latency_s})"
