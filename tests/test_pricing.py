import pytest

from toolkit import pricing, registry


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
              ("gemini-3.1-flash-lite-image", "1K"): 0.0336}
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
