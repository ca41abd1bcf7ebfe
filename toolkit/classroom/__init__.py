"""The classroom gateway: one key for a room, per-seat budgets held on the server, a shared cache, and a live
dashboard (``flash-image classroom init|reissue|serve``; students use ``tk.Studio(classroom=url, seat_token=...)``).

Modules, one concept each: :mod:`.tokens` (random tokens, stored as hashes), :mod:`.room` (the SQLite file:
seats, caps, ledger, cache), :mod:`.costs` (estimates and actual costs with the toolkit's pricing),
:mod:`.limits` (room rpm/concurrency, seat concurrency, 429 cool-down), :mod:`.upstream` (httpx forwarding, or the
simulator), :mod:`.wire` (Google's error JSON, offline answers), :mod:`.app` (the Gemini REST routes),
:mod:`.security` (Host check, body limit, headers), :mod:`.dashboard` (page + admin API), :mod:`.server`
(uvicorn), :mod:`.client` (``tk.Classroom``), :mod:`.cli` (the subcommand).

Only :class:`Classroom` is imported with ``toolkit``; the server side (Starlette, uvicorn) loads on first use.
"""

from __future__ import annotations

from .client import Classroom

__all__ = ["Classroom"]
