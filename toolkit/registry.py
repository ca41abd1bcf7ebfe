"""The image-model registry: every known image model as data.

Every entry was checked on 2026-12-07 (:data:`CHECKED`) against the providers' own pages: Google's model,
image-generation, pricing, deprecation and service-tier pages (https://ai.google.dev/gemini-api/docs/models,
https://ai.google.dev/gemini-api/docs/image-generation, https://ai.google.dev/gemini-api/docs/pricing,
https://ai.google.dev/gemini-api/docs/deprecations, https://ai.google.dev/gemini-api/docs/optimization) and
Vertex's model pages, with genai-prices 0.2.5 for prices. Each entry's ``sources`` maps a field to the page it
came from; where sources disagree the choice is noted in the entry's ``notes``. Nothing outside this module
hard-codes a model fact.

How the default model was chosen (2026-12-07): ``gemini-3.1-flash-image`` ("Nano Banana 2") stays the
default. It is the stable Flash image model (GA 2026-05-28) with every aspect ratio, the 512/1K/2K/4K sizes,
web and image search grounding, and $0.067 per 1K image. Sources disagree on whether it shut down on
2026-10-29 with Nano Banana 2.1 (``gemini-nano-banana-2.1``, GA 2026-10-06) as its successor: LiteLLM's 2.1
note and a third-party skill say so, while Google's deprecations page lists no date and other providers say
no shutdown was announced. So the entry records no shutdown date but carries ``successor=
"gemini-nano-banana-2.1"``, and the live model list decides: when ``studio.models()`` on the real API lacks
the default, the Studio says so once and names the successor (:func:`missing_default_notice`). 2.1 is not the
default because it has no 512 size and costs more per token for text and thinking; 3.1 Flash-Lite is cheaper
but has only 1K and no grounding.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import OptionError, warn_user
from .options import GROUNDING_TYPES, SERVICE_TIERS, THINKING_LEVELS

AR_10 = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
AR_14 = (*AR_10, "1:4", "4:1", "1:8", "8:1")

# Exact output pixel sizes (width, height). Reference section 4.3.
_SIZES_25 = {
    "1:1": (1024, 1024), "2:3": (832, 1248), "3:2": (1248, 832), "3:4": (864, 1184), "4:3": (1184, 864),
    "4:5": (896, 1152), "5:4": (1152, 896), "9:16": (768, 1344), "16:9": (1344, 768), "21:9": (1536, 672),
}
_SIZES_1K = {
    "1:1": (1024, 1024), "2:3": (848, 1264), "3:2": (1264, 848), "3:4": (896, 1200), "4:3": (1200, 896),
    "4:5": (928, 1152), "5:4": (1152, 928), "9:16": (768, 1376), "16:9": (1376, 768), "21:9": (1584, 672),
    "1:4": (512, 2048), "4:1": (2048, 512), "1:8": (384, 3072), "8:1": (3072, 384),
}
_SIZES_512 = {
    "1:1": (512, 512), "2:3": (424, 632), "3:2": (632, 424), "3:4": (448, 600), "4:3": (600, 448),
    "4:5": (464, 576), "5:4": (576, 464), "9:16": (384, 688), "16:9": (688, 384),
    # The docs print 792x168 for 21:9 at 512, which is not 21:9; we use the ratio-true 792x336.
    "21:9": (792, 336),
    "1:4": (256, 1024), "4:1": (1024, 256), "1:8": (192, 1536), "8:1": (1536, 192),
}


def _scaled(table: Mapping[str, tuple[int, int]], k: int) -> dict[str, tuple[int, int]]:
    return {ar: (w * k, h * k) for ar, (w, h) in table.items()}


_SIZES_2K = _scaled(_SIZES_1K, 2)
_SIZES_4K = _scaled(_SIZES_1K, 4)


@dataclass(frozen=True)
class Price:
    """List prices in USD per million tokens (Gemini Developer API, paid tier, standard)."""

    input_per_m: float
    output_text_per_m: float
    output_image_per_m: float
    batch_factor: float = 0.5
    source: str = "ai.google.dev/gemini-api/docs/pricing via LiteLLM 1.110.2 (2026-09)"


@dataclass(frozen=True)
class ModelInfo:
    """Everything the toolkit knows about one image model.

    ``sizes`` maps an image size ("512", "1K", "2K", "4K"; ``None`` for models without sizes) to its
    pixel table and output-token count. ``default_size`` is what the model uses when none is asked for.
    """

    id: str
    nickname: str
    aliases: tuple[str, ...]
    aspect_ratios: tuple[str, ...]
    sizes: Mapping[Any, tuple[Mapping[str, tuple[int, int]], int]]  # image size (or None) -> (pixels, tokens)
    default_size: str | None
    max_input_images: int
    input_image_tokens: int
    price: Price
    released: dt.date | None
    shutdown: dt.date | None = None
    successor: str | None = None
    thinking: bool = False
    output_mime: str = "image/png"
    notes: str = ""
    openrouter_id: str | None = None
    fal_app: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    #: Values ``thinking_level=`` accepts (lowercase, e.g. ``("minimal", "high")``); empty: not configurable.
    thinking_levels: tuple[str, ...] = ()
    #: Search grounding types the model accepts: a subset of ``("web", "image")``; empty: no grounding.
    grounding: tuple[str, ...] = ()
    #: ``service_tier=`` values for generate_content calls (``"standard"`` always; ``"flex"``, ``"priority"``).
    service_tiers: tuple[str, ...] = ("standard",)
    #: Whether the model accepts video input (a registry fact; the toolkit sends images only).
    video_input: bool = False
    #: The date the entry was last checked against the provider's pages.
    checked: dt.date | None = None
    #: Source URL per field name (``"released"``, ``"price"``, ``"sizes"``, ...), the provider's own pages first.
    sources: Mapping[str, str] = field(default_factory=dict)
    #: Input images the provider says the model "works best with": more is sent, with a warning.
    #: ``None``: no such guidance (``max_input_images`` is the only limit, and it is refused).
    input_images_guidance: int | None = None

    @property
    def image_sizes(self) -> tuple[str, ...]:
        """The image sizes this model accepts ("512", "1K", ...); empty for fixed-size models."""
        return tuple(s for s in self.sizes if s is not None)

    def _size_key(self, image_size: str | None) -> str | None:
        # A fixed-size model (2.5 Flash Image) ignores image_size; the API accepts it and renders ~1 MP.
        return self.default_size if image_size is None or not self.image_sizes else image_size

    def pixel_size(self, aspect_ratio: str | None = None, image_size: str | None = None) -> tuple[int, int]:
        """Nominal output (width, height) for an aspect ratio and size (1:1 and the default size if omitted)."""
        table, _ = self.sizes[self._size_key(image_size)]
        return table[aspect_ratio or "1:1"]

    def output_image_tokens(self, image_size: str | None = None) -> int:
        """Output tokens billed per image at the given size (a fixed-size model ignores ``image_size``)."""
        return self.sizes[self._size_key(image_size)][1]

    def is_shut_down(self, today: dt.date | None = None) -> bool:
        """True when the listed shutdown date has passed."""
        return self.shutdown is not None and (today or dt.date.today()) >= self.shutdown


# Provider pages each fact was checked against (2026-12-07). Google's own pages first.
_DOC = "https://ai.google.dev/gemini-api/docs"
_U_IMG = f"{_DOC}/image-generation"
_U_PRICE = f"{_DOC}/pricing"
_U_DEPR = f"{_DOC}/deprecations"
_U_TIERS = f"{_DOC}/optimization"
_U_THINK = f"{_DOC}/thinking"
_U_SEARCH = f"{_DOC}/google-search"
_U_VERTEX = "https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/gemini"


def _sources(model_page: str, **extra: str) -> dict[str, str]:
    """Per-field source URLs: the model's own page for limits, the price and deprecation pages for the rest."""
    return {
        "model": model_page, "released": model_page, "sizes": _U_IMG, "aspect_ratios": _U_IMG, "max_input_images": model_page,
        "price": _U_PRICE, "thinking_levels": model_page, "grounding": model_page, "service_tiers": _U_TIERS,
        "video_input": model_page, "shutdown": _U_DEPR, **extra,
    }


