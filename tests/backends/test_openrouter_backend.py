"""The OpenRouter backend through the real ``openai`` client against the loopback FakeOpenRouterServer."""

from __future__ import annotations

import base64
import io
import logging
import time

import pytest
from PIL import Image

import toolkit as tk
from toolkit import pricing, registry
from toolkit.backends.openrouter import REASONING_PREFIX, openrouter_model, parse_completion
from toolkit.testing import FakeOpenRouterServer, Outcome

KEY = "sk-or-v1-test-4242424242"
QUICK = tk.RetryPolicy(attempts=4, initial_delay_s=0.01, max_delay_s=0.02)
M = registry.DEFAULT_MODEL


@pytest.fixture(scope="module")
def fake():
    with FakeOpenRouterServer(api_key=KEY, cost_factor=1.1) as server:
        yield server


@pytest.fixture()
def server(fake):
    fake.reset()
    fake.report_image_tokens = True
    yield fake
    fake.reset()


@pytest.fixture()
def studio(server, home):
    return tk.Studio(backend="openrouter", api_key=KEY, base_url=server.base_url, home=home, retry=QUICK)


def _decode(url: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


# -- success --------------------------------------------------------------------------------------------


def test_success_records_provider_cost_beside_list_estimate(studio, server):
    server.enqueue(Outcome.ok(cost=0.0123))
    r = studio.generate("a lighthouse at dusk", aspect_ratio="16:9", image_size="512")
    info = registry.lookup(M)
    assert r.status == "ok" and r.backend == "openrouter" and r.model == M
    assert r.image.size == info.pixel_size("16:9", "512") and r.outputs[0].mime == "image/jpeg"
    assert r.usage["output_image_tokens"] == 747 and r.usage["thought_tokens"] == 64
    assert r.usage["output_tokens"] == r.usage["output_image_tokens"] + r.usage["output_tokens"] - 747
    assert r.cost_usd == pytest.approx(0.0123)  # OpenRouter's usage.cost is the money spent
    assert r.list_cost_usd == pytest.approx(pricing.list_cost(info, r.usage)) and r.list_cost_usd > 0.04
    assert studio.spent_usd == pytest.approx(0.0123)
    row = studio.ledger.df.iloc[-1]
    assert row["backend"] == "openrouter" and row["cost_usd"] == pytest.approx(0.0123)
    assert row["list_cost_usd"] == pytest.approx(r.list_cost_usd) and row["attempts"] == 1
    sent = server.calls[-1]
    assert sent.path == "/api/v1/chat/completions" and sent.headers["authorization"] == "<redacted>"
    assert sent.json["model"] == "google/gemini-3.1-flash-image"
    assert sent.json["modalities"] == ["image", "text"]
    assert sent.json["image_config"] == {"aspect_ratio": "16:9", "image_size": "512"}
    assert sent.json["messages"] == [{"role": "user", "content": [{"type": "text", "text": "a lighthouse at dusk"}]}]
    assert "seed" not in sent.json and "temperature" not in sent.json
    assert sent.headers["x-title"] == "Flash Image Toolkit"


def test_default_cost_is_the_reported_figure_not_the_list_price(studio, server):
    r = studio.generate("a red kite", image_size="512")
    assert r.cost_usd == pytest.approx(r.list_cost_usd * 1.1)  # the fake bills list x 1.1


def test_seed_and_temperature_are_sent(studio, server):
    studio.generate("a blue door", image_size="512", seed=7, temperature=0.5)
    assert server.calls[-1].json["seed"] == 7 and server.calls[-1].json["temperature"] == 0.5


def test_edit_sends_the_image_as_a_data_url_part(studio, server):
    cat = tk.sample("cat")
    r = studio.edit(cat, "make it black and white", image_size="512")
    assert r.status == "ok" and r.usage["input_tokens"] > 1120
    parts = server.calls[-1].json["messages"][-1]["content"]
    assert parts[0] == {"type": "text", "text": "make it black and white"}
    assert parts[1]["type"] == "image_url" and parts[1]["image_url"]["url"].startswith("data:image/")
    assert r.request.input_images[0].data == base64.b64decode(parts[1]["image_url"]["url"].split(",", 1)[1])


def test_image_tokens_are_estimated_when_not_reported(studio, server):
    server.report_image_tokens = False
    r = studio.generate("a quiet harbour", image_size="512")
    assert r.usage["output_image_tokens"] == 747


def test_cache_replay_sends_nothing(studio, server):
    first = studio.generate("a green kite", image_size="512")
    again = studio.generate("a green kite", image_size="512")
    assert server.call_count == 1 and again.cached and again.cost_usd == 0
    assert again.outputs[0].data == first.outputs[0].data
    assert again.list_cost_usd == pytest.approx(first.list_cost_usd)


def test_cache_keys_are_per_backend(server, home):
    offline = tk.Studio(backend="offline", home=home)
    off = offline.generate("a grey kite", image_size="512")
    routed = tk.Studio(backend="openrouter", api_key=KEY, base_url=server.base_url, home=home)
    r = routed.generate("a grey kite", image_size="512")
    assert not r.cached and r.key != off.key and server.call_count == 1


def test_n_images_are_separate_concurrent_calls(studio, server):
    r = studio.generate("a bowl of fruit", image_size="512", n=3)
    assert len(r.images) == 3 and server.call_count == 3


# -- refusals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "status", "reason"),
    [("blocked", "blocked", "IMAGE_SAFETY"), ("prohibited_content", "blocked", "PROHIBITED_CONTENT"),
     ("no_image", "no_image", "NO_IMAGE"), ("text_only", "no_image", "text only")],
)
def test_refusals_are_results_with_a_reason(studio, server, outcome, status, reason):
    server.enqueue(outcome)
    r = studio.generate("a garden", image_size="512")
    assert r.status == status and reason in r.reason and not r.outputs
    assert r.cost_usd > 0  # OpenRouter still bills the prompt of a refused request
    assert not studio.generate("a garden", image_size="512").cached  # refusals are never cached
    assert studio.ledger.df["status"].iloc[0] == status


