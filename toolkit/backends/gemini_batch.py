"""Batch mode on the Gemini API: the Batch API and the Files API, through google-genai.

https://ai.google.dev/gemini-api/docs/batch-api: one job runs one model at 50% of the standard price, with a
24-hour target turnaround. :func:`submit_job` sends the requests with ``client.aio.batches.create``, inline
while both the serialised requests stay under ``inline_limit_bytes`` (:data:`BATCH_INLINE_LIMIT_BYTES` by
default: the API takes inline requests up to 20 MB in total) and the answers are expected to stay under
``inline_answers_limit_bytes`` (:data:`BATCH_INLINE_ANSWERS_LIMIT_BYTES`, see :func:`expected_answer_bytes`),
and otherwise as a JSONL file (one ``{"key", "request"}`` per line) uploaded with ``client.aio.files.upload``
(https://ai.google.dev/gemini-api/docs/files). The answers come back the way the requests went: inline in
the job's Operation JSON, or as a JSONL results file, which is streamed to disk and read one line per answer
(:mod:`toolkit.backends.gemini_batch_results`), so collecting a job of thousands of images stays flat in
memory. :func:`poll_job` reads each answer as wire JSON and parses it with
:func:`~toolkit.backends.gemini_wire.parse_response`, exactly like a ``generateContent`` reply.

Why wire JSON and not the SDK's typed ``BatchJob``: google-genai 3.3.0 converts a batch answer through
``_Candidate_from_mldev``, which drops ``finishMessage`` (the human-readable refusal), and its ``JobError``
drops the error's ``status`` name; ``model_dump(mode="json", by_alias=True, exclude_none=True)`` cannot bring
back what was dropped (checked against the fake; thought signatures, images, finish reasons and usage do
survive). So the long-running Operation (``batches.get``, https://ai.google.dev/api/batch-mode) is fetched
with the SDK's own API client (``client.aio._api_client.async_request("get", "batches/<id>", {})``, the very
call ``batches.get`` makes, so auth, base URL, API version, timeout and error mapping stay the SDK's) and the
JSONL output file with ``client.aio.files.download`` (raw bytes already, streamed to a file). That client is private API: if a
later SDK lacks it, :func:`fetch_operation` falls back to the typed ``batches.get`` plus ``model_dump`` and
loses only ``finishMessage`` (``raw_json=False`` forces the fallback).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any, NoReturn

from ..errors import MalformedReplyError
from ..request import Request
from ..secrets import scrub
from .base import TERMINAL_JOB_STATES, BatchStatus
from .gemini_batch_results import RPC_CODES as RPC_CODES
from .gemini_batch_results import LazyAnswers as LazyAnswers
from .gemini_batch_results import batch_answer as batch_answer
from .gemini_batch_results import download_results
from .gemini_wire import (
    json_field,
    request_json,
    sdk_config,
    sdk_contents,
    sdk_image_config,
    to_provider_error,
)

#: Largest serialised batch sent inline; above it the requests go as an uploaded JSONL file. The API refuses
#: inline requests past 20 MB in total; the margin covers the envelope and the SDK's own encoding.
BATCH_INLINE_LIMIT_BYTES = 18_000_000

#: Largest expected size of a job's answers for it to go inline. Inline answers come back inside the job's
#: Operation JSON, which is read and parsed whole; past this the job goes as a JSONL file, whose results
#: file is streamed to disk and read one answer at a time. 64 MB is about 24 images at 1K.
BATCH_INLINE_ANSWERS_LIMIT_BYTES = 64_000_000

#: Expected bytes of one answer in the output, by ``imageSize``: an image as base64 (4/3 of its bytes) plus
#: the reply around it. A 1K image is about 1.5-2 MB (about 2.6 MB as base64); 2K and 4K scale with the
#: pixels; 512 is about a quarter of 1K. No ``imageSize`` is the models' default, 1K.
ANSWER_BYTES_BY_IMAGE_SIZE = {"512": 700_000, "1K": 2_600_000, "2K": 10_000_000, "4K": 40_000_000}

def check_batch(requests: list[Request]) -> None:
    """Refuse what one Batch API job cannot hold: no requests, several models, or duplicate keys.

    Raises
    ------
    ValueError
        Naming the problem.
    """
    if not requests:
        raise ValueError("A batch job needs at least one request.")
    models = {r.model for r in requests}
    if len(models) > 1:
        raise ValueError(f"A batch job runs one model (the Batch API is per model); got {sorted(models)}.")
    keys = [r.key for r in requests]
    if len(set(keys)) != len(keys):
        raise ValueError("A batch job's requests must have distinct keys (send each identical request once).")


def expected_answer_bytes(requests: list[Request]) -> int:
    """What a job's answers are expected to weigh: :data:`ANSWER_BYTES_BY_IMAGE_SIZE` per request (1K when
    the size is unset or unknown).

    >>> from toolkit.request import Options, TextPart, Turn
    >>> r = Request("gemini", "gemini-3.1-flash-image", (Turn("user", (TextPart("a cat"),)),), Options(image_size="2K"))
    >>> expected_answer_bytes([r, r])
    20000000
    """
    default = ANSWER_BYTES_BY_IMAGE_SIZE["1K"]
    return sum(ANSWER_BYTES_BY_IMAGE_SIZE.get((r.options.image_size or "1K").upper().removesuffix("PX"), default)
               for r in requests)


def job_state(state: Any) -> str:
    """``BATCH_STATE_X`` (Gemini API) or ``JOB_STATE_X`` (SDK) -> ``JOB_STATE_X``, as google-genai maps it.

    >>> job_state("BATCH_STATE_SUCCEEDED"), job_state("JOB_STATE_RUNNING"), job_state(None)
    ('JOB_STATE_SUCCEEDED', 'JOB_STATE_RUNNING', 'JOB_STATE_UNSPECIFIED')
    """
    name = str(getattr(state, "name", state) or "JOB_STATE_UNSPECIFIED")
    return "JOB_STATE_" + name.removeprefix("BATCH_STATE_") if name.startswith("BATCH_STATE_") else name


def parse_timestamp(value: Any) -> dt.datetime | None:
    """An RFC 3339 timestamp (nanoseconds allowed) or datetime -> datetime; None when absent or unreadable.

    >>> parse_timestamp("2026-02-03T15:26:10.697915123Z").isoformat()
    '2026-02-03T15:26:10.697915+00:00'
    """
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    head, dot, tail = text.partition(".")
    if dot:  # RFC 3339 allows nanoseconds; fromisoformat takes at most microseconds
        digits = len(tail) - len(tail.lstrip("0123456789"))
        tail = tail[:min(digits, 6)] + tail[digits:]
        text = f"{head}.{tail}"
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def batch_status(job_name: str, op: dict[str, Any]) -> BatchStatus:
    """A batch Operation (wire JSON) -> :class:`~toolkit.backends.base.BatchStatus`, without its answers."""
    meta = op.get("metadata") or {}
    state = job_state(json_field(meta, "state"))
    done = bool(op.get("done")) or state in TERMINAL_JOB_STATES
    message = scrub(str(json_field(op.get("error"), "message") or "")) or None  # a FAILED job's google.rpc.Status
    start = parse_timestamp(json_field(meta, "createTime", "create_time"))
    end = parse_timestamp(json_field(meta, "endTime", "end_time"))
    elapsed = (end - start).total_seconds() if start and end else None
    return BatchStatus(name=str(op.get("name") or job_name), state=state, done=done, error=message,
                       elapsed_s=elapsed)


def operation_from_typed(job: Any) -> dict[str, Any]:
    """The typed ``BatchJob`` back to the Operation's wire shape (the fallback; loses ``finishMessage``)."""

    def dump(obj: Any) -> Any:
        return obj.model_dump(mode="json", by_alias=True, exclude_none=True) if obj is not None else None

    state = job_state(job.state)
    meta: dict[str, Any] = {"state": state, "model": job.model,
                            "createTime": job.create_time.isoformat() if job.create_time else None,
                            "endTime": job.end_time.isoformat() if job.end_time else None}
    dest = job.dest
    if dest is not None and dest.inlined_responses is not None:
        entries = []
        for r in dest.inlined_responses:
            entry: dict[str, Any] = {"metadata": r.metadata or {}}
            if r.response is not None:
                entry["response"] = dump(r.response)
            else:
                entry["error"] = dump(r.error) or {}
            entries.append(entry)
        meta["output"] = {"inlinedResponses": {"inlinedResponses": entries}}
    elif dest is not None and dest.file_name:
        meta["output"] = {"responsesFile": dest.file_name}
    op: dict[str, Any] = {"name": job.name, "metadata": meta, "done": state in TERMINAL_JOB_STATES}
    if job.error is not None:
        op["error"] = dump(job.error)
    return op