_P25 = Price(0.30, 2.50, 30.0, source="ai.google.dev/gemini-api/docs/pricing; genai-prices 0.2.5 (2026-12-07)")
_P3PRO = Price(2.00, 12.00, 120.0, source="ai.google.dev/gemini-api/docs/pricing; genai-prices 0.2.5 (2026-12-07)")
_P31F = Price(0.50, 3.00, 60.0, source="ai.google.dev/gemini-api/docs/pricing; genai-prices 0.2.5 (2026-12-07)")
_P31L = Price(0.25, 1.50, 30.0, source="ai.google.dev/gemini-api/docs/pricing; genai-prices 0.2.5 (2026-12-07)")
# Confirmed by genai-prices 0.2.5 (image output $30/M, text+thinking $7.50/M, input $1.50/M, batch half).
_P21 = Price(1.50, 7.50, 30.0, source="ai.google.dev/gemini-api/docs/pricing; genai-prices 0.2.5 (2026-12-07)")

_S25 = {None: (_SIZES_25, 1290)}
_S3PRO = {"1K": (_SIZES_1K, 1120), "2K": (_SIZES_2K, 1120), "4K": (_SIZES_4K, 2000)}
_S31F = {"512": (_SIZES_512, 747), "1K": (_SIZES_1K, 1120), "2K": (_SIZES_2K, 1680), "4K": (_SIZES_4K, 2520)}
# Lite: the model page lists 1K as its only image_size (2K and 4K unsupported; 512 is not listed either).
_S31L = {"1K": (_SIZES_1K, 1120)}
# 2.1: tokens recomputed from the published per-image prices at $30/M: $0.0336 (1K) -> 1120, $0.0504 (2K)
# -> 1680, $0.113 (4K) -> 3767 (the price is rounded to a tenth of a cent; bills use usageMetadata anyway).
_S21 = {"1K": (_SIZES_1K, 1120), "2K": (_SIZES_2K, 1680), "4K": (_SIZES_4K, 3767)}


