"""The replay backend: what a ``Studio(replay=pack)`` sends its cache misses to.

Hits never reach a backend: the pack was merged into the home's cache, and its answers replay as ordinary
cache hits under the recording backend's keys (this backend's ``kind`` is the recording backend's). A miss goes
to the fallback backend, or, with ``strict=True``, returns ``no_image`` saying it is not in the pack.

A wrapping backend forwards money: a fall-through to a paid backend reports ``spends_money=True``, so it is
estimated, reserved against the Budget, refused at the cap and recorded like any paid call.
"""

from __future__ import annotations

from dataclasses import replace

from ..request import Request
from .base import Backend, Reply


class ReplayBackend:
    """Answers the misses of a replay Studio.

    Parameters
    ----------
    pack_name : str
        The pack's file name (for messages).
    kind : str
        The recording backend's kind, so cache keys match the pack.
    models : list of str
        The models the pack holds (``list_models``).
    entries : int
        How many answers the pack holds.
    fallback : Backend
        Where misses go (unless ``strict``).
    strict : bool
        Misses return ``no_image`` instead of being sent.
    """

    def __init__(self, pack_name: str, kind: str, models: list[str], entries: int, fallback: Backend,
                 strict: bool) -> None:
        self.pack_name = pack_name
        self.kind = kind
        self.models = list(models)
        self.entries = entries
        self.fallback = fallback
        self.strict = strict
        # forwarded, never assumed: a fall-through to a paid backend is a paid call
        self.spends_money = bool(fallback.spends_money) and not strict

    @property
    def description(self) -> str:
        tail = "strict: misses are refused" if self.strict else f"misses go to {self.fallback.description}"
        return f"replay pack {self.pack_name} ({self.entries} answers; {tail})"

    async def generate(self, request: Request) -> Reply:
        if self.strict:
            return Reply(status="no_image", images=[], reason=(
                f"not in the replay pack {self.pack_name}: this exact request (prompt, images, model and "
                f"options) was not recorded. Use the prompts from the workshop notebook, or ask the instructor."),
                extra={"no_cache": True})
        reply = await self.fallback.generate(replace(request, backend=self.fallback.kind))
        # answered by another backend than the pack's keys describe: labelled with it, never cached under them
        reply.extra.update({"no_cache": True, "backend": self.fallback.kind})
        return reply

    def list_models(self) -> list[str]:
        return list(self.models)

    def __repr__(self) -> str:
        return f"ReplayBackend({self.description})"
