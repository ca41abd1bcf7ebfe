"""Batch mode on the Gemini API (toolkit.backends.gemini_batch): the Operation and answer parsing on plain JSON,
and submit / poll / cancel through the real google-genai SDK against FakeGeminiServer.

The Studio-level flow (studies, resume, the ledger at batch prices) is tested in tests/test_batch.py."""

from __future__ import annotations

import datetime as dt

import pytest
from google.genai import types

from toolkit.backends.base import Reply
from toolkit.backends.gemini import GeminiBackend
from toolkit.backends.gemini_batch import (
    BATCH_INLINE_LIMIT_BYTES,
    batch_answer,
    batch_status,
    cancel_job,
    check_batch,
    job_state,
    operation_from_typed,
    parse_timestamp,
    poll_job,
    submit_job,
)
from toolkit.errors import ProviderError
from toolkit.request import Options, Request, TextPart, Turn
from toolkit.runner import run

KEY = "test-key-123456"
M = "gemini-3.1-flash-image"


def _request(prompt: str, model: str = M) -> Request:
    return Request("gemini", model, (Turn("user", (TextPart(prompt),)),), Options(image_size="512"))


# -- plain JSON -------------------------------------------------------------------------------------------------
def test_check_batch_refuses_what_one_job_cannot_hold():
    with pytest.raises(ValueError, match="at least one"):
        check_batch([])
    with pytest.raises(ValueError, match="one model"):
        check_batch([_request("a"), _request("b", model="gemini-3-pro-image")])
    with pytest.raises(ValueError, match="distinct keys"):
        check_batch([_request("a"), _request("a")])
    check_batch([_request("a"), _request("b")])


def test_job_states_and_timestamps():
    class Enum:
        name = "JOB_STATE_CANCELLED"

    assert job_state("BATCH_STATE_EXPIRED") == "JOB_STATE_EXPIRED" and job_state(Enum()) == "JOB_STATE_CANCELLED"
    assert parse_timestamp("2026-05-01T10:00:00Z") == dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC)
    assert parse_timestamp("2026-05-01T10:00:00.123456789+00:00").microsecond == 123456
    assert parse_timestamp("yesterday") is None and parse_timestamp(None) is None


def test_batch_status_reads_state_error_and_elapsed_time():
    op = {"name": "batches/abc", "metadata": {"state": "BATCH_STATE_FAILED", "createTime": "2026-05-01T10:00:00Z",
                                              "endTime": "2026-05-01T10:01:30.5Z"},
          "error": {"code": 3, "message": "bad input file"}}
    status = batch_status("batches/abc", op)
    assert (status.state, status.done, status.error, status.elapsed_s) == ("JOB_STATE_FAILED", True,
                                                                          "bad input file", 90.5)
    pending = batch_status("batches/xyz", {"metadata": {"state": "BATCH_STATE_PENDING"}})
    assert pending.name == "batches/xyz" and not pending.done and pending.elapsed_s is None


