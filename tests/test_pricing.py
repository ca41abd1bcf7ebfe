import pytest

from toolkit import pricing, registry
from toolkit.errors import OptionError


def test_nano_banana_image_costs_0_0387_plus_input():
    info = registry.lookup("gemini-2.5-flash-image")
    only_image = pricing.list_cost(info, {"output_tokens": 1290, "output_image_tokens": 1290})
    assert only_image == pytest.approx(0.0387)
    with_input = pricing.list_cost(info, {"input_tokens": 273, "output_tokens": 1290, "output_image_tokens": 1290})
    assert with_input == pytest.approx(0.0387 + 273 * 0.30 / 1e6)


@pytest.mark.parametrize("model", [m.id for m in registry.MODELS])
def test_genai_prices_agrees_with_registry_table(model):
    info = registry.lookup(model)
    usage = pricing.normalize_usage({"input_tokens": 500, "output_tokens": 1130, "output_image_tokens": 1120,
                                     "thought_tokens": 200})
    assert pricing.list_cost(info, usage) == pytest.approx(pricing._table_cost(info, usage), rel=1e-6)


def test_per_image_prices_match_reference():
    expect = {("gemini-3.1-flash-image", "512"): 0.045, ("gemini-3.1-flash-image", "4K"): 0.151,
              ("gemini-3-pro-image", "1K"): 0.134, ("gemini-3-pro-image", "4K"): 0.24,
              ("gemini-3.1-flash-lite-image", "1K"): 0.0336,
              ("gemini-nano-banana-2.1", "1K"): 0.0336, ("gemini-nano-banana-2.1", "2K"): 0.0504,
              ("gemini-nano-banana-2.1", "4K"): 0.113}
    for (model, size), usd in expect.items():
        info = registry.lookup(model)
        tok = info.output_image_tokens(size)
        cost = pricing.list_cost(info, {"output_tokens": tok, "output_image_tokens": tok})
        assert cost == pytest.approx(usd, abs=0.0006), (model, size)


def test_batch_tier_is_half():
    info = registry.lookup("gemini-3.1-flash-image")
    u = {"input_tokens": 100, "output_tokens": 1120, "output_image_tokens": 1120}
    assert pricing.list_cost(info, u, tier="batch") == pytest.approx(pricing.list_cost(info, u) / 2)


def test_unknown_model_falls_back_to_table():
    info = registry.generic_model("gemini-9-image")
    u = {"output_tokens": 1120, "output_image_tokens": 1120}
    assert pricing._genai_prices_cost("gemini-9-image", pricing.normalize_usage(u)) is None
    assert pricing.list_cost(info, u) == pytest.approx(1120 * 60 / 1e6)


def test_input_image_tokens_rule_for_2_5():
    info = registry.lookup("gemini-2.5-flash-image")
    assert pricing.estimate_input_image_tokens(info, 300, 200) == 258
    assert pricing.estimate_input_image_tokens(info, 1024, 1024) == 258 * 4
    assert pricing.estimate_input_image_tokens(registry.lookup("gemini-3.1-flash-image"), 1024, 1024) == 1120


# -- service tiers (checked 2026-12-07) ---------------------------------------------------------------------------
USAGE = {"input_tokens": 100, "output_tokens": 1130, "output_image_tokens": 1120, "thought_tokens": 250}


@pytest.mark.parametrize("model", ["gemini-3.1-flash-image", "gemini-3-pro-image", "gemini-nano-banana-2.1",
                                   "gemini-3.1-flash-lite-image"])
def test_a_flex_call_costs_half_and_priority_the_documented_premium(model):
    info = registry.lookup(model)
    standard = pricing.list_cost(info, USAGE)
    assert standard > 0
    assert pricing.list_cost(info, USAGE, tier="flex") == pytest.approx(standard / 2)
    priority = pricing.list_cost(info, USAGE, tier="priority")
    assert priority == pytest.approx(standard * 1.8)
    assert 1.75 * standard <= priority <= 2.0 * standard  # Google's published range: 75% to 100% more
    assert pricing.list_cost(info, USAGE, tier="standard") == standard


def test_priority_matches_vertex_per_model_price_for_3_pro_image():
    info = registry.lookup("gemini-3-pro-image")
    only_image = {"output_tokens": 1_000_000, "output_image_tokens": 1_000_000}
    assert pricing.list_cost(info, only_image, tier="priority") == pytest.approx(216.0)  # $216/M vs $120/M


