"""What every loopback fake shares: scripted outcomes and recorded requests.

Subclasses hold ``_lock``, ``_queue`` (a deque of outcomes), ``_requests`` (records with ``is_call``) and
``_calls``, and say how to read an outcome given as a string or code (:meth:`_parse_outcome`).
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any


class ScriptedRecords:
    """``enqueue`` / ``pending`` / ``requests`` / ``calls`` / ``call_count`` for the fakes."""

    _lock: threading.Lock
    _queue: deque[Any]
    _requests: list[Any]
    _calls: int

    def _parse_outcome(self, outcome: Any) -> Any:
        raise NotImplementedError

    def enqueue(self, *outcomes: Any) -> None:
        """Script the next generation calls: each takes the next outcome; then ``ok`` again.

        Scripted outcomes take precedence over probabilistic faults; calls refused for their credentials
        do not consume one.
        """
        parsed = [self._parse_outcome(o) for o in outcomes]
        with self._lock:
            self._queue.extend(parsed)

    @property
    def pending(self) -> int:
        """How many scripted outcomes are still waiting."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[Any]:
        """A snapshot of every request received, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def calls(self) -> list[Any]:
        """A snapshot of the generation calls only."""
        with self._lock:
            return [r for r in self._requests if r.is_call]

    @property
    def call_count(self) -> int:
        """Number of generation calls received (including ones refused for their credentials)."""
        with self._lock:
            return self._calls

    def _reset_records(self) -> None:
        """Forget recorded requests, scripted outcomes and the call counter (call with ``_lock`` held)."""
        self._queue.clear()
        self._requests.clear()
        self._calls = 0
