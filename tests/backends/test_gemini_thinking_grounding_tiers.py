"""Issue 15 on the Gemini API backend, through the real google-genai SDK against the loopback FakeGeminiServer:
every image of a reply, thinking, search grounding, service tiers and aspect ratio "auto". Each feature is
checked on the wire (the body the fake received), in the parsed Result, in the ledger and in the cost."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

import toolkit as tk
from toolkit import pricing, registry
from toolkit.backends.gemini_wire import json_field
from toolkit.testing import Outcome

M = registry.DEFAULT_MODEL  # gemini-3.1-flash-image: thinking levels, web and image grounding, tiers


def _info(model: str = M) -> registry.ModelInfo:
    return registry.lookup(model)


def _gen_config(body: dict) -> dict:
    return json_field(body, "generationConfig", "generation_config") or {}


def _png(size: tuple[int, int] = (64, 48), colour: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


def _reply(parts: list[dict], *, grounding: dict | None = None, usage: dict | None = None) -> dict:
    """A GenerateContentResponse written for these tests (shape as documented at
    https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse)."""
    candidate: dict = {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
    if grounding is not None:
        candidate["groundingMetadata"] = grounding
    return {"candidates": [candidate], "responseId": "test-reply-1", "modelVersion": M,
            "usageMetadata": usage or {"promptTokenCount": 12, "candidatesTokenCount": 1130,
                                       "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1120}]}}


def _image_part(data: bytes) -> dict:
    return {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(data).decode()}}


# -- 1. every image of a reply ---------------------------------------------------------------------------------
def test_every_image_comes_back_in_order_with_the_text_between(gemini, server):
    server.enqueue(Outcome.interleaved(3))
    r = gemini.generate("how to bake macarons, with images", image_size="512")
    sent_parts = server.requests[-1]
    assert sent_parts.outcome == "interleaved"
    assert r.status == "ok" and len(r.outputs) == 3 and len(r.images) == 3
    kinds = ["text" if isinstance(x, str) else "image" for x in r.interleaved]
    first, last = kinds.index("image"), len(kinds) - 1 - kinds[::-1].index("image")
    assert kinds.count("image") == 3 and "text" in kinds[first:last]  # text between the images
    shown = [x for x in r.interleaved if not isinstance(x, str)]
    assert [im.tobytes() for im in shown] == [im.tobytes() for im in r.images]
    # the cost is the usage's list price: three images' tokens, no more
    assert r.usage["output_image_tokens"] == 3 * _info().output_image_tokens("512")
    assert r.cost_usd == pytest.approx(pricing.list_cost(_info(), r.usage))
    assert gemini.ledger.df.iloc[-1]["n_images"] == 3
    page = r._repr_html_()
    assert page.count("<img") == 3
    texts = [x for x in r.interleaved if isinstance(x, str)]
    positions = [page.index(tk_escape(t[:20])) for t in texts]
    assert positions == sorted(positions)
    again = gemini.generate("how to bake macarons, with images", image_size="512")
    assert again.cached and [o.sha256 for o in again.outputs] == [o.sha256 for o in r.outputs]


def tk_escape(text: str) -> str:
    import html

    return html.escape(text)


def test_a_study_keeps_the_first_image_and_counts_them(gemini, server):
    server.enqueue(Outcome.interleaved(2), "ok")
    study = gemini.compare("a recipe card", seed=[1, 2], image_size="512", progress=False)
    df = study.df
    assert sorted(df["n_images"].tolist()) == [1, 2]
    two = df[df["n_images"] == 2].iloc[0]
    result = study.results[int(df.index[df["n_images"] == 2][0])]
    assert two["path"] == result.paths[0]


# -- 2. thinking -----------------------------------------------------------------------------------------------
def test_thinking_level_and_thoughts_go_on_the_wire_and_come_back(gemini, server):
    server.enqueue(Outcome.thoughts_with_interim_images())
    r = gemini.generate("a lighthouse in a storm", image_size="512", thinking_level="high", include_thoughts=True)
    thinking = json_field(_gen_config(server.requests[-1].json), "thinkingConfig", "thinking_config")
    assert json_field(thinking, "thinkingLevel", "thinking_level") == "HIGH"
    assert json_field(thinking, "includeThoughts", "include_thoughts") is True
    assert r.status == "ok" and r.thoughts and len(r.thought_images) >= 1
    thought_bytes = {im.tobytes() for im in r.thought_images}
    assert len(r.images) == 1 and r.image.tobytes() not in thought_bytes  # a thought is never the answer
    # thought images are stored, not charged: the cost is the usage's list price (thought tokens as text)
    assert r.usage["thought_tokens"] > 0
    assert r.cost_usd == pytest.approx(pricing.list_cost(_info(), r.usage))
    row = gemini.ledger.df.iloc[-1]
    assert row["n_images"] == 1 and row["thought_tokens"] == r.usage["thought_tokens"]
    page = r._repr_html_()
    assert "<details" in page and "<details open" not in page  # collapsed by default
    # a replay gives the thoughts back (stored with the entry), and still only the final image as the answer
    again = gemini.generate("a lighthouse in a storm", image_size="512", thinking_level="high", include_thoughts=True)
    assert again.cached and again.thoughts == r.thoughts
    assert [im.tobytes() for im in again.thought_images] == [im.tobytes() for im in r.thought_images]
    assert [o.sha256 for o in again.outputs] == [o.sha256 for o in r.outputs]


def test_thinking_options_are_part_of_the_cache_key(gemini, server):
    gemini.generate("a kettle", image_size="512", thinking_level="minimal")
    gemini.generate("a kettle", image_size="512", thinking_level="high")
    gemini.generate("a kettle", image_size="512", thinking_level="high", include_thoughts=True)
    assert server.call_count == 3


def test_thinking_is_refused_on_a_model_without_it_before_sending(gemini, server):
    with pytest.warns(tk.ModelShutdownWarning), pytest.raises(tk.OptionError, match="no thinking_level") as err:
        gemini.generate("a kite", model="gemini-2.5-flash-image", thinking_level="high")
    assert M in str(err.value)  # names models that have it
    with pytest.raises(tk.OptionError, match="not one of"):
        gemini.generate("a kite", thinking_level="medium")  # 3.1 Flash has minimal and high
    assert server.call_count == 0


# -- 3. search grounding ---------------------------------------------------------------------------------------
def test_grounding_goes_on_the_wire_and_is_parsed_counted_and_priced(gemini, server):
    r = gemini.generate("today's weather in Paris as a chart", image_size="512", grounding=("web", "image"))
    body = server.requests[-1].json
    search = json_field(body["tools"][0], "googleSearch", "google_search")
    types_ = json_field(search, "searchTypes", "search_types")
    assert set(types_) in ({"webSearch", "imageSearch"}, {"web_search", "image_search"})
    g = r.grounding
    assert r.status == "ok" and g is not None
    assert g["web_search_queries"] and g["image_search_queries"]
    assert g["queries"] == len(g["web_search_queries"]) + len(g["image_search_queries"])
    assert {s["kind"] for s in g["sources"]} == {"web", "image"} and all(s["uri"] for s in g["sources"])
    assert g["search_entry_point"]
    row = gemini.ledger.df.iloc[-1]
    assert row["grounding_queries"] == g["queries"]
    expected = pricing.list_cost(_info(), r.usage) + pricing.grounding_cost(_info(), g["queries"])
    assert r.cost_usd == pytest.approx(expected) and row["cost_usd"] == pytest.approx(expected)
    page = r._repr_html_()
    assert 'target="_blank" rel="noopener noreferrer"' in page and g["sources"][0]["uri"] in page
    assert "<style>" not in page  # the provider's HTML only inside the sandboxed iframe's srcdoc
    assert 'sandbox=""' in page
    again = gemini.generate("today's weather in Paris as a chart", image_size="512", grounding=["image", "web"])
    assert again.cached and again.grounding == g  # a list in another order is the same request


def test_grounding_a_single_type_sends_only_that_type(gemini, server):
    gemini.generate("the Eiffel tower at noon", image_size="512", grounding="web")
    types_ = json_field(json_field(server.requests[-1].json["tools"][0], "googleSearch", "google_search"),
                        "searchTypes", "search_types")
    assert set(types_) in ({"webSearch"}, {"web_search"})


def test_grounding_is_refused_where_the_model_has_none(gemini, server):
    with pytest.raises(tk.OptionError, match="no search grounding"):
        gemini.generate("a kite", model="gemini-3.1-flash-lite-image", grounding="web")
    with pytest.raises(tk.OptionError, match="'web' only"):
        gemini.generate("a kite", model="gemini-3-pro-image", grounding="image")
    with pytest.raises(tk.OptionError, match="search type"):
        gemini.generate("a kite", grounding="maps")
    assert server.call_count == 0


def test_hostile_grounding_is_escaped_and_empty_queries_dropped(gemini, server):
    grounding = {
        "webSearchQueries": ["", "<script>alert(1)</script>"],
        "groundingChunks": [{"web": {"title": "<b>evil</b>", "uri": "javascript:alert(2)"}},
                            {"web": {"title": "fine & dandy", "uri": "https://example.org/?a=1&b=\"2\""}}],
        "searchEntryPoint": {"renderedContent": "<script>alert(3)</script><a href='https://example.org'>x</a>"},
    }
    server.enqueue(Outcome.raw(_reply([_image_part(_png())], grounding=grounding)))
    r = gemini.generate("a hostile grounded answer", grounding="web")
    assert r.grounding["web_search_queries"] == ["<script>alert(1)</script>"] and r.grounding["queries"] == 1
    page = r._repr_html_()
    assert "<script>" not in page and "<b>evil</b>" not in page and "javascript:" not in page.split("srcdoc")[0]
    assert 'href="https://example.org/?a=1&amp;b=&quot;2&quot;"' in page
    assert gemini.ledger.df.iloc[-1]["grounding_queries"] == 1


# -- 4. service tiers ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("tier", ["flex", "priority"])
def test_service_tier_is_sent_priced_and_recorded(gemini, server, tier):
    r = gemini.generate("a quiet harbour", image_size="512", service_tier=tier)
    assert json_field(server.requests[-1].json, "serviceTier", "service_tier") == tier
    info = _info()
    assert r.cost_usd == pytest.approx(pricing.list_cost(info, r.usage, tier=tier))
    assert r.list_cost_usd == pytest.approx(pricing.list_cost(info, r.usage))  # the standard list price
    assert r.metadata["service_tier"] == tier  # the reply's usageMetadata.serviceTier
    row = gemini.ledger.df.iloc[-1]
    assert row["tier"] == tier and row["cost_usd"] == pytest.approx(r.cost_usd)


def test_a_downgraded_priority_call_is_billed_at_the_tier_it_was_served(gemini, server):
    usage = {"promptTokenCount": 12, "candidatesTokenCount": 1130, "serviceTier": "standard",
             "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1120}]}
    server.enqueue(Outcome.raw(_reply([_image_part(_png())], usage=usage)))
    r = gemini.generate("served as standard", service_tier="priority")
    assert r.cost_usd == pytest.approx(pricing.list_cost(_info(), r.usage))
    assert gemini.ledger.df.iloc[-1]["tier"] == "standard"


def test_budgets_and_estimates_use_the_tier_price(server, home):
    studio = tk.Studio(backend="gemini", api_key="test-key-123456", base_url=server.base_url, home=home,
                       budget_usd=0.05)
    standard = studio.estimate("a costly painting")
    flex = studio.estimate("a costly painting", service_tier="flex")
    assert flex.cost_usd == pytest.approx(standard.cost_usd * 0.5) and standard.cost_usd > 0.05 > flex.cost_usd
    assert studio.generate("a costly painting", service_tier="flex").status == "ok"
    with pytest.raises(tk.BudgetExceededError):
        studio.generate("another costly painting")
    with pytest.raises(tk.BudgetExceededError):
        studio.generate("a third costly painting", service_tier="priority")
    assert server.call_count == 1


def test_service_tier_is_validated(gemini, server):
    with pytest.raises(tk.OptionError, match="service_tier='turbo' is not accepted"):
        gemini.generate("a kite", service_tier="turbo")
    assert server.call_count == 0


# -- 5. aspect ratio "auto" ------------------------------------------------------------------------------------
def test_auto_aspect_ratio_sends_none_and_follows_the_input(gemini, server):
    wide = Image.new("RGB", (1600, 900), "skyblue")
    estimate = gemini.estimate("make it night", images=[wide], aspect_ratio="auto", image_size="512")
    assert estimate.cost_usd > 0
    r = gemini.edit(wide, "make it night", aspect_ratio="auto", image_size="512")
    image_config = json_field(_gen_config(server.requests[-1].json), "imageConfig", "image_config") or {}
    assert "aspectRatio" not in image_config and "aspect_ratio" not in image_config
    assert r.status == "ok" and r.image.width > r.image.height
    # "auto" is the same request as leaving the ratio unset: one cache key
    assert gemini.edit(wide, "make it night", image_size="512").cached


# -- the raw wire path (streams and batch lines) carries the same fields ----------------------------------------
def test_streams_carry_thinking_grounding_and_tier(gemini, server):
    seen: list[str] = []
    r = gemini.generate("a harbour map", image_size="512", stream=True, on_text=seen.append, thinking_level="high",
                        include_thoughts=True, grounding="web", service_tier="flex")
    body = server.requests[-1].json
    assert server.requests[-1].action == "streamGenerateContent"
    assert body["generationConfig"]["thinkingConfig"] == {"thinkingLevel": "HIGH", "includeThoughts": True}
    assert body["tools"] == [{"googleSearch": {"searchTypes": {"webSearch": {}}}}]
    assert body["serviceTier"] == "flex"
    assert r.status == "ok" and r.thoughts and r.grounding and r.grounding["queries"] >= 1
    assert gemini.ledger.df.iloc[-1]["tier"] == "flex"
