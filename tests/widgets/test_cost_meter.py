"""CostMeter: spend against the budget, calls, list price, last latency; the offline badge."""

from __future__ import annotations

import toolkit as tk
from toolkit.widgets import CostMeter


def test_fresh_meter_offline(studio, text):
    meter = CostMeter(studio)
    assert "OFFLINE SIMULATOR" in text(meter.badge)
    assert meter.bar.layout.display == "none"  # no budget
    assert "Spent $0.0000 (no budget cap)" in text(meter.text) and "0 calls this session" in text(meter.text)
    assert "last call —" in text(meter.text)


def test_refresh_counts_calls_made_anywhere(studio, text):
    meter = CostMeter(studio)
    studio.generate("a red car", image_size="512")
    studio.generate("a red car", image_size="512")  # cache hit
    stats = meter.refresh()
    assert (stats.calls, stats.cached) == (2, 1)
    t = text(meter.text)
    assert "2 calls this session (1 cached, saved $0.0449)" in t and "list price $0.0449" in t
    assert "last call " in t and " s (ok)" in t


def test_budget_bar_offline_spends_nothing(home, text):
    studio = tk.Studio(backend="offline", home=home, budget_usd=1.0)
    meter = CostMeter(studio)
    studio.generate("a red car", image_size="512")
    meter.refresh()
    assert meter.bar.layout.display is None and meter.bar.value == 0.0 and meter.bar.bar_style == "success"
    assert "Spent $0.0000 of $1.00 budget (0%; $1.0000 left)" in text(meter.text)


def test_budget_bar_fills_with_real_spend(gemini, text):
    gemini.budget_usd = 0.05
    meter = CostMeter(gemini)
    gemini.generate("a red car", image_size="512")
    stats = meter.refresh()
    assert stats.spent_usd > 0.04 and meter.bar.value > 0.8 and meter.bar.bar_style == "danger"
    assert "GEMINI" in text(meter.badge) and "real money" in text(meter.badge)
    assert f"Spent ${gemini.spent_usd:.4f} of $0.05 budget" in text(meter.text)
