"""A study stops spending when it stops: a failed cell is a failed cell, and a stopped study sends nothing more.

Item 9 of the security and reliability audit. Requests are counted at the loopback fake.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time

import pytest

import toolkit as tk
from toolkit.engine import Engine
from toolkit.runner import run
from toolkit.testing import Outcome

KEY = "test-key-123456"
ODD = {"candidates": {"0": {"content": {"parts": [{"text": "hi"}]}}}}  # candidates as an object


def settle(seconds: float = 0.5) -> None:
    """Give anything still running on the runner's loop the chance to send (it must not)."""
    run(asyncio.sleep(seconds))


def test_an_odd_reply_fails_its_cell_and_the_study_completes(server, home):
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home, concurrency=2,
                       retry=tk.RetryPolicy(attempts=1))
    server.enqueue(Outcome.raw(ODD))
    study = studio.compare("a {animal} at noon", animal=["cat", "dog", "owl", "fox", "eel", "elk", "yak", "emu"],
                           image_size="512", progress=False)
    assert len(study.results) == 7 and len(study.failures) == 1
    (failure,) = study.failures.values()
    assert "malformed reply" in failure and "KeyError" in failure
    sent = server.call_count
    assert sent == 8 and len(studio.ledger) == 8
    settle()
    assert server.call_count == sent  # nothing is sent after compare() returned


class BuggyEngine(Engine):
    """An Engine whose calls for one prompt fail with a plain bug (not a ToolkitError)."""

    async def execute(self, requests, info, **kwargs):
        if "dog" in requests[0].prompt:
            raise RuntimeError("a plugin bug")
        return await super().execute(requests, info, **kwargs)


def test_any_exception_in_a_cell_is_a_failed_cell(studio):
    engine = studio.engine
    buggy = BuggyEngine(engine.backend, engine.store, spec=engine.spec, model=engine.model, budget=engine.budget,
                        session=engine.session)
    study = studio.compare("a {animal}", animal=["cat", "dog", "owl"], backends=[buggy], progress=False)
    assert sorted(study.results) == [0, 2] and study.failures == {1: "RuntimeError: a plugin bug"}
    assert study.df.loc[1, "status"] == "failed" and "a plugin bug" in study.df.loc[1, "error"]


def _interrupt_when(condition, timeout_s: float = 30.0) -> threading.Thread:
    """Send Ctrl-C (SIGINT) to the main thread once ``condition()`` holds: the notebook's stop button."""
    main = threading.main_thread().ident
    assert main is not None

    def watch() -> None:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if condition():
                signal.pthread_kill(main, signal.SIGINT)
                return
            time.sleep(0.01)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="needs the main thread")
def test_ctrl_c_stops_a_study_and_nothing_is_sent_afterwards(server, home):
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home, concurrency=2,
                       retry=tk.RetryPolicy(attempts=1))
    server.enqueue(*[Outcome.stall(3.0)] * 8)
    watcher = _interrupt_when(lambda: server.call_count >= 2)
    with pytest.raises(KeyboardInterrupt):
        studio.compare("a {animal}", animal=["cat", "dog", "owl", "fox", "eel", "elk", "yak", "emu"],
                       image_size="512", progress=False)
    watcher.join()
    sent = server.call_count
    assert sent == 2  # the two in flight; the six waiting for a slot were never sent
    rows = studio.store.calls()
    # when compare() has raised, every row is already settled: the two in flight "interrupted" (possibly billed),
    # the six that never left "error" at $0; none is left "sent"
    assert sorted(r["status"] for r in rows) == ["error"] * 6 + ["interrupted"] * sent
    assert all("before it was sent" in r["error"] for r in rows if r["status"] == "error")
    assert studio.budget.reserved == 0
    settle()
    assert server.call_count == sent