def _restrict(sizes: Mapping, ars: tuple[str, ...]) -> dict:
    return {k: ({a: t[a] for a in ars}, tok) for k, (t, tok) in sizes.items()}


#: Service tiers of generate_content calls on the Gemini API (https://ai.google.dev/gemini-api/docs/optimization).
_TIERS = ("standard", "flex", "priority")
#: The date every entry below was last checked against the pages in its ``sources``.
CHECKED = dt.date(2026, 12, 7)

MODELS: tuple[ModelInfo, ...] = (
    ModelInfo(
        id="gemini-3.1-flash-image", nickname="Nano Banana 2",
        aliases=("nano-banana-2", "3.1-flash-image", "flash-image"),
        aspect_ratios=AR_14, sizes=_S31F, default_size="1K", max_input_images=14, input_image_tokens=1120,
        price=_P31F, released=dt.date(2026, 5, 28), thinking=True, output_mime="image/jpeg",
        notes="Stable Flash image model. Input image tokens inferred from $0.00056 per image at $0.50/M. "
        "A third-party skill and LiteLLM's 2.1 announcement say it shut down on 2026-10-29; Google's "
        "deprecations page lists no date, so none is recorded: studio.models() is the arbiter, and names "
        "the successor when the live list lacks it.",
        openrouter_id="google/gemini-3.1-flash-image", fal_app="fal-ai/nano-banana-2",
        thinking_levels=("minimal", "high"), grounding=("web", "image"), service_tiers=_TIERS, video_input=True,
        successor="gemini-nano-banana-2.1", checked=CHECKED,
        sources=_sources(f"{_DOC}/models/gemini-3.1-flash-image",
                         successor="https://github.com/BerriAI/litellm/discussions/44983"),
    ),
    ModelInfo(
        id="gemini-3.1-flash-lite-image", nickname="Nano Banana 2 Lite",
        aliases=("nano-banana-2-lite", "3.1-flash-lite-image", "flash-lite-image"),
        aspect_ratios=AR_14, sizes=_restrict(_S31L, AR_14), default_size="1K", max_input_images=14,
        input_image_tokens=1120, price=_P31L, released=dt.date(2026, 6, 30), thinking=True,
        output_mime="image/jpeg",
        notes="GA 2026-06-30 (Vertex model page). 1K only: 512, 2K and 4K are not offered. No search "
        "grounding. Vertex lists video input; the Gemini API model page lists text and image inputs only.",
        openrouter_id="google/gemini-3.1-flash-lite-image", fal_app="fal-ai/nano-banana-lite",
        thinking_levels=("minimal", "high"), grounding=(), service_tiers=_TIERS, checked=CHECKED,
        sources=_sources(f"{_DOC}/models/gemini-3.1-flash-lite-image",
                         released=f"{_U_VERTEX}/3-1-flash-lite-image"),
    ),
    ModelInfo(
        id="gemini-3-pro-image", nickname="Nano Banana Pro",
        aliases=("nano-banana-pro", "3-pro-image", "pro-image"),
        aspect_ratios=AR_10, sizes=_restrict(_S3PRO, AR_10), default_size="1K", max_input_images=14,
        input_image_tokens=560, price=_P3PRO, released=dt.date(2026, 5, 28), thinking=True,
        output_mime="image/jpeg",
        notes="Thinking is always on and cannot be disabled; thinking_level takes Gemini 3 Pro's low/high "
        "(no minimal). Input image tokens inferred from $0.0011 per image at $2/M. Web search grounding only.",
        openrouter_id="google/gemini-3-pro-image", fal_app="fal-ai/nano-banana-pro",
        thinking_levels=("low", "high"), grounding=("web",), service_tiers=_TIERS, checked=CHECKED,
        sources=_sources(f"{_DOC}/models/gemini-3-pro-image", thinking_levels=_U_THINK),
    ),
    ModelInfo(
        id="gemini-nano-banana-2.1", nickname="Nano Banana 2.1",
        aliases=("nano-banana-2.1",),
        aspect_ratios=AR_14, sizes=_S21, default_size="1K", max_input_images=14, input_image_tokens=1120,
        price=_P21, released=dt.date(2026, 10, 6), thinking=True, output_mime="image/jpeg",
        notes="GA 2026-10-06. 1K/2K/4K (512 is refused by the API). 4K costs about $0.113 per image. "
        "Thinking minimal/medium (default)/high; web and image search grounding; batch at 50%.",
        openrouter_id="google/gemini-nano-banana-2.1", fal_app="google/nano-banana-2.1",
        thinking_levels=("minimal", "medium", "high"), grounding=("web", "image"), service_tiers=_TIERS,
        video_input=True, checked=CHECKED,
        sources=_sources(f"{_DOC}/models/gemini-nano-banana-2.1",
                         openrouter_id="https://openrouter.ai/google/gemini-nano-banana-2.1"),
    ),
    ModelInfo(
        id="gemini-2.5-flash-image", nickname="Nano Banana",
        aliases=("nano-banana", "2.5-flash-image"),
        aspect_ratios=AR_10, sizes=_S25, default_size=None, max_input_images=14, input_image_tokens=258,
        price=_P25, released=dt.date(2025, 10, 2), shutdown=dt.date(2026, 10, 2),
        successor="gemini-3.1-flash-image", output_mime="image/png", input_images_guidance=3,
        notes="1290 output tokens per image at any aspect ratio ($0.039). No image_size: the API accepts "
        "image_size='1K' and ignores it (Google's cookbook run shows a 1152x896 output). Works best with up to "
        "3 input images (guidance, warned, not refused). Input images: 258 tokens per 768x768 tile (one tile "
        "when both sides <= 384).",
        openrouter_id="google/gemini-2.5-flash-image", fal_app="fal-ai/nano-banana",
        checked=CHECKED, sources=_sources(f"{_DOC}/models/gemini-2.5-flash-image", max_input_images=_U_IMG),
    ),
    ModelInfo(
        id="gemini-2.5-flash-image-preview", nickname="Nano Banana (preview)", aliases=(),
        aspect_ratios=AR_10, sizes=_S25, default_size=None, max_input_images=14, input_image_tokens=258,
        price=_P25, released=dt.date(2025, 8, 26), shutdown=dt.date(2026, 1, 15),
        successor="gemini-2.5-flash-image", output_mime="image/png", input_images_guidance=3,
        notes="Discontinued on the Gemini API on 2026-01-15 (deprecations page).",
        openrouter_id="google/gemini-2.5-flash-image-preview",
        checked=CHECKED, sources=_sources(_U_DEPR, released=_U_DEPR),
    ),
    ModelInfo(
        id="gemini-3-pro-image-preview", nickname="Nano Banana Pro (preview)", aliases=(),
        aspect_ratios=AR_10, sizes=_restrict(_S3PRO, AR_10), default_size="1K", max_input_images=14,
        input_image_tokens=560, price=_P3PRO, released=dt.date(2025, 11, 20), shutdown=dt.date(2026, 6, 25),
        successor="gemini-3-pro-image", thinking=True, output_mime="image/jpeg",
        openrouter_id="google/gemini-3-pro-image-preview",
        thinking_levels=("low", "high"), grounding=("web",), service_tiers=_TIERS, checked=CHECKED,
        sources=_sources(_U_DEPR, thinking_levels=_U_THINK),
    ),
    ModelInfo(
        id="gemini-3.1-flash-image-preview", nickname="Nano Banana 2 (preview)", aliases=(),
        aspect_ratios=AR_14, sizes=_S31F, default_size="1K", max_input_images=14, input_image_tokens=1120,
        price=_P31F, released=dt.date(2026, 2, 26), shutdown=dt.date(2026, 6, 25),
        successor="gemini-3.1-flash-image", thinking=True, output_mime="image/jpeg",
        openrouter_id="google/gemini-3.1-flash-image-preview",
        thinking_levels=("minimal", "high"), grounding=("web", "image"), service_tiers=_TIERS, video_input=True,
        checked=CHECKED, sources=_sources(_U_DEPR),
    ),
)

