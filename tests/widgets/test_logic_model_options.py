"""Model dropdowns: models offered, aspect ratios and sizes per model (toolkit/widgets/logic/model_options.py)."""

from __future__ import annotations

import datetime as dt

from toolkit import registry
from toolkit.widgets.logic import model_options

TODAY = dt.date(2026, 11, 24)


def test_model_choices_default_skips_shut_down_models_and_keeps_current():
    values = [v for _, v in model_options.model_choices(today=TODAY)]
    assert values[0] == registry.DEFAULT_MODEL
    assert "gemini-2.5-flash-image" not in values
    assert all(not registry.lookup(v).is_shut_down(TODAY) for v in values)
    with_current = model_options.model_choices(today=TODAY, current="nano-banana")
    assert with_current[0] == ("Nano Banana (gemini-2.5-flash-image) · shut down", "gemini-2.5-flash-image")


def test_model_choices_resolves_aliases_dedupes_and_allows_unknown_ids():
    choices = model_options.model_choices(["nano-banana-pro", "gemini-3-pro-image", "my-new-model"], today=TODAY)
    assert choices == [("Nano Banana Pro (gemini-3-pro-image)", "gemini-3-pro-image"),
                       ("my-new-model (not in registry)", "my-new-model")]
    assert model_options.model_info("my-new-model").aspect_ratios == registry.AR_14


def test_aspect_ratio_and_size_choices_follow_the_model():
    pro = model_options.model_info("gemini-3-pro-image")
    assert [v for _, v in model_options.aspect_ratio_choices(pro)] == ["auto", *registry.AR_10]
    sizes, enabled = model_options.size_choices(pro)
    assert enabled and [v for _, v in sizes] == ["default", "1K", "2K", "4K"] and sizes[0][0] == "(model default: 1K)"
    assert model_options.size_choices(model_options.model_info("gemini-2.5-flash-image")) == ([("(model default)", "default")],
                                                                            False)
    assert [model_options.option_value(v) for v in ("auto", "default", None, "4K")] == [None, None, None, "4K"]
    assert "1:8" in [v for _, v in model_options.aspect_ratio_choices(model_options.model_info("gemini-3.1-flash-image"))]


def test_keep_or_default():
    opts = [("(model default)", "default"), ("1K", "1K")]
    assert model_options.keep_or_default("1K", opts, "default") == "1K"
    assert model_options.keep_or_default("512", opts, "default") == "default"
    assert model_options.keep_or_default("512", opts) is None
