"""FakeFalServer (toolkit/testing/fal.py), driven through the real ``fal-client`` (and raw httpx where the
client hides the wire). One server per module, reset before every test."""

from __future__ import annotations

import io

import fal_client
import fal_client.client as fc
import httpx
import pytest
from PIL import Image

from toolkit.testing import FakeFalServer

FAL_KEY = "fal-fakes-key-000002"


@pytest.fixture(scope="module")
def falfake():
    with FakeFalServer(api_key=FAL_KEY) as server:
        yield server


@pytest.fixture()
def fal(falfake, monkeypatch):
    falfake.reset()
    # fal-client hard-codes https hosts, read at call time: point them here (FalBackend scopes this itself).
    monkeypatch.setattr(fc, "QUEUE_URL_FORMAT", falfake.base_url + "/")
    monkeypatch.setattr(fc, "RUN_URL_FORMAT", falfake.run_url + "/")
    yield falfake
    falfake.reset()


@pytest.fixture()
def falclient(fal):
    return fal_client.SyncClient(key=FAL_KEY)


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
