"""Fair use of one key: room-wide requests per minute and concurrency per model, concurrency per seat, and a
room-wide pause after the upstream says 429.

All in the gateway's event loop (one process holds the key, so nothing needs sharing through a file).
Waiting is the default answer: a seat over its concurrency or a model over its rpm queues; only a 429
cool-down answers at once, with ``RetryInfo``, so students' toolkits wait and retry.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

#: How long the room waits after a 429 that carried no RetryInfo.
DEFAULT_COOLDOWN_S = 10.0


@dataclass(frozen=True)
class LimitSettings:
    """``rpm`` and ``concurrent`` per model (room-wide; None: unlimited), ``seat_concurrent`` per seat."""

    rpm: float | None = None
    concurrent: int = 16
    seat_concurrent: int = 4

    def __post_init__(self) -> None:
        for name in ("concurrent", "seat_concurrent"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.rpm is not None and not self.rpm > 0:
            raise ValueError("rpm must be > 0 (or None for no limit)")


class RoomLimits:
    """The room's limiter; ``async with limits.slot(seat, model):`` around each upstream call."""

    def __init__(self, settings: LimitSettings | None = None, clock=time.monotonic) -> None:
        self.settings = settings or LimitSettings()
        self._clock = clock
        self._model_sem: dict[str, asyncio.Semaphore] = {}
        self._seat_sem: dict[str, asyncio.Semaphore] = {}
        self._starts: dict[str, deque[float]] = {}
        self._rpm_lock: dict[str, asyncio.Lock] = {}
        self._cool_until = 0.0

    def cooldown_left(self) -> float | None:
        """Seconds the room still waits after an upstream 429, or None."""
        left = self._cool_until - self._clock()
        return left if left > 0 else None

    def throttled(self, retry_after_s: float | None) -> float:
        """An upstream 429: pause the whole room for its RetryInfo (or :data:`DEFAULT_COOLDOWN_S`)."""
        wait = retry_after_s if retry_after_s and retry_after_s > 0 else DEFAULT_COOLDOWN_S
        self._cool_until = max(self._cool_until, self._clock() + wait)
        return wait

    async def _rpm(self, model: str) -> None:
        rpm = self.settings.rpm
        if rpm is None:
            return
        lock = self._rpm_lock.setdefault(model, asyncio.Lock())
        starts = self._starts.setdefault(model, deque())
        async with lock:  # one waiter at a time, in arrival order
            while True:
                now = self._clock()
                while starts and now - starts[0] >= 60.0:
                    starts.popleft()
                if len(starts) < rpm:
                    starts.append(now)
                    return
                await asyncio.sleep(60.0 - (now - starts[0]) + 0.01)

    @asynccontextmanager
    async def slot(self, seat: str, model: str) -> AsyncIterator[None]:
        """Wait for the seat's turn, the model's concurrency and its rpm, then hold them for one call."""
        seat_sem = self._seat_sem.setdefault(seat, asyncio.Semaphore(self.settings.seat_concurrent))
        model_sem = self._model_sem.setdefault(model, asyncio.Semaphore(self.settings.concurrent))
        async with seat_sem, model_sem:
            await self._rpm(model)
            yield
