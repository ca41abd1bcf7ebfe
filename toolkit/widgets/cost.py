"""CostMeter: live spend against the budget, embeddable in every app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .logic.meter import MeterStats, backend_badge_html, meter_html

if TYPE_CHECKING:
    from ..studio import Studio


class CostMeter(widgets.VBox):
    """Spend against the budget (a progress bar when a budget is set), list-price total, calls, last latency.

    Reads the home's :class:`~toolkit.budget.Budget` (what every Studio, kernel and process on the home, or
    the seat, has spent against the cap) and the Studio's session ledger (its calls, whichever app or cell
    made them). Each app owns one and refreshes it after every call; call
    :meth:`refresh` yourself after calls made in cells.

    Parameters
    ----------
    studio : toolkit.Studio

    Attributes
    ----------
    badge : ipywidgets.HTML
        The backend; ``OFFLINE SIMULATOR`` when images are drawn locally.
    bar : ipywidgets.FloatProgress
        Share of the budget spent (hidden without a budget).
    text : ipywidgets.HTML
        Spent (of budget), list price, calls this session, last call latency.
    stats : toolkit.widgets.logic.meter.MeterStats
        The numbers last shown.

    Examples
    --------
    >>> meter = CostMeter(studio)      # in a notebook, end a cell with ``meter`` to show it
    >>> meter.stats.calls, meter.stats.budget_usd
    (0, None)
    >>> r = studio.generate("a cat")
    >>> stats = meter.refresh()
    >>> stats.calls, stats.last_status, stats.spent_usd
    (1, 'ok', 0.0)
    >>> "OFFLINE SIMULATOR" in meter.badge.value, meter.bar.layout.display
    (True, 'none')
    """

    def __init__(self, studio: Studio, **kwargs: Any) -> None:
        self.studio = studio
        self.badge = widgets.HTML()
        self.bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description="Budget",
                                         layout=widgets.Layout(width="340px"))
        self.text = widgets.HTML()
        kwargs.setdefault("layout", widgets.Layout(border="1px solid #e3e3e3", padding="2px 6px", margin="2px 0"))
        super().__init__([self.badge, self.bar, self.text], **kwargs)
        self.stats = self.refresh()

    def refresh(self) -> MeterStats:
        """Re-read spend, budget and the session ledger, and redraw. Returns the numbers shown."""
        s = self.studio
        budget = s.budget.state()  # the home's (or seat's) Budget, shared by every Studio and process on it
        seen = s.session_ledger.stats()  # counted in SQL: a refresh costs the same at 10 or 100,000 rows
        stats = MeterStats(backend=s.backend.kind, spent_usd=budget.spent, budget_usd=budget.cap, calls=seen.calls,
                           cached=seen.cached, not_ok=seen.not_ok, list_usd=seen.list_usd, saved_usd=seen.saved_usd,
                           last_latency_s=seen.last_latency_s, last_status=seen.last_status)
        self.badge.value = backend_badge_html(s.backend.kind, s.backend.description)
        self.text.value = meter_html(stats)
        fraction = stats.fraction
        if fraction is None:
            self.bar.layout.display = "none"
        else:
            self.bar.layout.display = None
            self.bar.value = fraction
            self.bar.bar_style = "success" if fraction < 0.7 else "warning" if fraction < 0.9 else "danger"
        self.stats = stats
        return stats
