"""Fault injection through the real SDK: every fault gives the right status or a clear error, exactly
one ledger row per call, and retries only where they make sense."""

from __future__ import annotations

import pytest

import toolkit as tk
from toolkit.testing import Outcome

KEY = "test-key-123456"

# (outcome scripted first, then "ok" queued behind it; expected status or exception; server calls made)
CASES = [
    ("ok", "ok", 1),
    ("400", tk.ProviderError, 1),
    ("403", tk.ProviderError, 1),
    ("404", tk.ModelNotFoundError, 1),
    ("429", "ok", 2),
    ("500", "ok", 2),
    ("503", "ok", 2),
    ("504", "ok", 2),
    ("drop", "ok", 2),
    ("html", "ok", 2),
    ("malformed", "ok", 2),
    ("blocked", "blocked", 1),
    ("image_safety", "blocked", 1),
    ("image_prohibited_content", "blocked", 1),
    ("no_image", "no_image", 1),
    ("image_other", "no_image", 1),
    ("text_only", "no_image", 1),
    (Outcome.many_images(3), "ok", 1),
    (Outcome.thoughts_with_interim_images(), "ok", 1),
    (Outcome.junk_image(), "ok", 2),  # a 200 whose image is not an image: a malformed reply, retried
    (Outcome.raw({"candidates": {"0": {}}}), "ok", 2),  # an odd shape: a malformed reply, retried
]


@pytest.mark.parametrize(("outcome", "expect", "calls"), CASES, ids=[str(c[0])[:40] for c in CASES])
def test_each_fault(gemini, server, outcome, expect, calls):
    server.enqueue(outcome, "ok")
    if isinstance(expect, str):
        r = gemini.generate("a fault test", image_size="512")
        assert r.status == expect
        finals = outcome.count if isinstance(outcome, Outcome) and outcome.kind == "many_images" else 1
        assert len(r.outputs) == (finals if expect == "ok" else 0)  # every non-thought image, never a thought
        if expect != "ok":
            assert r.reason
    else:
        with pytest.raises(expect) as info:
            gemini.generate("a fault test", image_size="512")
        assert str(info.value.code) in str(info.value) and "Fix:" in str(info.value)
    assert server.call_count == calls
    assert len(gemini.ledger) == 1  # exactly one row per call, whatever happened


def test_stall_past_the_client_timeout_is_retried(server, home):
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home, timeout_s=0.5,
                       retry=tk.RetryPolicy(initial_delay_s=0.01))
    server.enqueue(Outcome.stall(2.0), "ok")
    r = studio.generate("a slow reply", image_size="512")
    assert r.status == "ok" and r.attempts == 2
    assert len(studio.ledger) == 1


def test_added_latency_is_measured(server, home):
    server.latency_s = 0.3
    try:
        studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home)
        r = studio.generate("a patient reply", image_size="512")
    finally:
        server.latency_s = 0.0
    assert r.latency_s >= 0.3 and studio.ledger.df["latency_s"].iloc[0] >= 0.3


def test_a_batch_of_cells_continues_past_failures_and_keeps_every_good_result(server, home):
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home,
                       retry=tk.RetryPolicy(attempts=1))
    server.enqueue("ok", "400", "ok", "403", "ok", "image_safety", "ok", "ok")
    r = studio.generate("a study cell", n=8, image_size="512")
    assert len(r.images) == 5 and len(r.errors) == 2 and r.status == "error"
    df = studio.ledger.df
    assert len(df) == 8 and sorted(df["status"].value_counts().items()) == [("blocked", 1), ("error", 2), ("ok", 5)]
    # running it again replays the five good cells and sends only the three that did not succeed
    before = server.call_count
    again = studio.generate("a study cell", n=8, image_size="512")
    assert server.call_count - before == 3 and len(again.images) == 8
