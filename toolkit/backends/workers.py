"""Worker threads for blocking HTTP calls, awaited from the runner's event loop.

Why threads: google-genai's sync API client, run in a worker thread, reads a reply for less CPU than its
async client on the event loop: 22.9 against 28.1 ms per call with a 2.65 MB PNG, 2.5 against 3.3 ms with a
166 KB JPEG (``benchmarks/transport.py``, the same POST either way, interleaved in one run). Why not
``asyncio.to_thread`` or a ``ThreadPoolExecutor``: their threads are joined when the interpreter exits, so a call still in flight after
a cancel (the thread cannot be stopped mid-request; it ends at the HTTP client's own timeout) would hold up a
script's exit after Ctrl-C for that long. These threads are daemons: a call abandoned by a cancel runs to its
end and is discarded, and never delays the exit.

>>> import asyncio
>>> pool = DaemonWorkers("doc")
>>> asyncio.run(pool.run(lambda: 6 * 7))
42
>>> pool.threads
1
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["DaemonWorkers"]


class DaemonWorkers:
    """Daemon threads that run blocking calls; as many as the calls ever in flight at once, kept for reuse.

    Each :meth:`run` either takes an idle thread or starts one, so calls never wait for each other (the
    Engine's semaphore bounds how many are in flight).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._jobs: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._threads = 0

    @property
    def threads(self) -> int:
        """How many worker threads exist."""
        with self._lock:
            return self._threads

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Run ``fn()`` in a worker thread; its result (or exception) in the returned future."""
        future: Future[T] = Future()
        with self._lock:
            self._jobs.put((future, fn))
            if self._idle:
                self._idle -= 1  # that thread will take a job off the queue
                return future
            self._threads += 1
            n = self._threads
        threading.Thread(target=self._work, name=f"{self.name}-{n}", daemon=True).start()
        return future

    async def run(self, fn: Callable[[], T]) -> T:
        """Await ``fn()`` run in a worker thread. Cancelling the await abandons the call: it finishes in its
        thread and its result is dropped."""
        return await asyncio.wrap_future(self.submit(fn))

    def _work(self) -> None:
        while True:
            future, fn = self._jobs.get()
            if future.set_running_or_notify_cancel():
                try:
                    result = fn()
                except BaseException as e:  # handed to the awaiting task, which raises it
                    future.set_exception(e)
                else:
                    future.set_result(result)
            del future, fn  # drop the reply before waiting for the next job
            with self._lock:
                self._idle += 1