@pytest.mark.parametrize("tier", ["premium", "FLEX", "", None, "interactive"])
def test_an_unknown_tier_is_refused_naming_the_valid_ones(tier):
    with pytest.raises(OptionError, match="standard, flex, priority, batch"):
        pricing.list_cost(registry.lookup("gemini-3.1-flash-image"), USAGE, tier=tier)


def test_every_tier_is_dated_and_sourced_and_flex_is_not_interactions_only():
    assert set(pricing.TIERS) == {"standard", "flex", "priority", "batch"}
    for name, entry in pricing.TIERS.items():
        assert entry["checked"] == "2026-12-07" and "https://" in str(entry["source"]), name
    assert "Interactions API only" not in str(pricing.TIERS["flex"]["source"])
    assert "service_tier" in str(pricing.TIERS["flex"]["source"])
    assert pricing.OVERRIDES["flex"]["factor"] == 0.5


def test_generate_content_config_has_service_tier():
    from google.genai import types

    assert "service_tier" in types.GenerateContentConfig.model_fields


# -- grounding -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["gemini-3-pro-image", "gemini-3.1-flash-image", "gemini-nano-banana-2.1"])
def test_grounding_costs_14_dollars_per_thousand_queries_on_gemini_3(model):
    info = registry.lookup(model)
    assert pricing.grounding_cost(info, 0) == 0.0
    assert pricing.grounding_cost(info, 1) == pytest.approx(0.014)
    assert pricing.grounding_cost(info, 1000) == pytest.approx(14.0)


def test_grounding_is_added_to_the_call_and_not_discounted_by_the_tier():
    info = registry.lookup("gemini-3.1-flash-image")
    plain = pricing.list_cost(info, USAGE)
    assert pricing.list_cost(info, USAGE, grounding_queries=3) == pytest.approx(plain + 0.042)
    assert pricing.list_cost(info, USAGE, tier="flex", grounding_queries=3) == pytest.approx(plain / 2 + 0.042)


def test_grounding_on_2_5_is_per_prompt_and_the_price_is_sourced():
    info = registry.lookup("gemini-2.5-flash-image")
    assert pricing.grounding_cost(info, 4) == pytest.approx(0.035)  # any number of queries: one grounded prompt
    for entry in pricing.GROUNDING.values():
        assert entry["checked"] == "2026-12-07" and str(entry["source"]).startswith("https://ai.google.dev/")
    assert pricing.GROUNDING["gemini-3"]["free_per_month"] == 5000


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_grounding_queries_must_be_a_count(bad):
    with pytest.raises(ValueError, match="whole number of search queries"):
        pricing.grounding_cost(registry.lookup("gemini-3-pro-image"), bad)


def test_nano_banana_2_1_prices_come_from_genai_prices():
    info = registry.lookup("gemini-nano-banana-2.1")
    assert pricing.price_source(info) == "genai-prices"
    u = pricing.normalize_usage({"input_tokens": 500, "output_tokens": 3767, "output_image_tokens": 3767})
    assert pricing._genai_prices_cost(info.id, u) == pytest.approx(pricing._table_cost(info, u), rel=1e-9)


def test_tier_table_prices_every_model_size_and_tier():
    df = pricing.tier_table()
    row = df[(df["model"] == "gemini-nano-banana-2.1") & (df["size"] == "4K")].iloc[0]
    assert row["standard"] == pytest.approx(0.113, abs=5e-4)
    assert row["flex"] == pytest.approx(row["standard"] / 2) and row["batch"] == pytest.approx(row["standard"] / 2)
    assert row["priority"] == pytest.approx(row["standard"] * 1.8)
    assert row["grounding_per_1000_queries"] == pytest.approx(14.0)
    nb = df[df["model"] == "gemini-2.5-flash-image"].iloc[0]
    assert nb["flex"] is None or nb["flex"] != nb["flex"]  # not offered for 2.5
    assert set(df["model"]) == {m.id for m in registry.MODELS if not m.id.endswith("-preview")}


def test_readme_tier_table_is_generated():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    start, end = "<!-- tier-table:start -->\n", "\n<!-- tier-table:end -->"
    assert text[text.index(start) + len(start):text.index(end)] == pricing.readme_tier_table()
