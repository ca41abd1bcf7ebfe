"""The Interactions transport through the real google-genai SDK against FakeGeminiServer's /interactions."""

from __future__ import annotations

import base64
import io
import json
import urllib.error
import urllib.request

import pytest
from PIL import Image

import toolkit as tk
from toolkit import registry
from toolkit.backends.interactions import (
    InteractionExpired,
    InteractionsBackend,
    InteractionsRequest,
    interactions_api_version,
    parse_interaction,
    to_provider_error,
)
from toolkit.request import ImagePart, Options, TextPart, Turn
from toolkit.runner import run
from toolkit.testing import Outcome

KEY = "test-key-123456"
M = registry.DEFAULT_MODEL


def _request(prompt="make it night time", *, image=True, previous=None, **opts):
    parts = [TextPart(prompt)]
    if image:
        img = tk.load_image(tk.sample("cat"))
        parts.append(ImagePart(img.data, img.mime, img.sha256))
    turn = Turn("user", tuple(parts))
    return InteractionsRequest("gemini", M, (turn,), Options(image_size="512", **opts), operation="chat",
                               previous_interaction_id=previous)


@pytest.fixture()
def backend(server):
    return InteractionsBackend(KEY, base_url=server.base_url)


def _all_strings(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _all_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _all_strings(v)
    elif isinstance(obj, str):
        yield obj


# -- the wire ---------------------------------------------------------------------------------------------------
def test_second_turn_uploads_only_text_and_the_previous_id(gemini, server):
    chat = gemini.chat()
    first = chat.send("Make it night time", images=[tk.sample("cat")], image_size="512")
    second = chat.send("Now add a moon", image_size="512")
    assert first.status == second.status == "ok" and first.response_id != second.response_id
    one, two = server.interactions.creates
    assert one.path == "/v1/interactions" and one.json["store"] is True  # the SDK's default version for Interactions
    assert one.json["input"][0]["type"] == "user_input"
    assert [c["type"] for c in one.json["input"][0]["content"]] == ["text", "image"]
    assert "previous_interaction_id" not in one.json
    assert two.json["input"] == "Now add a moon"
    assert two.json["previous_interaction_id"] == first.response_id and two.json["store"] is True
    assert max(len(s) for s in _all_strings(two.json)) < 100  # no image, no signature: text and an id
    assert two.bytes_in < 400 < 100_000 < one.bytes_in
    assert server.call_count == 0  # nothing went through generateContent


def test_image_settings_go_in_response_format_every_turn(gemini, server):
    chat = gemini.chat()
    first = chat.send("Make it night time", images=[tk.sample("cat")], aspect_ratio="16:9", image_size="512")
    chat.send("Now add a moon", aspect_ratio="16:9", image_size="512")
    for call in server.interactions.creates:
        assert {"type": "image", "aspect_ratio": "16:9", "image_size": "512"} in call.json["response_format"]
        assert {"type": "text"} in call.json["response_format"]
        assert "image_config" not in (call.json.get("generation_config") or {})  # deprecated on Interactions
    assert first.image.size == registry.lookup(M).pixel_size("16:9", "512")


def test_seed_goes_in_generation_config(backend, server):
    run(backend.generate(_request(seed=7)))
    assert server.interactions.creates[-1].json["generation_config"] == {"seed": 7}


def test_v1beta_is_served_and_follows_the_environment(server, monkeypatch):
    monkeypatch.setenv("GOOGLE_GENAI_API_VERSION", "v1beta")
    reply = run(InteractionsBackend(KEY, base_url=server.base_url).generate(_request()))
    assert reply.status == "ok" and server.interactions.creates[-1].path == "/v1beta/interactions"


def test_api_version_choice(monkeypatch):
    assert interactions_api_version(None) == "v1"
    assert interactions_api_version("v1beta") == "v1"  # the generate_content default does not carry over
    assert interactions_api_version("v1alpha") == "v1alpha"  # an explicit other version does
    monkeypatch.setenv("GOOGLE_GENAI_API_VERSION", "v1beta")
    assert interactions_api_version(None) == "v1beta"


# -- statuses and usage -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("outcome", "status", "reason"),
    [("no_image", "no_image", "text only"), ("failed", "error", "failed: Internal error"),
     ("blocked", "blocked", "Prohibited Use policy"), ("incomplete", "error", "incomplete: The response was cut off")],
)
def test_every_status_maps_to_a_result(gemini, server, outcome, status, reason):
    server.interactions.enqueue(outcome)
    r = gemini.chat().send("Make it night time", images=[tk.sample("cat")], image_size="512")
    assert r.status == status and reason in r.reason and not r.outputs
    assert len(gemini.ledger) == 1 and gemini.ledger.df["status"].iloc[0] == status
    again = gemini.chat().send("Make it night time", images=[tk.sample("cat")], image_size="512")
    assert again.status == "ok" and not again.cached  # never cached


