"""Where calls run: a private event loop on a background thread, bounded concurrency, retries and deadlines.

Why a background loop: Jupyter already runs an event loop on the caller's thread, so ``asyncio.run`` is not
allowed there. Every synchronous method hands its coroutine to :func:`run`, which submits it to the
runner's own loop and blocks the caller until it is done. The same code then works in notebooks, scripts
and threads, and ``n > 1`` or a study fans out as real concurrent requests.

Time limits. ``timeout_s`` (the Studio's) bounds each attempt as a whole, however slowly the bytes trickle
in (an HTTP client's timeout is an idle timeout: a server sending one byte a second never trips it), and
:attr:`RetryPolicy.deadline_s` bounds the whole call, retries and waits included: :class:`CallClock`.
Each retry is announced while the call waits: a WARNING on ``logging.getLogger("toolkit")`` and the
caller's ``on_retry`` hook (the Engine's :attr:`~toolkit.engine.Engine.on_retry`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import AnswerTimeoutError, ProviderError
from .secrets import scrub

T = TypeVar("T")
log = logging.getLogger("toolkit")

#: How long :func:`run` waits, after a KeyboardInterrupt, for the cancelled work to wind down (its requests
#: in flight are cancelled and their ledger rows marked) before re-raising.
CANCEL_GRACE_S = 10.0


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

    A KeyboardInterrupt (the notebook's stop button) cancels the work, waits (up to :data:`CANCEL_GRACE_S`)
    until it has really stopped, so that nothing more is sent once this returns, and re-raises.
    """
    loop = runner_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        raise RuntimeError("toolkit.runner.run() was called from the runner loop itself; await the coroutine instead.")
    started, stopped = threading.Event(), threading.Event()

    async def tracked() -> T:
        started.set()
        try:
            return await coro
        finally:
            stopped.set()

    fut = asyncio.run_coroutine_threadsafe(tracked(), loop)
    try:
        return fut.result()
    except KeyboardInterrupt:
        fut.cancel()
        with contextlib.suppress(Exception):  # let the loop take the cancellation: the work started, or never will
            asyncio.run_coroutine_threadsafe(asyncio.sleep(0), loop).result(CANCEL_GRACE_S)
        if started.is_set():
            stopped.wait(CANCEL_GRACE_S)
        raise


@dataclass(frozen=True)
class RetryPolicy:
    """How failed requests are retried, and how long one call may take in all.

    Retried: timeouts, dropped connections, malformed replies, HTTP 408, 429 and 5xx. A 429 that carries the
    server's ``RetryInfo.retryDelay`` waits exactly that long (the SDK ignores it); when the server asks for
    more than ``max_retry_after_s`` the call fails at once with the delay in the message, rather than
    blocking a notebook for minutes. Other waits grow exponentially with jitter: attempt k waits
    ``min(max_delay_s, initial_delay_s * 2**(k-1))`` scaled by a random factor in ``[1 - jitter, 1]``.

    ``deadline_s`` bounds the whole call from its first send: no attempt starts after it, an attempt in
    flight is cut off at it, and a wait between attempts that would cross it is not taken (the call fails
    at once, saying so). The default, 300 s, lets a slow answer (the Studio's ``timeout_s`` per attempt)
    be retried once while a notebook cell never hangs for more than five minutes; a network that stalls
    shows a retry notice (log line and ``Engine.on_retry``) at every attempt. ``None`` removes the bound.
    """

    attempts: int = 4
    initial_delay_s: float = 1.0
    max_delay_s: float = 30.0
    jitter: float = 0.5
    max_retry_after_s: float = 90.0
    deadline_s: float | None = 300.0

    def delay(self, attempt: int, error: ProviderError, rng: random.Random) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        if attempt >= self.attempts or not error.retryable:
            return None
        if error.retry_after_s is not None:
            return error.retry_after_s if error.retry_after_s <= self.max_retry_after_s else None
        base = min(self.max_delay_s, self.initial_delay_s * 2 ** (attempt - 1))
        return base * (1 - self.jitter * rng.random())


