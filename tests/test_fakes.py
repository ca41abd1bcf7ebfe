"""FakeOpenRouterServer and FakeFalServer, driven through the real ``openai`` and ``fal-client`` clients
(and raw httpx where a client hides the wire). One server of each per module, reset before every test."""

from __future__ import annotations

import base64
import io

import fal_client
import fal_client.client as fc
import httpx
import openai
import pytest
from PIL import Image

from toolkit import pricing, registry
from toolkit.fakes import FakeFalServer, FakeOpenRouterServer, FakeOutcome

OR_KEY = "sk-or-v1-fakes-000001"
FAL_KEY = "fal-fakes-key-000002"
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


@pytest.fixture(scope="module")
def falfake():
    with FakeFalServer(api_key=FAL_KEY) as server:
        yield server


@pytest.fixture()
def fal(falfake, monkeypatch):
    falfake.reset()
    # Tests point fal-client at the fake the way the reference describes; FalBackend scopes this itself.
    monkeypatch.setattr(fc, "QUEUE_URL_FORMAT", falfake.base_url + "/")
    monkeypatch.setattr(fc, "RUN_URL_FORMAT", falfake.run_url + "/")
    yield falfake
    falfake.reset()


@pytest.fixture()
def falclient(fal):
    return fal_client.SyncClient(key=FAL_KEY)


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
    router.enqueue("blocked", FakeOutcome.no_image(), "text_only", FakeOutcome.ok(cost=0.5))
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
        FakeOutcome("nonsense")
    with pytest.raises(ValueError):
        FakeOutcome.error(200)
    with pytest.raises(RuntimeError, match="not running"):
        _ = FakeOpenRouterServer().base_url


# --------------------------------------------------------------------------------------------------
# fal.ai
# --------------------------------------------------------------------------------------------------


def test_fal_queue_protocol(falclient, fal):
    handle = falclient.submit("fal-ai/nano-banana-2", {"prompt": "a red bicycle", "resolution": "0.5K"})
    assert handle.status_url == f"{fal.base_url}/fal-ai/nano-banana-2/requests/{handle.request_id}/status"
    seen = [handle.status(with_logs=True) for _ in range(4)]
    assert [type(s).__name__ for s in seen] == ["Queued", "Queued", "InProgress", "Completed"]
    assert [s.position for s in seen[:2]] == [1, 0]
    assert seen[2].logs[0]["message"].startswith("Starting fal-ai/nano-banana-2")
    assert seen[3].logs[-1]["message"] == "Done" and seen[3].metrics["inference_time"] > 0 and not seen[3].error
    out = handle.get(interval=0.01)
    (image,) = out["images"]
    assert image["url"].startswith(fal.base_url + "/files/") and image["content_type"] == "image/jpeg"
    assert (image["width"], image["height"]) == (512, 512) and out["description"]
    data = httpx.get(image["url"]).content
    assert len(data) == image["file_size"] and Image.open(io.BytesIO(data)).size == (512, 512)
    assert [q.action for q in fal.requests][:2] == ["submit", "status"]
    assert fal.calls[0].headers["authorization"] == "<redacted>" and fal.call_count == 1


def test_fal_edit_with_data_uri_and_file_url(falclient, fal):
    out = falclient.run("fal-ai/nano-banana", {"prompt": "a cat", "num_images": 2, "output_format": "png"})
    assert len(out["images"]) == 2 and out["images"][0]["content_type"] == "image/png"
    assert (out["images"][0]["width"], out["images"][0]["height"]) == (1024, 1024)
    assert fal.calls[-1].action == "run" and fal.calls[-1].path == "/run/fal-ai/nano-banana"
    data_uri = fal_client.encode(httpx.get(out["images"][0]["url"]).content, "image/png")
    edited = falclient.subscribe("fal-ai/nano-banana", path="edit", interval=0.01, arguments={
        "prompt": "make it black and white", "image_urls": [data_uri, out["images"][1]["url"]], "sync_mode": True})
    url = edited["images"][0]["url"]
    assert url.startswith("data:image/png;base64,")
    assert fal.calls[-1].path == "/fal-ai/nano-banana/edit"