def test_simulator_refusal_is_blocked(gemini, server):
    r = gemini.chat().send("a cat [sim:blocked]", image_size="512")
    assert r.status == "blocked" and "safety" in r.reason


def test_usage_is_mapped_and_priced(gemini, server):
    chat = gemini.chat()
    first = chat.send("Make it night time", images=[tk.sample("cat")], image_size="512")
    second = chat.send("Now add a moon", image_size="512")
    info = registry.lookup(M)
    assert first.usage["input_image_tokens"] == info.input_image_tokens
    assert second.usage["input_image_tokens"] == 0  # only the new turn is reported, as real stateful turns are
    for r in (first, second):
        assert r.usage["output_image_tokens"] == 747 and r.usage["thought_tokens"] > 0
        assert r.cost_usd == pytest.approx(r.list_cost_usd) and r.cost_usd == pytest.approx(tk.list_cost(info, r.usage))


def test_parse_a_recorded_turn_two_response():
    # the real turn-2 response of the reference (vercel/ai fixture image-output-modify.json), data shortened
    body = {"id": "v1_Chdv", "status": "completed", "model": "gemini-3-pro-image-preview",
            "usage": {"total_tokens": 1403, "total_input_tokens": 6,
                      "input_tokens_by_modality": [{"modality": "text", "tokens": 6}], "total_cached_tokens": 0,
                      "total_output_tokens": 1250, "output_tokens_by_modality": [{"modality": "image", "tokens": 1120}],
                      "total_tool_use_tokens": 0, "total_thought_tokens": 147},
            "steps": [{"type": "thought", "signature": "EtelrAEK0qWsAQEM"},
                      {"type": "model_output", "content": [{"type": "image", "mime_type": "image/jpeg",
                                                             "data": "/9j/4AAQ"}]}]}
    reply = parse_interaction(body)
    assert reply.status == "ok" and reply.response_id == "v1_Chdv" and reply.images[0].mime == "image/jpeg"
    assert reply.usage == {"input_tokens": 6, "input_image_tokens": 0, "output_tokens": 1250,
                           "output_image_tokens": 1120, "thought_tokens": 147, "cached_tokens": 0}
    assert reply.extra["signature_chars"] == 16


def test_parse_takes_the_last_image_after_the_last_user_input_and_skips_thought_images():
    img = "iVBORw0KGgo="
    body = {"id": "x", "status": "completed", "steps": [
        {"type": "user_input", "content": [{"type": "text", "text": "old"}]},
        {"type": "model_output", "content": [{"type": "image", "mime_type": "image/png", "data": "b2xk"}]},
        {"type": "user_input", "content": [{"type": "text", "text": "new"}]},
        {"type": "thought", "signature": "c2ln", "summary": [{"type": "image", "mime_type": "image/png", "data": "aW50"}]},
        {"type": "model_output", "content": [{"type": "text", "text": "Here"},
                                             {"type": "image", "mime_type": "image/png", "data": img}]}]}
    reply = parse_interaction(body)
    assert reply.text == "Here" and reply.images[0].data.startswith(b"\x89PNG")
    assert [type(p).__name__ for p in reply.model_turn.parts] == ["TextPart", "ImagePart"]


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [({"status": "completed", "steps": [{"type": "model_output", "content": [
        {"type": "image", "mime_type": "image/jpeg", "uri": "https://x/files/1"}]}]}, "no_image", "delivery='uri'"),
     ({"status": "requires_action", "steps": []}, "error", "unfinished (requires_action)"),
     ({"status": "cancelled", "errors": [{"code": "cancelled", "message": "Cancelled by the user"}]}, "error",
      "cancelled: Cancelled by the user"),
     ({"status": "completed", "steps": []}, "no_image", "completed with no image")],
)
def test_parse_edge_statuses(body, status, reason):
    reply = parse_interaction({"id": "x", **body})
    assert reply.status == status and reason in reply.reason and reply.model_turn is None