def test_simulated_safety_refusal_maps_to_blocked(studio):
    r = studio.generate("a garden [sim:image_safety]", image_size="512")
    assert r.status == "blocked" and r.reason.startswith("IMAGE_SAFETY")


# -- errors ---------------------------------------------------------------------------------------------


def test_402_is_raised_clearly_and_not_retried(studio, server):
    server.enqueue("402")
    with pytest.raises(tk.ProviderError) as info:
        studio.generate("a tram", image_size="512")
    e = info.value
    assert e.code == 402 and e.status == "INSUFFICIENT_CREDITS" and e.attempts == 1 and not e.retryable
    assert "credits" in e.hint and "Insufficient credits" in str(e) and "Fix:" in str(e)
    assert server.call_count == 1
    row = studio.ledger.df.iloc[-1]
    assert row["status"] == "error" and "402" in row["error"] and row["cost_usd"] == 0


def test_400_and_404_are_not_retried(studio, server):
    server.enqueue(Outcome.error(400, "image_config.aspect_ratio is invalid"))
    with pytest.raises(tk.ProviderError) as info:
        studio.generate("a bus", image_size="512")
    assert info.value.code == 400 and "aspect_ratio is invalid" in str(info.value)
    server.enqueue("404")
    with pytest.raises(tk.ModelNotFoundError) as info:
        studio.generate("a bus", image_size="512")
    assert "google/gemini-3.1-flash-image" in info.value.hint and server.call_count == 2


@pytest.mark.parametrize("fault", ["429", "502", "524", "529", "drop", "html", "malformed"])
def test_retryable_failures_then_success(studio, server, fault):
    server.enqueue(fault, "ok")
    r = studio.generate("a kettle", image_size="512")
    assert r.status == "ok" and r.attempts == 2 and server.call_count == 2
    assert len(studio.ledger) == 1 and studio.ledger.df["attempts"].iloc[-1] == 2


def test_429_retry_after_is_honoured(studio, server):
    server.enqueue(Outcome.error(429, retry_after=0.3), "ok")
    start = time.perf_counter()
    r = studio.generate("a windmill", image_size="512")
    assert time.perf_counter() - start >= 0.3 and r.attempts == 2


def test_retries_give_up_with_the_last_error(studio, server):
    server.enqueue("524", "524", "524", "524")
    with pytest.raises(tk.ProviderError) as info:
        studio.generate("a crane", image_size="512")
    assert info.value.code == 524 and info.value.attempts == 4 and "Cloudflare 524" in info.value.hint
    assert server.call_count == 4


def test_error_inside_a_200_body_is_a_provider_error():
    body = {"id": "gen-1", "choices": [{"finish_reason": "error", "error": {"code": 502, "message": "upstream died"},
                                        "message": {"role": "assistant", "content": ""}}]}
    with pytest.raises(tk.ProviderError) as info:
        parse_completion(body, registry.lookup(M))
    assert info.value.code == 502 and info.value.retryable


def test_byok_cost_adds_the_upstream_inference_cost():
    body = {"id": "gen-2", "choices": [{"finish_reason": "stop", "native_finish_reason": "STOP",
                                        "message": {"role": "assistant", "content": "hi"}}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "cost": 0.001, "is_byok": True,
                      "cost_details": {"upstream_inference_cost": 0.02}}}
    reply = parse_completion(body, registry.lookup(M))
    assert reply.extra["cost_usd"] == pytest.approx(0.021) and reply.status == "no_image"