#: The model used when none is named. The module docstring says how it was chosen, and when.
DEFAULT_MODEL = "gemini-3.1-flash-image"

_BY_NAME: dict[str, ModelInfo] = {}
for _m in MODELS:
    for _name in (_m.id, *_m.aliases):
        _BY_NAME[_name.lower()] = _m


class ModelShutdownWarning(UserWarning):
    """The chosen model is past its listed shutdown date."""


class UnknownModelWarning(UserWarning):
    """The model id is not in the registry; it is sent as given and validated only by the provider."""


class ModelGuidanceWarning(UserWarning):
    """An option the model accepts but ignores, or beyond what the provider says the model works best with."""


class DefaultModelMissingWarning(UserWarning):
    """The live model list lacks the toolkit's default model; the message names the successor to use."""


def _strip(model_id: str) -> str:
    model_id = model_id.strip()
    for prefix in ("models/", "publishers/google/models/", "google/"):
        if model_id.startswith(prefix):
            model_id = model_id[len(prefix):]
    return model_id


def lookup(model_id: str) -> ModelInfo | None:
    """The registry entry for an id or alias (``models/`` and ``google/`` prefixes allowed), or None."""
    return _BY_NAME.get(_strip(model_id).lower())


def generic_model(model_id: str) -> ModelInfo:
    """A permissive stand-in for a model the registry does not know yet (new models appear often).

    It accepts every aspect ratio, size, thinking level, search type and tier the family has and prices like
    3.1 Flash Image; the provider has the last word on validity.
    """
    base = lookup(DEFAULT_MODEL)
    assert base is not None
    return ModelInfo(
        id=_strip(model_id), nickname="(not in registry)", aliases=(), aspect_ratios=base.aspect_ratios,
        sizes=base.sizes, default_size=base.default_size, max_input_images=base.max_input_images,
        input_image_tokens=base.input_image_tokens, price=base.price, released=None,
        notes="Unknown to the registry: limits and prices are 3.1 Flash Image's, as a guess.",
        output_mime=base.output_mime, thinking=True, thinking_levels=THINKING_LEVELS, grounding=GROUNDING_TYPES,
        service_tiers=SERVICE_TIERS, video_input=base.video_input,
    )


