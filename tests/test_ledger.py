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


def _cold(ledger: tk.Ledger) -> pd.DataFrame:
    return tk.Ledger(ledger.store, ledger.session).df


def test_a_later_read_fetches_only_what_changed_and_equals_a_fresh_read(home):
    """df keeps what it read; the next read adds new rows and re-reads rows that were in flight (the only rows
    ever updated or removed). Whatever happened between, it equals a Ledger's first read."""
    from toolkit.budget import Budget
    from toolkit.records import CallRow

    store = tk.Store(home)
    _random_rows(store, 300, seed=5)
    budget = Budget(store)
    ledger, session = tk.Ledger(store), tk.Ledger(store, "a")
    before = {}
    for view in (ledger, session):
        pd.testing.assert_frame_equal(view.df, _cold(view))
        before[view] = (view.df["status"] == "sent").sum()

    def row(i: int) -> CallRow:
        return CallRow(ts=f"2026-02-01T00:00:{i:02d}.000+00:00", session="a", backend="gemini", model="m1",
                       operation="generate", status="sent", prompt=f"in flight {i}")

    ids = budget.open([row(i) for i in range(4)], [0.05] * 4)
    for view in (ledger, session):
        assert (view.df["status"] == "sent").sum() == before[view] + 4
    from dataclasses import replace

    with store.transaction() as conn:
        budget.close(conn, ids[0], replace(row(0), status="ok", cost_usd=0.039, list_cost_usd=0.039, latency_s=1.5,
                                           n_images=1, paths=["images/ab/x.png"]))
    budget.withdraw(ids[1])
    budget.interrupt(ids[2], "interrupted while in flight")
    _random_rows(store, 20, seed=6)
    for view in (ledger, session):
        df = view.df
        pd.testing.assert_frame_equal(df, _cold(view))
        assert ids[1] not in df.index and df.loc[ids[0], "status"] == "ok"
        assert df.loc[ids[0], "paths"] == ["images/ab/x.png"] and df.loc[ids[2], "status"] == "interrupted"
        assert df.loc[ids[3], "status"] == "sent"


def test_changing_the_returned_frame_changes_nothing_kept(home):
    store = tk.Store(home)
    _random_rows(store, 50, seed=8)
    ledger = tk.Ledger(store)
    df = ledger.df
    df.loc[df.index[0], "model"] = "edited"
    df["cost_usd"] = 99.0
    df["paths"].iloc[0].append("not/a/real/path.png")
    pd.testing.assert_frame_equal(ledger.df, _cold(ledger))


def test_a_database_replaced_under_the_ledger_is_read_again(home):
    store = tk.Store(home)
    _random_rows(store, 30, seed=9)
    ledger = tk.Ledger(store)
    assert len(ledger.df) == 30
    with store.transaction() as conn:
        conn.execute("DELETE FROM calls")
        conn.execute("DELETE FROM sqlite_sequence WHERE name = 'calls'")
    _random_rows(store, 40, seed=10)  # ids 1..40 again, other rows
    pd.testing.assert_frame_equal(ledger.df, _cold(ledger))


def test_a_paid_calls_paths_read_back_as_a_list_of_paths(gemini):
    """A paid call's row is written ahead and completed (Budget.close): its paths were once JSON-encoded twice
    and read back as one string (``list(df.paths[0])`` gave its characters)."""
    r = gemini.generate("a red bicycle", image_size="512")
    df = gemini.ledger.df
    assert df["paths"].tolist() == [[str(o.path) for o in r.outputs]]
    (raw,) = gemini.store.query("SELECT paths FROM calls")
    assert raw[0].startswith('["')


def test_migration_9_repairs_paths_encoded_twice(home):
    import json

    store = tk.Store(home)
    _random_rows(store, 3, seed=1)
    with store.transaction() as conn:
        conn.execute("UPDATE calls SET paths = ? WHERE id = 1", (json.dumps(json.dumps(["images/ab/c.png"])),))
        conn.execute("PRAGMA user_version = 8")
    store.close()
    store = tk.Store(home)
    assert tk.Ledger(store).df.loc[1, "paths"] == ["images/ab/c.png"]
    assert tk.Ledger(store).df.loc[2, "paths"] == []
