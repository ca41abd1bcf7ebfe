"""toolkit.answers: the per-model checks of thinking, grounding and tiers, and the tier an answer is billed at."""

from __future__ import annotations

import pytest

import toolkit as tk
from toolkit import answers, registry
from toolkit.backends.base import Reply
from toolkit.options import Options


def _model(**changes) -> registry.ModelInfo:
    import dataclasses

    return dataclasses.replace(registry.lookup(registry.DEFAULT_MODEL), **changes)


def test_models_refuse_what_they_do_not_have_naming_who_has_it():
    none = _model(id="no-features", thinking=False, thinking_levels=(), grounding=(), service_tiers=("standard",))
    with pytest.raises(tk.OptionError, match="no-features has no thinking_level") as err:
        answers.check_model_options(none, Options(thinking_level="high"))
    assert registry.DEFAULT_MODEL in str(err.value)
    with pytest.raises(tk.OptionError, match="does not think"):
        answers.check_model_options(none, Options(include_thoughts=True))
    with pytest.raises(tk.OptionError, match="no search grounding"):
        answers.check_model_options(none, Options(grounding=("web",)))
    with pytest.raises(tk.OptionError, match="service_tier='flex' is not offered"):
        answers.check_model_options(none, Options(service_tier="flex"))
    with pytest.raises(tk.OptionError, match="does not think"):
        answers.check_model_options(none, Options(include_thoughts=False))  # no thinkingConfig at all
    answers.check_model_options(none, Options(service_tier="standard"))  # always fine


def test_levels_and_types_are_checked_one_by_one():
    info = _model(thinking_levels=("minimal", "high"), grounding=("web",))
    answers.check_model_options(info, Options(thinking_level="minimal", grounding=("web",)))
    with pytest.raises(tk.OptionError, match="use one of minimal, high"):
        answers.check_model_options(info, Options(thinking_level="low"))
    with pytest.raises(tk.OptionError, match="grounding='image' is not available"):
        answers.check_model_options(info, Options(grounding=("web", "image")))


@pytest.mark.parametrize(("asked", "said", "billed"), [
    (None, None, "standard"), ("flex", None, "flex"), ("priority", "standard", "standard"),
    ("flex", "FLEX", "flex"), ("priority", "SERVICE_TIER_PRIORITY", "priority"), ("flex", "odd", "flex"),
])
def test_the_reply_tier_wins_when_it_names_one(asked, said, billed):
    reply = Reply("ok", [], extra={"serviceTier": said} if said else {})
    assert answers.reply_tier(Options(service_tier=asked), reply) == billed


def test_grounding_queries_and_their_cost():
    info = registry.lookup(registry.DEFAULT_MODEL)
    assert answers.grounding_queries(None) == 0 and answers.grounding_queries({"queries": True}) == 0
    assert answers.grounding_queries({"queries": 3}) == 3
    assert answers.grounding_cost(info, 0) == 0
    one = answers.grounding_cost(info, 1)
    assert one > 0 and answers.grounding_cost(info, 2) == pytest.approx(2 * one)


def test_a_model_the_registry_does_not_know_is_not_refused_options_the_provider_may_take():
    from toolkit import registry
    from toolkit.answers import check_model_options
    from toolkit.options import Options

    new_model = registry.generic_model("gemini-9-flash-image")
    check_model_options(new_model, Options(thinking_level="medium", grounding=("web", "image"),
                                           service_tier="priority"))  # sent as asked: no OptionError
    with pytest.raises(tk.OptionError, match="not one of"):
        check_model_options(registry.lookup("gemini-3.1-flash-image"), Options(thinking_level="medium"))