NO_RETRY = RetryPolicy(attempts=1)


@dataclass(frozen=True)
class RetryNotice:
    """A retry about to happen, while the call waits (what :attr:`Engine.on_retry <toolkit.engine.Engine.on_retry>`
    receives; ``str()`` is one line for a status display).

    Attributes
    ----------
    backend, model : str
        Who is being asked again.
    attempt, attempts : int
        The attempt that failed (1-based) and the policy's maximum.
    wait_s : float
        Seconds until the next attempt starts.
    error : ProviderError
        Why the attempt failed (its message is scrubbed of secrets).
    """

    backend: str
    model: str
    attempt: int
    attempts: int
    wait_s: float
    error: ProviderError

    def __str__(self) -> str:
        first = scrub(str(self.error).split("\n", 1)[0]) or type(self.error).__name__
        return (f"{self.backend} {self.model}: attempt {self.attempt} of {self.attempts} failed ({first}); retrying "
                f"in {self.wait_s:.1f} s")


class CallClock:
    """The time limits of one call: ``timeout_s`` per attempt and ``deadline_s`` for the whole call.

    The call's clock starts at its first attempt (:meth:`start`; time spent queueing for a rate-limit slot
    before that does not count). :meth:`attempt` runs one attempt within both limits and turns the limit that
    fired into a :class:`~toolkit.errors.ProviderError` naming it; :func:`with_retries` reads
    :meth:`remaining` so that no wait between attempts crosses the deadline.
    """

    def __init__(self, timeout_s: float | None = None, deadline_s: float | None = None, *,
                 provider: str = "the provider") -> None:
        self.timeout_s = timeout_s if timeout_s is not None and timeout_s > 0 else None
        self.deadline_s = deadline_s if deadline_s is not None and deadline_s > 0 else None
        self.provider = provider
        self.started: float | None = None

    def start(self) -> None:
        """Start the call's clock (idempotent)."""
        if self.started is None:
            self.started = time.monotonic()

    def remaining(self) -> float | None:
        """Seconds left before ``deadline_s`` (None: no deadline, or the clock has not started)."""
        if self.deadline_s is None or self.started is None:
            return None
        return self.deadline_s - (time.monotonic() - self.started)

    def timed_out(self) -> AnswerTimeoutError:
        """The error of an attempt that ran out of ``timeout_s`` (retryable, like any transport failure)."""
        return AnswerTimeoutError(
            self.provider, "TIMEOUT", f"no complete answer within timeout_s={self.timeout_s:g} s (per attempt)",
            hint="the answer was too slow, or the network stalled. Large sizes on slow models can take minutes: "
                 "raise Studio(timeout_s=...).")

    def deadline_passed(self) -> AnswerTimeoutError:
        """The error of a call that ran out of ``deadline_s``."""
        return AnswerTimeoutError(
            self.provider, "DEADLINE_EXCEEDED",
            f"the call's deadline_s={self.deadline_s:g} s passed (RetryPolicy.deadline_s) before a complete answer "
            f"came", hint="the service is slow or unreachable right now: try again later, or raise "
                          "Studio(retry=tk.RetryPolicy(deadline_s=...)) and Studio(timeout_s=...).")

    async def attempt(self, call: Callable[[], Awaitable[T]]) -> T:
        """Await ``call()`` as one attempt, cut off at ``timeout_s`` and at the call's deadline."""
        self.start()
        remaining = self.remaining()
        if remaining is not None and remaining <= 0:
            raise self.deadline_passed()
        limit, by_deadline = self.timeout_s, False
        if remaining is not None and (limit is None or remaining < limit):
            limit, by_deadline = remaining, True
        if limit is None:
            return await call()
        cm = asyncio.timeout(limit)
        try:
            async with cm:
                return await call()
        except TimeoutError:
            if not cm.expired():
                raise
            raise (self.deadline_passed() if by_deadline else self.timed_out()) from None


