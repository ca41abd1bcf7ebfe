"""Every per-call option, defined once: its type, its check, its documentation and whether a study can vary it.

:class:`Options` is the single source. ``Studio.generate``/``edit``/``fuse``/``estimate``, ``chat.send``, the
study axes (``compare(aspect_ratio=[...])``) and the cache key all derive from it; adding an option means one
field here (with its check) plus its wire mapping in the backends that support it (listed on their
``BackendSpec.options``). :data:`CallOptions` is the typed keyword view used by the call signatures; a test keeps
it equal to the fields of :class:`Options` plus :data:`CALL_CONTROLS`.

>>> Options.build(aspect_ratio="16:9", seed=7).as_dict()
{'aspect_ratio': '16:9', 'seed': 7}
>>> Options.build(seed=2**40)
Traceback (most recent call last):
...
toolkit.errors.OptionError: seed=1099511627776 must be a whole number from -2147483648 to 2147483647 (the API's int32 seed), or None.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from .errors import OptionError

INT32 = (-(2**31), 2**31 - 1)
PERSON_GENERATION = ("ALLOW_ALL", "ALLOW_ADULT", "ALLOW_NONE")
PROMINENT_PEOPLE = ("ALLOW_PROMINENT_PEOPLE", "BLOCK_PROMINENT_PEOPLE")
OUTPUT_MIME_TYPES = ("image/png", "image/jpeg")
#: ``thinking_level=`` values (the wire enum is the upper-case name); each model's subset is in the registry.
THINKING_LEVELS = ("minimal", "low", "medium", "high")
#: ``grounding=`` search types, in wire order (``googleSearch.searchTypes``: ``webSearch``, ``imageSearch``).
GROUNDING_TYPES = ("web", "image")
#: ``service_tier=`` values on generate_content calls (https://ai.google.dev/gemini-api/docs/optimization).
SERVICE_TIERS = ("standard", "flex", "priority")
#: ``aspect_ratio=`` value meaning "no ratio sent": the output follows the input image (or the model's default).
AUTO_ASPECT_RATIO = "auto"
_MIME_ALIASES = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "image/jpg": "image/jpeg"}


# -- checks: each returns the canonical value or raises OptionError naming the fix ----------------------------
def _text(name: str, example: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            raise OptionError(f"{name}={value!r} must be text like {example!r}, or None; each model's values are "
                              f"listed in tk.models_table().")
        return value
    return check


def _aspect_ratio(value: Any) -> Any:
    """``"auto"`` (any case) is the same as unset: no ratio is sent, so the output follows the input image."""
    if isinstance(value, str) and value.strip().lower() == AUTO_ASPECT_RATIO:
        return None
    return _text("aspect_ratio", "16:9")(value)


def _flag(name: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise OptionError(f"{name}={value!r} must be True or False (or None to leave it unset).")
        return value
    return check


def _grounding(value: Any) -> tuple[str, ...]:
    """``"web"``, ``"image"`` or several of them (tuple or list) -> the types in wire order, each once."""
    items = [value] if isinstance(value, str) else value
    fix = "use 'web', 'image' or ('web', 'image'), or None for no search grounding"
    if not isinstance(items, list | tuple | set | frozenset) or not items:
        raise OptionError(f"grounding={value!r} is not accepted; {fix}.")
    canon = set()
    for item in items:
        name = item.strip().lower() if isinstance(item, str) else item
        if name not in GROUNDING_TYPES:
            raise OptionError(f"grounding={value!r}: {item!r} is not a search type; {fix}.")
        canon.add(name)
    return tuple(t for t in GROUNDING_TYPES if t in canon)


def _seed(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not INT32[0] <= value <= INT32[1]:
        raise OptionError(f"seed={value!r} must be a whole number from {INT32[0]} to {INT32[1]} (the API's int32 "
                          f"seed), or None.")
    return value


def _temperature(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (0 <= value <= 2) or math.isnan(value):
        raise OptionError(f"temperature={value!r} must be a number from 0 to 2 (the API's range).")
    return float(value)


def _choice(name: str, allowed: tuple[str, ...], where: str = "", *, upper: bool = True) -> Callable[[Any], str]:
    """A check that accepts ``allowed`` in any case (canonical: upper-case, or lower-case with ``upper=False``)."""
    def check(value: Any) -> str:
        canon = (value.strip().upper() if upper else value.strip().lower()) if isinstance(value, str) else value
        if canon not in allowed:
            raise OptionError(f"{name}={value!r} is not accepted; use one of: {', '.join(allowed)}"
                              f"{f' ({where})' if where else ''}.")
        return str(canon)
    return check


def _mime(value: Any) -> str:
    canon = value.strip().lower() if isinstance(value, str) else value
    canon = _MIME_ALIASES.get(canon, canon)
    if canon not in OUTPUT_MIME_TYPES:
        raise OptionError(f"output_mime_type={value!r}: the image models write {' or '.join(OUTPUT_MIME_TYPES)}.")
    return str(canon)


def _quality(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise OptionError(f"output_compression_quality={value!r} must be a whole number from 0 to 100 (JPEG quality).")
    return value


def option(doc: str, check: Callable[[Any], Any], *, axis: bool = True) -> Any:
    """A field of :class:`Options`: default None (unset, left out of the request and the cache key)."""
    return field(default=None, metadata={"doc": doc, "check": check, "axis": axis})


@dataclass(frozen=True)
class Options:
    """Generation options that change the output (and therefore the cache key). None means unset.

    Build validated options with :meth:`build`; each field's documentation is in ``OPTION_DOCS``.
    """

    aspect_ratio: str | None = option(
        "Output shape such as ``'16:9'``; the ratios each model accepts are in ``tk.MODELS``. ``'auto'`` (the "
        "same as unset) sends no ratio, so an edit follows its input image's shape.", _aspect_ratio)
    image_size: str | None = option(
        "Output resolution tier (``'1K'``, ``'2K'``, ``'4K'``, ``'512'`` where the model has it).", _text("image_size", "2K"))
    seed: int | None = option("A fixed seed (int32) for more repeatable answers; part of the cache key.", _seed)
    temperature: float | None = option("Sampling temperature, 0 to 2.", _temperature)
    person_generation: str | None = option(
        "Vertex AI only: ``'ALLOW_ALL'``, ``'ALLOW_ADULT'`` or ``'ALLOW_NONE'``.",
        _choice("person_generation", PERSON_GENERATION), axis=False)
    prominent_people: str | None = option(
        "Vertex AI only: ``'ALLOW_PROMINENT_PEOPLE'`` or ``'BLOCK_PROMINENT_PEOPLE'``.",
        _choice("prominent_people", PROMINENT_PEOPLE), axis=False)
    output_mime_type: str | None = option(
        "Vertex AI only: ``'image/png'`` or ``'image/jpeg'``.", _mime, axis=False)
    output_compression_quality: int | None = option(
        "Vertex AI only: JPEG quality 0-100 (with ``output_mime_type='image/jpeg'``).", _quality, axis=False)
    thinking_level: str | None = option(
        "How much the model thinks first: ``'minimal'``, ``'low'``, ``'medium'`` or ``'high'``, where the model "
        "has it (``tk.MODELS``; 2.5 Flash Image has no thinking). Thought tokens are billed as text output.",
        _choice("thinking_level", THINKING_LEVELS, "each model's levels are in tk.models_table()", upper=False))
    include_thoughts: bool | None = option(
        "True returns the model's thoughts: ``Result.thoughts`` (text) and ``Result.thought_images`` (interim "
        "images, not charged, never the answer).", _flag("include_thoughts"), axis=False)
    grounding: tuple[str, ...] | None = option(
        "Google Search grounding: ``'web'``, ``'image'`` or ``('web', 'image')``, where the model has it; "
        "``Result.grounding`` holds the queries and sources, and the ledger counts the queries.", _grounding)
    service_tier: str | None = option(
        "Gemini API service tier: ``'standard'`` (default), ``'flex'`` (cheaper, best effort, may be slower) or "
        "``'priority'`` (dearer, more reliable); priced and recorded per tier.",
        _choice("service_tier", SERVICE_TIERS, "https://ai.google.dev/gemini-api/docs/optimization", upper=False))

    def __post_init__(self) -> None:
        if isinstance(self.grounding, list):  # rebuilt from stored JSON (a batch job's cells): kept hashable
            object.__setattr__(self, "grounding", tuple(self.grounding))

    @classmethod
    def build(cls, **values: Any) -> Options:
        """Validated, canonical options; unknown names and bad values raise :class:`OptionError`."""
        unknown = set(values) - set(OPTION_NAMES)
        if unknown:
            raise OptionError(f"Unknown option(s) {sorted(unknown)}; the options are: {', '.join(CALL_OPTION_NAMES)}.")
        out: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            value = values.get(f.name)
            out[f.name] = None if value is None else f.metadata["check"](value)
        if out["output_compression_quality"] is not None and out["output_mime_type"] == "image/png":
            raise OptionError("output_compression_quality applies to JPEG only; drop it, or use "
                              "output_mime_type='image/jpeg'.")
        return cls(**out)

    def as_dict(self) -> dict[str, Any]:
        """The options that are set, by name (what the cache key and the metadata hold)."""
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def set_names(self) -> tuple[str, ...]:
        """Names of the options that are set."""
        return tuple(self.as_dict())


OPTION_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Options))
#: Options a study can use as an axis (``compare(seed=[1, 2])``), plus ``model``.
AXIS_NAMES: tuple[str, ...] = ("model", *(f.name for f in dataclasses.fields(Options) if f.metadata["axis"]))
#: Per-call controls that are not output options: which model, how many images, and whether to skip the cache.
CALL_CONTROLS = ("model", "n", "refresh")
CALL_OPTION_NAMES: tuple[str, ...] = (*OPTION_NAMES, *CALL_CONTROLS)
OPTION_DOCS: Mapping[str, str] = {f.name: f.metadata["doc"] for f in dataclasses.fields(Options)}


class CallOptions(TypedDict, total=False):
    """The keyword options of ``generate``/``edit``/``fuse``/``estimate``: :class:`Options` plus the controls."""

    aspect_ratio: str | None
    image_size: str | None
    seed: int | None
    temperature: float | None
    person_generation: str | None
    prominent_people: str | None
    output_mime_type: str | None
    output_compression_quality: int | None
    thinking_level: str | None
    include_thoughts: bool | None
    grounding: str | tuple[str, ...] | list[str] | None
    service_tier: str | None
    model: str | None
    n: int
    refresh: bool


def split_call_options(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(output options, controls) from a call's keyword options, refusing unknown names with the list."""
    unknown = set(values) - set(CALL_OPTION_NAMES)
    if unknown:
        raise OptionError(f"Unknown option(s) {sorted(unknown)}; the options are: {', '.join(CALL_OPTION_NAMES)}.")
    opts = {k: v for k, v in values.items() if k in OPTION_NAMES}
    controls = {k: v for k, v in values.items() if k in CALL_CONTROLS}
    return opts, controls


def options_doc(indent: int = 0) -> str:
    """The numpy-style parameter list of every option (appended to the call docstrings)."""
    pad = " " * indent
    return "\n".join(f"{pad}{name}\n{pad}    {doc}" for name, doc in OPTION_DOCS.items())
