"""FakeGeminiServer keeps up with the current image models (issue 15, item 7), through the real google-genai SDK:
thoughts when asked, search grounding, several images in one reply, service tiers, ``image_size`` on 2.5 Flash
Image, and edits the simulator cannot draw."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from gemini_helpers import KEY, M3, M25, cfg, final_images, png_bytes, raw
from google.genai import errors, types
from PIL import Image

from toolkit import registry
from toolkit.testing import Outcome

PRO = "gemini-3-pro-image"
LITE = "gemini-3.1-flash-lite-image"
WEB = [{"google_search": {}}]
WEB_AND_IMAGE = [types.Tool(google_search=types.GoogleSearch(search_types=types.SearchTypes(
    web_search=types.WebSearch(), image_search=types.ImageSearch())))]


def _thinking(level: str | None = None, include: bool | None = True) -> types.ThinkingConfig:
    return types.ThinkingConfig(include_thoughts=include, thinking_level=level)


def _sent_thinking(fake) -> dict:
    """The thinkingConfig the SDK sent, keys in camelCase (google-genai sends this one in snake_case)."""
    sent = fake.calls[-1].json["generationConfig"]["thinkingConfig"]
    return {"".join(w.title() if i else w for i, w in enumerate(k.split("_"))): v for k, v in sent.items()}


def _post(fake, model: str, body: dict) -> tuple[int, dict]:
    status, _, data = raw(fake, "POST", f"/v1beta/models/{model}:generateContent", body,
                          headers={"x-goog-api-key": KEY})
    return status, json.loads(data)


# --------------------------------------------------------------------------------------------------
# thinking
# --------------------------------------------------------------------------------------------------


def test_include_thoughts_returns_thought_text_and_an_interim_image(fake, client):
    resp = client.models.generate_content(
        model=M3, contents=["a lighthouse on a cliff"], config=cfg(thinking_config=_thinking()))
    parts = resp.candidates[0].content.parts
    thoughts = [p for p in parts if p.thought]
    assert [bool(p.inline_data) for p in thoughts] == [False, True, False]  # text, draft image, text
    assert all(not p.thought_signature for p in thoughts)
    (final,) = final_images(resp)
    assert final.thought_signature and parts.index(final) > parts.index(thoughts[-1])
    interim = thoughts[1].inline_data.data
    assert Image.open(io.BytesIO(interim)).size == Image.open(io.BytesIO(final.inline_data.data)).size
    assert _sent_thinking(fake) == {"includeThoughts": True}
    usage = resp.usage_metadata
    assert usage.thoughts_token_count > 0
    image_tokens = {d.modality.name: d.token_count for d in usage.candidates_tokens_details}["IMAGE"]
    assert image_tokens == registry.lookup(M3).output_image_tokens("512")  # the draft is not billed


def test_thoughts_are_absent_unless_asked(client):
    resp = client.models.generate_content(model=M3, contents=["a lighthouse on a cliff"],
                                          config=cfg(thinking_config=_thinking(include=False)))
    assert not any(p.thought for p in resp.candidates[0].content.parts)
    assert resp.usage_metadata.thoughts_token_count > 0


def test_streamed_thoughts_come_first(client):
    chunks = list(client.models.generate_content_stream(
        model=M3, contents=["a red kite"], config=cfg(thinking_config=_thinking())))
    firsts = [c.candidates[0].content.parts[0] for c in chunks]
    assert firsts[0].thought and firsts[1].thought and firsts[1].inline_data
    assert final_images(chunks[-1]) and chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP


def test_a_model_that_does_not_think_sends_no_thoughts(client):
    resp = client.models.generate_content(model=M25, contents=["a pear"],
                                          config=cfg(size=None, thinking_config=_thinking()))
    assert not any(p.thought for p in resp.candidates[0].content.parts) and final_images(resp)
    assert resp.usage_metadata.thoughts_token_count is None


def test_thinking_levels_follow_the_registry(fake, client):
    assert registry.lookup(M3).thinking_levels == ("minimal", "high")
    resp = client.models.generate_content(model=M3, contents=["a pear"], config=cfg(thinking_config=_thinking("HIGH")))
    assert final_images(resp) and _sent_thinking(fake)["thinkingLevel"] == "HIGH"
    with pytest.raises(errors.ClientError, match="Thinking level LOW is not supported for models/gemini-3.1-flash-image"
                                                 r"\. Supported levels: MINIMAL, HIGH"):
        client.models.generate_content(model=M3, contents=["a pear"], config=cfg(thinking_config=_thinking("LOW")))
    with pytest.raises(errors.ClientError, match="Thinking level is not supported for this model"):
        client.models.generate_content(model=M25, contents=["a pear"],
                                       config=cfg(size=None, thinking_config=_thinking("HIGH", None)))
    status, body = _post(fake, M3, {"contents": [{"parts": [{"text": "a pear"}]}],
                                    "generationConfig": {"thinkingConfig": {"thinkingLevel": "TURBO"}}})
    assert status == 400 and "thinking_level" in body["error"]["message"] and "TURBO" in body["error"]["message"]


# --------------------------------------------------------------------------------------------------
# search grounding
# --------------------------------------------------------------------------------------------------


def test_web_grounding_returns_grounding_metadata(fake, client):
    prompt = "Visualize the weather forecast for Lisbon as a chart"
    resp = client.models.generate_content(model=PRO, contents=prompt, config=cfg(size="1K", tools=WEB))
    assert fake.calls[-1].json["tools"] == [{"googleSearch": {}}]
    meta = resp.candidates[0].grounding_metadata
    assert meta.web_search_queries == [prompt] and not meta.image_search_queries
    webs = [c.web for c in meta.grounding_chunks]
    assert all(w and w.uri.startswith(("https://example.com/", "https://example.org/", "https://example.net/"))
               for w in webs)
    assert len({w.uri for w in webs}) == len(webs) >= 2 and all(w.title for w in webs)
    (support,) = meta.grounding_supports
    text = next(p.text for p in resp.candidates[0].content.parts if p.text and not p.thought)
    assert support.segment.text == text and support.segment.end_index == len(text.encode())
    assert all(0 <= i < len(webs) for i in support.grounding_chunk_indices)
    assert prompt in meta.search_entry_point.rendered_content and final_images(resp)
    again = client.models.generate_content(model=PRO, contents=prompt, config=cfg(size="1K", tools=WEB))
    assert again.candidates[0].grounding_metadata == meta  # deterministic
    *early, last = client.models.generate_content_stream(model=PRO, contents=prompt, config=cfg(size="1K", tools=WEB))
    assert last.candidates[0].grounding_metadata == meta  # on the final chunk only
    assert all(c.candidates[0].grounding_metadata is None for c in early)


def test_image_search_adds_image_queries_and_image_chunks(client):
    resp = client.models.generate_content(model=M3, contents="a Timareta butterfly on a flower",
                                          config=cfg(tools=WEB_AND_IMAGE))
    meta = resp.candidates[0].grounding_metadata
    assert meta.web_search_queries and meta.image_search_queries
    images = [c.image for c in meta.grounding_chunks if c.image]
    assert images and all(i.image_uri.endswith(".jpg") and i.source_uri and i.domain in i.source_uri
                          for i in images)
    assert any(c.web for c in meta.grounding_chunks)


def test_image_only_output_with_web_grounding_returns_no_image(client):
    config = types.GenerateContentConfig(response_modalities=["IMAGE"], tools=WEB)
    resp = client.models.generate_content(model=PRO, contents="today's weather in Oslo", config=config)
    assert resp.candidates[0].content.parts is None
    assert resp.candidates[0].finish_reason == types.FinishReason.NO_IMAGE
    assert resp.candidates[0].grounding_metadata.web_search_queries
    image_search = types.GenerateContentConfig(response_modalities=["IMAGE"], tools=WEB_AND_IMAGE)
    resp = client.models.generate_content(model=M3, contents="a Timareta butterfly", config=image_search)
    assert len(final_images(resp)) == 1 and resp.candidates[0].grounding_metadata.image_search_queries


def test_entry_point_html_escapes_the_query(client):
    resp = client.models.generate_content(model=M3, contents="a <b>bold</b> & \"quoted\" sign",
                                          config=cfg(tools=WEB))
    html = resp.candidates[0].grounding_metadata.search_entry_point.rendered_content
    assert "<b>bold" not in html and "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;" in html


@pytest.mark.parametrize(("model", "tools", "message"), [
    (LITE, WEB, "Search Grounding is not supported."),
    (M25, WEB, "Search Grounding is not supported."),
    (PRO, WEB_AND_IMAGE, "Image search is not supported for models/gemini-3-pro-image"),
])
def test_grounding_a_model_without_it_is_refused(client, model, tools, message):
    assert "image" not in registry.lookup(model).grounding
    with pytest.raises(errors.ClientError, match=message) as info:
        client.models.generate_content(model=model, contents="news today",
                                       config=types.GenerateContentConfig(tools=tools))
    assert info.value.code == 400


def test_google_search_retrieval_is_refused(fake):
    status, body = _post(fake, M3, {"contents": [{"parts": [{"text": "x"}]}], "tools": [{"googleSearchRetrieval": {}}]})
    assert status == 400 and "use google_search field instead" in body["error"]["message"]


# --------------------------------------------------------------------------------------------------
# several images in one reply
# --------------------------------------------------------------------------------------------------


def _kinds(resp) -> list[str]:
    return ["image" if p.inline_data else "text" for p in resp.candidates[0].content.parts if not p.thought]


def test_interleaved_outcome_alternates_text_and_images(fake, client):
    fake.enqueue(Outcome.interleaved(4))
    resp = client.models.generate_content(model=M3, contents=["a garden"], config=cfg())
    assert _kinds(resp) == ["text", "image"] * 4
    images = final_images(resp)
    assert all(p.thought_signature for p in images) and len({p.inline_data.data for p in images}) == 4
    tokens = {d.modality.name: d.token_count for d in resp.usage_metadata.candidates_tokens_details}
    assert tokens["IMAGE"] == 4 * registry.lookup(M3).output_image_tokens("512")
    fake.enqueue("interleaved")
    chunks = list(client.models.generate_content_stream(model=M3, contents=["a garden"], config=cfg()))
    order = [("image" if p.inline_data else "text") for c in chunks for p in c.candidates[0].content.parts]
    squashed = [k for i, k in enumerate(order) if i == 0 or k != order[i - 1]]
    assert squashed == ["text", "image"] * 3 and chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP


def test_a_prompt_that_asks_for_a_sequence_gets_several_images(client):
    resp = client.models.generate_content(model=M25, contents="Show me how to bake macarons with images")
    assert _kinds(resp) == ["text", "image"] * 3
    story = client.models.generate_content(model=M25, contents="Tell a 5 part story with 5 images of two foxes")
    assert len(final_images(story)) == 5
    single = client.models.generate_content(model=M25, contents="a fox in the snow")
    assert len(final_images(single)) == 1
    image_only = client.models.generate_content(model=M25, contents="the steps, step by step",
                                                config=types.GenerateContentConfig(response_modalities=["IMAGE"]))
    assert _kinds(image_only) == ["image"] * 3


# --------------------------------------------------------------------------------------------------
# service tiers, image_size on 2.5, edits the simulator cannot draw
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tier", ["flex", "priority", None])
def test_service_tier_is_echoed_in_usage(fake, client, tier):
    config = types.GenerateContentConfig(service_tier=tier) if tier else None
    client.models.generate_content(model=M3, contents="a cat", config=config)
    sent = fake.calls[-1].json
    assert sent.get("serviceTier") == tier
    body = {"contents": [{"parts": [{"text": "a cat"}]}], **({"serviceTier": tier} if tier else {})}
    status, answer = _post(fake, M3, body)
    assert status == 200 and answer["usageMetadata"]["serviceTier"] == (tier or "standard")


def test_service_tier_errors(fake):
    status, body = _post(fake, M3, {"contents": [{"parts": [{"text": "a"}]}], "serviceTier": "turbo"})
    assert status == 400 and "service_tier" in body["error"]["message"]
    assert registry.lookup(M25).service_tiers == ("standard",)
    status, body = _post(fake, M25, {"contents": [{"parts": [{"text": "a"}]}], "serviceTier": "flex"})
    assert status == 400 and "Service tier 'flex' is not supported for models/gemini-2.5-flash-image" in \
        body["error"]["message"]


def test_image_size_on_25_flash_image_is_accepted_and_ignored(fake, client):
    info = registry.lookup(M25)
    resp = client.models.generate_content(model=M25, contents="a lighthouse", config=cfg("5:4", "1K"))
    assert fake.calls[-1].json["generationConfig"]["imageConfig"]["imageSize"] == "1K"
    (image,) = final_images(resp)
    assert Image.open(io.BytesIO(image.inline_data.data)).size == info.pixel_size("5:4") == (1152, 896)
    assert resp.usage_metadata.candidates_tokens_details[0].token_count == 1290
    with pytest.raises(errors.ClientError, match="Unsupported image size '8K'"):
        client.models.generate_content(model=M25, contents="a lighthouse", config=cfg("5:4", "8K"))


def test_an_edit_the_simulator_cannot_draw_answers_with_a_marked_image(client):
    photo = png_bytes((256, 256), (40, 160, 60))
    contents = ["Make it look like it was painted during the Renaissance by a sleepy apprentice",
                types.Part.from_bytes(data=photo, mime_type="image/png")]
    resp = client.models.generate_content(model=M25, contents=contents)
    assert resp.candidates[0].finish_reason == types.FinishReason.STOP
    (image,) = final_images(resp)
    pixels = np.asarray(Image.open(io.BytesIO(image.inline_data.data)).convert("RGB")).astype(int)
    red = (pixels[..., 0] > 140) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)  # the banner's band
    assert red.mean() > 0.02
    text = " ".join(p.text for p in resp.candidates[0].content.parts if p.text)
    assert "Not simulated" in text and "NOT SIMULATED" in text


def test_interactions_echo_the_service_tier_and_honour_thinking_summaries(fake):
    def create(body: dict) -> tuple[int, dict]:
        status, _, data = raw(fake, "POST", "/v1beta/interactions", body, headers={"x-goog-api-key": KEY})
        return status, json.loads(data)

    status, out = create({"model": M3, "input": "a cat", "service_tier": "flex"})
    assert status == 200 and out["service_tier"] == "flex"
    (thought,) = [s for s in out["steps"] if s["type"] == "thought"]
    assert thought["summary"] and thought["signature"]
    status, out = create({"model": M3, "input": "a cat", "generation_config": {"thinking_summaries": "none"}})
    assert out["service_tier"] == "standard"
    assert next(s for s in out["steps"] if s["type"] == "thought").get("summary") is None
    status, out = create({"model": M3, "input": "a cat", "service_tier": "turbo"})
    assert status == 400 and "service_tier" in out["error"]["message"]


def test_interleaved_outcome_needs_an_image():
    assert Outcome.parse("interleaved") == Outcome.interleaved(3)
    with pytest.raises(ValueError, match="interleaved needs k >= 1"):
        Outcome.interleaved(0)
