"""FakeGeminiServer's Batch API and Files API (toolkit/testing/gemini_batch.py), through the real SDK."""

from __future__ import annotations

import io
import json
import time

import pytest
from gemini_helpers import KEY, M3, final_images, png_bytes, raw
from google.genai import errors, types

from toolkit.testing import FakeGeminiServer

# --------------------------------------------------------------------------------------------------
# Batch API and Files API, through the real SDK
# --------------------------------------------------------------------------------------------------

GEN = {"response_modalities": ["TEXT", "IMAGE"], "image_config": {"image_size": "512", "aspect_ratio": "1:1"}}


@pytest.fixture()
def bfake(fake):
    """The module's fake with its batch settings restored afterwards."""
    saved = (fake.batch_polls_until_done, fake.batch_seconds_until_done, fake.batch_inline_limit_bytes,
             fake.static_image)
    fake.static_image = png_bytes()
    yield fake
    (fake.batch_polls_until_done, fake.batch_seconds_until_done, fake.batch_inline_limit_bytes,
     fake.static_image) = saved


def inlined(*prompts: str) -> list[dict]:
    return [{"contents": [{"role": "user", "parts": [{"text": p}]}], "config": GEN, "metadata": {"key": f"k{i}"}}
            for i, p in enumerate(prompts)]


def raw_op(fake: FakeGeminiServer, name: str) -> dict:
    status, _, body = raw(fake, "GET", f"/v1beta/{name}", headers={"x-goog-api-key": KEY})
    assert status == 200
    return json.loads(body)


def test_batch_inline_lifecycle_through_the_sdk(bfake, client):
    bfake.enqueue("ok", "image_safety", "503", "blocked")
    job = client.batches.create(model=M3, src=inlined("a cat", "a dog", "an owl", "a fox", "a yak"),
                                config={"display_name": "imgs"})
    assert job.name.startswith("batches/") and job.state.name == "JOB_STATE_PENDING"
    assert job.display_name == "imgs" and job.model == f"models/{M3}"
    (snap,) = bfake.batches
    assert snap.source == "inline" and snap.keys == ("k0", "k1", "k2", "k3", "k4")
    assert snap.outcomes == ("ok", "finish", "error", "blocked", "ok")  # scripted per request, at creation
    assert bfake.call_count == 0 and bfake.pending == 0  # batch requests are not generate calls
    assert client.batches.get(name=job.name).state.name == "JOB_STATE_RUNNING"  # poll 1 of 2
    done = client.batches.get(name=job.name)
    assert done.state.name == "JOB_STATE_SUCCEEDED" and done.end_time is not None
    by_key = {r.metadata["key"]: r for r in done.dest.inlined_responses}
    assert list(by_key) == ["k0", "k1", "k2", "k3", "k4"]
    assert final_images(by_key["k0"].response) and by_key["k0"].error is None
    assert by_key["k1"].response.candidates[0].finish_reason == types.FinishReason.IMAGE_SAFETY
    assert by_key["k2"].response is None and by_key["k2"].error.code == 503
    assert by_key["k3"].response.prompt_feedback.block_reason.name == "PROHIBITED_CONTENT"
    # the wire: BATCH_STATE_*, int64 counts as strings, metadata.output AND the top-level response
    op = raw_op(bfake, job.name)
    meta = op["metadata"]
    assert op["done"] is True and meta["state"] == "BATCH_STATE_SUCCEEDED" and meta["@type"].endswith(
        "GenerateContentBatch")
    assert meta["batchStats"] == {"requestCount": "5", "successfulRequestCount": "4", "failedRequestCount": "1"}
    assert op["response"]["@type"].endswith("GenerateContentBatchOutput")
    assert op["response"]["inlinedResponses"] == meta["output"]["inlinedResponses"]
    entries = meta["output"]["inlinedResponses"]["inlinedResponses"]
    assert entries[2]["error"] == {"code": 503, "message": "The model is overloaded. Please try again later.",
                                   "status": "UNAVAILABLE"}
    assert entries[1]["response"]["candidates"][0]["finishMessage"].startswith("Unable to show the generated image")
    assert [j.name for j in client.batches.list()] == [job.name]
    client.batches.delete(name=job.name)
    assert bfake.batches == [] and list(client.batches.list()) == []
    with pytest.raises(errors.ClientError) as e:
        client.batches.get(name=job.name)
    assert e.value.code == 404