# -- configuration --------------------------------------------------------------------------------------


def test_environment_configures_key_and_base_url(server, home, monkeypatch):
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    monkeypatch.setenv("OPENROUTER_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/not-here")  # OpenAI's variable is ignored
    monkeypatch.setenv("OPENAI_ORG_ID", "org-should-not-leak")
    studio = tk.Studio(backend="openrouter", home=home)
    assert studio.backend.base_url == server.base_url
    assert studio.generate("a lamp", image_size="512").status == "ok"
    assert "openai-organization" not in server.calls[-1].headers


def test_missing_key_names_the_variable(home, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key-not-for-openrouter")
    with pytest.raises(tk.ConfigError, match="OPENROUTER_API_KEY"):
        tk.Studio(backend="openrouter", home=home)


def test_auto_never_picks_openrouter(home, monkeypatch):
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    assert tk.Studio(home=home).backend.kind == "offline"


def test_bad_base_url_is_refused(home, monkeypatch):
    with pytest.raises(tk.ConfigError, match="base_url"):
        tk.Studio(backend="openrouter", api_key=KEY, base_url="openrouter.ai/api/v1", home=home)
    monkeypatch.setenv("OPENROUTER_BASE_URL", "nope")
    with pytest.raises(tk.ConfigError, match="OPENROUTER_BASE_URL"):
        tk.Studio(backend="openrouter", api_key=KEY, home=home)


def test_model_ids_map_to_openrouter_slugs():
    assert openrouter_model("nano-banana-pro") == "google/gemini-3-pro-image"
    assert openrouter_model("gemini-2.5-flash-image") == "google/gemini-2.5-flash-image"
    assert openrouter_model("gemini-nano-banana-2.1") == "google/gemini-nano-banana-2.1"  # no openrouter_id
    assert openrouter_model("gemini-9-image") == "google/gemini-9-image"


def test_models_lists_image_models_as_toolkit_ids(studio):
    df = studio.models()
    assert M in set(df["model"]) and df["in_registry"].all()
    assert "gemini-2.5-flash" not in set(df["model"])  # a text-only model is filtered out


# -- chat -----------------------------------------------------------------------------------------------


def test_chat_replays_images_and_reasoning_details(studio, server):
    chat = studio.chat()
    first = chat.send("a cat on a sofa", image_size="512")
    second = chat.send("now add a moon", image_size="512")
    assert first.status == second.status == "ok"
    sent = server.calls[-1].json["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assistant = sent[1]
    assert assistant["images"][0]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert _decode(assistant["images"][0]["image_url"]["url"]).size == first.image.size
    assert assistant["reasoning_details"][0]["type"] == "reasoning.encrypted"
    sig = first.model_turn.parts[0].thought_signature
    assert sig.startswith(REASONING_PREFIX)


# -- secrets --------------------------------------------------------------------------------------------


def test_key_is_never_shown_stored_or_logged(server, home, caplog):
    caplog.set_level(logging.DEBUG)
    studio = tk.Studio(backend="openrouter", api_key=KEY, base_url=server.base_url, home=home, retry=QUICK)
    shown = [repr(studio), repr(studio.backend), studio.backend.description]
    studio.generate("a fox", image_size="512")
    server.enqueue("429", "402")
    with pytest.raises(tk.ProviderError) as info:
        studio.generate("a fox at night", image_size="512")
    shown += [str(info.value), repr(info.value)]
    wrong = tk.Studio(backend="openrouter", api_key="sk-or-v1-wrong-9999999", base_url=server.base_url, home=home)
    with pytest.raises(tk.ProviderError) as info:
        wrong.generate("a fox in the snow", image_size="512")
    assert info.value.code == 401 and "OPENROUTER_API_KEY" in info.value.hint
    shown += [str(info.value), studio.ledger.df.to_string()]
    assert not any(KEY in s or "sk-or-v1-wrong" in s for s in shown)
    assert not any(KEY in rec.getMessage() for rec in caplog.records)
    for path in home.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(("option", "value"), [("thinking_level", "high"), ("include_thoughts", True),
                                               ("grounding", "web"), ("service_tier", "flex")])
def test_thinking_grounding_and_tiers_are_refused_naming_the_backends_that_have_them(studio, server, option, value):
    with pytest.raises(tk.OptionError, match=f"{option} is a .*Gemini API.* option") as err:
        studio.generate("a kite", **{option: value})
    assert "OpenRouter has no such setting" in str(err.value)
    assert server.call_count == 0
