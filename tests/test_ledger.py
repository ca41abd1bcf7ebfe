import matplotlib

matplotlib.use("Agg")

import pandas as pd

import toolkit as tk


def test_one_row_per_call_with_documented_columns(studio):
    studio.generate("a snowy cabin", n=2)
    studio.generate("a snowy cabin")
    studio.generate("x [sim:blocked]")
    df = studio.ledger.df
    required = ["ts", "backend", "model", "operation", "prompt", "n_inputs", "n_images", "status", "reason",
                "input_tokens", "output_tokens", "output_image_tokens", "cost_usd", "list_cost_usd", "latency_s",
                "cached", "key", "response_id", "paths", "error"]
    assert set(required) <= set(df.columns)
    assert len(df) == 4
    assert df["cached"].tolist() == [False, False, True, False]
    assert str(df["ts"].dtype).startswith("datetime64")


def test_summary_groups_and_percentiles(studio):
    for i in range(3):
        studio.generate(f"a boat {i}")
    studio.generate("a boat 0")
    studio.generate("x [sim:no_image]")
    s = studio.ledger.summary()
    row = s.loc[("offline", tk.DEFAULT_MODEL, "generate")]
    assert row["calls"] == 5 and row["cached"] == 1 and row["images"] == 4 and row["not_ok"] == 1
    assert row["spent_usd"] == 0 and row["list_usd"] > 0
    assert row["p95_s"] >= row["p50_s"] > 0
    by_status = studio.ledger.summary(by="status")
    assert set(by_status.index) == {"ok", "no_image"}


def test_empty_ledger_summary_and_plot(home):
    ledger = tk.Ledger(tk.Store(home))
    assert ledger.summary().empty
    assert ledger.plot() is not None


def test_plot_has_two_panels(studio):
    studio.generate("a tulip")
    fig = studio.ledger.plot()
    assert len(fig.axes) == 2 and fig.axes[0].get_title().startswith("Cumulative")


def test_cost_report(studio):
    assert studio.session_ledger.cost_report() == "No calls yet."
    studio.generate("a heron")
    studio.generate("a heron")
    studio.generate("x [sim:no_image]")
    text = studio.session_ledger.cost_report()
    assert text.startswith("3 calls (1 from the cache, 1 without an image): spent $0.0000")
    assert "offline simulator" in text and "median" in text


def test_summary_shows_cached_latency_where_every_call_was_cached(studio):
    studio.generate("a cached kite", image_size="512")
    studio.generate("a cached kite", image_size="512")
    only_hits = tk.Ledger(studio.store, None)
    table = only_hits.summary(by="cached")
    assert table.loc[True, "calls"] == 1 and table.loc[True, "cached_p50_s"] >= 0
    assert pd.isna(table.loc[True, "p50_s"])  # nothing was sent in that group: no send latency, by design
    fig = studio.ledger.plot()
    assert fig.axes[0].get_xlabel() == "time of the call (UTC)"
