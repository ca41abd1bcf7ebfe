"""The ledger as pandas: one row per call, summaries and plots.

Every call is one row, cached or not, failed or not (``status`` is ``ok``/``blocked``/``no_image``/
``error``, or ``refused`` for a call the budget stopped before sending). ``cost_usd`` is money actually
spent; ``list_cost_usd`` is what the output costs at list price (for cache hits: what the original call
cost, i.e. what the cache saved).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from .records import CALL_COLUMNS
from .store import Store

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class Ledger:
    """A view of the calls recorded in a home (optionally only one Studio session's).

    Examples
    --------
    >>> studio.ledger.df.tail()                        # doctest: +SKIP
    >>> studio.ledger.summary()                        # doctest: +SKIP
    >>> studio.ledger.for_session(studio.session).df   # doctest: +SKIP
    """

    def __init__(self, store: Store, session: str | None = None) -> None:
        self.store = store
        self.session = session

    def for_session(self, session: str) -> Ledger:
        """The same ledger restricted to one Studio session."""
        return Ledger(self.store, session)

    @property
    def df(self) -> pd.DataFrame:
        """All rows, oldest first, with ``ts`` as a UTC timestamp."""
        rows = self.store.calls(self.session)
        df = pd.DataFrame(rows, columns=["id", *CALL_COLUMNS])
        df["ts"] = pd.to_datetime(df["ts"], utc=True, format="ISO8601")
        df["cached"] = df["cached"].astype(bool)
        return df.set_index("id")

    def __len__(self) -> int:
        return len(self.store.calls(self.session))

    @property
    def spent_usd(self) -> float:
        """Money actually spent (sum of ``cost_usd``)."""
        return float(self.df["cost_usd"].sum())

    def cost_report(self) -> str:
        """One paragraph for the end of a notebook: calls, cache hits, money spent, list price, latency,
        and whether the images came from the offline simulator.

        >>> print(studio.session_ledger.cost_report())   # doctest: +SKIP
        12 calls (3 from the cache, 1 without an image): spent $0.0000, list price of the outputs $0.8064;
        4.2 s of calls, median 0.051 s per call sent. Every image came from the offline simulator, not a Google model.
        """
        df = self.df
        if df.empty:
            return "No calls yet."
        sent = df[~df["cached"] & (df["status"] != "refused")]
        not_ok = int((df["status"] != "ok").sum())
        p50 = f"median {sent['latency_s'].median():.3f} s per call sent" if len(sent) else "every call was a cache hit"
        text = (f"{len(df)} calls ({int(df['cached'].sum())} from the cache, {not_ok} without an image): "
                f"spent ${df['cost_usd'].sum():.4f}, list price of the outputs ${df['list_cost_usd'].sum():.4f}; "
                f"{df['latency_s'].sum():.1f} s of calls, {p50}.")
        backends = set(df["backend"].dropna())
        if backends == {"offline"}:
            text += " Every image came from the offline simulator, not a Google model."
        elif "offline" in backends:
            text += " Some images came from the offline simulator (backend 'offline' in the ledger)."
        return text

    def summary(self, by: str | Sequence[str] = ("backend", "model", "operation")) -> pd.DataFrame:
        """Calls, cache hits, images, errors, spend, list cost and p50/p95 latency per group.

        Latency percentiles are over calls that were sent (cache hits and budget refusals excluded).
        """
        by = [by] if isinstance(by, str) else list(by)
        df = self.df
        if df.empty:
            return pd.DataFrame(columns=[*by, "calls", "cached", "images", "not_ok", "spent_usd",
                                         "list_usd", "p50_s", "p95_s"]).set_index(by)
        sent = df[~df["cached"] & (df["status"] != "refused")]
        grouped = df.groupby(by, dropna=False)
        out = pd.DataFrame({
            "calls": grouped.size(),
            "cached": grouped["cached"].sum().astype(int),
            "images": grouped["n_images"].sum().astype(int),
            "not_ok": grouped["status"].apply(lambda s: int((s != "ok").sum())),
            "spent_usd": grouped["cost_usd"].sum().round(4),
            "list_usd": grouped["list_cost_usd"].sum().round(4),
        })
        lat = sent.groupby(by, dropna=False)["latency_s"]
        out["p50_s"] = lat.quantile(0.5).round(3)
        out["p95_s"] = lat.quantile(0.95).round(3)
        return out

    def plot(self) -> Figure:
        """Two panels: cumulative spend (and list cost) over time, and latency by model."""
        import matplotlib.pyplot as plt

        df = self.df
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
        if df.empty:
            for ax in (ax1, ax2):
                ax.text(0.5, 0.5, "no calls yet", ha="center", va="center", transform=ax.transAxes)
            return fig
        d = df.sort_values("ts")
        ax1.step(d["ts"], d["cost_usd"].cumsum(), where="post", label="spent")
        ax1.step(d["ts"], d["list_cost_usd"].cumsum(), where="post", linestyle="--", label="at list price")
        ax1.set_title("Cumulative cost (USD)")
        ax1.set_ylabel("USD")
        ax1.legend()
        import matplotlib.dates as mdates

        locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
        ax1.xaxis.set_major_locator(locator)
        ax1.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        sent = df[~df["cached"] & (df["status"] != "refused")]
        models = sorted(sent["model"].dropna().unique())
        if models:
            ax2.boxplot([sent.loc[sent["model"] == m, "latency_s"] for m in models], orientation="horizontal")
            ax2.set_yticks(range(1, len(models) + 1), models)
        ax2.set_title("Latency by model (calls sent)")
        ax2.set_xlabel("seconds")
        return fig

    def __repr__(self) -> str:
        scope = f"session {self.session}" if self.session else "all sessions"
        return f"Ledger({str(self.store.db_path)!r}, {scope}, {len(self)} rows)"