def _raise_mapped(e: Exception, model: str | None) -> NoReturn:
    mapped = to_provider_error(e, model)
    if mapped is None:
        raise e
    raise mapped from None


# -- the calls ------------------------------------------------------------------------------------------------
async def submit_job(client: Any, requests: list[Request], display_name: str, *,
                     inline_limit_bytes: int = BATCH_INLINE_LIMIT_BYTES,
                     inline_answers_limit_bytes: int = BATCH_INLINE_ANSWERS_LIMIT_BYTES) -> str:
    """Submit requests of one model as one Batch API job; returns its name (``batches/...``).

    Each request is keyed by its :attr:`~toolkit.request.Request.key` (``metadata.key`` inline, ``key`` in
    JSONL), so the answers map back to cache keys. Inline when the serialised requests are smaller than
    ``inline_limit_bytes`` and their answers are expected (:func:`expected_answer_bytes`) to be smaller than
    ``inline_answers_limit_bytes``; else a JSONL file uploaded with the Files API and named in
    ``inputConfig.fileName``, so the answers come back as a results file read from disk one at a time.

    Parameters
    ----------
    client : google.genai.Client
        A Gemini API client (not Vertex AI: its batch jobs read Cloud Storage or BigQuery).

    Raises
    ------
    ValueError
        Requests of several models, duplicate keys, or none.
    ProviderError
        The upload or the job creation failed.
    """
    from google.genai import types as t

    check_batch(requests)
    model = requests[0].model
    lines = [json.dumps({"key": r.key, "request": request_json(r)}, separators=(",", ":")) for r in requests]
    config = t.CreateBatchJobConfig(display_name=display_name)
    try:
        small = expected_answer_bytes(requests) < inline_answers_limit_bytes
        if small and sum(len(line) for line in lines) < inline_limit_bytes:
            src: Any = [t.InlinedRequest(contents=sdk_contents(r),  # type: ignore[arg-type]  # dicts validate
                                         config=sdk_config(r, sdk_image_config(r.options), raw=False),
                                         metadata={"key": r.key}) for r in requests]
        else:
            data = ("\n".join(lines) + "\n").encode("utf-8")
            uploaded = await client.aio.files.upload(
                file=io.BytesIO(data),
                config=t.UploadFileConfig(mime_type="application/jsonl", display_name=display_name),
            )
            src = uploaded.name
        job = await client.aio.batches.create(model=model, src=src, config=config)
    except Exception as e:
        _raise_mapped(e, model)
    if not job.name:
        raise MalformedReplyError("gemini", "the batch job was created without a name")
    return str(job.name)