def test_batch_pending_stats_and_time_based_completion(bfake, client):
    bfake.batch_seconds_until_done = 0.3
    job = client.batches.create(model=M3, src=inlined("a cat", "a dog"))
    assert raw_op(bfake, job.name)["metadata"]["batchStats"] == {"requestCount": "2", "pendingRequestCount": "2"}
    assert "done" not in raw_op(bfake, job.name)
    time.sleep(0.35)
    assert client.batches.get(name=job.name).state.name == "JOB_STATE_SUCCEEDED"
    assert bfake.batches[0].polls == 3


def test_batch_cancel_and_forced_terminal_states(bfake, client):
    bfake.batch_polls_until_done = 100
    job = client.batches.create(model=M3, src=inlined("a cat"))
    client.batches.cancel(name=job.name)
    got = client.batches.get(name=job.name)
    assert got.state.name == "JOB_STATE_CANCELLED" and got.dest is None
    client.batches.cancel(name=job.name)  # cancelling a finished job is a no-op
    other = client.batches.create(model=M3, src=inlined("a dog"))
    bfake.set_batch_state(other.name, "FAILED", "the batch could not be processed")
    op = raw_op(bfake, other.name)
    assert op["metadata"]["state"] == "BATCH_STATE_FAILED" and op["error"]["message"] == "the batch could not be processed"
    # google-genai 3.3.0 does not read an Operation's top-level error on the Gemini API (only the state)
    assert client.batches.get(name=other.name).state.name == "JOB_STATE_FAILED"
    third = client.batches.create(model=M3, src=inlined("an owl"))
    bfake.set_batch_state(third.name.removeprefix("batches/"), "expired")
    assert client.batches.get(name=third.name).state.name == "JOB_STATE_EXPIRED"
    with pytest.raises(ValueError, match="FAILED, CANCELLED or EXPIRED"):
        bfake.set_batch_state(third.name, "SUCCEEDED")


def test_batch_from_an_uploaded_jsonl_file(bfake, client):
    bfake.batch_polls_until_done = 1
    bfake.enqueue("ok", "400")
    lines = [{"key": f"r{i}", "request": {"contents": [{"parts": [{"text": f"a cat {i}"}]}],
                                          "generation_config": {"responseModalities": ["TEXT", "IMAGE"]}}}
             for i in range(2)]
    payload = ("\n".join(json.dumps(line) for line in lines) + "\n").encode()
    uploaded = client.files.upload(file=io.BytesIO(payload), config={"mime_type": "jsonl", "display_name": "in"})
    assert uploaded.name.startswith("files/") and uploaded.state.name == "ACTIVE"
    assert uploaded.size_bytes == len(payload) and bfake.files[uploaded.name].data == payload
    assert client.files.get(name=uploaded.name).display_name == "in"
    actions = [r.action for r in bfake.requests]
    assert actions[:2] == ["files.create", "files.upload"]
    job = client.batches.create(model=M3, src=uploaded.name)
    assert bfake.batches[0].source == "file" and bfake.batches[0].input_file == uploaded.name
    done = client.batches.get(name=job.name)
    assert done.state.name == "JOB_STATE_SUCCEEDED" and done.dest.file_name.startswith("files/")
    assert raw_op(bfake, job.name)["response"]["responsesFile"] == done.dest.file_name
    out = client.files.download(file=done.dest.file_name)
    rows = [json.loads(line) for line in out.decode().splitlines()]
    assert [r["key"] for r in rows] == ["r0", "r1"]
    assert rows[0]["response"]["candidates"][0]["finishReason"] == "STOP" and rows[1]["error"]["code"] == 400
    status, headers, body = raw(bfake, "GET", f"/download/v1beta/{done.dest.file_name}:download?alt=media",
                                headers={"x-goog-api-key": KEY})
    assert status == 200 and body == out and headers["content-type"] == "application/jsonl"
    status, _, body = raw(bfake, "GET", f"/v1beta/{uploaded.name}:download?alt=media",
                          headers={"x-goog-api-key": KEY})
    assert status == 400 and "Only generated files" in json.loads(body)["error"]["message"]
    assert {f.name for f in client.files.list()} == {uploaded.name, done.dest.file_name}
    client.files.delete(name=uploaded.name)
    assert uploaded.name not in bfake.files


