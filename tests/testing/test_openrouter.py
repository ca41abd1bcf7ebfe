"""FakeOpenRouterServer (toolkit/testing/openrouter.py), driven through the real ``openai`` client (and raw
httpx where the client hides the wire). One server per module, reset before every test."""

from __future__ import annotations

import base64
import io

import httpx
import openai
import pytest
from PIL import Image

from toolkit import pricing, registry
from toolkit.testing import FakeOpenRouterServer, Outcome

OR_KEY = "sk-or-v1-fakes-000001"
M3 = "google/gemini-3.1-flash-image"


@pytest.fixture(scope="module")
def orfake():
    with FakeOpenRouterServer(api_key=OR_KEY) as server:
        yield server


@pytest.fixture()
def router(orfake):
    orfake.reset()
    yield orfake
    orfake.reset()


@pytest.fixture()
def client(router):
    return openai.OpenAI(api_key=OR_KEY, base_url=router.base_url, max_retries=0)


def _chat(client, **kw):
    body = {"model": M3, "messages": [{"role": "user", "content": "a red bicycle"}],
            "extra_body": {"modalities": ["image", "text"], "image_config": {"image_size": "512"}}}
    body.update(kw)
    raw = client.chat.completions.with_raw_response.create(**body)
    return raw.http_response.json()


def _image(url: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


# --------------------------------------------------------------------------------------------------
# OpenRouter
# --------------------------------------------------------------------------------------------------


def test_openrouter_success_shape(client, router):
    body = _chat(client)
    choice = body["choices"][0]
    assert body["id"].startswith("gen-") and body["model"] == M3 and body["provider"] == "Google AI Studio"
    assert choice["finish_reason"] == "stop" and choice["native_finish_reason"] == "STOP"
    img = _image(choice["message"]["images"][0]["image_url"]["url"])
    assert img.size == (512, 512) and img.format == "JPEG"
    usage = body["usage"]
    details = usage["completion_tokens_details"]
    assert details["image_tokens"] == 747 and details["reasoning_tokens"] == 64
    assert usage["completion_tokens"] == usage["total_tokens"] - usage["prompt_tokens"]
    info = registry.lookup("gemini-3.1-flash-image")
    expected = pricing.list_cost(info, {"input_tokens": usage["prompt_tokens"],
                                        "output_tokens": usage["completion_tokens"] - 64,
                                        "output_image_tokens": 747, "thought_tokens": 64})
    assert usage["cost"] == pytest.approx(expected) and usage["is_byok"] is False
    assert choice["message"]["reasoning_details"][0]["format"] == "google-gemini-v1"
    rec = router.calls[-1]
    assert rec.headers["authorization"] == "<redacted>" and rec.action == "chat" and rec.outcome == "ok"
    assert OR_KEY not in repr(router.requests)


def test_openrouter_answer_parses_with_the_typed_client(client):
    completion = client.chat.completions.create(
        model=M3, messages=[{"role": "user", "content": "a kite"}], extra_body={"modalities": ["image", "text"]})
    assert completion.choices[0].message.role == "assistant" and completion.usage.total_tokens > 1000


def test_openrouter_without_image_modality_answers_text_only(client):
    body = _chat(client, extra_body={})
    message = body["choices"][0]["message"]
    assert "images" not in message and message["content"]


def test_openrouter_uses_the_working_image_from_history(client, router):
    first = _chat(client)
    image = first["choices"][0]["message"]["images"][0]
    messages = [{"role": "user", "content": "a red bicycle"},
                {"role": "assistant", "content": "", "images": [image]},
                {"role": "user", "content": [{"type": "text", "text": "make it black and white"}]}]
    body = _chat(client, messages=messages)
    edited = _image(body["choices"][0]["message"]["images"][0]["image_url"]["url"]).convert("RGB")
    r, g, b = edited.resize((8, 8)).getpixel((4, 4))
    assert abs(r - g) <= 12 and abs(g - b) <= 12  # grey: the edit was applied to the history's image
    assert body["usage"]["prompt_tokens"] > first["usage"]["prompt_tokens"] + 1000  # the image was counted


@pytest.mark.parametrize("code", [400, 401, 402, 429, 500, 502, 524, 529])
def test_openrouter_error_shapes(client, router, code):
    router.enqueue(code)
    with pytest.raises(openai.APIStatusError) as info:
        _chat(client)
    e = info.value
    assert e.status_code == code and e.body["code"] == code and e.body["message"]
    if code == 429:
        assert e.response.headers["retry-after"] == "0.05"
        assert e.body["metadata"]["headers"]["X-RateLimit-Remaining"] == "0"
    if code in (502, 524, 529):
        assert e.body["metadata"]["provider_name"] == "Google AI Studio"
    assert router.calls[-1].outcome == "error"


def test_openrouter_credentials_are_checked_before_outcomes(router):
    router.enqueue("402")
    for key, message in ((None, "No auth credentials found"), ("sk-or-v1-wrong", "User not found.")):
        with httpx.Client() as h:
            resp = h.post(router.base_url + "/chat/completions", json={"model": M3, "messages": []},
                          headers={"Authorization": f"Bearer {key}"} if key else {})
        assert resp.status_code == 401 and resp.json()["error"]["message"] == message
    assert router.pending == 1 and router.call_count == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [({"model": "google/nope"}, "not a valid model ID"),
     ({"extra_body": {"modalities": ["image"], "image_config": {"aspect_ratio": "1.91:1"}}}, "aspect_ratio"),
     ({"model": "google/gemini-2.5-flash-image"}, "image_size"),
     ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]},
      "data URLs")],
)
def test_openrouter_validates_requests(client, body, message):
    with pytest.raises(openai.BadRequestError, match=message):
        _chat(client, **body)


def test_openrouter_transport_faults(client, router):
    router.enqueue("drop", "html", "malformed")
    with pytest.raises(openai.APIConnectionError):
        _chat(client)
    with pytest.raises(openai.APIStatusError) as info:
        _chat(client)
    assert info.value.status_code == 524 and "cloudflare" in info.value.response.text
    raw = client.chat.completions.with_raw_response.create(model=M3, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(ValueError):
        raw.http_response.json()


def test_openrouter_scripted_refusals(client, router):
    router.enqueue("blocked", Outcome.no_image(), "text_only", Outcome.ok(cost=0.5))
    blocked = _chat(client)["choices"][0]
    assert blocked["finish_reason"] == "content_filter" and blocked["native_finish_reason"] == "IMAGE_SAFETY"
    assert "images" not in blocked["message"]
    assert _chat(client)["choices"][0]["native_finish_reason"] == "NO_IMAGE"
    text = _chat(client)["choices"][0]["message"]
    assert text["content"] and "images" not in text
    assert _chat(client)["usage"]["cost"] == 0.5


def test_openrouter_lists_models(client, router):
    ids = {m.id for m in client.models.list()}
    assert M3 in ids and "google/gemini-2.5-flash" in ids
    assert router.requests[-1].action == "models"


def test_outcome_parsing_is_strict(router):
    with pytest.raises(ValueError, match="Unknown outcome"):
        router.enqueue("content_policy")  # a fal shortcut, not an OpenRouter one
    with pytest.raises(ValueError):
        Outcome("nonsense")
    with pytest.raises(ValueError):
        Outcome.error(200)
    with pytest.raises(RuntimeError, match="not running"):
        _ = FakeOpenRouterServer().base_url
