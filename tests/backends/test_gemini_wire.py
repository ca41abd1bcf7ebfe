"""The generateContent wire format (toolkit.backends.gemini_wire): request bodies, reply parsing and error
mapping, unit-tested on plain JSON and end to end through the real google-genai SDK against FakeGeminiServer."""

from __future__ import annotations

import base64
import time

import pytest
from google.genai import errors as genai_errors

import toolkit as tk
from toolkit.backends.base import Reply
from toolkit.backends.gemini_wire import (
    decode_b64,
    gemini_hint,
    json_field,
    merge_stream,
    parse_response,
    parse_usage,
    refuse_vertex_options,
    request_json,
    retry_delay_s,
    text_deltas,
    to_provider_error,
    vertex_only_options,
)
from toolkit.errors import ModelNotFoundError, OptionError, ProviderError
from toolkit.request import ImagePart, Options, Request, TextPart, Turn
from toolkit.testing import Outcome

KEY = "test-key-123456"
M = "gemini-3.1-flash-image"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def _request(*turns: Turn, **options) -> Request:
    return Request("gemini", M, turns, Options(**options))


# -- request ------------------------------------------------------------------------------------------------
def test_request_json_is_camel_case_with_standard_base64():
    image = ImagePart.from_bytes(PNG, "image/png", thought_signature=b"\xfb\xff")
    body = request_json(_request(Turn("user", (TextPart("edit this"), image)), aspect_ratio="16:9",
                                 image_size="2K", seed=7, temperature=0.5))
    part = body["contents"][0]["parts"][1]
    assert part["inlineData"] == {"mimeType": "image/png", "data": base64.b64encode(PNG).decode()}
    assert part["thoughtSignature"] == "+/8="  # standard alphabet, as in a batch JSONL line
    assert body["generationConfig"] == {"responseModalities": ["TEXT", "IMAGE"],
                                        "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"},
                                        "seed": 7, "temperature": 0.5}


def test_request_json_keeps_thought_parts_and_roles():
    model_turn = Turn("model", (TextPart("thinking", thought=True), TextPart("Here it is", thought_signature=b"s")))
    body = request_json(_request(Turn("user", (TextPart("a kite"),)), model_turn, Turn("user", (TextPart("more"),))))
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]
    assert body["contents"][1]["parts"] == [{"text": "thinking", "thought": True},
                                           {"text": "Here it is", "thoughtSignature": "cw=="}]
    assert "imageConfig" not in body["generationConfig"]


def test_vertex_only_options_are_refused_on_the_gemini_api_and_sent_on_vertex():
    req = _request(Turn("user", (TextPart("a kite"),)), person_generation="ALLOW_ADULT", output_mime_type="image/jpeg",
                   output_compression_quality=80)
    assert vertex_only_options(req.options) == ["person_generation", "output_mime_type", "output_compression_quality"]
    with pytest.raises(OptionError, match="person_generation is a Vertex AI option"):
        request_json(req)
    with pytest.raises(OptionError):
        refuse_vertex_options(req.options, "openrouter")
    refuse_vertex_options(req.options, "vertex")  # allowed there
    image = request_json(req, vertex=True)["generationConfig"]["imageConfig"]
    assert image == {"personGeneration": "ALLOW_ADULT",
                     "imageOutputOptions": {"mimeType": "image/jpeg", "compressionQuality": 80}}