_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")


def check_model_id(model_id: object) -> str:
    """``model_id`` when it has the form of a model id, else an :class:`~toolkit.errors.OptionError` with the fix.

    Accepted: a plain id or alias (letters, digits, ``.``, ``-``, ``_``, ``@``; at most 128 characters; no
    ``..``), optionally prefixed ``models/``, ``publishers/google/models/`` or ``google/``. A model id becomes
    part of a request URL, so anything else (``../../x``, ``models/x/y``, ``a:b``) is refused before it is sent.

    >>> check_model_id("models/gemini-3.1-flash-image")
    'models/gemini-3.1-flash-image'
    >>> check_model_id("../../x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    toolkit.errors.OptionError: model='../../x' is not a model id: ...
    """
    if not isinstance(model_id, str):
        raise OptionError(f"model={model_id!r} must be a string such as {DEFAULT_MODEL!r}. "
                          f"tk.models_table() lists the known models.")
    bare = _strip(model_id)
    if not _MODEL_ID.fullmatch(bare) or ".." in bare:
        shown = model_id if len(model_id) <= 80 else model_id[:77] + "..."
        raise OptionError(
            f"model={shown!r} is not a model id: an id is letters, digits, '.', '-', '_' and '@' (no '/' or "
            f"'..'), optionally prefixed 'models/', e.g. {DEFAULT_MODEL!r} or 'nano-banana-pro'. "
            f"tk.models_table() lists the known models."
        )
    return model_id


