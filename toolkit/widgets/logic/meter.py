"""The cost meter's numbers (spend, budget, list price, calls, last latency) and its HTML."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...result import NO_MATH
from ...secrets import scrub

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class MeterStats:
    """What the :class:`~toolkit.widgets.CostMeter` shows (see :func:`meter_stats`)."""

    backend: str
    spent_usd: float
    budget_usd: float | None
    calls: int
    cached: int
    not_ok: int
    list_usd: float
    saved_usd: float
    last_latency_s: float | None
    last_status: str | None

    @property
    def fraction(self) -> float | None:
        """Share of the budget spent, 0..1 (None without a budget; 1.0 for a zero budget)."""
        if self.budget_usd is None:
            return None
        if self.budget_usd <= 0:
            return 1.0
        return min(1.0, self.spent_usd / self.budget_usd)


def meter_stats(df: pd.DataFrame, *, spent_usd: float, budget_usd: float | None, backend: str) -> MeterStats:
    """Summarise a session ledger for the cost meter.

    Parameters
    ----------
    df : pandas.DataFrame
        ``studio.session_ledger.df`` (rows in call order).
    spent_usd, budget_usd : float
        ``studio.spent_usd`` and ``studio.budget_usd``.
    backend : str
        ``studio.backend.kind``.

    Returns
    -------
    MeterStats
        ``list_usd`` is the list price of calls actually sent (cache hits excluded: they cost nothing and
        ``saved_usd`` counts them); ``last_latency_s`` is from the last call that was sent or replayed
        (budget refusals have no latency).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"status": ["ok"], "cached": [False], "list_cost_usd": [0.067], "latency_s": [0.4]})
    >>> meter_stats(df, spent_usd=0.0, budget_usd=None, backend="offline").calls
    1
    """
    if df is None or len(df) == 0:
        return MeterStats(backend, spent_usd, budget_usd, 0, 0, 0, 0.0, 0.0, None, None)
    cached = df["cached"].astype(bool)
    answered = df[df["status"] != "refused"]
    last = answered.iloc[-1] if len(answered) else None
    return MeterStats(
        backend=backend, spent_usd=float(spent_usd), budget_usd=budget_usd, calls=len(df),
        cached=int(cached.sum()), not_ok=int((df["status"] != "ok").sum()),
        list_usd=float(df.loc[~cached, "list_cost_usd"].sum()), saved_usd=float(df.loc[cached, "list_cost_usd"].sum()),
        last_latency_s=None if last is None else float(last["latency_s"]),
        last_status=None if last is None else str(last["status"]),
    )


def meter_html(stats: MeterStats) -> str:
    """The cost meter's text: spend (against the budget), list-price total, calls, last latency.

    Examples
    --------
    >>> s = MeterStats("offline", 0.0, 1.0, 2, 1, 0, 0.067, 0.067, 0.03, "ok")
    >>> "of $1.00 budget" in meter_html(s)
    True
    """
    if stats.budget_usd is None:
        spend = f"<b>Spent ${stats.spent_usd:.4f}</b> (no budget cap)"
    else:
        left = max(0.0, stats.budget_usd - stats.spent_usd)
        spend = (f"<b>Spent ${stats.spent_usd:.4f} of {_dollars(stats.budget_usd)} budget</b> "
                 f"({(stats.fraction or 0):.0%}; ${left:.4f} left)")
    calls = f"{stats.calls} call{'s' if stats.calls != 1 else ''} this session"
    extras = []
    if stats.cached:
        extras.append(f"{stats.cached} cached, saved ${stats.saved_usd:.4f}")
    if stats.not_ok:
        extras.append(f"{stats.not_ok} not ok")
    if extras:
        calls += f" ({', '.join(extras)})"
    last = "—" if stats.last_latency_s is None else f"{stats.last_latency_s:.2f} s ({stats.last_status})"
    return (f'<div class="{NO_MATH}" style="font-size:12px;line-height:1.5">{spend} · list price ${stats.list_usd:.4f} · {calls} · '
            f"last call {html.escape(last)}</div>")


def _dollars(v: float) -> str:
    # Whole cents read best ("$1.00"); a tiny cap ($0.0001) must not print as "$0.00".
    return f"${v:.2f}" if abs(v - round(v, 2)) < 1e-9 else f"${v:.4f}"


def backend_badge_html(backend: str, description: str) -> str:
    """A small badge naming the backend; the offline one says its images come from the simulator.

    Examples
    --------
    >>> "OFFLINE SIMULATOR" in backend_badge_html("offline", "offline simulator")
    True
    """
    if backend == "offline":
        return ('<span title="No API key: images are drawn locally by the toolkit\'s simulator and stamped '
                'OFFLINE SIMULATOR. Nothing is spent; the list price is what the real model would cost." '
                'style="background:#8a5a00;color:white;border-radius:3px;padding:1px 6px;font-size:11px;'
                'font-weight:bold">OFFLINE SIMULATOR</span> <span style="font-size:11px;color:#666">'
                "images are drawn locally, $0 spent; set GEMINI_API_KEY for the real models</span>")
    return (f'<span style="background:#1f5fa8;color:white;border-radius:3px;padding:1px 6px;font-size:11px;'
            f'font-weight:bold">{html.escape(backend.upper())}</span> <span style="font-size:11px;color:#666">'
            f"{html.escape(scrub(description) or '')}: calls cost real money</span>")

