"""The Gemini backend (transport) through the real google-genai SDK against the loopback FakeGeminiServer.

Reply parsing and error mapping: test_gemini_wire.py; batch mode: test_gemini_batch.py."""

import time

import pytest

import toolkit as tk
from toolkit import registry

KEY = "test-key-123456"


def test_success_is_priced_stored_and_recorded(gemini, server):
    r = gemini.generate("a cat eating a nano-banana", aspect_ratio="16:9", image_size="512")
    info = registry.lookup(registry.DEFAULT_MODEL)
    assert r.status == "ok" and r.backend == "gemini"
    assert r.image.size == info.pixel_size("16:9", "512")
    assert r.usage["output_image_tokens"] == 747
    assert r.cost_usd == pytest.approx(r.list_cost_usd) and r.cost_usd > 0.044
    assert r.response_id
    assert server.call_count == 1
    sent = server.requests[-1]
    assert sent.version == "v1beta" and sent.model == info.id
    gen = sent.json.get("generationConfig") or sent.json.get("generation_config")
    assert gen["imageConfig"]["aspectRatio"] == "16:9" and "candidateCount" not in gen
    row = gemini.ledger.df.iloc[-1]
    assert row["status"] == "ok" and row["cost_usd"] == pytest.approx(r.cost_usd) and row["attempts"] == 1


def test_cache_replay_sends_nothing(gemini, server):
    first = gemini.generate("a red kite", image_size="512")
    calls = server.call_count
    again = gemini.generate("a red kite", image_size="512")
    assert server.call_count == calls
    assert again.cached and again.cost_usd == 0 and again.outputs[0].data == first.outputs[0].data
    assert gemini.spent_usd == pytest.approx(first.cost_usd)


@pytest.mark.parametrize("fault", ["malformed", "html", "drop"])
def test_transport_and_garbage_replies_are_retried(gemini, server, fault):
    server.enqueue(fault, "ok")
    r = gemini.generate("a kettle", image_size="512")
    assert r.status == "ok" and r.attempts == 2 and server.call_count == 2


def test_503_then_success(gemini, server):
    server.enqueue("503", "ok")
    assert gemini.generate("a tram", image_size="512").attempts == 2


def test_retries_give_up_after_policy(gemini, server):
    server.enqueue("503", "503", "503", "503", "503")
    with pytest.raises(tk.ProviderError, match="after 4 attempts"):
        gemini.generate("a bridge", image_size="512")
    assert server.call_count == 4


def test_budget_refusal_sends_nothing(server, home):
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home, budget_usd=0.05)
    with pytest.raises(tk.BudgetExceededError) as info:
        studio.generate("an expensive painting")  # 1K image: about $0.067
    err = info.value
    assert err.spent_usd == 0 and err.budget_usd == 0.05 and err.estimate_usd > 0.05
    assert "spent $0.0000" in str(err) and "cap is $0.0500" in str(err)
    assert server.call_count == 0
    assert studio.ledger.df["status"].tolist() == ["refused"]
    studio.budget_usd = 0.2
    studio.generate("an expensive painting")
    with pytest.raises(tk.BudgetExceededError):
        studio.generate("another expensive painting", n=2)
    assert server.call_count == 1


def test_n_runs_concurrently(server, home):
    server.latency_s = 0.4
    try:
        studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home)
        start = time.perf_counter()
        r = studio.generate("four frogs", n=4, image_size="512")
        elapsed = time.perf_counter() - start
    finally:
        server.latency_s = 0.0
    assert len(r.images) == 4 and server.call_count == 4
    assert elapsed < 4 * 0.4  # sequential would take at least 1.6 s
    assert all(
        "candidateCount" not in (q.json.get("generationConfig") or {}) for q in server.requests
    )


def test_partial_failure_keeps_good_images(gemini, server):
    server.enqueue("400", "ok", "ok")
    r = gemini.generate("three owls", n=3, image_size="512")
    assert len(r.images) == 2 and r.status == "error" and len(r.errors) == 1
    assert sorted(gemini.ledger.df["status"]) == ["error", "ok", "ok"]


def test_chat_replays_thought_signatures(gemini, server):
    chat = gemini.chat(gemini_api="generate_content")  # the full-replay path (Interactions is the default)
    first = chat.send("a red boat", image_size="512")
    second = chat.send("make it night time", image_size="512")  # the fake answers 400 without signatures
    assert first.status == second.status == "ok"
    history = server.requests[-1].json["contents"]
    model_parts = history[1]["parts"]
    assert any(p.get("thoughtSignature") or p.get("thought_signature") for p in model_parts)
    # a new Chat replays both turns from the cache, then continues on the server with the signatures intact
    calls = server.call_count
    again = gemini.chat(gemini_api="generate_content")
    assert again.send("a red boat", image_size="512").cached
    assert again.send("make it night time", image_size="512").cached
    assert server.call_count == calls
    third = again.send("add a moon", image_size="512")
    assert third.status == "ok" and server.call_count == calls + 1


def test_models_lists_live_image_models(gemini):
    df = gemini.models()
    assert registry.DEFAULT_MODEL in set(df["model"])


def test_base_url_from_environment(server, home, monkeypatch):
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.base_url)
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    studio = tk.Studio(home=home)
    assert studio.backend.kind == "gemini" and server.base_url in repr(studio)
    assert studio.generate("a pear", image_size="512").status == "ok"
    assert server.call_count == 1


def test_bad_base_url_is_refused(home):
    with pytest.raises(tk.ConfigError, match="needs a scheme and a host"):
        tk.Studio(backend="gemini", api_key=KEY, base_url="localhost:8080", home=home)
