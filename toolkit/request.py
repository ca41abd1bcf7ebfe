"""The Request value and the cache-key contract.

A :class:`Request` is everything that decides a provider's answer: which backend kind, which model,
the conversation (turns of text and image parts, model turns with their thought signatures) and the
options that change the output. It is frozen; its :attr:`Request.key` is the cache key.

Cache-key contract (version 1)
------------------------------
``key = sha256(canonical_json(payload)).hexdigest()`` where ``canonical_json`` is ``json.dumps`` with
``sort_keys=True``, ``separators=(",", ":")`` and ``ensure_ascii=False`` (UTF-8), and the payload is::

    {"v": 1,
     "backend": "<backend kind: gemini | offline | ...>",
     "model": "<canonical model id>",
     "turns": [{"role": "user" | "model",
                "parts": [{"text": "<exact text>"} | {"image": {"sha256": "<hex of bytes sent>", "mime": "image/png"}},
                          ... each part may add "thought": true and "sig": "<sha256 of the thought signature>"]}],
     "options": {only the options that are set: "aspect_ratio", "image_size", "seed", "temperature",
                 "thinking_level", "include_thoughts", "grounding" (a list: ["web", "image"]), "service_tier",
                 and the Vertex AI ones "person_generation", "prominent_people", "output_mime_type",
                 "output_compression_quality"},
     "variant": <int, only when not 0>}

Consequences: text is compared exactly (whitespace included); an image is identified by the bytes that
are sent after normalisation, so the same photo loaded from a path or from PIL hashes differently only
if normalisation produced different bytes; the operation name (generate/edit/fuse) is not part of the
key because it does not change what is sent; ``variant`` (used by ``n > 1``) and ``seed`` make distinct
keys, so asking for more images never replays the same one twice. Changing this payload means bumping
``"v"``, which invalidates old cache entries instead of answering wrongly.

The Vertex AI options, and later thinking, grounding and the service tier, were added without bumping
``"v"``: they default to None and unset options are left out of the payload, so every key computed before
them is unchanged. ``aspect_ratio="auto"`` is stored as unset (it sends no ratio). Only ``backend="vertex"``
requests can carry them (the Studio refuses them elsewhere). Streaming (``stream=True``) is a transport
detail, not an option: a streamed and a non-streamed call of the same request share one key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from .options import Options

KEY_VERSION = 1


@dataclass(frozen=True)
class TextPart:
    """A text part of a turn. Model turns may mark it as a thought and carry a thought signature."""

    text: str
    thought: bool = False
    thought_signature: bytes | None = None


@dataclass(frozen=True)
class ImagePart:
    """An image part: the exact bytes sent (or received), their MIME type and sha256."""

    data: bytes = field(repr=False)
    mime: str
    sha256: str
    thought: bool = False
    thought_signature: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_bytes(cls, data: bytes, mime: str, **kw: Any) -> ImagePart:
        return cls(data=data, mime=mime, sha256=hashlib.sha256(data).hexdigest(), **kw)


Part = TextPart | ImagePart


@dataclass(frozen=True)
class Turn:
    """One conversation turn."""

    role: Literal["user", "model"]
    parts: tuple[Part, ...]

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart) and not p.thought)

    @property
    def images(self) -> tuple[ImagePart, ...]:
        return tuple(p for p in self.parts if isinstance(p, ImagePart) and not p.thought)


@dataclass(frozen=True)
class Request:
    """One request to one backend. Build it with the Studio; read ``key`` for the cache key."""

    backend: str
    model: str
    turns: tuple[Turn, ...]
    options: Options = field(default_factory=Options)
    variant: int = 0
    operation: str = "generate"  # bookkeeping only: not part of the key

    @property
    def prompt(self) -> str:
        """Text of the last user turn."""
        return self.turns[-1].text if self.turns else ""

    @property
    def input_images(self) -> tuple[ImagePart, ...]:
        """Images of the last user turn."""
        return self.turns[-1].images if self.turns else ()

    def working_images(self) -> tuple[ImagePart, ...]:
        """The images the answer should work on.

        The last user turn's images; when it has none (a chat follow-up such as "now add a moon"), the
        last non-thought image anywhere earlier in the conversation.
        """
        if self.input_images:
            return self.input_images
        for turn in reversed(self.turns[:-1]):
            if turn.images:
                return (turn.images[-1],)
        return ()

    def payload(self) -> dict[str, Any]:
        """The canonical payload that is hashed into :attr:`key` (see the module docstring)."""
        turns = []
        for turn in self.turns:
            parts = []
            for p in turn.parts:
                if isinstance(p, TextPart):
                    d: dict[str, Any] = {"text": p.text}
                else:
                    d = {"image": {"sha256": p.sha256, "mime": p.mime}}
                if p.thought:
                    d["thought"] = True
                if p.thought_signature:
                    d["sig"] = hashlib.sha256(p.thought_signature).hexdigest()
                parts.append(d)
            turns.append({"role": turn.role, "parts": parts})
        out: dict[str, Any] = {
            "v": KEY_VERSION, "backend": self.backend, "model": self.model, "turns": turns,
            "options": self.options.as_dict(),
        }
        if self.variant:
            out["variant"] = self.variant
        return out

    @cached_property
    def key(self) -> str:
        """sha256 hex of the canonical JSON payload: the cache key."""
        return hashlib.sha256(canonical_json(self.payload()).encode("utf-8")).hexdigest()

    def seed_int(self) -> int:
        """A stable integer derived from the key (for deterministic backends)."""
        return int(self.key[:12], 16)


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys, no spaces and raw UTF-8: the one serialisation that is hashed."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
