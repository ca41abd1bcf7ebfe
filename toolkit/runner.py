"""Where calls run: a private event loop on a background thread, bounded concurrency, and retries.

Why a background loop: Jupyter already runs an event loop on the caller's thread, so ``asyncio.run`` is not
allowed there. Every synchronous method hands its coroutine to :func:`run`, which submits it to the
runner's own loop and blocks the caller until it is done. The same code then works in notebooks, scripts
and threads, and ``n > 1`` or a study fans out as real concurrent requests.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import ProviderError

T = TypeVar("T")


class _LoopThread:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._thread is None or not self._thread.is_alive():
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def main() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(target=main, name="flash-image-runner", daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop


_RUNNER = _LoopThread()


def runner_loop() -> asyncio.AbstractEventLoop:
    """The runner's event loop (started on first use)."""
    return _RUNNER.loop()


def submit(coro: Coroutine[Any, Any, T]) -> Future[T]:
    """Schedule ``coro`` on the runner loop; returns a concurrent.futures.Future."""
    return asyncio.run_coroutine_threadsafe(coro, runner_loop())


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the runner loop and wait for its result (safe inside Jupyter).

    A KeyboardInterrupt (the notebook's stop button) cancels the work and re-raises.
    """
    loop = runner_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        raise RuntimeError("toolkit.runner.run() was called from the runner loop itself; await the coroutine instead.")
    fut = asyncio.run_coroutine_threadsafe(coro, loop)
    try:
        return fut.result()
    except KeyboardInterrupt:
        fut.cancel()
        raise


@dataclass(frozen=True)
class RetryPolicy:
    """How failed requests are retried.

    Retried: timeouts, dropped connections, HTTP 408, 429 and 5xx. A 429 that carries the server's
    ``RetryInfo.retryDelay`` waits exactly that long (the SDK ignores it); when the server asks for more
    than ``max_retry_after_s`` the call fails at once with the delay in the message, rather than
    blocking a notebook for minutes. Other waits grow exponentially with jitter: attempt k waits
    ``min(max_delay_s, initial_delay_s * 2**(k-1))`` scaled by a random factor in ``[1 - jitter, 1]``.
    """

    attempts: int = 4
    initial_delay_s: float = 1.0
    max_delay_s: float = 30.0
    jitter: float = 0.5
    max_retry_after_s: float = 90.0

    def delay(self, attempt: int, error: ProviderError, rng: random.Random) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        if attempt >= self.attempts or not error.retryable:
            return None
        if error.retry_after_s is not None:
            return error.retry_after_s if error.retry_after_s <= self.max_retry_after_s else None
        base = min(self.max_delay_s, self.initial_delay_s * 2 ** (attempt - 1))
        return base * (1 - self.jitter * rng.random())


NO_RETRY = RetryPolicy(attempts=1)


async def with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    rng: random.Random | None = None,
    on_retry: Callable[[int, ProviderError, float], None] | None = None,
) -> tuple[T, int]:
    """Await ``call()`` until it succeeds or the policy gives up; returns (value, attempts).

    ``call`` must raise :class:`ProviderError` for provider and transport failures. The last error is
    re-raised with ``attempts`` set.
    """
    rng = rng or random.Random()
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call(), attempt
        except ProviderError as e:
            wait = policy.delay(attempt, e, rng)
            if wait is None:
                e.attempts = attempt
                if attempt > 1:
                    e.args = (f"{e.args[0]} (after {attempt} attempts)",)
                if e.retry_after_s is not None and e.retry_after_s > policy.max_retry_after_s:
                    e.args = (
                        f"{e.args[0]}\nThe server asked to retry in {e.retry_after_s:g} s, longer than "
                        f"RetryPolicy.max_retry_after_s={policy.max_retry_after_s:g}; try again later, or check your quota.",
                    )
                raise
            if on_retry is not None:
                on_retry(attempt, e, wait)
            await asyncio.sleep(wait)


class Stopwatch:
    """perf_counter-based elapsed seconds."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start
