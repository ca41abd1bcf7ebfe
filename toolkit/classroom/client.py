"""``tk.Classroom``: the instructor's view of a running gateway from a notebook.

>>> room = tk.Classroom("http://127.0.0.1:8765", instructor_token)   # doctest: +SKIP
>>> room.ledger.groupby("seat").cost_usd.sum()                         # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from ..errors import ConfigError, ProviderError
from ..secrets import Secret

if TYPE_CHECKING:
    import pandas as pd


class Classroom:
    """A classroom gateway, seen with the instructor token: the ledger, the seats, and the controls.

    Parameters
    ----------
    url : str
        The gateway's URL (what ``flash-image classroom serve`` printed).
    instructor_token : str
        The token ``classroom init`` printed once. Never shown in a repr.
    """

    def __init__(self, url: str, instructor_token: str, *, timeout_s: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"url={url!r}: pass the gateway's URL, like 'http://127.0.0.1:8765'.")
        if not instructor_token:
            raise ConfigError("instructor_token is empty: pass the token `flash-image classroom init` printed.")
        self.url = url.rstrip("/")
        self._token = Secret(instructor_token)
        self._timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"Classroom(url={self.url!r}, instructor_token=<redacted>)"

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              params: dict[str, Any] | None = None) -> Any:
        try:
            r = httpx.request(method, f"{self.url}/classroom/api/{path}", json=body, params=params,
                              headers={"Authorization": f"Bearer {self._token.reveal()}"}, timeout=self._timeout_s)
        except httpx.HTTPError as e:
            raise ProviderError("classroom", None, type(e).__name__, f"the gateway at {self.url} could not be "
                                f"reached: {type(e).__name__}", hint="is `flash-image classroom serve` running?") \
                from None
        try:
            data = r.json()
        except ValueError:
            data = None
        if r.status_code != 200:
            err = data.get("error", {}) if isinstance(data, dict) else {}
            raise ProviderError("classroom", r.status_code, err.get("status"), str(err.get("message") or r.text[:200]))
        return data

    # -- reading --------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """What the dashboard shows: ``{"room": {...}, "seats": [...]}``."""
        return self._call("GET", "state")

    @property
    def seats(self) -> pd.DataFrame:
        """One row per seat: cap, spent, reserved, calls, errors, cache hits, savings, revoked."""
        import pandas as pd

        return pd.DataFrame(self.state()["seats"]).set_index("seat")

    @property
    def ledger(self) -> pd.DataFrame:
        """Every call in the room: seat, model, status, tokens, cost, latency, cached (one row each)."""
        import pandas as pd

        rows = self._call("GET", "ledger")
        df = pd.DataFrame(rows, columns=["id", "ts", "seat", "model", "action", "status", "http_status",
                                         "estimate_usd", "cost_usd", "saved_usd", "input_tokens", "output_tokens",
                                         "latency_s", "cached", "message"])
        df["ts"] = pd.to_datetime(df["ts"], unit="s", utc=True)
        df["cached"] = df["cached"].astype(bool)
        return df.set_index("id")

    # -- controls -------------------------------------------------------------------------------------------
    def set_cap(self, seat: str, cap_usd: float) -> None:
        """Raise (or lower) a seat's cap live; ``seat="*"`` sets every seat's."""
        self._call("POST", f"seats/{seat}/cap", {"cap_usd": cap_usd})

    def revoke(self, seat: str, revoked: bool = True) -> None:
        """Refuse every call from ``seat`` (``revoked=False`` restores it)."""
        self._call("POST", f"seats/{seat}/revoke", {"revoked": revoked})

    def pause(self, paused: bool = True) -> None:
        """Refuse every new call in the room until ``pause(False)``."""
        self._call("POST", "room", {"paused": paused})

    def set_room_cap(self, cap_usd: float | None) -> None:
        """The room's total cap (None: only the seats' caps)."""
        self._call("POST", "room", {"cap_usd": cap_usd})