# -- errors and retries -----------------------------------------------------------------------------------------
def test_503_is_retried_by_us_once_not_by_the_sdk(gemini, server):
    server.interactions.enqueue(503, "ok")
    r = gemini.chat().send("Make it night time", images=[tk.sample("cat")], image_size="512")
    assert r.status == "ok" and r.attempts == 2
    assert server.interactions.call_count == 2  # the SDK's own 5 attempts are off
    assert len(gemini.ledger) == 1 and gemini.ledger.df["attempts"].iloc[0] == 2


def test_persistent_503_raises_provider_error_after_our_attempts(server, home):
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home,
                       retry=tk.RetryPolicy(attempts=2, initial_delay_s=0.01, max_delay_s=0.02))
    server.interactions.enqueue(503, 503, 503)
    with pytest.raises(tk.ProviderError) as err:
        studio.chat().send("Make it night time", image_size="512")
    assert err.value.code == 503 and err.value.status == "unavailable" and err.value.attempts == 2
    assert "overloaded" in str(err.value) and KEY not in str(err.value)
    assert server.interactions.call_count == 2  # 2 of ours x 1 of the SDK's, not 2 x 5
    assert studio.ledger.df["status"].tolist() == ["error"]


def test_400_is_not_retried(gemini, server):
    server.interactions.enqueue(Outcome.error(400, "Unsupported thing."))
    with pytest.raises(tk.ProviderError) as err:
        gemini.chat().send("Make it night time", image_size="512")
    assert err.value.code == 400 and err.value.status == "invalid_request" and server.interactions.call_count == 1


def test_429_then_ok(server, home):
    # An Interactions 429 body has no RetryInfo, so the rate limiter pauses for its own cooldown.
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home,
                       retry=tk.RetryPolicy(attempts=3, initial_delay_s=0.01), rate_limit=tk.RateLimit(cooldown_s=0.05))
    server.interactions.enqueue(429, "ok")
    assert studio.chat().send("a boat", image_size="512").attempts == 2
    assert server.interactions.call_count == 2


def test_the_sdk_raises_its_own_hierarchy_which_we_map(backend, server):
    from google.genai import _interactions, errors

    server.interactions.enqueue(503)
    with pytest.raises(tk.ProviderError):
        run(backend.generate(_request()))
    assert server.interactions.call_count == 1
    # the raw SDK error is not a google.genai.errors.APIError: a generate_content mapping would miss it
    server.interactions.enqueue(503)
    with pytest.raises(Exception) as info:  # inspecting exactly what the SDK raised
        run(backend.client.aio.interactions.create(model=M, input="x"))
    raw = info.value
    assert isinstance(raw, _interactions.InternalServerError) and not isinstance(raw, errors.APIError)
    mapped = to_provider_error(raw, M)
    assert isinstance(mapped, tk.ProviderError) and mapped.code == 503 and mapped.retryable


def test_unknown_previous_id_is_expiry_but_unknown_model_is_not(backend, server):
    with pytest.raises(InteractionExpired) as err:
        run(backend.generate(_request(image=False, previous="v1_gone")))
    assert err.value.interaction_id == "v1_gone" and not isinstance(err.value, tk.ProviderError)
    bad = InteractionsRequest("gemini", "gemini-9-image", _request().turns, Options(), previous_interaction_id="v1_x")
    with pytest.raises(tk.ModelNotFoundError):
        run(backend.generate(bad))


def test_transport_failure_is_a_retryable_provider_error(server):
    backend = InteractionsBackend(KEY, base_url="http://127.0.0.1:9", timeout_s=2)
    with pytest.raises(tk.ProviderError) as err:
        run(backend.generate(_request()))
    assert err.value.code is None and err.value.retryable