# -- response -----------------------------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_parse_response_takes_the_last_non_thought_image_and_keeps_every_part():
    body = {"candidates": [{"content": {"role": "model", "parts": [
        {"text": "planning", "thought": True},
        {"inlineData": {"mimeType": "image/jpeg", "data": _b64(b"\xff\xd8\xffdraft")}, "thought": True},
        {"text": "Here is the infographic.", "thoughtSignature": _b64(b"sig-1")},
        {"inline_data": {"mime_type": "image/png", "data": _b64(PNG)}, "thought_signature": _b64(b"sig-2")},
    ]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 40, "candidatesTokenCount": 1130, "thoughtsTokenCount": 287,
                          "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1120},
                                                      {"modality": "TEXT", "tokenCount": 10}]},
        "modelVersion": "gemini-3-pro-image", "responseId": "abc"}
    reply = parse_response(body)
    assert reply.status == "ok" and reply.reason is None and reply.text == "Here is the infographic."
    assert [(im.mime, im.data) for im in reply.images] == [("image/png", PNG)]
    assert reply.model_turn is not None and len(reply.model_turn.parts) == 4
    assert reply.model_turn.parts[3].thought_signature == b"sig-2" and reply.model_turn.parts[1].thought
    assert reply.usage == {"input_tokens": 40, "input_image_tokens": 0, "output_tokens": 1130,
                           "output_image_tokens": 1120, "thought_tokens": 287, "cached_tokens": 0}
    assert (reply.response_id, reply.model_version) == ("abc", "gemini-3-pro-image")


def test_parse_response_blocked_output_keeps_finish_message_and_vertex_extras():
    body = {"candidates": [{"content": {"role": "model"}, "finishReason": "IMAGE_PROHIBITED_CONTENT",
                            "finishMessage": "violates Google's Responsible AI practices"}],
            "usageMetadata": {"promptTokenCount": 1119, "trafficType": "ON_DEMAND"},
            "createTime": "2026-02-03T15:26:10.697915Z"}
    reply = parse_response(body)
    assert reply.status == "blocked" and not reply.images and reply.model_turn is None
    assert reply.reason == "IMAGE_PROHIBITED_CONTENT: violates Google's Responsible AI practices"
    assert reply.extra == {"trafficType": "ON_DEMAND", "createTime": "2026-02-03T15:26:10.697915Z"}


@pytest.mark.parametrize(("body", "status", "reason"), [
    ({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}, "blocked", "prompt blocked: PROHIBITED_CONTENT"),
    ({}, "no_image", "the reply had no candidates"),
    ({"candidates": [{"content": {"parts": [{"text": "I can't draw"}]}, "finishReason": "STOP"}]},
     "no_image", "the model answered with text only"),
    ({"candidates": [{"content": {}, "finishReason": "NO_IMAGE"}]}, "no_image", "NO_IMAGE"),
])
def test_parse_response_without_an_image(body, status, reason):
    reply = parse_response(body)
    assert isinstance(reply, Reply) and reply.status == status and reply.reason == reason and not reply.images


def test_parse_usage_ignores_what_is_not_usage():
    assert parse_usage(None) == {} and parse_usage({})["output_image_tokens"] == 0


def test_json_field_and_decode_b64():
    assert json_field({"mimeType": "a", "mime_type": "b"}, "mimeType", "mime_type") == "a"
    assert json_field("not a dict", "x") is None
    assert decode_b64("-_8") == decode_b64("+/8=") == b"\xfb\xff"


def test_merge_stream_joins_text_deltas_and_keeps_the_final_fields():
    chunks = [
        {"candidates": [{"content": {"parts": [{"text": "Here", "thoughtSignature": "c2ln"}]}}], "responseId": "r"},
        {"candidates": [{"content": {"parts": [{"text": " is"}]}}]},
        {"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": _b64(PNG)}}]},
                         "finishReason": "STOP"}], "usageMetadata": {"candidatesTokenCount": 1290}},
    ]
    assert [text_deltas(c) for c in chunks] == [["Here"], [" is"], []]
    merged = merge_stream(chunks)
    cand = merged["candidates"][0]
    assert cand["finishReason"] == "STOP" and cand["content"]["parts"][0] == {"text": "Here is", "thoughtSignature": "c2ln"}
    reply = parse_response(merged)
    assert reply.status == "ok" and reply.text == "Here is" and reply.usage["output_tokens"] == 1290


# -- errors -------------------------------------------------------------------------------------------------
RETRY_BODY = {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED", "details": [
    {"@type": "type.googleapis.com/google.rpc.Help", "links": []},
    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "56s"}]}}


def test_retry_delay_is_read_from_retry_info():
    assert retry_delay_s(RETRY_BODY) == 56.0
    assert retry_delay_s({"error": {"details": [{"@type": "x.RetryInfo", "retryDelay": "soon"}]}}) is None
    assert retry_delay_s("<html>") is None and retry_delay_s({}) is None


def test_api_errors_become_provider_errors_with_delay_and_fix():
    err = to_provider_error(genai_errors.ClientError(429, RETRY_BODY), M)
    assert isinstance(err, ProviderError) and err.code == 429 and err.status == "RESOURCE_EXHAUSTED"
    assert err.retry_after_s == 56.0 and err.retryable and "rate limit" in (err.hint or "")
    missing = to_provider_error(genai_errors.ClientError(404, {"error": {"message": "models/x is not found"}}), "x")
    assert isinstance(missing, ModelNotFoundError) and "studio.models()" in (missing.hint or "")
    custom = to_provider_error(genai_errors.ServerError(503, {"error": {"message": "overloaded"}}), M,
                               provider="vertex", hint=lambda *a: "custom fix")
    assert custom is not None and custom.provider == "vertex" and custom.hint == "custom fix"


def test_transport_errors_map_and_programming_errors_propagate():
    err = to_provider_error(ConnectionError("connection refused"), M)
    assert err is not None and err.code is None and err.status == "ConnectionError" and err.retryable
    assert to_provider_error(KeyError("oops"), M) is None
    assert to_provider_error(TypeError("bug"), M) is None


