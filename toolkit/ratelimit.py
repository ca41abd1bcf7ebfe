"""Client-side rate limiting per model: requests per minute and concurrent requests.

A workshop sharing one key should not hammer the provider into 429s. Each model gets a limiter that
spaces request *starts* at least ``60 / rpm`` seconds apart and caps how many are in flight. A 429
slows it down: the effective rate halves (down to ``min_rpm``) and every sender pauses for the server's
``retryDelay`` (or ``cooldown_s``); each success then wins back 10% of the configured rate. The limiter
applies to every attempt, retries included.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """Limits for one model.

    Parameters
    ----------
    rpm : float or None
        Request starts per minute; None for no spacing (429s still pause senders).
    concurrent : int or None
        Requests in flight at once for this model; None for no cap (the Studio's ``concurrency`` still applies).
    min_rpm : float
        The floor that repeated 429s can push the rate down to.
    cooldown_s : float
        Pause after a 429 that carries no ``retryDelay``.

    Examples
    --------
    >>> tk.Studio(rate_limit=tk.RateLimit(rpm=10, concurrent=2))   # doctest: +SKIP
    """

    rpm: float | None = None
    concurrent: int | None = None
    min_rpm: float = 1.0
    cooldown_s: float = 5.0

    def __post_init__(self) -> None:
        from .errors import ConfigError

        if self.rpm is not None and not self.rpm > 0:
            raise ConfigError(f"RateLimit(rpm={self.rpm!r}) must be a positive number of requests per minute, or None.")
        if self.concurrent is not None and (not isinstance(self.concurrent, int) or self.concurrent < 1):
            raise ConfigError(f"RateLimit(concurrent={self.concurrent!r}) must be a whole number >= 1, or None.")


class ModelLimiter:
    """The limiter of one model (lives on the runner's event loop)."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self.rpm = limit.rpm  # effective rate: lowered by 429s, recovers on success
        self._next_start = 0.0
        self._paused_until = 0.0
        self._sem = asyncio.Semaphore(limit.concurrent) if limit.concurrent else None
        self._lock = asyncio.Lock()
        self.throttled = 0  # how many 429s were seen

    async def _wait_turn(self) -> None:
        async with self._lock:  # starts are handed out one at a time, in arrival order
            while True:
                now = self.clock()
                wait = max(self._paused_until, self._next_start) - now
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            if self.rpm:
                self._next_start = self.clock() + 60.0 / self.rpm

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for a concurrency slot and the next start time; hold the slot while the request runs."""
        if self._sem is not None:
            await self._sem.acquire()
        try:
            await self._wait_turn()
            yield
        finally:
            if self._sem is not None:
                self._sem.release()

    def on_throttled(self, retry_after_s: float | None) -> None:
        """A 429 came back: halve the rate and pause every sender."""
        self.throttled += 1
        pause = retry_after_s if retry_after_s is not None else self.limit.cooldown_s
        self._paused_until = max(self._paused_until, self.clock() + pause)
        if self.rpm:
            self.rpm = max(self.limit.min_rpm, self.rpm / 2)

    def on_success(self) -> None:
        if self.rpm and self.limit.rpm and self.rpm < self.limit.rpm:
            self.rpm = min(self.limit.rpm, self.rpm + self.limit.rpm * 0.1)


class RateLimiter:
    """One :class:`ModelLimiter` per model id, created on first use."""

    def __init__(self, limit: RateLimit | None = None, per_model: dict[str, RateLimit] | None = None) -> None:
        self.default = limit or RateLimit()
        self.per_model = dict(per_model or {})
        self._limiters: dict[tuple[int, str], ModelLimiter] = {}

    def for_model(self, model: str) -> ModelLimiter:
        key = (id(asyncio.get_running_loop()), model)
        lim = self._limiters.get(key)
        if lim is None:
            lim = self._limiters[key] = ModelLimiter(self.per_model.get(model, self.default))
        return lim