def test_fal_refusals_come_back_as_422_at_result(falclient, fal):
    fal.enqueue("content_policy", "no_media_generated")
    for kind in ("content_policy_violation", "no_media_generated"):
        handle = falclient.submit("fal-ai/nano-banana-2", {"prompt": "a garden"})
        status = [handle.status(with_logs=True) for _ in range(4)][-1]
        assert status.error and status.error_type == kind
        with pytest.raises(fal_client.FalClientHTTPError) as info:
            handle.get(interval=0.01)
        e = info.value
        assert e.status_code == 422 and e.message[0]["type"] == kind and e.message[0]["url"].endswith(kind)
        assert e.response_headers["x-fal-retryable"] == "false" and "x-fal-request-id" in e.response_headers


def test_fal_request_errors_carry_an_error_type(falclient, fal):
    fal.enqueue("503")
    handle = falclient.submit("fal-ai/nano-banana-2", {"prompt": "a garden"})
    with pytest.raises(fal_client.FalClientHTTPError) as info:
        handle.get(interval=0.01)
    e = info.value
    assert e.status_code == 503 and e.error_type == "runner_scheduling_failure"
    assert e.response_headers["x-fal-error-type"] == "runner_scheduling_failure"
    assert e.response_headers["x-fal-request-id"] == handle.request_id  # so fal-client does not call it ingress


def test_fal_client_retries_a_429_on_its_own(falclient, fal):
    # Why FalBackend turns the client's retries off while submitting: left alone, it retries 429s itself.
    fal.enqueue("429")
    falclient.submit("fal-ai/nano-banana-2", {"prompt": "a garden"})
    assert fal.call_count == 2 and [q.outcome for q in fal.calls] == ["error", "ok"]


@pytest.mark.parametrize(
    ("app", "args", "kind"),
    [("fal-ai/nano-banana-2", {}, "missing"),
     ("fal-ai/nano-banana-2/edit", {"prompt": "x"}, "missing"),
     ("fal-ai/nano-banana-2", {"prompt": "x", "resolution": "8K"}, "literal_error"),
     ("fal-ai/nano-banana", {"prompt": "x", "aspect_ratio": "4:1"}, "literal_error"),
     ("fal-ai/nano-banana-2", {"prompt": "x", "num_images": 9}, "less_than_equal"),
     ("fal-ai/nano-banana/edit", {"prompt": "x", "image_urls": ["https://example.com/a.png"]}, "file_download_error")],
)
def test_fal_validates_inputs_when_the_job_runs(falclient, fal, app, args, kind):
    owner_app = app.removesuffix("/edit")
    handle = falclient.submit(owner_app, args, path="edit" if app.endswith("/edit") else "")
    with pytest.raises(fal_client.FalClientHTTPError) as info:
        handle.get(interval=0.01)
    assert info.value.status_code == 422 and info.value.message[0]["type"] == kind


def test_fal_auth_unknown_apps_and_cancel(fal, falclient):
    with httpx.Client() as h:
        resp = h.post(fal.base_url + "/fal-ai/nano-banana-2", json={"prompt": "x"})
        assert resp.status_code == 401 and "x-fal-request-id" in resp.headers
        resp = h.post(fal.base_url + "/fal-ai/nano-banana-9", json={"prompt": "x"},
                      headers={"Authorization": f"Key {FAL_KEY}"})
        assert resp.status_code == 404
    handle = falclient.submit("fal-ai/nano-banana-2", {"prompt": "x"})
    handle.cancel()
    assert fal.requests[-1].action == "cancel"
    done = falclient.submit("fal-ai/nano-banana-2", {"prompt": "y"})
    done.get(interval=0.01)
    with pytest.raises(fal_client.FalClientHTTPError) as info:
        done.cancel()
    assert info.value.status_code == 400


def test_fal_ingress_page_has_no_request_id(fal):
    fal.enqueue("html")
    with httpx.Client() as h:
        resp = h.post(fal.base_url + "/fal-ai/nano-banana-2", json={"prompt": "x"},
                      headers={"Authorization": f"Key {FAL_KEY}"})
    assert resp.status_code == 502 and "nginx" in resp.text and "x-fal-request-id" not in resp.headers
    assert fc._is_ingress_error(resp)  # exactly what fal-client retries as an edge failure


def test_fal_reset_forgets_jobs(falclient, fal):
    falclient.submit("fal-ai/nano-banana-2", {"prompt": "x"})
    fal.enqueue("403")
    fal.reset()
    assert fal.pending == 0 and fal.call_count == 0 and not fal.requests and "jobs=0" in repr(fal)