def resolve(model_id: str | None, *, today: dt.date | None = None, warn: bool = True) -> ModelInfo:
    """The registry entry for ``model_id`` (the default when None), warning when it is shut down or unknown.

    An id that is not of the form :func:`check_model_id` accepts raises :class:`~toolkit.errors.OptionError`.
    """
    if model_id is None or (isinstance(model_id, str) and not model_id.strip()):
        model_id = DEFAULT_MODEL
    model_id = check_model_id(model_id)
    info = lookup(model_id)
    if info is None:
        if warn:
            close = difflib.get_close_matches(_strip(model_id).lower(), list(_BY_NAME), n=3)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            warn_user(
                f"Model {model_id!r} is not in the toolkit's registry; sending it as given. Options are validated "
                f"only by the provider and prices are guessed from {DEFAULT_MODEL}.{hint} "
                f"tk.models_table() lists the known models.",
                UnknownModelWarning,
            )
        return generic_model(model_id)
    if warn and info.is_shut_down(today):
        warn_user(
            f"{info.id} ({info.nickname}) was listed to shut down on {info.shutdown}; the provider may "
            f"answer 404 NOT_FOUND. Its successor is {info.successor!r}: pass model={info.successor!r}.",
            ModelShutdownWarning,
        )
    return info


def validate_options(
    info: ModelInfo, *, aspect_ratio: str | None, image_size: str | None, n_images: int
) -> None:
    """Refuse options the model does not accept, with a message that names the fix.

    Warns (:class:`ModelGuidanceWarning`) instead of refusing where the provider accepts the request:
    ``image_size`` on a fixed-size model (2.5 Flash Image ignores it) and more input images than the model
    "works best with" (``input_images_guidance``). ``max_input_images`` is a hard limit and is refused.
    """
    if aspect_ratio is not None and (not isinstance(aspect_ratio, str) or aspect_ratio not in info.aspect_ratios):
        raise OptionError(
            f"aspect_ratio={aspect_ratio!r} is not supported by {info.id}. "
            f"Use one of: {', '.join(info.aspect_ratios)}."
        )
    if image_size is not None:
        if not info.image_sizes:
            if image_size not in _KNOWN_SIZES:
                raise OptionError(
                    f"image_size={image_size!r} is not an image size, and {info.id} has no image_size option (it "
                    f"always renders about 1 megapixel). Leave image_size unset, or choose a model with sizes "
                    f"such as gemini-3.1-flash-image (512, 1K, 2K, 4K)."
                )
            warn_user(
                f"{info.id} ignores image_size={image_size!r}: it always renders about 1 megapixel (1290 tokens). "
                f"Leave image_size unset, or choose a model with sizes such as gemini-3.1-flash-image.",
                ModelGuidanceWarning,
            )
        elif image_size not in info.image_sizes:
            fix = ""
            if isinstance(image_size, str) and image_size.upper() in info.image_sizes:
                fix = f" Sizes need an uppercase K: use {image_size.upper()!r}."
            raise OptionError(
                f"image_size={image_size!r} is not supported by {info.id}.{fix} "
                f"Use one of: {', '.join(info.image_sizes)}."
            )
    if n_images > info.max_input_images:
        better = [m.id for m in MODELS if m.max_input_images >= n_images and not m.is_shut_down()]
        raise OptionError(
            f"{n_images} input images is more than {info.id} accepts ({info.max_input_images}). Send fewer "
            f"images{', or use ' + better[0] if better else ''}."
        )
    if info.input_images_guidance is not None and n_images > info.input_images_guidance:
        warn_user(
            f"{info.id} works best with up to {info.input_images_guidance} input images (provider guidance); "
            f"sending {n_images}. For many references use a model built for them, such as "
            f"{DEFAULT_MODEL} (up to 14).",
            ModelGuidanceWarning,
        )


