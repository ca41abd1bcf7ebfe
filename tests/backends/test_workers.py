"""DaemonWorkers: blocking calls in daemon threads, awaited from an event loop; and the threaded Gemini call's
timeouts, cancellation and interpreter exit, through the real SDK against the loopback fake."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading

import pytest

import toolkit as tk
from toolkit.backends.workers import DaemonWorkers
from toolkit.testing import FakeGeminiServer, Outcome

KEY = "workers-key-424242"


def test_calls_in_flight_together_get_a_thread_each_and_threads_are_reused():
    pool = DaemonWorkers("t")
    barrier = threading.Barrier(4, timeout=10)  # each call waits for the other three: serialised, they would hang

    async def main() -> list[int]:
        return list(await asyncio.gather(*(pool.run(lambda i=i: (barrier.wait(), i)[1]) for i in range(4))))

    assert asyncio.run(main()) == [0, 1, 2, 3] and pool.threads == 4
    for _ in range(3):
        assert asyncio.run(pool.run(lambda: "again")) == "again"
    assert pool.threads == 4  # idle threads took the later calls
    assert all(t.daemon for t in threading.enumerate() if t.name.startswith("t-"))


def test_an_exception_reaches_the_awaiting_task():
    pool = DaemonWorkers("e")

    def boom() -> None:
        raise ValueError("bad reply")

    with pytest.raises(ValueError, match="bad reply"):
        asyncio.run(pool.run(boom))


def test_a_cancelled_await_returns_at_once_and_the_call_finishes_in_its_thread():
    pool = DaemonWorkers("c")
    release, finished = threading.Event(), threading.Event()

    def slow() -> str:
        release.wait(10)
        finished.set()
        return "late"

    async def main() -> None:
        task = asyncio.ensure_future(pool.run(slow))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert not finished.is_set()  # the await gave up; the call is still running
    release.set()
    assert finished.wait(10)
    assert asyncio.run(pool.run(lambda: "next")) == "next" and pool.threads == 1  # the thread is free again


@pytest.fixture(scope="module")
def fake():
    with FakeGeminiServer(api_key=KEY) as server:
        yield server


def test_a_stalled_threaded_call_times_out_and_is_retried(fake, tmp_path):
    fake.reset()
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=fake.base_url, home=tmp_path / "home", timeout_s=0.5,
                       retry=tk.RetryPolicy(initial_delay_s=0.01))
    assert studio.backend.threaded  # type: ignore[attr-defined]
    fake.enqueue(Outcome.stall(3.0), "ok")
    r = studio.generate("a slow reply", image_size="512")
    assert r.status == "ok" and r.attempts == 2 and len(studio.ledger) == 1


def test_a_call_abandoned_in_flight_does_not_hold_up_the_interpreters_exit(fake, tmp_path):
    """A script whose call timed out exits at once, though the abandoned request is still waiting for its
    answer in a worker thread (a ThreadPoolExecutor's thread would be joined at exit, for up to the stall)."""
    fake.reset()
    fake.enqueue(Outcome.stall(60.0))
    script = textwrap.dedent(f"""
        import toolkit as tk
        studio = tk.Studio(backend="gemini", api_key={KEY!r}, base_url={fake.base_url!r}, home={str(tmp_path / "h")!r},
                           timeout_s=0.5, retry=tk.RetryPolicy(attempts=1))
        try:
            studio.generate("a reply that never comes", image_size="512")
        except tk.ProviderError as e:
            print("gave up:", e.code)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=40)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "gave up" in done.stdout
