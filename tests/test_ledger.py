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


def _random_rows(store: tk.Store, n: int, seed: int) -> None:
    import random

    from toolkit.records import CallRow, encode

    rng = random.Random(seed)
    rows = [encode(CallRow(
        ts=f"2026-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}.000+00:00", session=rng.choice(["a", "b"]),
        backend=rng.choice(["gemini", "offline", None]), model=rng.choice(["m1", "m2", "m3"]),
        operation=rng.choice(["generate", "edit"]), status=rng.choice(["ok", "ok", "error", "refused", "sent"]),
        cached=rng.random() < 0.3, latency_s=round(rng.uniform(0, 9), 3), cost_usd=rng.choice([0.0, 0.039]),
        list_cost_usd=0.039, n_images=rng.choice([0, 1, 2]))) for i in range(n)]
    cols = list(rows[0])
    with store.transaction() as conn:
        conn.executemany(f"INSERT INTO calls ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                         [list(r.values()) for r in rows])


def test_summary_in_sql_equals_the_same_summary_in_pandas(home):
    """Every figure of summary() (a GROUP BY, and the latencies cut into groups by their counts) equals the
    figure pandas computes from ledger.df, for several groupings, NULL group keys and empty latency groups."""
    store = tk.Store(home)
    _random_rows(store, 600, seed=3)
    for ledger in (tk.Ledger(store), tk.Ledger(store, "a")):
        df = ledger.df
        for by in (["backend", "model", "operation"], ["status"], ["model", "cached"], ["cached"]):
            got = ledger.summary(by=by)
            groups = df.groupby(by, dropna=False)
            assert len(got) == groups.ngroups
            for key, group in groups:
                key = key if len(by) > 1 else key[0]
                row = got.loc[key]
                assert row["calls"] == len(group) and row["cached"] == group["cached"].sum()
                assert row["images"] == group["n_images"].sum()
                assert row["not_ok"] == (group["status"] != "ok").sum()
                assert row["spent_usd"] == round(group["cost_usd"].sum(), 4)
                sent = group.loc[~group["cached"] & ~group["status"].isin(["refused", "sent"]), "latency_s"]
                hits = group.loc[group["cached"], "latency_s"]
                for col, series, q, digits in (("p50_s", sent, 0.5, 3), ("p95_s", sent, 0.95, 3),
                                               ("cached_p50_s", hits, 0.5, 4)):
                    want = series.quantile(q)  # NaN for an empty group
                    assert (pd.isna(row[col]) and pd.isna(want)) or row[col] == round(want, digits), (by, key, col)
