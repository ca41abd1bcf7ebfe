"""The vision-capable Gemini TEXT models a study's judge can use, with their prices, as data.

The judge (:mod:`toolkit.judge`) sends each image, with its prompt and the rubric, to one of these models and
asks for structured JSON. They are not image models, so they live here and not in :mod:`toolkit.registry`;
:func:`model_info` gives each one as a :class:`~toolkit.registry.ModelInfo` so that the Engine prices, budgets
and records judge calls exactly like image calls.

Facts as of 2026-12-07, from Google's pages: models and release dates from
https://ai.google.dev/gemini-api/docs/deprecations and https://ai.google.dev/gemini-api/docs/models, prices
(paid tier, standard, per million tokens, thinking billed as output) from
https://ai.google.dev/gemini-api/docs/pricing, image input tokens from
https://ai.google.dev/gemini-api/docs/media-resolution (Gemini 3 models: up to 1,120 tokens per image at the
default resolution). ``gemini-2.5-flash`` was shut down on 2026-12-01 (its requests are routed to
``gemini-3.5-flash-lite``), so it is not offered.

Default judge: ``gemini-3.8-flash``, the newest Flash model (released 2026-09-02), at $0.75 / $3.75 per million
input / output tokens through 2026-12-31 (the pricing page lists $1.50 / $7.50 from 2027-01-01).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .errors import OptionError
from .registry import ModelInfo, Price

#: Output tokens reserved per judge call: the JSON verdict (about 60 tokens a criterion) plus thinking.
OUTPUT_ALLOWANCE_TOKENS = 1000
_PRICING = "https://ai.google.dev/gemini-api/docs/pricing"
_MODELS = "https://ai.google.dev/gemini-api/docs/deprecations"
_MEDIA = "https://ai.google.dev/gemini-api/docs/media-resolution"
_CHECKED = dt.date(2026, 12, 7)


@dataclass(frozen=True)
class TextModel:
    """One vision-capable Gemini text model the judge can call.

    Prices are USD per million tokens (paid tier, standard). ``price_until`` is the last day of a promotional
    price, after which ``next_price`` applies (None: no announced change).
    """

    id: str
    label: str
    input_per_m: float
    output_per_m: float
    released: dt.date
    input_image_tokens: int = 1120
    price_until: dt.date | None = None
    next_price: tuple[float, float] | None = None
    checked: dt.date = _CHECKED
    sources: dict[str, str] = field(default_factory=lambda: {"price": _PRICING, "released": _MODELS,
                                                              "input_image_tokens": _MEDIA})

    def prices_on(self, day: dt.date | None = None) -> tuple[float, float]:
        """(input, output) USD per million tokens on ``day`` (default today)."""
        day = day or dt.date.today()
        if self.price_until is not None and self.next_price is not None and day > self.price_until:
            return self.next_price
        return self.input_per_m, self.output_per_m


TEXT_MODELS: tuple[TextModel, ...] = (
    TextModel("gemini-3.8-flash", "Gemini 3.8 Flash", 0.75, 3.75, dt.date(2026, 9, 2),
              price_until=dt.date(2026, 12, 31), next_price=(1.50, 7.50)),
    TextModel("gemini-3.5-flash", "Gemini 3.5 Flash", 1.50, 9.00, dt.date(2026, 5, 19)),
    TextModel("gemini-3.5-flash-lite", "Gemini 3.5 Flash-Lite", 0.30, 2.50, dt.date(2026, 7, 21)),
)
DEFAULT_JUDGE_MODEL = "gemini-3.8-flash"


def text_model(model_id: str | None = None) -> TextModel:
    """The judge model with this id (default :data:`DEFAULT_JUDGE_MODEL`); an unknown id names the known ones.

    >>> text_model().id
    'gemini-3.8-flash'
    """
    wanted = DEFAULT_JUDGE_MODEL if model_id is None else model_id
    for m in TEXT_MODELS:
        if m.id == wanted:
            return m
    raise OptionError(f"model={model_id!r} is not a known judge model; use one of "
                      f"{', '.join(m.id for m in TEXT_MODELS)} (vision-capable Gemini text models).")


def model_info(model: TextModel | str | None = None, *, day: dt.date | None = None) -> ModelInfo:
    """A judge model as a :class:`~toolkit.registry.ModelInfo`, so the Engine prices its calls.

    Output is priced as text. The one "size" holds :data:`OUTPUT_ALLOWANCE_TOKENS`, which the Engine's estimate
    reserves per call (priced at the output rate); the bill uses the usage the provider reports.

    >>> info = model_info("gemini-3.5-flash-lite")
    >>> info.price.input_per_m, info.output_image_tokens(None)
    (0.3, 1000)
    """
    m = model if isinstance(model, TextModel) else text_model(model)
    cost_in, cost_out = m.prices_on(day)
    return ModelInfo(
        id=m.id, nickname=m.label, aliases=(), aspect_ratios=(),
        sizes={None: ({}, OUTPUT_ALLOWANCE_TOKENS)}, default_size=None, max_input_images=16,
        input_image_tokens=m.input_image_tokens,
        price=Price(cost_in, cost_out, cost_out, source=f"{_PRICING} (checked {m.checked.isoformat()})"),
        released=m.released, notes="vision-capable text model (a study's judge)", checked=m.checked,
        sources=dict(m.sources),
    )
