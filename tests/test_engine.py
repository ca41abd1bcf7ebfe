"""The Engine's public call path: building, estimating, replaying, recording, cancelling, siblings."""

from __future__ import annotations

import time

import pytest

import toolkit as tk
from toolkit.runner import submit
from toolkit.testing import Outcome

KEY = "engine-test-key-000000"


@pytest.fixture()
def server():
    with tk.FakeGeminiServer() as s:
        yield s


@pytest.fixture()
def paid(server, home):
    return tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home).engine


def test_requests_validate_before_anything_is_sent(studio):
    engine = studio.engine
    with pytest.raises(tk.InputError, match="lone surrogate"):
        engine.requests("generate", "a cat \ud800 on a mat")
    with pytest.raises(tk.OptionError, match="n=0"):
        engine.requests("generate", "a cat", n=0)
    requests, info = engine.requests("generate", "a cat", options={"seed": 5}, n=3)
    assert [r.variant for r in requests] == [0, 1, 2] and len({r.key for r in requests}) == 3
    assert info.id == tk.DEFAULT_MODEL and len(studio.ledger) == 0


def test_estimate_counts_cache_hits_as_free(paid):
    requests, info = paid.requests("generate", "a lighthouse", options={"image_size": "512"})
    before = paid.estimate(requests, info)
    assert before.cost_usd > 0 and before.cached_calls == 0
    paid.call(requests, info)
    after = paid.estimate(requests, info)
    assert after.cached_calls == 1 and after.cost_usd == 0 and after.list_cost_usd == before.list_cost_usd


def test_a_failed_paid_call_completes_its_write_ahead_row(paid, server):
    server.enqueue("400")
    requests, info = paid.requests("generate", "refused", options={"image_size": "512"})
    with pytest.raises(tk.ProviderError):
        paid.call(requests, info)
    (row,) = paid.store.calls()
    assert row["status"] == "error" and row["cost_usd"] == 0 and row["reserved_usd"] > 0
    assert paid.budget.reserved == 0 and paid.budget.spent == 0


def test_a_cancelled_call_is_marked_interrupted_and_counted(paid, server):
    server.enqueue(Outcome.stall(20))
    requests, info = paid.requests("generate", "slow", options={"image_size": "512"})
    future = submit(paid.execute(requests, info))
    deadline = time.monotonic() + 30
    while server.call_count < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert paid.store.calls()[0]["status"] == "sent" and paid.budget.reserved > 0
    future.cancel()
    deadline = time.monotonic() + 30
    while paid.store.calls()[0]["status"] == "sent" and time.monotonic() < deadline:
        time.sleep(0.02)
    (row,) = paid.store.calls()
    assert row["status"] == "interrupted" and row["cost_usd"] == row["reserved_usd"] > 0
    assert paid.budget.spent == pytest.approx(row["cost_usd"]) and paid.budget.reserved == 0


def test_replay_without_a_row_for_rebuilt_batches(paid):
    requests, info = paid.requests("generate", "a kite", options={"image_size": "512"})
    first = paid.call(requests, info)
    again = paid.replay(requests[0], info, record=False)
    assert again is not None and again.cached and again.outputs[0].sha256 == first.outputs[0].sha256
    assert len(paid.store.calls()) == 1


def test_siblings_share_home_budget_and_session(paid):
    sibling = paid.sibling("offline")
    assert sibling.backend.kind == "offline" and sibling.budget is paid.budget
    assert sibling.session == paid.session and sibling.store is paid.store
    assert paid.sibling("gemini") is paid


def test_chat_transport_is_declared_by_the_spec(paid, studio):
    assert paid.chat_transport() is paid.chat_transport() is not None  # built once
    assert studio.engine.chat_transport() is None  # the simulator replays the history
