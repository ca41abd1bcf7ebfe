"""FakeGeminiServer (toolkit/testing/gemini*.py), driven through the real google-genai SDK (and raw HTTP where
the SDK cannot reach).

One server per module (``fake``, see conftest.py), reset before every test; small images
(``image_size="512"``) keep the simulator quick. The fake believes it is ``TODAY`` so that both the Gemini 3
family and 2.5 Flash Image (shut down 2026-10-02) are live.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json

import httpx2
import pytest
from gemini_helpers import KEY, M3, M25, TODAY, _client, cfg, edit_phrase, final_images, png_bytes, raw, sniff
from google.genai import errors, types
from PIL import Image

from toolkit import registry
from toolkit.testing import FakeGeminiServer, Outcome

# --------------------------------------------------------------------------------------------------
# success path
# --------------------------------------------------------------------------------------------------


def test_generate_returns_image_shaped_like_the_registry(fake, client):
    info = registry.lookup(M3)
    resp = client.models.generate_content(model=M3, contents=["a red fox in the snow"], config=cfg())
    (part,) = final_images(resp)
    data = part.inline_data.data
    assert part.inline_data.mime_type == sniff(data) == info.output_mime
    assert Image.open(io.BytesIO(data)).size == info.pixel_size("16:9", "512")
    usage = resp.usage_metadata
    image_tokens = {d.modality.name: d.token_count for d in usage.candidates_tokens_details}["IMAGE"]
    assert image_tokens == info.output_image_tokens("512") == 747
    assert 120 <= usage.thoughts_token_count <= 300
    assert usage.total_token_count == (
        usage.prompt_token_count + usage.candidates_token_count + usage.thoughts_token_count
    )
    assert [d.modality.name for d in usage.prompt_tokens_details] == ["TEXT"]
    assert resp.candidates[0].finish_reason == types.FinishReason.STOP
    assert resp.model_version == M3
    assert len(resp.response_id) == 22 and set(resp.response_id) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    (sent,) = fake.requests
    assert (sent.method, sent.version, sent.model, sent.action, sent.outcome) == (
        "POST", "v1beta", M3, "generateContent", "ok")
    assert sent.path == f"/v1beta/models/{M3}:generateContent"
    assert sent.json["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "512"}


def test_sdk_default_path_is_v1(fake):
    with _client(fake.base_url, api_version=None) as c:
        resp = c.models.generate_content(model=M3, contents=["a lighthouse"], config=cfg("1:1"))
    assert final_images(resp)
    assert fake.requests[-1].version == "v1" and fake.requests[-1].path.startswith("/v1/models/")


def test_thinking_model_parts_carry_signatures(client):
    resp = client.models.generate_content(model=M3, contents=["a blue bicycle"], config=cfg())
    text, image = resp.candidates[0].content.parts  # no thought parts unless includeThoughts asks
    assert text.text and not text.thought and text.thought_signature.startswith(b"sig:")
    assert image.inline_data and image.thought_signature.startswith(b"sig:")
    assert text.thought_signature != image.thought_signature
    assert resp.usage_metadata.thoughts_token_count > 0  # the model thought all the same


def test_response_modalities_shape_the_parts(client):
    image_only = types.GenerateContentConfig(
        response_modalities=["IMAGE"], image_config=types.ImageConfig(image_size="512"))
    resp = client.models.generate_content(model=M3, contents=["a cat"], config=image_only)
    assert [p for p in resp.candidates[0].content.parts if p.text and not p.thought] == []
    assert len(final_images(resp)) == 1
    text_only = types.GenerateContentConfig(response_modalities=["TEXT"])
    resp = client.models.generate_content(model=M3, contents=["a cat"], config=text_only)
    assert not final_images(resp) and resp.candidates[0].content.parts[-1].text
    with pytest.raises(errors.ClientError, match="response modalities: audio"):
        client.models.generate_content(model=M3, contents=["a cat"],
                                       config=types.GenerateContentConfig(response_modalities=["AUDIO"]))


def test_non_thinking_model_has_no_thoughts_or_signatures(client):
    info = registry.lookup(M25)
    resp = client.models.generate_content(model=M25, contents=["a bowl of fruit"], config=cfg("16:9", None))
    parts = resp.candidates[0].content.parts
    assert not any(p.thought or p.thought_signature for p in parts)
    (image,) = final_images(resp)
    assert sniff(image.inline_data.data) == image.inline_data.mime_type == "image/png"
    assert Image.open(io.BytesIO(image.inline_data.data)).size == (1344, 768) == info.pixel_size("16:9")
    assert resp.usage_metadata.candidates_tokens_details[0].token_count == 1290
    assert resp.usage_metadata.thoughts_token_count is None


def test_edit_sends_the_input_image_to_the_simulator(client, sim_calls):
    info = registry.lookup(M3)
    photo = png_bytes((96, 64))
    contents = [types.Part.from_bytes(data=photo, mime_type="image/png"), edit_phrase()]
    resp = client.models.generate_content(model=M3, contents=contents, config=cfg("3:2"))
    (call,) = sim_calls
    assert call["images"] == [(96, 64)] and call["prompt"] == edit_phrase()
    assert call["model"] is info and (call["aspect_ratio"], call["image_size"]) == ("3:2", "512")
    (part,) = final_images(resp)
    assert Image.open(io.BytesIO(part.inline_data.data)).size == info.pixel_size("3:2", "512")
    image_in = {d.modality.name: d.token_count for d in resp.usage_metadata.prompt_tokens_details}
    assert image_in.get("IMAGE", 0) > 0


def test_seed_from_config_else_stable_hash_of_the_body(client, sim_calls):
    client.models.generate_content(model=M3, contents=["a kite"], config=cfg(seed=42))
    first = client.models.generate_content(model=M3, contents=["a kite"], config=cfg())
    again = client.models.generate_content(model=M3, contents=["a kite"], config=cfg())
    assert sim_calls[0]["seed"] == 42
    assert sim_calls[1]["seed"] == sim_calls[2]["seed"] != 42
    assert final_images(first)[0].inline_data.data == final_images(again)[0].inline_data.data
    assert first.response_id != again.response_id  # the call counter is part of the id


def test_static_image_mode_skips_the_simulator(sim_calls):
    blob = png_bytes((32, 32))
    with FakeGeminiServer(static_image=blob, static_mime="image/png", today=TODAY) as server, \
            _client(server.base_url) as c:
        resp = c.models.generate_content(model=M3, contents=["anything"], config=cfg())
        status, headers, _ = raw(server, "POST", f"/v1beta/models/{M3}:generateContent",
                                 {"contents": [{"parts": [{"text": "x"}]}]})
    assert not sim_calls
    (part,) = final_images(resp)
    assert part.inline_data.data == blob and part.inline_data.mime_type == "image/png"
    assert resp.usage_metadata.candidates_tokens_details[0].token_count == 747
    assert status == 200 and headers["server-timing"].startswith("gfet4t7; dur=")


# --------------------------------------------------------------------------------------------------
# scripted outcomes
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "reason", "has_message"),
    [("image_safety", "IMAGE_SAFETY", True), ("image_prohibited_content", "IMAGE_PROHIBITED_CONTENT", True),
     ("no_image", "NO_IMAGE", False), ("image_other", "IMAGE_OTHER", False),
     (Outcome.finish("IMAGE_RECITATION", message="custom words"), "IMAGE_RECITATION", True)],
)
def test_finish_outcomes_are_200_with_no_parts(fake, client, spec, reason, has_message):
    fake.enqueue(spec, spec)
    resp = client.models.generate_content(model=M3, contents=["a garden"], config=cfg())
    cand = resp.candidates[0]
    assert cand.finish_reason.value == reason and not cand.content.parts
    assert resp.usage_metadata.prompt_token_count > 0 and resp.usage_metadata.thoughts_token_count
    assert fake.requests[-1].outcome == "finish"
    # google-genai 3.3.0 drops finishMessage when parsing Gemini API replies, so read the raw body.
    raw_resp = client.models.generate_content(model=M3, contents=["a garden"],
                                              config=cfg(should_return_http_response=True))
    body = json.loads(raw_resp.sdk_http_response.body)["candidates"][0]
    assert body["finishReason"] == reason and "parts" not in body["content"]
    assert ("finishMessage" in body) is has_message
    if isinstance(spec, Outcome):
        assert body["finishMessage"] == "custom words"


def test_prompt_block_has_feedback_and_no_candidates(fake, client):
    fake.enqueue("blocked", Outcome.blocked("SAFETY"))
    resp = client.models.generate_content(model=M3, contents=["something"], config=cfg())
    assert resp.candidates is None and resp.prompt_feedback.block_reason.value == "PROHIBITED_CONTENT"
    assert resp.usage_metadata.prompt_token_count > 0 and resp.response_id
    resp = client.models.generate_content(model=M3, contents=["something"], config=cfg())
    assert resp.prompt_feedback.block_reason.value == "SAFETY"


def test_text_only(fake, client):
    fake.enqueue(Outcome.text_only("Just words."))
    resp = client.models.generate_content(model=M3, contents=["a cat"], config=cfg())
    parts = resp.candidates[0].content.parts
    assert not final_images(resp) and [p.text for p in parts if not p.thought] == ["Just words."]
    assert resp.candidates[0].finish_reason == types.FinishReason.STOP


@pytest.mark.parametrize(
    ("code", "status", "exc"),
    [(400, "INVALID_ARGUMENT", errors.ClientError), (403, "PERMISSION_DENIED", errors.ClientError),
     (404, "NOT_FOUND", errors.ClientError), (429, "RESOURCE_EXHAUSTED", errors.ClientError),
     (500, "INTERNAL", errors.ServerError), (503, "UNAVAILABLE", errors.ServerError),
     (504, "DEADLINE_EXCEEDED", errors.ServerError)],
)
def test_http_errors_raise_sdk_errors(fake, client, code, status, exc):
    fake.enqueue(str(code))
    with pytest.raises(exc) as info:
        client.models.generate_content(model=M3, contents=["a cat"], config=cfg())
    err = info.value
    assert (err.code, err.status) == (code, status) and err.message
    assert err.details["error"]["code"] == code
    if code == 503:
        assert err.message == "The model is overloaded. Please try again later."
    if code == 404:
        assert err.message.startswith(f"models/{M3} is not found for API version v1beta")


def test_429_carries_help_quota_failure_and_retry_info(fake, client):
    fake.enqueue("429", Outcome.error(429, retry_delay="2s"), Outcome.error(429, retry_delay=1.5))
    delays = []
    for _ in range(3):
        with pytest.raises(errors.ClientError) as info:
            client.models.generate_content(model=M3, contents=["a cat"], config=cfg())
        details = info.value.details["error"]["details"]
        assert [d["@type"].rsplit(".", 1)[1] for d in details] == ["Help", "QuotaFailure", "RetryInfo"]
        delays.append(details[-1]["retryDelay"])
    assert delays == ["0.05s", "2s", "1.5s"]


def test_drop_is_a_transport_error_and_the_server_recovers(fake, client):
    fake.enqueue("drop")
    with pytest.raises(httpx2.TransportError):
        client.models.generate_content(model=M3, contents=["a cat"], config=cfg())
    assert final_images(client.models.generate_content(model=M3, contents=["a cat"], config=cfg()))
    assert [r.outcome for r in fake.calls] == ["drop", "ok"]


def test_html_error_page_is_an_api_error_with_non_json_details(fake, client):
    fake.enqueue("html", Outcome.html(503))
    with pytest.raises(errors.ServerError) as info:
        client.models.generate_content(model=M3, contents=["a cat"], config=cfg())
    assert info.value.code == 502 and info.value.status == "Bad Gateway"
    assert info.value.details["message"].startswith("<!DOCTYPE html>")
    with pytest.raises(errors.ServerError) as info:
        client.models.generate_content(model=M3, contents=["a cat"], config=cfg())
    assert info.value.code == 503 and "Error 503" in info.value.details["message"]


def test_malformed_json_raises(fake, client):
    fake.enqueue("malformed", "malformed")
    with pytest.raises(ValueError):  # json.JSONDecodeError from the SDK's non-stream path
        client.models.generate_content(model=M3, contents=["a cat"], config=cfg())
    with pytest.raises(errors.UnknownApiResponseError):
        list(client.models.generate_content_stream(model=M3, contents=["a cat"], config=cfg()))


def test_many_images(fake, client):
    fake.enqueue(Outcome.many_images(3))
    resp = client.models.generate_content(model=M3, contents=["three cats"], config=cfg())
    images = final_images(resp)
    assert len(images) == 3 and all(p.thought_signature for p in images)
    assert len({p.inline_data.data for p in images}) == 3
    assert resp.usage_metadata.candidates_tokens_details[0].token_count == 3 * 747


def test_thoughts_with_interim_images_last_non_thought_image_is_final(fake, client):
    fake.enqueue("thoughts_with_interim_images")
    resp = client.models.generate_content(model=M3, contents=["an infographic"], config=cfg())
    parts = resp.candidates[0].content.parts
    interim = [p for p in parts if p.thought and p.inline_data]
    (final,) = final_images(resp)
    assert len(interim) == 1 and not interim[0].thought_signature and final.thought_signature
    assert parts[-1] is final and interim[0].inline_data.data != final.inline_data.data
    assert resp.usage_metadata.candidates_tokens_details[0].token_count == 747  # interim drafts are free


def test_stall_then_ok_and_client_timeout(fake):
    fake.enqueue(Outcome.stall(1.0), Outcome.stall(0.0))
    fake.static_image = png_bytes()  # no simulator time in the second answer: only the stall decides
    try:
        with _client(fake.base_url, timeout=400) as c:  # milliseconds
            with pytest.raises(httpx2.TimeoutException):
                c.models.generate_content(model=M3, contents=["a cat"], config=cfg())
            assert final_images(c.models.generate_content(model=M3, contents=["a cat"], config=cfg()))
    finally:
        fake.static_image = None


def test_simulator_outcomes_pass_through(client):
    blocked = client.models.generate_content(model=M3, contents=["[sim:blocked] a cat"], config=cfg())
    assert blocked.candidates is None and blocked.prompt_feedback.block_reason
    refused = client.models.generate_content(model=M3, contents=["[sim:image_safety] a cat"], config=cfg())
    assert refused.candidates[0].finish_reason.value == "IMAGE_SAFETY" and not refused.candidates[0].content.parts


# --------------------------------------------------------------------------------------------------
# chat and thought signatures
# --------------------------------------------------------------------------------------------------


def test_chat_two_turns_replays_signatures_and_edits_the_last_image(fake, client, sim_calls):
    chat = client.chats.create(model=M3, config=cfg("1:1"))
    first = chat.send_message("a red boat on a lake")
    second = chat.send_message(edit_phrase())
    assert final_images(first) and final_images(second)
    contents = fake.requests[-1].json["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    model_parts = contents[1]["parts"]
    assert sum(1 for p in model_parts if p.get("thoughtSignature")) == 2
    # the follow-up carried no image, so the server edited the last image of the conversation
    assert sim_calls[1]["images"] == [registry.lookup(M3).pixel_size("1:1", "512")]


def test_streaming_chat_history_passes_the_signature_check(fake, client):
    chat = client.chats.create(model=M3, config=cfg("1:1"))
    list(chat.send_message_stream("a yellow tram"))
    chunks = list(chat.send_message_stream(edit_phrase()))
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    roles = [c["role"] for c in fake.requests[-1].json["contents"]]
    assert roles[0] == roles[-1] == "user" and roles.count("model") > 1  # one Content per chunk


def _history_without(resp, strip) -> list[types.Content]:
    parts = [p.model_copy(update={"thought_signature": None}) if strip(p) else p
             for p in resp.candidates[0].content.parts]
    return [types.Content(role="user", parts=[types.Part(text="a green kite")]),
            types.Content(role="model", parts=parts),
            types.Content(role="user", parts=[types.Part(text=edit_phrase())])]


def test_history_without_thought_signatures_is_rejected(client):
    resp = client.models.generate_content(model=M3, contents=["a green kite"], config=cfg())
    help_url = "https://ai.google.dev/gemini-api/docs/thought-signatures#model-behavior"

    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model=M3, contents=_history_without(resp, lambda p: p.inline_data),
                                       config=cfg())
    assert info.value.code == 400 and info.value.status == "INVALID_ARGUMENT"
    assert info.value.message == (
        "Image part is missing a thought_signature in content position 2, part position 2. "
        f"Please refer to {help_url} for more details.")

    with pytest.raises(errors.ClientError, match="Text part is missing a thought_signature in content "
                                                 "position 2, part position 1"):
        client.models.generate_content(model=M3, contents=_history_without(resp, lambda p: True), config=cfg())

    intact = client.models.generate_content(model=M3, contents=_history_without(resp, lambda p: False),
                                            config=cfg())
    assert final_images(intact)


def test_non_thinking_model_needs_no_signatures(client):
    history = [types.Content(role="user", parts=[types.Part(text="a cat")]),
               types.Content(role="model", parts=[types.Part(text="Here it is."),
                                                  types.Part.from_bytes(data=png_bytes(), mime_type="image/png")]),
               types.Content(role="user", parts=[types.Part(text=edit_phrase())])]
    resp = client.models.generate_content(model=M25, contents=history, config=cfg("1:1", None))
    assert resp.candidates[0].finish_reason is not None


# --------------------------------------------------------------------------------------------------
# auth and validation
# --------------------------------------------------------------------------------------------------


def test_wrong_key_is_api_key_invalid_and_keys_are_never_recorded(fake):
    fake.enqueue("503")
    with _client(fake.base_url, key="wrong-key-0002") as c, pytest.raises(errors.ClientError) as info:
        c.models.generate_content(model=M3, contents=["a cat"], config=cfg())
    err = info.value
    assert (err.code, err.status) == (400, "INVALID_ARGUMENT")
    assert err.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    assert fake.pending == 1 and fake.call_count == 1  # counted, but it did not use up the scripted 503
    status, _, body = raw(fake, "POST", f"/v1beta/models/{M3}:generateContent?key={KEY}",
                          {"contents": [{"parts": [{"text": "a cat"}]}]})
    assert status == 503  # ?key= works, and got the scripted outcome
    status, _, body = raw(fake, "GET", "/v1beta/models")
    assert status == 403 and json.loads(body)["error"]["status"] == "PERMISSION_DENIED"  # no key at all
    recorded = repr(fake.requests)
    assert KEY not in recorded and "wrong-key-0002" not in recorded
    assert fake.requests[0].headers["x-goog-api-key"] == "<redacted>"
    assert fake.requests[1].query["key"] == "<redacted>" and "key" not in fake.requests[1].path


@pytest.mark.parametrize(
    ("model", "config", "code", "message"),
    [(M3, cfg("16:9", "1k"), 400, "Unsupported image size '1k'"),
     (M25, cfg("16:9", "1k"), 400, "Unsupported image size '1k'"),
     (M3, cfg("7:3"), 400, "Unsupported aspect ratio '7:3'"),
     (M3, cfg(candidate_count=2), 400, f"Multiple candidates is not enabled for models/{M3}"),
     ("gemini-9-ultra-image", cfg(), 404, "models/gemini-9-ultra-image is not found for API version v1beta, "
      "or is not supported for generateContent. Call ListModels to see the list of available models and "
      "their supported methods."),
     ("nano-banana-2", cfg(), 404, "models/nano-banana-2 is not found"),  # aliases are the toolkit's, not Google's
     ("gemini-3.1-flash-image-preview", cfg(), 404, "is not found")],  # shut down 2026-06-25
)
def test_validation_errors(fake, client, model, config, code, message):
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model=model, contents=["a cat"], config=config)
    assert info.value.code == code and message in info.value.message
    assert info.value.status == ("NOT_FOUND" if code == 404 else "INVALID_ARGUMENT")


def test_shutdown_follows_the_fakes_calendar():
    with FakeGeminiServer(today=dt.date(2026, 11, 1)) as server, _client(server.base_url) as c:
        names = {m.name for m in c.models.list()}
        with pytest.raises(errors.ClientError) as info:
            c.models.generate_content(model=M25, contents=["a cat"], config=cfg("1:1", None))
    assert info.value.code == 404
    assert f"models/{M25}" not in names and f"models/{M3}" in names


# --------------------------------------------------------------------------------------------------
# streaming
# --------------------------------------------------------------------------------------------------


def test_stream_text_deltas_then_the_image_with_finish_reason(fake, client):
    chunks = list(client.models.generate_content_stream(model=M3, contents=["a windmill"], config=cfg()))
    assert len(chunks) >= 3 and fake.requests[-1].action == "streamGenerateContent"
    *early, last = chunks
    assert all(c.candidates[0].content.parts[0].text for c in early)
    assert all(c.candidates[0].finish_reason is None for c in early)
    assert all(c.usage_metadata.candidates_tokens_details is None for c in early)
    assert {c.response_id for c in chunks} == {last.response_id}
    (image,) = final_images(last)
    assert image.thought_signature and last.candidates[0].finish_reason == types.FinishReason.STOP
    assert Image.open(io.BytesIO(image.inline_data.data)).size == (688, 384)
    assert {d.modality.name for d in last.usage_metadata.candidates_tokens_details} == {"IMAGE", "TEXT"}
    text = "".join(p.text for c in early for p in c.candidates[0].content.parts if not p.thought)
    assert text and not any(p.thought for c in chunks for p in c.candidates[0].content.parts)  # not asked for


def test_stream_wire_format_is_sse(fake):
    status, headers, body = raw(fake, "POST", f"/v1beta/models/{M3}:streamGenerateContent?alt=sse",
                                {"contents": [{"parts": [{"text": "a kite"}]}]}, {"x-goog-api-key": KEY})
    assert status == 200 and headers["content-type"] == "text/event-stream"
    events = body.decode().split("\r\n\r\n")
    assert events[-1] == "" and all(e.startswith("data: {") for e in events[:-1])
    assert "finishReason" in events[-2] and "finishReason" not in events[0]
    # without alt=sse the API streams one JSON array instead
    status, headers, body = raw(fake, "POST", f"/v1beta/models/{M3}:streamGenerateContent",
                                {"contents": [{"parts": [{"text": "a kite"}]}]}, {"x-goog-api-key": KEY})
    chunks = json.loads(body)
    assert status == 200 and isinstance(chunks, list) and chunks[-1]["candidates"][0]["finishReason"] == "STOP"


def test_stream_error_outcomes(fake, client):
    fake.enqueue("503", Outcome.error(500, mid_stream=True))
    with pytest.raises(errors.ServerError) as info:
        list(client.models.generate_content_stream(model=M3, contents=["a cat"], config=cfg()))
    assert info.value.code == 503
    got = []
    with pytest.raises(errors.APIError) as info:
        for chunk in client.models.generate_content_stream(model=M3, contents=["a cat"], config=cfg()):
            got.append(chunk)
    assert got and info.value.code == 500 and info.value.status == "INTERNAL"


# --------------------------------------------------------------------------------------------------
# models, routes, transport
# --------------------------------------------------------------------------------------------------


def test_models_list_get_and_count_tokens(fake, client):
    models = {m.name: m for m in client.models.list()}
    live = {f"models/{m.id}" for m in registry.MODELS if not m.is_shut_down(TODAY)
            and (m.released is None or m.released <= TODAY)}
    assert set(models) == live and f"models/{M25}" in live
    assert "generateContent" in models[f"models/{M3}"].supported_actions
    got = client.models.get(model=M3)
    assert got.name == f"models/{M3}" and got.input_token_limit and got.output_token_limit
    count = client.models.count_tokens(model=M3, contents=["a cat wearing a hat"])
    assert count.total_tokens > 0
    status, _, body = raw(fake, "GET", "/v1beta/models?pageSize=1", headers={"x-goog-api-key": KEY})
    page = json.loads(body)
    assert status == 200 and len(page["models"]) == 1 and page["nextPageToken"] == "1"
    assert fake.call_count == 0  # list/get/countTokens are not generate calls


def test_path_prefix_in_base_url(fake):
    with _client(fake.base_url + "/proxy/") as c:
        assert final_images(c.models.generate_content(model=M3, contents=["a cat"], config=cfg()))
    assert fake.requests[-1].path == f"/proxy/v1beta/models/{M3}:generateContent"


def test_unknown_routes_get_google_json_404(fake):
    for method, path in [("GET", "/v1beta/tunedModels"), ("GET", f"/v1beta/models/{M3}:generateContent"),
                         ("POST", "/nothing/here"), ("DELETE", f"/v1beta/models/{M3}")]:
        status, headers, body = raw(fake, method, path, headers={"x-goog-api-key": KEY})
        assert status == 404 and headers["content-type"] == "application/json; charset=UTF-8"
        assert json.loads(body)["error"]["status"] == "NOT_FOUND"


def test_raw_snake_case_body_and_standard_base64_without_padding(fake):
    info = registry.lookup(M3)
    photo = base64.b64encode(png_bytes((50, 50))).decode().rstrip("=")
    body = {"contents": [{"role": "user", "parts": [
        {"inline_data": {"mime_type": "image/png", "data": photo}}, {"text": edit_phrase()}]}],
        "generation_config": {"response_modalities": ["TEXT", "IMAGE"], "candidate_count": 1,
                              "image_config": {"aspect_ratio": "4:3", "image_size": "512"}}}
    status, headers, data = raw(fake, "POST", f"/v1/models/{M3}:generateContent", body, {"x-goog-api-key": KEY})
    assert status == 200 and headers["content-type"] == "application/json; charset=UTF-8"
    assert int(headers["content-length"]) == len(data)
    parts = json.loads(data)["candidates"][0]["content"]["parts"]
    image = base64.b64decode(parts[-1]["inlineData"]["data"])
    assert Image.open(io.BytesIO(image)).size == info.pixel_size("4:3", "512")
    bad = {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "%%%"}}]}]}
    status, _, data = raw(fake, "POST", f"/v1/models/{M3}:generateContent", bad, {"x-goog-api-key": KEY})
    assert status == 400 and "Base64 decoding failed" in json.loads(data)["error"]["message"]
    status, _, data = raw(fake, "POST", f"/v1/models/{M3}:generateContent", b"{not json",
                          {"x-goog-api-key": KEY})
    assert status == 400 and "Invalid JSON payload" in json.loads(data)["error"]["message"]