def test_batch_answers_become_replies_or_errors():
    ok = batch_answer({"response": {"candidates": [{"content": {"parts": [{"text": "no"}]}, "finishReason": "STOP"}]}},
                      M)
    assert isinstance(ok, Reply) and ok.status == "no_image"
    quota = batch_answer({"error": {"code": 8, "message": "Quota exceeded"}}, M)  # a google.rpc.Code number
    assert isinstance(quota, ProviderError) and (quota.code, quota.status) == (429, "RESOURCE_EXHAUSTED")
    assert "was not retried" in (quota.hint or "")
    refused = batch_answer({"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "API key not valid"}}, M)
    assert isinstance(refused, ProviderError) and "GEMINI_API_KEY" in (refused.hint or "")
    empty = batch_answer({}, M)
    assert isinstance(empty, ProviderError) and empty.code is None and "neither a response nor an error" in empty.message


def test_typed_batch_job_goes_back_to_the_operation_shape():
    job = types.BatchJob(
        name="batches/t1", state=types.JobState.JOB_STATE_SUCCEEDED, model="models/" + M,
        create_time=dt.datetime(2026, 5, 1, tzinfo=dt.UTC), end_time=dt.datetime(2026, 5, 1, 0, 2, tzinfo=dt.UTC),
        dest=types.BatchJobDestination(inlined_responses=[
            types.InlinedResponse(metadata={"key": "k1"}, response=types.GenerateContentResponse(candidates=[
                types.Candidate(content=types.Content(role="model", parts=[types.Part(text="hi")]),
                                finish_reason=types.FinishReason.STOP)])),
            types.InlinedResponse(metadata={"key": "k2"}, error=types.JobError(code=13, message="internal")),
        ]))
    op = operation_from_typed(job)
    assert op["done"] and op["metadata"]["state"] == "JOB_STATE_SUCCEEDED"
    entries = op["metadata"]["output"]["inlinedResponses"]["inlinedResponses"]
    assert [e["metadata"]["key"] for e in entries] == ["k1", "k2"]
    first, second = batch_answer(entries[0], M), batch_answer(entries[1], M)
    assert isinstance(first, Reply) and first.text == "hi"
    assert isinstance(second, ProviderError) and (second.code, second.status) == (500, "INTERNAL")
    assert batch_status("batches/t1", op).elapsed_s == 120.0


# -- through the SDK and the fake ------------------------------------------------------------------------------
@pytest.fixture()
def client(server):
    server.batch_polls_until_done = 1
    return GeminiBackend(KEY, base_url=server.base_url).client


def _collect(client, name: str):
    for _ in range(5):
        status = run(poll_job(client, name))
        if status.done:
            return status
    raise AssertionError(f"{name} still pending")


@pytest.mark.parametrize(("limit", "source"), [(BATCH_INLINE_LIMIT_BYTES, "inline"), (1, "file")])
def test_submit_inline_or_as_a_jsonl_file_then_poll_every_answer_by_key(server, client, limit, source):
    requests = [_request("a kite"), _request("a boat")]
    name = run(submit_job(client, requests, "two", inline_limit_bytes=limit))
    (fake_job,) = server.batches
    assert name.startswith("batches/") and fake_job.name == name and fake_job.source == source
    status = _collect(client, name)
    assert status.succeeded and set(status.results) == {r.key for r in requests}
    assert all(isinstance(r, Reply) and r.status == "ok" for r in status.results.values())


def test_typed_fallback_and_cancel(server, client):
    server.batch_polls_until_done = 3
    name = run(submit_job(client, [_request("a kite")], "one"))
    assert not run(poll_job(client, name, raw_json=False)).done
    run(cancel_job(client, name))
    status = run(poll_job(client, name, raw_json=False))
    assert status.done and status.state == "JOB_STATE_CANCELLED" and not status.results


def test_unknown_job_is_a_provider_error(client):
    with pytest.raises(ProviderError) as info:
        run(poll_job(client, "batches/does-not-exist"))
    assert info.value.code == 404


def test_results_file_answers_are_parsed_one_at_a_time_and_keys_found_at_either_end_of_a_long_line():
    import base64
    import io
    import json as _json

    from PIL import Image

    from toolkit.backends.gemini_batch import LazyAnswers

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(buf, "PNG")
    image = base64.b64encode(buf.getvalue() + b"\0" * 8000).decode()  # a line far longer than 4 kB

    def response(text: str) -> dict:
        return {"candidates": [{"content": {"role": "model", "parts": [
            {"text": text}, {"inlineData": {"mimeType": "image/png", "data": image}}]}, "finishReason": "STOP"}]}

    lines = [
        _json.dumps({"key": "first", "response": response("key first")}),
        _json.dumps({"response": response("key last"), "key": "last"}),
        _json.dumps({"key": "broken", "error": {"code": 13, "message": "internal"}}),
        "",
        "not json",
    ]
    answers = LazyAnswers("gemini-3.1-flash-image")
    answers.add_lines("\n".join(lines).encode())
    assert sorted(answers) == ["broken", "first", "last"]
    assert answers["first"].text == "key first" and answers["last"].text == "key last"
    assert answers["first"].status == "ok" and len(answers["first"].images) == 1
    assert answers["broken"].status == "INTERNAL"
    assert answers["first"] is not answers["first"]  # parsed on each lookup, nothing held