# -- the fake's endpoints ---------------------------------------------------------------------------------------
def test_get_and_delete(backend, server):
    reply = run(backend.generate(_request()))
    got = run(backend.get(reply.response_id))
    assert [s["type"] for s in got["steps"]][:1] == ["user_input"] and parse_interaction(got).status == "ok"
    assert parse_interaction(got).images[0].sha256 == reply.images[0].sha256
    run(backend.delete(reply.response_id))
    with pytest.raises(InteractionExpired):
        run(backend.get(reply.response_id))
    with pytest.raises(InteractionExpired):
        run(backend.delete(reply.response_id))
    assert [c.action for c in server.interactions.requests] == ["create", "get", "delete", "get", "delete"]


def test_state_expires_after_ttl(backend, server):
    now = [1_000.0]
    server.interactions.clock = lambda: now[0]
    try:
        reply = run(backend.generate(_request()))
        follow = _request("now add a moon", image=False, previous=reply.response_id)
        assert run(backend.generate(follow)).status == "ok"
        now[0] += server.interactions.ttl_s  # a day later (free tier)
        with pytest.raises(InteractionExpired):
            run(backend.generate(follow))
    finally:
        import time

        server.interactions.clock = time.time


def test_follow_up_edits_the_conversations_last_image(backend, server):
    first = run(backend.generate(_request()))
    second = run(backend.generate(_request("now add a moon", image=False, previous=first.response_id)))
    stored = server.interactions.stored(second.response_id)
    assert stored["previous_interaction_id"] == first.response_id
    assert second.images and second.images[0].sha256 != first.images[0].sha256


def test_fake_accepts_the_deprecated_image_config_and_a_dict_format(server):
    from google import genai
    from google.genai import types

    client = genai.Client(api_key=KEY, http_options=types.HttpOptions(
        base_url=server.base_url, retry_options=types.HttpRetryOptions(attempts=1)))
    with pytest.deprecated_call():  # google-genai 3.3.0 marks generation_config.image_config deprecated
        old = client.interactions.create(
            model=M, input="a lighthouse", generation_config={"image_config": {"aspect_ratio": "9:16", "image_size": "512"}})
    new = client.interactions.create(model=M, input="a lighthouse",
                                     response_format={"type": "image", "aspect_ratio": "9:16", "image_size": "512"})
    assert old.status == new.status == "completed" and old.output_image is not None
    assert not new.output_text  # image-only response_format: no text
    size = registry.lookup(M).pixel_size("9:16", "512")
    for it in (old, new):
        assert Image.open(io.BytesIO(base64.b64decode(it.output_image.data))).size == size


def test_error_bodies_have_the_interactions_shape(server):
    req = urllib.request.Request(
        f"{server.base_url}/v1beta/interactions", method="POST",
        data=json.dumps({"model": M, "input": "x", "response_format": {"type": "image", "aspect_ratio": "7:3"}}).encode(),
        headers={"x-goog-api-key": KEY, "content-type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    body = json.loads(err.value.read())
    assert err.value.code == 400 and body["error"]["code"] == "invalid_request" and "7:3" in body["error"]["message"]


def test_wrong_key_is_refused_before_the_interactions_fake(server):
    backend = InteractionsBackend("wrong-key-000000", base_url=server.base_url)
    with pytest.raises(tk.ProviderError) as err:
        run(backend.generate(_request()))
    assert err.value.code == 400 and server.interactions.call_count == 0


def test_outcome_shortcuts():
    assert Outcome.parse("503") == Outcome.error(503)
    assert Outcome.parse("Blocked").kind == "blocked"
    with pytest.raises(ValueError):
        Outcome.parse("explode")


@pytest.mark.parametrize(("option", "value"), [("thinking_level", "high"), ("include_thoughts", True),
                                               ("grounding", "web"), ("service_tier", "flex")])
def test_options_chats_over_interactions_do_not_carry_are_refused_before_anything_is_recorded(
        gemini, server, option, value):
    chat = gemini.chat()
    with pytest.raises(tk.OptionError, match=f"{option} is not carried by chats over the Interactions API"):
        chat.send("a red boat", image_size="512", **{option: value})
    assert server.call_count == 0
    assert gemini.ledger.df.empty  # refused before the write-ahead row: nothing reserved, nothing sent
    # the fix it names works: the generate_content chat carries it
    other = gemini.chat(gemini_api="generate_content")
    assert other.send("a red boat", image_size="512", **{option: value}).status == "ok"
