"""The ledger as pandas: one row per call, summaries and plots.

Every call is one row, cached or not, failed or not (``status`` is ``ok``/``blocked``/``no_image``/
``error``, or ``refused`` for a call the budget stopped before sending). ``cost_usd`` is money actually
spent; ``list_cost_usd`` is what the output costs at list price (for cache hits: what the original call
cost, i.e. what the cache saved).

Counts, the meter's figures and summaries are answered in SQL (indexes on session, group, key, ts and the
in-flight rows), so they stay fast at 100,000 rows; ``df`` is the full pandas frame, built in one query.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic_core import from_json

from .records import CALL_COLUMNS, CallRow
from .store import Store

if TYPE_CHECKING:
    from matplotlib.figure import Figure


#: Latency percentiles are over calls that were sent and answered (cache hits, refusals and calls still in
#: flight excluded).
SENT = "NOT cached AND status NOT IN ('refused', 'sent')"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk read (about 20% of ``ledger.df`` at 100,000 rows);
    it is switched back on after, unless it was already off. Nothing read here forms reference cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def decoded(df: pd.DataFrame) -> pd.DataFrame:
    """Rows as read from ``calls`` -> the ledger frame: ``ts`` a UTC timestamp, ``cached`` bool, ``paths`` lists,
    indexed by ``id``."""
    df["ts"] = pd.to_datetime(df["ts"], utc=True, format="ISO8601")
    df["cached"] = df["cached"].astype(bool)
    # pydantic-core parses ~3x faster than json.loads; tolist() iterates a str column ~5x faster than the Series
    df["paths"] = [from_json(p) if p else [] for p in df["paths"].tolist()]
    return df.set_index("id")


#: What identifies a row whatever happens to it later (written when the row is, never updated).
FINGERPRINT = "SELECT ts, session, backend, model, operation, prompt FROM calls WHERE id = ?"


@dataclass(frozen=True)
class Snapshot:
    """A Ledger's decoded frame and what tells its next read what changed: the last row's id and fingerprint
    (:data:`FINGERPRINT`), and the ids still in flight (``sent``) when it was read."""

    frame: pd.DataFrame
    last_id: int
    last_row: tuple[Any, ...] | None
    in_flight: list[int]


@dataclass(frozen=True)
class LedgerStats:
    """What the CostMeter shows of a ledger, counted in SQL (see :meth:`Ledger.stats`)."""

    calls: int
    cached: int
    not_ok: int
    list_usd: float
    saved_usd: float
    spent_usd: float
    last_latency_s: float | None
    last_status: str | None


class Ledger:
    """A view of the calls recorded in a home (optionally only one Studio session's).

    Examples
    --------
    >>> r = studio.generate("a red kite")
    >>> len(studio.ledger), studio.ledger.df["status"].tolist()
    (1, ['ok'])
    >>> studio.ledger.summary()[["calls", "cached", "spent_usd"]].to_dict("records")
    [{'calls': 1, 'cached': 0, 'spent_usd': 0.0}]
    """

    def __init__(self, store: Store, session: str | None = None) -> None:
        self.store = store
        self.session = session
        self._snapshot: Snapshot | None = None

    def for_session(self, session: str) -> Ledger:
        """The same ledger restricted to one Studio session."""
        return Ledger(self.store, session)

    def _where(self, extra: str = "") -> tuple[str, tuple[Any, ...]]:
        clauses = (["session = ?"] if self.session else []) + ([extra] if extra else [])
        return (" WHERE " + " AND ".join(clauses) if clauses else "", (self.session,) if self.session else ())

    def _frame(self, columns: Sequence[str], extra: str = "", params: tuple[Any, ...] = ()) -> pd.DataFrame:
        where, scope = self._where(f"({extra})" if extra else "")
        with gc_paused():  # a 100k-row read makes millions of objects: the cyclic GC would walk them repeatedly
            rows = self.store.query(f"SELECT {', '.join(columns)} FROM calls{where} ORDER BY id", scope + params)
            return pd.DataFrame.from_records(rows, columns=list(columns))

    @property
    def df(self) -> pd.DataFrame:
        """All rows, oldest first, with ``ts`` as a UTC timestamp.

        The first read decodes every row (one query, about a second at 100,000 rows). Later reads on the same
        Ledger fetch only what changed since: rows added after it, and rows that were still in flight
        (``sent``), the only ones ever updated or removed (see :mod:`toolkit.budget`). A database replaced
        under the Ledger is noticed (its last row differs) and read whole again.
        """
        with gc_paused():
            frame = self._current()
            out = frame.copy(deep=False)  # copy-on-write: changes to the copy never reach the kept frame
            out["paths"] = [list(p) for p in frame["paths"].tolist()]
            return out

    def _current(self) -> pd.DataFrame:
        snap = self._snapshot
        if snap is not None:
            last = self.store.query(FINGERPRINT, (snap.last_id,)) if snap.last_id else []
            if snap.last_id and (not last or last[0] != snap.last_row):
                snap = None  # not the database the frame was read from
        columns = ["id", *CALL_COLUMNS]
        if snap is None:
            frame = decoded(self._frame(columns))
        else:
            flight = snap.in_flight
            extra = "id > ?" + (f" OR id IN ({', '.join('?' * len(flight))})" if flight else "")
            new = self._frame(columns, extra, (snap.last_id, *flight))
            if new.empty and not flight:
                return snap.frame
            kept = snap.frame.drop(index=[i for i in flight if i in snap.frame.index])
            frame = pd.concat([kept, decoded(new)]) if len(kept) else decoded(new)
            if flight:
                frame = frame.sort_index()
            loose = [c for c in frame.columns if frame[c].dtype == object and c != "paths"]
            if loose:  # a column all None on one side: infer its type again over the whole column
                frame[loose] = frame[loose].infer_objects()
        last_id = int(frame.index[-1]) if len(frame) else 0
        last_row = self.store.query(FINGERPRINT, (last_id,)) if last_id else []
        self._snapshot = Snapshot(frame, last_id, last_row[0] if last_row else None,
                                  [int(i) for i in frame.index[frame["status"] == "sent"]])
        return frame

    def __len__(self) -> int:
        where, params = self._where()
        return int(self.store.query(f"SELECT COUNT(*) FROM calls{where}", params)[0][0])

    @property
    def spent_usd(self) -> float:
        """Money actually spent (sum of ``cost_usd``)."""
        where, params = self._where()
        return float(self.store.query(f"SELECT COALESCE(SUM(cost_usd), 0) FROM calls{where}", params)[0][0])

    def stats(self) -> LedgerStats:
        """Calls, cache hits, not-ok calls, list price of calls sent, what the cache saved, spend, and the last
        answered call's latency and status: two indexed queries, whatever the ledger's size."""
        where, params = self._where()
        calls, cached, not_ok, list_usd, saved, spent = self.store.query(
            "SELECT COUNT(*), COALESCE(SUM(cached), 0), COALESCE(SUM(status != 'ok'), 0), "
            "COALESCE(SUM(CASE WHEN cached THEN 0 ELSE list_cost_usd END), 0), "
            "COALESCE(SUM(CASE WHEN cached THEN list_cost_usd ELSE 0 END), 0), COALESCE(SUM(cost_usd), 0) "
            f"FROM calls{where}", params)[0]
        where, params = self._where("status NOT IN ('refused', 'sent')")
        last = self.store.query(f"SELECT latency_s, status FROM calls{where} ORDER BY id DESC LIMIT 1", params)
        return LedgerStats(int(calls), int(cached), int(not_ok), float(list_usd), float(saved), float(spent),
                           None if not last else float(last[0][0] or 0.0), None if not last else str(last[0][1]))

    def cost_report(self) -> str:
        """One paragraph for the end of a notebook: calls, cache hits, money spent, list price, latency,
        and whether the images came from the offline simulator.

        >>> r = studio.generate("a lighthouse")
        >>> print(studio.session_ledger.cost_report())  # doctest: +ELLIPSIS
        1 calls (0 from the cache, 0 without an image): spent $0.0000, list price of the outputs $0.0...
        """
        stats = self.stats()
        if not stats.calls:
            return "No calls yet."
        where, params = self._where()
        total_latency, backends = self.store.query(
            f"SELECT COALESCE(SUM(latency_s), 0), GROUP_CONCAT(DISTINCT backend) FROM calls{where}", params)[0]
        sent = self._frame(["latency_s"], SENT)["latency_s"]
        p50 = f"median {sent.median():.3f} s per call sent" if len(sent) else "every call was a cache hit"
        text = (f"{stats.calls} calls ({stats.cached} from the cache, {stats.not_ok} without an image): "
                f"spent ${stats.spent_usd:.4f}, list price of the outputs ${stats.list_usd + stats.saved_usd:.4f}; "
                f"{total_latency:.1f} s of calls, {p50}.")
        kinds = set((backends or "").split(",")) - {""}
        if kinds == {"offline"}:
            text += " Every image came from the offline simulator, not a Google model."
        elif "offline" in kinds:
            text += " Some images came from the offline simulator (backend 'offline' in the ledger)."
        return text

    def summary(self, by: str | Sequence[str] = ("backend", "model", "operation")) -> pd.DataFrame:
        """Calls, cache hits, images, errors, spend, list cost and latency per group.

        Counts and sums are one ``GROUP BY``. ``p50_s``/``p95_s`` are over calls that were sent and answered
        (cache hits, budget refusals and calls in flight excluded), so they are empty for a group whose every
        call came from the cache; ``cached_p50_s`` is the median of its cache hits, which take milliseconds.
        """
        by = [by] if isinstance(by, str) else list(by)
        unknown = set(by) - set(CALL_COLUMNS)
        if unknown:
            raise KeyError(f"summary(by=...): {sorted(unknown)} are not ledger columns; columns are "
                           f"{', '.join(CALL_COLUMNS)}.")
        cols = ["calls", "cached", "images", "not_ok", "spent_usd", "list_usd"]
        keys = ", ".join(by)
        where, params = self._where()
        rows = self.store.query(
            f"SELECT {keys}, COUNT(*), COALESCE(SUM(cached), 0), COALESCE(SUM(n_images), 0), "
            f"COALESCE(SUM(status != 'ok'), 0), ROUND(COALESCE(SUM(cost_usd), 0), 4), "
            f"ROUND(COALESCE(SUM(list_cost_usd), 0), 4), COALESCE(SUM({SENT}), 0) "
            f"FROM calls{where} GROUP BY {keys} ORDER BY {keys}", params)
        keys_as = [f"by:{c}" for c in by]  # a group key may share a name with a count ("cached")
        frame = pd.DataFrame.from_records(rows, columns=[*keys_as, *cols, "sent"])
        for key, name in zip(keys_as, by, strict=True):
            if name in CallRow.BOOL:
                frame[key] = frame[key].astype(bool)
        out = frame.set_index(keys_as).rename_axis(by)
        sent = out.pop("sent").to_numpy(dtype=np.int64)
        # the latencies alone, in the GROUP BY's order (the calls_summary index gives it without a sort), cut
        # into groups by their counts: no group key is read back per row
        p50, p95 = self._group_quantiles(keys, SENT, sent, (0.5, 0.95), 3)
        (hits_p50,) = self._group_quantiles(keys, "cached", out["cached"].to_numpy(dtype=np.int64), (0.5,), 4)
        out["p50_s"], out["p95_s"], out["cached_p50_s"] = p50, p95, hits_p50
        return out

    def _group_quantiles(self, keys: str, condition: str, counts: np.ndarray, qs: tuple[float, ...],
                         digits: int) -> list[np.ndarray]:
        """Per group (in ``ORDER BY keys`` order, ``counts`` rows each), the ``qs`` quantiles of ``latency_s``
        over the rows matching ``condition`` (linear interpolation, as pandas; NaN for an empty group)."""
        where, params = self._where(condition)
        flat = np.array([r[0] for r in self.store.query(
            f"SELECT COALESCE(latency_s, 0) FROM calls{where} ORDER BY {keys}", params)], dtype=float)
        out = [np.full(len(counts), np.nan) for _ in qs]
        ends = np.cumsum(counts)
        for i, (end, n) in enumerate(zip(ends, counts, strict=True)):
            if n:
                for q, values in zip(np.quantile(flat[end - n:end], qs), out, strict=True):
                    values[i] = q
        return [np.round(values, digits) for values in out]

    def plot(self) -> Figure:
        """Two panels: cumulative spend (and list cost) over time, and latency by model."""
        import matplotlib.dates as mdates
        import matplotlib.pyplot as plt

        df = self._frame(["ts", "cost_usd", "list_cost_usd", "model", "latency_s", "cached", "status"])
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
        if df.empty:
            for ax in (ax1, ax2):
                ax.text(0.5, 0.5, "no calls yet", ha="center", va="center", transform=ax.transAxes)
            return fig
        ts = pd.to_datetime(df["ts"], utc=True, format="ISO8601")
        ax1.step(ts, df["cost_usd"].cumsum(), where="post", label="spent")
        ax1.step(ts, df["list_cost_usd"].cumsum(), where="post", linestyle="--", label="at list price")
        ax1.set_title("Cumulative cost (USD)")
        ax1.set_ylabel("USD")
        ax1.set_xlabel("time of the call (UTC)")
        ax1.legend()
        locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
        ax1.xaxis.set_major_locator(locator)
        ax1.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        sent = df[~df["cached"].astype(bool) & ~df["status"].isin(["refused", "sent"])]
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
