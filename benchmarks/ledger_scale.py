"""The ledger at 100,000 rows: len, the CostMeter's refresh, summary(), ledger.df and plot(), against targets.

A home is filled with ``--rows`` realistic call rows (several models, backends, sessions; 20% cache hits,
a few errors and refusals), one session holding ``--session-rows`` of them (the CostMeter's Studio). Each
operation is timed as the median of a few repeats, in this one run, and printed beside its target:

    len(ledger)            <= 5 ms
    CostMeter.refresh()    <= 20 ms   (a 20k-row session on a 100k-row home)
    ledger.summary()       <= 300 ms
    ledger.df              <= 1 s     (a Ledger's first read, beside its floor: pandas' read_sql_query of
                                      the same rows, undecoded; then its next read, with and without 100
                                      new rows since: only what changed is fetched)
    ledger.plot()          (no target; printed)

Run: ``python benchmarks/ledger_scale.py [--rows 100000 --session-rows 20000]``
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")

import toolkit as tk
from toolkit.records import CallRow, encode


def fill(store: tk.Store, rows: int, session: str, session_rows: int) -> None:
    rng = random.Random(7)
    models = ["gemini-3.1-flash-image", "gemini-3-pro-image", "gemini-2.5-flash-image"]
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    batch: list[dict] = []
    for i in range(rows):
        cached = rng.random() < 0.2
        status = "ok" if rng.random() < 0.95 else rng.choice(["error", "refused", "blocked"])
        row = CallRow(
            ts=(start + dt.timedelta(seconds=i * 7)).isoformat(timespec="milliseconds"),
            session=session if i % max(1, rows // session_rows) == 0 else f"s{i % 97}",
            backend=rng.choice(["gemini", "offline"]), model=rng.choice(models), operation="generate",
            prompt=f"prompt {i}", n_images=1 if status == "ok" else 0, status=status,
            input_tokens=12, output_tokens=1290, output_image_tokens=1290, cost_usd=0.0 if cached else 0.039,
            list_cost_usd=0.039, latency_s=0.001 if cached else rng.uniform(2, 12), cached=cached,
            key=f"{i:064x}", paths=[f"images/ab/{i:064x}.png"] if status == "ok" else [], seat="home",
        )
        batch.append(encode(row))
    cols = list(batch[0])
    with store.transaction() as conn:
        conn.executemany(f"INSERT INTO calls ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                         [list(r.values()) for r in batch])


def add_rows(store: tk.Store, n: int) -> None:
    """``n`` more completed rows, as a running session adds them (not timed: subtracted below)."""
    global added
    t = time.perf_counter()
    rows = [encode(CallRow(ts=dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), session="later",
                           backend="gemini", model="gemini-3.1-flash-image", operation="generate", prompt="later",
                           n_images=1, output_tokens=1290, cost_usd=0.039, list_cost_usd=0.039, latency_s=4.0,
                           paths=["images/ab/later.png"])) for _ in range(n)]
    cols = list(rows[0])
    with store.transaction() as conn:
        conn.executemany(f"INSERT INTO calls ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                         [list(r.values()) for r in rows])
    added += time.perf_counter() - t


added = 0.0


def read_sql(store: tk.Store) -> None:
    """The floor of a first read: pandas' own ``read_sql_query`` of the same rows and columns on a fresh
    connection, with no decoding (``ts`` stays text, ``paths`` JSON text, no index)."""
    import sqlite3

    import pandas as pd

    from toolkit.records import CALL_COLUMNS

    with contextlib.closing(sqlite3.connect(store.db_path)) as conn:
        pd.read_sql_query(f"SELECT id, {', '.join(CALL_COLUMNS)} FROM calls ORDER BY id", conn)


def timed(fn: Callable[[], object], repeats: int = 5) -> float:
    global added
    times = []
    for _ in range(repeats):
        added = 0.0
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t - added)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--session-rows", type=int, default=20_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as home:
        studio = tk.Studio(backend="offline", home=home)
        fill(studio.store, args.rows, studio.session, args.session_rows)
        from toolkit.widgets import CostMeter

        meter = CostMeter(studio)
        ledger = studio.ledger
        import matplotlib.pyplot as plt

        def plot() -> None:
            plt.close(ledger.plot())

        results = [
            ("len(ledger)", timed(lambda: len(ledger), 20), 0.005),
            ("CostMeter.refresh()", timed(meter.refresh, 10), 0.020),
            ("ledger.summary()", timed(ledger.summary, 3), 0.300),
            ("ledger.df, first read", timed(lambda: tk.Ledger(studio.store).df, 3), 1.0),
            ("  floor: read_sql_query", timed(lambda: read_sql(studio.store), 3), None),
            ("ledger.df, next read", timed(lambda: ledger.df, 5), None),
            ("  after 100 new rows", timed(lambda: (add_rows(studio.store, 100), ledger.df), 3), None),
            ("ledger.plot()", timed(plot, 2), None),
        ]
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"{args.rows:,} rows, session of {meter.stats.calls:,}; load average {load:.2f}; {os.cpu_count()} cores")
        for name, seconds, target in results:
            verdict = "" if target is None else (
                f"target <= {target * 1000:.0f} ms: {'met' if seconds <= target else 'NOT met'} "
                f"(ratio {seconds / target:.2f})")
            print(f"  {name:<22} {seconds * 1000:9.2f} ms   {verdict}")


if __name__ == "__main__":
    main()