def exhausted_hint(hint: str | None, attempts: int) -> str:
    """The ``Fix:`` line of a retryable failure that used up its attempts (whatever the first one said).

    >>> exhausted_hint("see the provider's message above", 4)
    "it was tried 4 times; the service may be down: try again later. See the provider's message above"
    """
    note = f"it was tried {attempts} times; the service may be down: try again later."
    if hint and "retried" in hint:
        return f"{hint} ({note[0].upper()}{note[1:]})"
    return f"{note} {hint[0].upper()}{hint[1:]}" if hint else note


def _give_up(e: ProviderError, attempt: int, policy: RetryPolicy, *, deadline: CallClock | None) -> None:
    """Rewrite ``e``'s message for the caller: attempts made, which limit ended the call, and the fix."""
    e.attempts = attempt
    head = str(e.args[0]).split("\nFix: ", 1)[0] if e.args else e.message
    notes = []
    if attempt > 1 and f"after {attempt} attempts" not in head:
        notes.append(f"after {attempt} attempts")
    if deadline is not None and e.status != "DEADLINE_EXCEEDED":
        notes.append(f"the call's deadline_s={deadline.deadline_s:g} s (RetryPolicy.deadline_s) leaves no time "
                     f"for another attempt")
    if notes:
        head += f" ({'; '.join(notes)})"
    hint = e.hint
    if e.retryable and attempt > 1:
        hint = exhausted_hint(hint, attempt)
    if e.retry_after_s is not None and e.retry_after_s > policy.max_retry_after_s:
        head += (f"\nThe server asked to retry in {e.retry_after_s:g} s, longer than "
                 f"RetryPolicy.max_retry_after_s={policy.max_retry_after_s:g}; try again later, or check your quota.")
    e.hint = hint
    e.args = (head + (f"\nFix: {hint}" if hint else ""),)


async def with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    rng: random.Random | None = None,
    on_retry: Callable[[int, ProviderError, float], None] | None = None,
    clock: CallClock | None = None,
    label: str = "",
) -> tuple[T, int]:
    """Await ``call()`` until it succeeds or the policy gives up; returns (value, attempts).

    ``call`` must raise :class:`ProviderError` for provider and transport failures. The last error is
    re-raised with ``attempts`` set, its message saying how many attempts were made (and, when the call's
    deadline ended it, so) and a ``Fix:`` line that says it was retried. ``clock`` is the call's
    :class:`CallClock` when the caller runs each attempt through :meth:`CallClock.attempt` (the Engine);
    without one, the policy's ``deadline_s`` still bounds the waits, counted from the first attempt. Every
    retry is logged at WARNING on ``logging.getLogger("toolkit")`` (``label`` says what is retried) and
    reported to ``on_retry(attempt, error, wait_s)``, whose exceptions are logged and ignored.
    """
    rng = rng or random.Random()
    if clock is None:
        clock = CallClock(None, policy.deadline_s)
        clock.start()
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call(), attempt
        except ProviderError as e:
            wait = policy.delay(attempt, e, rng)
            remaining = clock.remaining()
            if wait is not None and remaining is not None and wait >= remaining:
                _give_up(e, attempt, policy, deadline=clock)
                raise
            if wait is None:
                _give_up(e, attempt, policy, deadline=None)
                raise
            first_line = scrub(str(e).split("\n", 1)[0]) or type(e).__name__
            log.warning("%sattempt %d of %d failed: %s; retrying in %.1f s", f"{label}: " if label else "", attempt,
                        policy.attempts, first_line, wait)
            if on_retry is not None:
                try:
                    on_retry(attempt, e, wait)
                except Exception:  # a status display must never break a paid call
                    log.exception("on_retry callback failed")
            await asyncio.sleep(wait)


class Stopwatch:
    """perf_counter-based elapsed seconds."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start
