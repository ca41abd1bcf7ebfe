"""The backend protocol and the normalised reply every backend returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

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
    """Map provider reasons to a status (the toolkit rule from reference section 3)."""
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
    """What a backend provides. ``kind`` is part of every cache key."""

    kind: ClassVar[str]
    spends_money: ClassVar[bool]

    @property
    def description(self) -> str: ...

    async def generate(self, request: Request) -> Reply:
        """Answer one request. Raise ProviderError for transport/HTTP failures; return Reply otherwise."""
        ...

    def list_models(self) -> list[str]:
        """Image model ids this backend can use right now."""
        ...