_KNOWN_SIZES = ("512", "1K", "2K", "4K")


def missing_default_notice(live_ids: Iterable[str], model_id: str = DEFAULT_MODEL) -> str | None:
    """What to tell the user when the live model list lacks ``model_id`` (the default), else None.

    The live list (``studio.models()`` on the real API) is the arbiter of whether a model still exists: the
    registry records no shutdown date for the default because sources disagree. The notice names the
    registry's successor when it has one, or says to pick from the list.

    >>> print(missing_default_notice(["gemini-nano-banana-2.1", "gemini-3-pro-image"]))  # doctest: +ELLIPSIS
    The live model list lacks 'gemini-3.1-flash-image', ... pass model='gemini-nano-banana-2.1' ...
    >>> missing_default_notice(["models/gemini-3.1-flash-image"]) is None
    True
    """
    live = {_strip(i).lower() for i in live_ids}
    if not live:
        return None  # nothing listed (no key, or a backend without a list): nothing to conclude
    info = lookup(model_id)
    wanted = _strip(model_id).lower()
    if wanted in live or (info is not None and info.id.lower() in live):
        return None
    successor = info.successor if info is not None else None
    if successor is not None and _strip(successor).lower() in live:
        fix = f"Its successor is {successor!r}: pass model={successor!r} (or set studio.model = {successor!r})."
    else:
        fix = "Pick a model from studio.models() and pass it as model=."
    return (f"The live model list lacks {model_id!r}, the toolkit's default (chosen {CHECKED}); the API may "
            f"answer 404 NOT_FOUND for it. {fix}")