def test_resumable_upload_in_chunks_and_its_errors(bfake):
    head = {"x-goog-api-key": KEY, "X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": "10", "X-Goog-Upload-Header-Content-Type": "application/jsonl"}
    status, headers, _ = raw(bfake, "POST", "/upload/v1beta/files", {"file": {"display_name": "x"}}, head)
    assert status == 200 and headers["x-goog-upload-status"] == "active"
    url = headers["x-goog-upload-url"]
    assert url.startswith(bfake.base_url + "/upload/v1beta/files?upload_id=")
    path = url.removeprefix(bfake.base_url)
    # the session URL is its own credential: no API key on the chunks
    status, headers, _ = raw(bfake, "POST", path, b"01234", {"X-Goog-Upload-Command": "upload",
                                                            "X-Goog-Upload-Offset": "0"})
    assert status == 200 and headers["x-goog-upload-status"] == "active"
    status, _, body = raw(bfake, "POST", path, b"56789", {"X-Goog-Upload-Command": "upload, finalize",
                                                         "X-Goog-Upload-Offset": "3"})
    assert status == 400 and "offset" in json.loads(body)["error"]["message"]
    status, headers, body = raw(bfake, "POST", path, b"56789", {"X-Goog-Upload-Command": "upload, finalize",
                                                               "X-Goog-Upload-Offset": "5"})
    assert status == 200 and headers["x-goog-upload-status"] == "final"
    file = json.loads(body)["file"]
    assert file["sizeBytes"] == "10" and file["source"] == "UPLOADED" and bfake.files[file["name"]].data == b"0123456789"
    status, _, _ = raw(bfake, "POST", "/upload/v1beta/files", {"file": {}}, {"x-goog-api-key": KEY})
    assert status == 400  # not a resumable start
    status, _, _ = raw(bfake, "POST", path, b"x", {"X-Goog-Upload-Command": "upload, finalize"})
    assert status == 404  # the session is gone once finalized


def test_batch_create_errors(bfake, client):
    with pytest.raises(errors.ClientError) as e:
        client.batches.create(model=M3, src="files/nope")
    assert e.value.code == 404
    with pytest.raises(errors.ClientError) as e:
        client.batches.create(model="gemini-9-imaginary-image", src=inlined("a cat"))
    assert e.value.code == 404
    bfake.batch_inline_limit_bytes = 200
    with pytest.raises(errors.ClientError) as e:
        client.batches.create(model=M3, src=inlined("a cat " * 50))
    assert e.value.code == 400 and "payload size exceeds" in e.value.message
    status, _, body = raw(bfake, "POST", f"/v1beta/models/{M3}:batchGenerateContent", {"batch": {}},
                          {"x-goog-api-key": KEY})
    assert status == 400 and "input_config" in json.loads(body)["error"]["message"]
    assert bfake.batches == []


def test_batch_requests_are_validated_one_by_one(bfake):
    bfake.batch_polls_until_done = 1
    body = {"batch": {"inputConfig": {"requests": {"requests": [
        {"request": {"contents": [{"parts": [{"text": "a cat"}]}],
                     "generationConfig": {"imageConfig": {"imageSize": "1k"}}}, "metadata": {"key": "bad"}},
        {"request": {"contents": [{"parts": [{"text": "a dog"}]}]}, "metadata": {"key": "good"}},
    ]}}}}
    status, _, data = raw(bfake, "POST", f"/v1beta/models/{M3}:batchGenerateContent", body, {"x-goog-api-key": KEY})
    assert status == 200
    entries = raw_op(bfake, json.loads(data)["name"])["metadata"]["output"]["inlinedResponses"]["inlinedResponses"]
    assert entries[0]["metadata"] == {"key": "bad"} and entries[0]["error"]["code"] == 400
    assert "Unsupported image size" in entries[0]["error"]["message"]
    assert entries[1]["response"]["candidates"][0]["finishReason"] == "STOP"
