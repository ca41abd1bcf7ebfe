"""What every fake shares (toolkit/testing/base.py and loopback.py): Outcome parsing, seeded faults, latency,
recorded requests, the server's lifecycle and keep-alive, exercised through FakeGeminiServer."""

from __future__ import annotations

import contextlib
import http.client
import threading
import time

import httpx2
import pytest
from gemini_helpers import KEY, M3, TODAY, _client, cfg, final_images, png_bytes
from google import genai
from google.genai import errors

from toolkit.testing import FakeGeminiServer, Outcome, Recorded


def test_outcome_shortcuts_and_bad_specs():
    assert Outcome.parse("503") == Outcome.error(503) and Outcome.parse(429).retry_delay == "0.05s"
    assert Outcome.parse("IMAGE_SAFETY") == Outcome.finish("IMAGE_SAFETY")
    assert Outcome.parse("many_images").count == 3
    with pytest.raises(ValueError, match="Unknown outcome"):
        Outcome.parse("explode")
    with pytest.raises(ValueError):
        Outcome.error(200)
    with pytest.raises(ValueError, match="Duration"):
        Outcome.error(429, retry_delay="soon")
    with pytest.raises(ValueError, match="more than 1"):
        FakeGeminiServer(faults={"503": 0.7, "drop": 0.5})


def test_keep_alive_reuses_one_connection(fake):
    conn = http.client.HTTPConnection(fake.host, fake.port, timeout=10)
    try:
        conn.request("GET", "/v1beta/models", headers={"x-goog-api-key": KEY})
        first = conn.getresponse()
        first.read()
        sock = conn.sock
        conn.request("GET", f"/v1beta/models/{M3}", headers={"x-goog-api-key": KEY})
        second = conn.getresponse()
        second.read()
        assert first.status == second.status == 200 and conn.sock is sock and first.version == 11
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------------
# faults, latency, bookkeeping
# --------------------------------------------------------------------------------------------------


def test_faults_are_seeded_and_scripted_outcomes_win():
    faults = {"503": 0.3, "drop": 0.1}

    def run(server: FakeGeminiServer, c: genai.Client) -> list[str]:
        for _ in range(30):
            with contextlib.suppress(errors.APIError, httpx2.TransportError):
                c.models.generate_content(model=M3, contents=["a cat"], config=cfg())
        return [r.outcome for r in server.calls]

    with FakeGeminiServer(static_image=png_bytes(), faults=faults, fault_seed=7, today=TODAY) as server, \
            _client(server.base_url) as c:
        first = run(server, c)
        server.reset()
        second = run(server, c)
        server.reset()
        server.enqueue("400")
        third = run(server, c)
    assert first == second and {"ok", "error", "drop"} <= set(first)
    assert third[0] == "error" and third[1:] == first[:29]  # the script did not consume a random draw


def test_latency_is_honoured(sim_calls):
    with FakeGeminiServer(latency_s=0.2, static_image=png_bytes(), today=TODAY) as server, \
            _client(server.base_url) as c:
        start = time.perf_counter()
        c.models.generate_content(model=M3, contents=["a cat"], config=cfg())
        assert time.perf_counter() - start >= 0.2


def test_concurrent_calls_all_answered():
    with FakeGeminiServer(latency_s=0.05, static_image=png_bytes(), today=TODAY) as server, \
            _client(server.base_url) as c:
        results: list[object] = []

        def call() -> None:
            results.append(c.models.generate_content(model=M3, contents=["a cat"], config=cfg()))

        threads = [threading.Thread(target=call) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert len(results) == 6 and all(final_images(r) for r in results)
        assert server.call_count == 6 and len({r.response_id for r in results}) == 6


def test_call_count_requests_and_reset(fake, client):
    fake.enqueue("503", "ok")
    with pytest.raises(errors.ServerError):
        client.models.generate_content(model=M3, contents=["one"], config=cfg())
    list(client.models.generate_content_stream(model=M3, contents=["two"], config=cfg()))
    list(client.models.list())
    assert fake.call_count == 2 and len(fake.requests) == 3 and len(fake.calls) == 2
    assert all(isinstance(r, Recorded) for r in fake.requests)
    assert [r.action for r in fake.requests] == ["generateContent", "streamGenerateContent", "list"]
    assert fake.requests[0].received_at <= fake.requests[1].received_at
    assert fake.requests[0].json["contents"][0]["parts"][0]["text"] == "one"
    fake.enqueue("500")
    fake.reset()
    assert fake.call_count == 0 and fake.requests == [] and fake.pending == 0
    assert final_images(client.models.generate_content(model=M3, contents=["three"], config=cfg()))


def test_lifecycle_and_repr():
    server = FakeGeminiServer(api_key="do-not-show")
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url
    assert server.start() is server.start()
    assert server.base_url.startswith("http://127.0.0.1:") and "do-not-show" not in repr(server)
    server.stop()
    server.stop()
    assert "stopped" in repr(server)
