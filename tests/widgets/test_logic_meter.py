"""The cost meter: stats from a ledger, its HTML, the backend badge (toolkit/widgets/logic/meter.py)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from toolkit.widgets.logic import meter


def _ledger(rows):
    return pd.DataFrame(rows, columns=["status", "cached", "list_cost_usd", "latency_s"])


def test_meter_stats_counts_calls_cache_and_latency():
    df = _ledger([("ok", False, 0.067, 0.5), ("ok", True, 0.067, 0.01), ("blocked", False, 0.0, 0.2),
                  ("refused", False, 0.0, 0.0)])
    s = meter.meter_stats(df, spent_usd=0.067, budget_usd=0.1, backend="gemini")
    assert (s.calls, s.cached, s.not_ok) == (4, 1, 2)
    assert s.list_usd == pytest.approx(0.067) and s.saved_usd == pytest.approx(0.067)
    assert (s.last_latency_s, s.last_status) == (0.2, "blocked")  # refusals have no latency
    assert s.fraction == pytest.approx(0.67)
    empty = meter.meter_stats(_ledger([]), spent_usd=0.0, budget_usd=None, backend="offline")
    assert (empty.calls, empty.last_latency_s, empty.fraction) == (0, None, None)
    assert meter.MeterStats("gemini", 0.0, 0.0, 0, 0, 0, 0, 0, None, None).fraction == 1.0
    assert meter.MeterStats("gemini", 5.0, 1.0, 0, 0, 0, 0, 0, None, None).fraction == 1.0


def test_meter_html_reads_well():
    s = meter.MeterStats("gemini", 0.134, 1.0, 3, 1, 1, 0.134, 0.067, 0.42, "ok")
    text = re.sub("<[^>]+>", "", meter.meter_html(s))
    assert "Spent $0.1340 of $1.00 budget (13%; $0.8660 left)" in text
    assert "list price $0.1340" in text and "3 calls this session (1 cached, saved $0.0670, 1 not ok)" in text
    assert "last call 0.42 s (ok)" in text
    tiny = re.sub("<[^>]+>", "", meter.meter_html(meter.MeterStats("gemini", 0, 0.0001, 0, 0, 0, 0, 0, None, None)))
    assert "of $0.0001 budget" in tiny and "last call —" in tiny
    none = re.sub("<[^>]+>", "", meter.meter_html(meter.MeterStats("offline", 0, None, 1, 0, 0, 0.04, 0, 0.1, "ok")))
    assert "(no budget cap)" in none and "1 call this session" in none


def test_backend_badge():
    assert "OFFLINE SIMULATOR" in meter.backend_badge_html("offline", "offline simulator")
    assert "GEMINI" in meter.backend_badge_html("gemini", "Gemini API at http://x") and "real money" in \
        meter.backend_badge_html("gemini", "x")