async def fetch_operation(client: Any, job_name: str, *, raw_json: bool = True) -> dict[str, Any]:
    """The job's long-running Operation as wire JSON (typed fallback: see the module docstring)."""
    api = getattr(client.aio, "_api_client", None)
    request = getattr(api, "async_request", None)
    if raw_json and request is not None:
        name = job_name if job_name.startswith("batches/") else f"batches/{job_name}"
        response = await request("get", name, {})
        body = json.loads(response.body) if response.body else {}
        if not isinstance(body, dict):
            raise MalformedReplyError("gemini", "the batch job was not a JSON object")
        return body
    job = await client.aio.batches.get(name=job_name)
    return operation_from_typed(job)


async def poll_job(client: Any, job_name: str, *, raw_json: bool = True) -> BatchStatus:
    """The job's state; once done, every answer parsed from wire JSON (see the module docstring).

    Answers are keyed by the request key each one echoes; ``"#n"`` stands for the n-th inline request when
    its key was not echoed. A results file is streamed to a temporary file that the returned
    ``status.results`` (a :class:`~toolkit.backends.gemini_batch_results.LazyAnswers`) removes when closed.
    """
    answers: LazyAnswers | None = None
    try:
        op = await fetch_operation(client, job_name, raw_json=raw_json)
        status = batch_status(job_name, op)
        if status.done:
            output = json_field(op.get("metadata"), "output") or op.get("response") or {}
            inlined = json_field(json_field(output, "inlinedResponses", "inlined_responses"),
                                 "inlinedResponses", "inlined_responses")
            file_name = json_field(output, "responsesFile", "responses_file")
            model = str(json_field(op.get("metadata"), "model") or "").removeprefix("models/") or None
            answers = LazyAnswers(model)
            if inlined:  # in request order
                for n, entry in enumerate(inlined):
                    key = json_field(json_field(entry, "metadata") or {}, "key")
                    answers.add(str(key) if key is not None else f"#{n}", entry)
            elif file_name:
                await download_results(client, str(file_name), answers)
            status.results = answers
    except Exception as e:
        if answers is not None:
            answers.close()
        _raise_mapped(e, None)
    return status


async def cancel_job(client: Any, job_name: str) -> None:
    """Ask the Batch API to cancel the job (``batches.cancel``)."""
    try:
        await client.aio.batches.cancel(name=job_name)
    except Exception as e:
        _raise_mapped(e, None)
