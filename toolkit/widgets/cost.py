"""CostMeter: live spend against the budget, embeddable in every app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from . import logic

if TYPE_CHECKING:
    from ..studio import Studio


class CostMeter(widgets.VBox):
    """Spend against the budget (a progress bar when a budget is set), list-price total, calls, last latency.

    Reads the Studio's in-memory spend and its session ledger, so it counts every call of the Studio,
    whichever app or cell made it. Each app owns one and refreshes it after every call; call
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
    stats : toolkit.widgets.logic.MeterStats
        The numbers last shown.

    Examples
    --------
    >>> meter = CostMeter(studio)      # doctest: +SKIP
    >>> studio.generate("a cat"); meter.refresh()   # doctest: +SKIP
    >>> meter                          # doctest: +SKIP
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

    def refresh(self) -> logic.MeterStats:
        """Re-read spend, budget and the session ledger, and redraw. Returns the numbers shown."""
        s = self.studio
        stats = logic.meter_stats(s.session_ledger.df, spent_usd=s.spent_usd, budget_usd=s.budget_usd,
                                  backend=s.backend.kind)
        self.badge.value = logic.backend_badge_html(s.backend.kind, s.backend.description)
        self.text.value = logic.meter_html(stats)
        fraction = stats.fraction
        if fraction is None:
            self.bar.layout.display = "none"
        else:
            self.bar.layout.display = None
            self.bar.value = fraction
            self.bar.bar_style = "success" if fraction < 0.7 else "warning" if fraction < 0.9 else "danger"
        self.stats = stats
        return stats