def closest_aspect_ratio(info: ModelInfo, width: int, height: int) -> str:
    """The model's supported aspect ratio nearest (in log space) to width:height."""
    import math

    target = math.log(width / height)

    def dist(ar: str) -> float:
        a, b = (int(x) for x in ar.split(":"))
        return abs(math.log(a / b) - target)

    return min(info.aspect_ratios, key=dist)


def models_table():
    """The registry as a pandas DataFrame: ids, sizes, limits, prices, capabilities, dates and when checked."""
    import pandas as pd

    rows = []
    for m in MODELS:
        sizes = ", ".join(f"{s}={tok}" for s, (_, tok) in m.sizes.items() if s) or f"fixed={m.output_image_tokens()}"
        rows.append({
            "model": m.id, "nickname": m.nickname, "aliases": ", ".join(m.aliases),
            "aspect_ratios": len(m.aspect_ratios), "sizes (output tokens)": sizes,
            "max_input_images": m.max_input_images,
            "usd_per_image": round(m.output_image_tokens() * m.price.output_image_per_m / 1e6, 4),
            "input_per_m": m.price.input_per_m, "image_out_per_m": m.price.output_image_per_m,
            "thinking_levels": ", ".join(m.thinking_levels) or ("always on" if m.thinking else "none"),
            "grounding": ", ".join(m.grounding) or "none", "service_tiers": ", ".join(m.service_tiers),
            "video_input": m.video_input,
            "released": m.released, "shutdown": m.shutdown, "successor": m.successor,
            "default": m.id == DEFAULT_MODEL, "checked": m.checked,
        })
    return pd.DataFrame(rows)


def readme_table() -> str:
    """The README's model table (markdown), generated from the registry; a test keeps the README equal to it."""
    head = ("| model id | nickname | sizes (output tokens per image) | $/image (default size) | input $/M "
            "| image out $/M | thinking_level | grounding | service tiers | video in | released | shutdown "
            "→ successor | checked | sources |")
    lines = [head, "|" + "---|" * 14]
    for m in MODELS:
        if m.is_shut_down(CHECKED) and m.id.endswith("-preview"):
            continue
        sizes = ", ".join(f"{s}={tok}" for s, (_, tok) in m.sizes.items() if s) or f"fixed ~1 MP = {m.output_image_tokens()}"
        usd = m.output_image_tokens() * m.price.output_image_per_m / 1e6
        name = f"`{m.id}`" + (" (**default**)" if m.id == DEFAULT_MODEL else "")
        after = f"{m.shutdown or '–'}" + (f" → `{m.successor}`" if m.successor else "")
        links = ", ".join(f"[{label}]({m.sources[key]})" for key, label in
                          (("model", "model"), ("price", "price"), ("service_tiers", "tiers"), ("shutdown", "lifecycle"))
                          if key in m.sources)
        lines.append(
            f"| {name} | {m.nickname} | {sizes} | {usd:.4f} | {m.price.input_per_m:.2f} | {m.price.output_image_per_m:g} "
            f"| {', '.join(m.thinking_levels) or 'none'} | {', '.join(m.grounding) or 'none'} "
            f"| {', '.join(m.service_tiers)} | {'yes' if m.video_input else 'no'} | {m.released} | {after} "
            f"| {m.checked} | {links} |"
        )
    shut = [m.id for m in MODELS if m.is_shut_down(CHECKED) and m.id.endswith("-preview")]
    lines.append(f"| {', '.join(f'`{i}`' for i in shut)} | previews | as above | | | | | | | | | shut down | "
                 f"{CHECKED} | [lifecycle]({_U_DEPR}) |")
    return "\n".join(lines)