def test_gemini_hint_names_the_fix():
    assert "GEMINI_API_KEY" in (gemini_hint(400, "INVALID_ARGUMENT", "API key not valid.", None) or "")
    assert "thought signatures" in (gemini_hint(400, "INVALID_ARGUMENT", "bad", None) or "")
    assert "not retried" in (gemini_hint(418, None, "teapot", None) or "")


# -- end to end through the SDK and the fake (moved from test_gemini_backend.py) ---------------------------
@pytest.mark.parametrize(
    ("outcome", "status", "reason"),
    [("blocked", "blocked", "PROHIBITED_CONTENT"), ("image_safety", "blocked", "IMAGE_SAFETY"),
     ("image_prohibited_content", "blocked", "IMAGE_PROHIBITED_CONTENT"), ("no_image", "no_image", "NO_IMAGE"),
     ("image_other", "no_image", "IMAGE_OTHER"), ("text_only", "no_image", "text only")],
)
def test_no_image_outcomes_are_results_not_errors(gemini, server, outcome, status, reason):
    server.enqueue(outcome)
    r = gemini.generate("a garden", image_size="512")
    assert r.status == status and reason in r.reason and not r.outputs
    assert not gemini.generate("a garden", image_size="512").cached  # never cached
    assert gemini.ledger.df["status"].iloc[0] == status


def test_refusal_message_is_surfaced(gemini, server):
    server.enqueue("image_prohibited_content")
    r = gemini.generate("a garden", image_size="512")
    assert "Responsible AI" in r.reason  # finishMessage, which the SDK's typed response drops


def test_429_with_retry_info_then_success(gemini, server):
    server.enqueue(Outcome.error(429, retry_delay="0.3s"), "ok")
    start = time.perf_counter()
    r = gemini.generate("a windmill", image_size="512")
    assert time.perf_counter() - start >= 0.3  # the server's retryDelay was honoured
    assert r.status == "ok" and r.attempts == 2
    assert server.call_count == 2
    assert gemini.ledger.df["attempts"].iloc[-1] == 2 and len(gemini.ledger) == 1


def test_400_is_raised_clearly_and_recorded(gemini, server):
    server.enqueue("400")
    with pytest.raises(tk.ProviderError) as info:
        gemini.generate("a ship", image_size="512")
    err = info.value
    assert err.code == 400 and err.status == "INVALID_ARGUMENT" and "gemini returned 400" in str(err)
    assert server.call_count == 1  # not retried
    row = gemini.ledger.df.iloc[-1]
    assert row["status"] == "error" and "400" in row["error"]


def test_long_retry_delay_fails_fast_with_explanation(gemini, server):
    server.enqueue(Outcome.error(429, retry_delay="600s"))
    with pytest.raises(tk.ProviderError, match="retry in 600 s") as info:
        gemini.generate("a bus", image_size="512")
    assert info.value.code == 429 and server.call_count == 1


def test_unknown_model_404_explains_itself(gemini, server):
    with pytest.warns(tk.UnknownModelWarning), pytest.raises(tk.ModelNotFoundError, match=r"studio\.models\(\)"):
        gemini.generate("a", model="gemini-9-image")


def test_last_non_thought_image_is_taken(gemini, server):
    server.enqueue(Outcome.thoughts_with_interim_images())
    r = gemini.generate("an infographic", image_size="512")
    assert r.status == "ok" and len(r.outputs) == 1
    thought_images = [p for p in r.model_turn.parts if getattr(p, "thought", False) and hasattr(p, "mime")]
    assert thought_images and thought_images[0].sha256 != r.outputs[0].sha256


def test_wrong_key_gets_a_clear_error(server, home):
    studio = tk.Studio(backend="gemini", api_key="wrong-key-999999", base_url=server.base_url, home=home)
    with pytest.raises(tk.ProviderError, match="GEMINI_API_KEY") as info:
        studio.generate("a", image_size="512")
    assert "wrong-key-999999" not in str(info.value)


def test_404_hint_names_the_successor_with_or_without_a_shutdown_date():
    from toolkit.backends.gemini_wire import gemini_hint

    dated = gemini_hint(404, "NOT_FOUND", "not found", "gemini-2.5-flash-image")
    assert "shut down on 2026-10-02" in dated and "model='gemini-3.1-flash-image'" in dated
    undated = gemini_hint(404, "NOT_FOUND", "not found", "gemini-3.1-flash-image")
    assert "None" not in undated and "may have been retired" in undated and "gemini-nano-banana-2.1" in undated
