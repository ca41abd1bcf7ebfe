"""Between a backend's Reply and a Result: the per-model checks of the options that shape an answer (thinking,
grounding, service tiers), the tier and search queries an answer is billed for, and storing its images and turn.

The Engine (:mod:`toolkit.engine`) calls these; they hold no state of their own beyond the home they store into.

Thinking, grounding and tiers are per model facts of the registry (``ModelInfo.thinking_levels``,
``.grounding``, ``.service_tiers``): an option the model does not take is refused before anything is sent,
naming the models that take it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import pricing, registry
from .backends.base import Reply
from .codec import PartCodec
from .errors import OptionError
from .images import embed_metadata
from .options import SERVICE_TIERS, Options
from .request import ImagePart, Turn
from .result import OutputImage
from .store import Store


# -- per-model checks -----------------------------------------------------------------------------------------
def _takers(has: Callable[[registry.ModelInfo], bool]) -> str:
    ids = [m.id for m in registry.MODELS if has(m) and not m.is_shut_down()]
    return ", ".join(ids) if ids else "none of the registry's models yet"


def check_model_options(info: registry.ModelInfo, options: Options) -> None:
    """Refuse thinking, grounding and service-tier options ``info`` does not take (:class:`OptionError` names
    the values it takes, or the models that have the feature).

    >>> from toolkit.registry import lookup
    >>> check_model_options(lookup("gemini-2.5-flash-image"), Options(thinking_level="high"))
    Traceback (most recent call last):
    ...
    toolkit.errors.OptionError: gemini-2.5-flash-image has no thinking_level (it does not think). Leave it unset, or use a model that has it: ...
    """
    level = options.thinking_level
    if level is not None and level not in info.thinking_levels:
        if not info.thinking_levels:
            raise OptionError(f"{info.id} has no thinking_level (it does not think). Leave it unset, or use a model "
                              f"that has it: {_takers(lambda m: bool(m.thinking_levels))}.")
        raise OptionError(f"thinking_level={level!r} is not one of {info.id}'s levels: use one of "
                          f"{', '.join(info.thinking_levels)}.")
    if options.include_thoughts is not None and not (info.thinking or info.thinking_levels):
        raise OptionError(f"{info.id} does not think, so include_thoughts has nothing to set (its API takes no "
                          f"thinkingConfig). Leave it unset, or use a thinking model: "
                          f"{_takers(lambda m: m.thinking or bool(m.thinking_levels))}.")
    missing = [kind for kind in options.grounding or () if kind not in info.grounding]
    if missing:
        kind = missing[0]
        has = (f"it has {', '.join(repr(g) for g in info.grounding)} only" if info.grounding
               else "it has no search grounding")
        raise OptionError(f"grounding={kind!r} is not available on {info.id} ({has}). Models with {kind} "
                          f"search grounding: {_takers(lambda m: kind in m.grounding)}.")
    tier = options.service_tier
    if tier is not None and tier != "standard":
        if tier not in info.service_tiers:
            raise OptionError(f"service_tier={tier!r} is not offered for {info.id} (it has "
                              f"{', '.join(info.service_tiers)}). Models with {tier}: "
                              f"{_takers(lambda m: tier in m.service_tiers)}.")
        try:
            pricing.list_cost(info, {"output_tokens": 1}, tier=tier)
        except (KeyError, ValueError, OptionError):  # never send a call whose cost could not be recorded
            raise OptionError(f"service_tier={tier!r} has no price in this toolkit version's table, so its cost "
                              f"could not be budgeted or recorded; leave it unset (standard) or use 'flex'.") from None


# -- billing --------------------------------------------------------------------------------------------------
def request_tier(options: Options) -> str:
    """The tier a request asks for (``"standard"`` when unset): what its estimate is reserved at."""
    return options.service_tier or "standard"


def reply_tier(options: Options, reply: Reply) -> str:
    """The tier an answer is billed at: the reply's ``usageMetadata.serviceTier`` when it names a known tier
    (priority traffic over its limit is served, and billed, as standard:
    https://ai.google.dev/gemini-api/docs/optimization), else the tier asked for.

    >>> reply_tier(Options(service_tier="priority"), Reply("ok", [], extra={"serviceTier": "STANDARD"}))
    'standard'
    """
    said = reply.extra.get("serviceTier") if isinstance(reply.extra, dict) else None
    if isinstance(said, str):
        name = said.strip().lower().removeprefix("service_tier_")
        if name in SERVICE_TIERS:
            return name
    return request_tier(options)


def grounding_queries(grounding: Mapping[str, Any] | None) -> int:
    """How many search queries an answer ran (what grounding bills per query); 0 without grounding."""
    if not grounding:
        return 0
    count = grounding.get("queries", 0)
    return count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 0


def grounding_cost(info: registry.ModelInfo, queries: int) -> float:
    """USD for ``queries`` grounded search queries on ``info`` (0 when none were run): the dated, sourced
    per-query price of :func:`toolkit.pricing.grounding_cost`, never discounted by the tier."""
    return pricing.grounding_cost(info, queries) if queries else 0.0


# -- storing an answer ----------------------------------------------------------------------------------------
class AnswerStore:
    """Stores an answer's images (with the generation metadata embedded) and its model turn in a home."""

    def __init__(self, store: Store, parts: PartCodec) -> None:
        self.store = store
        self.parts = parts

    def store_images(self, reply: Reply, meta: dict[str, Any]) -> tuple[list[OutputImage], list[dict[str, Any]]]:
        """Every final image of ``reply``, stored: (the Result's outputs, their refs for the cache entry)."""
        outputs, files = [], []
        for img in reply.images:
            part = img.part()
            path = self.store.known_image(part.sha256, part.mime)
            if path is None:  # not already written or checked by this process
                path = self.store.put_image(part.sha256, part.mime, embed_metadata(part.data, part.mime, meta))
            ref = self.parts.image_ref(part, size=path.stat().st_size)
            outputs.append(self.output(ref, len(img.data), str(path)))
            files.append(ref)
        return outputs, files

    def output(self, ref: dict[str, Any], size: int, path: str) -> OutputImage:
        """An OutputImage that holds its stored file's path; its bytes are read (and checked) on access."""
        return OutputImage(None, ref["mime"], ref["sha256"], path, size=size)

    def turn_loader(self, stored: list[dict[str, Any]]) -> Callable[[], Turn]:
        """A loader of the stored model turn (images read and checked on each call)."""
        parts = self.parts

        def load() -> Turn:
            known: dict[str, ImagePart] = {}
            out = []
            for d in stored:
                part = parts.load(d, known=known)
                if isinstance(part, ImagePart):
                    known[part.sha256] = part
                out.append(part)
            return Turn("model", tuple(out))
        return load

    def turn_entry(self, turn: Turn | None, files: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """The model turn as stored parts; its interim (thought) images are stored as received and added to
        ``files`` (so a cache entry keeps them, without making them the answer)."""
        if turn is None:
            return None
        known = {f["sha256"]: f for f in files}
        out = []
        for p in turn.parts:
            d = self.parts.dump(p, known.get(getattr(p, "sha256", "")))
            if "image" in d and d["image"]["sha256"] not in known:  # interim thought images
                known[d["image"]["sha256"]] = d["image"]
                files.append(d["image"])
            out.append(d)
        return out
