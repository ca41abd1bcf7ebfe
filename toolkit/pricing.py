"""Dollars from usage, and estimates before a call.

Token prices come from `genai-prices <https://pypi.org/project/genai-prices/>`_ (a maintained, dated
price database with the modality split we need: image output tokens are priced apart from text). What it
lacks lives in :data:`OVERRIDES` and in the registry's own :class:`~toolkit.registry.Price` (used when
genai-prices does not know a model id), each with a source and a date.

Usage dictionaries everywhere in the toolkit have these integer keys::

    input_tokens         all prompt tokens (text + images), as the provider reports them
    input_image_tokens   the image share of input_tokens
    output_tokens        candidate tokens (text + images), excluding thoughts
    output_image_tokens  the image share of output_tokens
    thought_tokens       thinking tokens (billed at the text output rate)
    cached_tokens        input tokens served from the provider's context cache

Service tiers (:data:`TIERS`, checked 2026-12-07): ``standard``; ``flex`` at half price and ``priority`` at a
premium, both chosen per ``generate_content`` call with ``service_tier`` (https://ai.google.dev/gemini-api/docs/
optimization); ``batch`` at half price through the Batch API. Search grounding on Gemini 3 models is priced per
search query on top of tokens (:func:`grounding_cost`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import OptionError
from .registry import ModelInfo

USAGE_KEYS = (
    "input_tokens", "input_image_tokens", "output_tokens", "output_image_tokens", "thought_tokens", "cached_tokens",
)

#: Price factor of each tier against standard, dated and sourced (checked 2026-12-07). Flex and priority are
#: ``service_tier=`` on ``generate_content`` (``GenerateContentConfig.service_tier`` in google-genai) and on
#: Interactions requests; batch is the asynchronous Batch API.
TIERS: dict[str, dict[str, float | str]] = {
    "standard": {"factor": 1.0, "checked": "2026-12-07",
                 "source": "https://ai.google.dev/gemini-api/docs/pricing (the Standard tab)"},
    "flex": {
        "factor": 0.5, "checked": "2026-12-07",
        "source": "https://ai.google.dev/gemini-api/docs/optimization: Flex 'Price: 50% of standard pricing "
                  "(billed per token)', synchronous, via the service_tier parameter of standard generation calls",
    },
    "priority": {
        # Google publishes a range, "75% to 100% more than standard"; Vertex's per-model table lists Gemini 3
        # Pro Image priority output at $216/M against $120/M standard (1.8x). 1.8 is that published per-model
        # factor; budgets cap with it, and the provider's bill is the final word.
        "factor": 1.8, "checked": "2026-12-07",
        "source": "https://ai.google.dev/gemini-api/docs/optimization ('75% to 100% more than standard'); "
                  "https://cloud.google.com/vertex-ai/generative-ai/pricing (3 Pro Image priority $216/M vs $120/M)",
    },
    "batch": {
        "factor": 0.5, "checked": "2026-12-07",
        "source": "https://ai.google.dev/gemini-api/docs/batch-api: 'at 50% of the standard cost'",
    },
}

#: Search grounding prices (checked 2026-12-07). Gemini 3 models (3 Pro Image, 3.1 Flash Image, Nano Banana 2.1)
#: bill each search query the model runs; the monthly free allowance (5,000 grounded prompts, shared by the
#: account's Gemini 3 models) is not visible to the toolkit, so list prices never assume it: a recorded cost is
#: an upper bound. Gemini 2.5 models billed per grounded prompt instead. Tiers do not discount grounding.
GROUNDING: dict[str, dict[str, float | str]] = {
    "gemini-3": {
        "per_query": 14.0 / 1000, "unit": "search query", "free_per_month": 5000, "checked": "2026-12-07",
        "source": "https://ai.google.dev/gemini-api/docs/pricing: Grounding with Google Search (web and image), "
                  "'5,000 prompts per month (free), then $14 / 1,000 search queries'; genai-prices 0.2.5 agrees",
    },
    "gemini-2.5": {
        "per_query": 35.0 / 1000, "unit": "grounded prompt", "free_per_day": 1500, "checked": "2026-12-07",
        "source": "https://ai.google.dev/gemini-api/docs/pricing: '$35 / 1,000 grounded prompts' (Gemini 2.5)",
    },
}

#: Prices genai-prices does not carry (checked 2026-12-07 against genai-prices 0.2.5).
OVERRIDES: dict[str, dict[str, float | str]] = {
    "batch": TIERS["batch"],
    "flex": TIERS["flex"],
    "priority": TIERS["priority"],
    # Flat per-image prices on fal.ai (their pricing pages via LiteLLM 1.110.2, 2026-09).
    "fal-ai/nano-banana": {"per_image": 0.039, "source": "fal.ai model page"},
    "fal-ai/gemini-25-flash-image": {"per_image": 0.039, "source": "fal.ai model page"},
    "fal-ai/nano-banana-pro": {"per_image": 0.15, "per_image_4k": 0.30, "source": "fal.ai llms.txt"},
    "fal-ai/nano-banana-2": {"per_image": 0.08, "per_image_512": 0.06, "per_image_2k": 0.12,
                             "per_image_4k": 0.16, "source": "fal.ai model page"},
}


#: The largest token count believed (a reply claiming more is malformed, not a bill).
MAX_TOKENS = 10**9


def normalize_usage(usage: Mapping[str, int | None] | None) -> dict[str, int]:
    """A usage dict with every key of :data:`USAGE_KEYS` present as an int (missing or None -> 0).

    Counts the network sent as whole floats (``1290.0``) or digit strings (``"1290"``) are accepted. Anything
    else (text, fractions, negatives, NaN, absurd sizes, a usage that is not a mapping) raises ``ValueError``
    saying "malformed reply": the Engine turns it into a retried ``MALFORMED_RESPONSE`` error, never a crash.

    >>> normalize_usage({"output_tokens": "1290", "input_tokens": 12.0})["output_tokens"]
    1290
    >>> normalize_usage({"output_tokens": "many"})
    Traceback (most recent call last):
    ...
    ValueError: malformed reply: usage output_tokens='many' is not a whole number of tokens
    """
    if not usage:
        return dict.fromkeys(USAGE_KEYS, 0)
    if not isinstance(usage, Mapping):
        raise ValueError(f"malformed reply: usage is a {type(usage).__name__}, not a mapping of token counts")
    out: dict[str, int] = {}
    for k in USAGE_KEYS:
        value: Any = usage.get(k)
        if value is None:
            out[k] = 0
            continue
        count: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            count = value
        elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
            count = int(value)
        elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            count = int(value.strip())
        if count is None or not 0 <= count <= MAX_TOKENS:
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:39] + "…"
            raise ValueError(f"malformed reply: usage {k}={shown} is not a whole number of tokens")
        out[k] = count
    return out


def _table_cost(info: ModelInfo, u: Mapping[str, int]) -> float:
    p = info.price
    text_out = max(0, u["output_tokens"] - u["output_image_tokens"]) + u["thought_tokens"]
    return (
        u["input_tokens"] * p.input_per_m
        + text_out * p.output_text_per_m
        + u["output_image_tokens"] * p.output_image_per_m
    ) / 1e6


def tier_factor(tier: str) -> float:
    """The price factor of a service tier against standard; an unknown tier raises OptionError naming the valid ones.

    >>> tier_factor("flex"), tier_factor("priority")
    (0.5, 1.8)
    """
    entry = TIERS.get(tier) if isinstance(tier, str) else None
    if entry is None:
        raise OptionError(f"tier={tier!r} is not a service tier with a price. Use one of: {', '.join(TIERS)}.")
    return float(entry["factor"])


def list_cost(info: ModelInfo, usage: Mapping[str, int | None] | None, *, tier: str = "standard",
              grounding_queries: int = 0) -> float:
    """List price in USD of one call's usage on the Gemini API.

    Uses genai-prices when it knows the model, else the registry's price table, times the tier's factor
    (:data:`TIERS`: ``"flex"`` and ``"batch"`` half, ``"priority"`` the premium; anything else raises
    :class:`~toolkit.errors.OptionError`). ``grounding_queries`` adds :func:`grounding_cost` (never discounted).

    >>> from toolkit.registry import lookup
    >>> round(list_cost(lookup("gemini-2.5-flash-image"), {"output_tokens": 1290, "output_image_tokens": 1290}), 4)
    0.0387
    """
    factor = tier_factor(tier)
    u = normalize_usage(usage)
    cost = _genai_prices_cost(info.id, u)
    if cost is None:
        cost = _table_cost(info, u)
    cost = cost * factor + grounding_cost(info, grounding_queries)
    return round(cost, 10)


def grounding_price(info: ModelInfo) -> dict[str, float | str]:
    """The :data:`GROUNDING` entry that prices search grounding on ``info`` (Gemini 3 rules unless 2.5)."""
    return GROUNDING["gemini-2.5" if info.id.startswith("gemini-2.5") else "gemini-3"]


def grounding_cost(info: ModelInfo, queries: int) -> float:
    """List price in USD of ``queries`` grounded search queries on ``info`` (0 when there were none).

    Gemini 3 models pay per search query ($14 per 1,000); 2.5 models paid per grounded prompt (any queries
    count once). The free monthly allowance is not subtracted (see :data:`GROUNDING`).

    >>> from toolkit.registry import lookup
    >>> grounding_cost(lookup("gemini-3-pro-image"), 3)
    0.042
    """
    if isinstance(queries, bool) or not isinstance(queries, int) or queries < 0:
        raise ValueError(f"queries={queries!r} must be a whole number of search queries (0 or more).")
    if queries == 0:
        return 0.0
    entry = grounding_price(info)
    count = 1 if entry["unit"] == "grounded prompt" else queries
    return round(count * float(entry["per_query"]), 10)


def _genai_prices_cost(model_id: str, u: Mapping[str, int]) -> float | None:
    try:
        from genai_prices import Usage, calc_price
    except ImportError:  # pragma: no cover - a declared dependency, but pricing must not break a call
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            calc = calc_price(
                Usage(
                    input_tokens=u["input_tokens"],
                    cache_read_tokens=u["cached_tokens"] or None,
                    output_tokens=u["output_tokens"] + u["thought_tokens"],
                    output_image_tokens=u["output_image_tokens"],
                ),
                model_ref=model_id,
                provider_id="google",
            )
    except (LookupError, ValueError):
        return None
    return float(calc.total_price)


def price_source(info: ModelInfo) -> str:
    """Where the price of ``info`` comes from ("genai-prices" or the registry's source note)."""
    return "genai-prices" if _genai_prices_cost(info.id, normalize_usage({"input_tokens": 1})) is not None \
        else info.price.source


def estimate_input_image_tokens(info: ModelInfo, width: int, height: int) -> int:
    """Input tokens for one image: 2.5's 258-per-768-tile rule, else the registry's per-image figure."""
    if info.id.startswith("gemini-2.5"):
        if width <= 384 and height <= 384:
            return 258
        return 258 * math.ceil(width / 768) * math.ceil(height / 768)
    return info.input_image_tokens


def estimate_text_tokens(text: str) -> int:
    """About four characters a token: a deliberate over-estimate for budgeting, never for billing."""
    return max(1, math.ceil(len(text) / 4))


@dataclass(frozen=True)
class Estimate:
    """What a call is expected to cost before it is sent.

    ``list_cost_usd`` is the list price; ``cost_usd`` is what would actually be spent (0 on the offline
    simulator and for requests already in the cache).
    """

    model: str
    calls: int
    cached_calls: int
    input_tokens: int
    output_image_tokens: int
    list_cost_usd: float
    cost_usd: float

    def __repr__(self) -> str:
        cached = f", {self.cached_calls} cached" if self.cached_calls else ""
        return (
            f"Estimate({self.model}: {self.calls} call(s){cached}, ~{self.input_tokens} input + "
            f"{self.output_image_tokens} image tokens, list ${self.list_cost_usd:.4f}, "
            f"would spend ${self.cost_usd:.4f})"
        )


def estimate_usage(
    info: ModelInfo, prompt_tokens: int, image_sizes: list[tuple[int, int]], image_size: str | None
) -> dict[str, int]:
    """Usage one call is expected to report (text reply tokens ignored: they cost a few hundred-thousandths)."""
    img_in = sum(estimate_input_image_tokens(info, w, h) for w, h in image_sizes)
    out_img = info.output_image_tokens(image_size)
    return normalize_usage({
        "input_tokens": prompt_tokens + img_in, "input_image_tokens": img_in,
        "output_tokens": out_img, "output_image_tokens": out_img,
    })


def tier_table(models: list[ModelInfo] | None = None):
    """USD per output image for every model, size and tier, plus grounding per 1,000 queries (a DataFrame).

    Only the image's output tokens are priced (prompt and input images add a little): what a budget plans
    with. Rows follow ``models`` (default: the registry's current models); tiers the model does not offer are
    empty (batch is offered for every model).
    """
    import pandas as pd

    from .registry import MODELS

    chosen = models if models is not None else [m for m in MODELS if not m.id.endswith("-preview")]
    rows = []
    for m in chosen:
        for size in m.image_sizes or (None,):
            tokens = m.output_image_tokens(size)
            usage = {"output_tokens": tokens, "output_image_tokens": tokens}
            row: dict[str, Any] = {"model": m.id, "size": size or "fixed", "image_tokens": tokens}
            for tier in TIERS:
                offered = tier == "batch" or tier in m.service_tiers
                row[tier] = list_cost(m, usage, tier=tier) if offered else None
            row["grounding_per_1000_queries"] = grounding_cost(m, 1000) if m.grounding else None
            rows.append(row)
    return pd.DataFrame(rows)


def readme_tier_table() -> str:
    """:func:`tier_table` as the README's markdown (a test keeps the README equal to it)."""
    df = tier_table()
    lines = ["| model | size | standard | flex | priority | batch | grounding, per 1,000 queries |",
             "|---|---|---|---|---|---|---|"]

    def usd(v: Any) -> str:
        return "–" if v is None or v != v else f"${v:.4f}"

    for r in df.itertuples(index=False):
        g = r.grounding_per_1000_queries
        lines.append(f"| `{r.model}` | {r.size} | {usd(r.standard)} | {usd(r.flex)} | {usd(r.priority)} "
                     f"| {usd(r.batch)} | {'–' if g is None or g != g else f'${g:.0f}'} |")
    return "\n".join(lines)
