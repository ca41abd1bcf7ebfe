"""The Batch API and Files API of the Gemini fake: jobs, their Operations, and resumable uploads.

Protocol as documented in https://ai.google.dev/gemini-api/docs/batch-api ("Batch Mode": inlined requests
up to 20 MB, JSONL input through the Files API, ``BATCH_STATE_*`` states, output as inlined responses or a
JSONL ``responsesFile``) and https://ai.google.dev/gemini-api/docs/files (resumable upload, get, list,
delete, download), and as google-genai reads it (https://github.com/googleapis/python-genai: the SDK reads
the Operation's ``metadata`` only, so the fake fills both ``metadata.output`` and ``response``).

Choices where the real API is undocumented:

* Each request of a job takes the next scripted (or fault) outcome when the job is *created*, in request
  order. The answers are built when the job finishes, by the same code as ``generateContent``.
  HTTP-level outcomes become that request's ``error`` entry: ``error`` keeps its code and message;
  ``drop``, ``html`` and ``malformed`` (which mean nothing inside a batch) become 500 ``INTERNAL``;
  ``stall`` answers normally. ``batchStats`` counts are int64 strings, zero counts omitted.
* In a job sent as a JSONL file, two of those damage the request's line of the results file instead (a
  fault the real API is not known to make, for testing readers): ``malformed`` cuts the answered line in
  half (not JSON; its ``key`` still leads it) and ``drop`` writes the answer without its ``key``.
* The results file is downloaded in 1 MiB chunks (``Transfer-Encoding: chunked``); with the server's
  ``batch_download_cut_bytes`` set, a download stops after that many bytes and the connection drops.
* Cancelling a finished job is a no-op; ``DELETE`` forgets a job without cancelling it.
* The upload-session URL (``?upload_id=...``) is its own credential, as on Google's upload front end.
  Uploaded files cannot be downloaded (only a batch job's generated output can), as the SDK documents.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..registry import ModelInfo
from .base import Outcome
from .gemini_answers import error_for, rfc3339
from .gemini_wire import ApiError, Reply, get, int64, paged

__all__ = ["INLINE_BATCH_LIMIT_BYTES", "BatchApi", "BatchHost", "FakeBatch", "FakeFile", "download_chunks"]

# The real @type names say v1main whatever the path version.
_BATCH_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
_BATCH_OUTPUT_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"
_LIVE = frozenset({"BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"})
_STATES = frozenset({
    "BATCH_STATE_PENDING", "BATCH_STATE_RUNNING", "BATCH_STATE_SUCCEEDED", "BATCH_STATE_FAILED",
    "BATCH_STATE_CANCELLED", "BATCH_STATE_EXPIRED",
})
INLINE_BATCH_LIMIT_BYTES = 20 * 1024 * 1024  # "inlined requests up to a 20 MB total" (Batch API docs)


@dataclass(frozen=True)
class FakeBatch:
    """A snapshot of one batch job held by the fake (see :attr:`FakeGeminiServer.batches`).

    Attributes
    ----------
    name : str
        ``batches/<id>``.
    model : str
        Model id, without ``models/``.
    display_name : str or None
        ``batch.displayName`` as sent.
    state : str
        ``BATCH_STATE_PENDING``, ``_RUNNING``, ``_SUCCEEDED``, ``_FAILED``, ``_CANCELLED`` or ``_EXPIRED``.
    source : str
        ``"inline"`` (``inputConfig.requests``) or ``"file"`` (``inputConfig.fileName``).
    input_file, output_file : str or None
        ``files/...`` names of the JSONL input and (file input, once done) the JSONL output.
    keys : tuple
        Each request's key (``metadata.key`` inline, ``key`` in JSONL), in order.
    outcomes : tuple of str
        The :attr:`Outcome.kind` each request took when the job was created.
    polls : int
        ``GET batches/<id>`` requests seen so far.
    """

    name: str
    model: str
    display_name: str | None
    state: str
    source: str
    input_file: str | None
    output_file: str | None
    keys: tuple[str | None, ...]
    outcomes: tuple[str, ...]
    polls: int


@dataclass(frozen=True)
class FakeFile:
    """A file held by the fake's Files API (see :attr:`FakeGeminiServer.files`).

    ``source`` is ``"UPLOADED"`` (sent through the resumable upload) or ``"GENERATED"`` (a batch job's
    JSONL output, the only kind that can be downloaded).
    """

    name: str
    display_name: str | None
    mime_type: str
    data: bytes = field(repr=False)
    source: str = "UPLOADED"
    created: float = field(default=0.0, repr=False)


@dataclass
class _Item:
    key: str | None
    metadata: Any  # echoed back with an inlined response
    body: Any  # the GenerateContentRequest
    outcome: Outcome
    number: int
    error: ApiError | None = None  # the item could not be read (no request, a bad JSONL line)


@dataclass
class _Job:
    name: str
    model: str
    version: str
    display_name: str | None
    source: str
    input_file: str | None
    items: list[_Item]
    created: float
    updated: float
    state: str = "BATCH_STATE_PENDING"
    polls: int = 0
    ended: float | None = None
    results: list[dict[str, Any]] | None = None  # per item: {"response": ...} or {"error": ...}
    output_file: str | None = None
    error: dict[str, Any] | None = None  # the Operation's google.rpc.Status of a FAILED job
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self) -> FakeBatch:
        return FakeBatch(
            name=self.name, model=self.model, display_name=self.display_name, state=self.state,
            source=self.source, input_file=self.input_file, output_file=self.output_file,
            keys=tuple(i.key for i in self.items), outcomes=tuple(i.outcome.kind for i in self.items),
            polls=self.polls,
        )


@dataclass
class _Upload:
    id: str
    display_name: str | None
    name: str | None
    mime_type: str
    size: int
    data: bytearray


class BatchHost(Protocol):
    """What :class:`BatchApi` reads from its server: the batch settings and the outcome script."""

    batch_polls_until_done: int
    batch_seconds_until_done: float | None
    batch_inline_limit_bytes: int

    def take(self, n: int = 1) -> list[Outcome]: ...


#: Answers one batch request like ``generateContent``: (version, model id, body, outcome, number) -> response.
AnswerOne = Callable[[str, str, Any, Outcome, int], dict[str, Any]]


class BatchApi:
    """The batch jobs and files of one fake server, and the answers to their requests.

    ``answer`` builds one request's ``GenerateContentResponse`` (raising :class:`ApiError` when the
    request is invalid), so batch answers come from the same code as ``generateContent``.
    """

    def __init__(self, host: BatchHost, answer: AnswerOne) -> None:
        self.host = host
        self.answer = answer
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}
        self._files: dict[str, FakeFile] = {}
        self._uploads: dict[str, _Upload] = {}
        self._numbers = itertools.count(1_000_000)  # response ids apart from generateContent's

    def reset(self) -> None:
        """Forget every job, file and upload session."""
        with self._lock:
            self._jobs.clear()
            self._files.clear()
            self._uploads.clear()

    @property
    def batches(self) -> list[FakeBatch]:
        """Snapshots of the jobs held, in creation order."""
        with self._lock:
            return [j.snapshot() for j in self._jobs.values()]

    @property
    def files(self) -> dict[str, FakeFile]:
        """The files held: ``files/<id>`` -> :class:`FakeFile`."""
        with self._lock:
            return dict(self._files)

    def set_state(self, name: str, state: str, message: str | None = None) -> None:
        """Force a job into ``FAILED``, ``CANCELLED`` or ``EXPIRED`` (see ``FakeGeminiServer.set_batch_state``)."""
        state = state.upper()
        if not state.startswith("BATCH_STATE_"):
            state = "BATCH_STATE_" + state
        if state not in _STATES - _LIVE - {"BATCH_STATE_SUCCEEDED"}:
            raise ValueError(f"set_batch_state takes FAILED, CANCELLED or EXPIRED, not {state!r}.")
        with self._lock:
            job = self._jobs.get(name if name.startswith("batches/") else f"batches/{name}")
            if job is None:
                raise KeyError(f"no batch job {name!r}")
            job.state = state
            job.ended = job.updated = time.time()
            if state == "BATCH_STATE_FAILED":
                job.error = {"code": 13, "message": message or "The batch job failed."}

    # ---- batches -----------------------------------------------------------------------------------
    def create(self, version: str, info: ModelInfo, body: Any, size: int) -> Reply:
        """``POST models/{m}:batchGenerateContent`` of ``size`` body bytes."""
        limit = self.host.batch_inline_limit_bytes
        if size > limit:
            raise ApiError(400, f"Request payload size exceeds the limit: {limit} bytes.")
        batch = get(body, "batch")
        if not isinstance(batch, Mapping):
            raise ApiError(400, "* BatchGenerateContentRequest.batch: batch is not specified\n")
        config = get(batch, "inputConfig")
        requests = get(get(config, "requests"), "requests")
        file_name = get(config, "fileName")
        entries: list[tuple[str | None, Any, Any, ApiError | None]] = []
        if requests is not None:
            if not isinstance(requests, list):
                raise ApiError(400, "Invalid value at 'batch.input_config.requests.requests', expected a list.")
            for item in requests:
                metadata = get(item, "metadata")
                key = get(metadata, "key")
                request = get(item, "request")
                bad = None if isinstance(request, Mapping) else ApiError(400, "The batch item has no request.")
                entries.append((str(key) if key is not None else None, metadata, request, bad))
            source = "inline"
        elif file_name:
            entries = self._jsonl_entries(str(file_name))
            source = "file"
        else:
            raise ApiError(400, "* BatchGenerateContentRequest.batch.input_config: input_config is not specified\n")
        if not entries:
            raise ApiError(400, "* BatchGenerateContentRequest.batch.input_config: the batch has no requests\n")
        outcomes = self.host.take(len(entries))
        now = time.time()
        with self._lock:
            numbers = [next(self._numbers) for _ in entries]
        job = _Job(
            name=f"batches/{secrets.token_hex(10)}", model=info.id, version=version,
            display_name=get(batch, "displayName"), source=source,
            input_file=str(file_name) if source == "file" else None,
            items=[_Item(k, meta, req, out, num, bad)
                   for (k, meta, req, bad), out, num in zip(entries, outcomes, numbers, strict=True)],
            created=now, updated=now,
        )
        with self._lock:
            self._jobs[job.name] = job
        return Reply.json(200, self._operation(job))

    def _jsonl_entries(self, file_name: str) -> list[tuple[str | None, Any, Any, ApiError | None]]:
        with self._lock:
            stored = self._files.get(file_name)
        if stored is None:
            raise ApiError(404, f"File {file_name} not found.")
        entries: list[tuple[str | None, Any, Any, ApiError | None]] = []
        for n, line in enumerate(stored.data.decode("utf-8", "replace").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                obj = None
            if not isinstance(obj, Mapping):
                entries.append((None, None, None, ApiError(400, f"Line {n} of {file_name} is not a JSON object.")))
                continue
            key, request = obj.get("key"), get(obj, "request")
            bad = None if isinstance(request, Mapping) else ApiError(400, f"Line {n} of {file_name} has no request.")
            entries.append((str(key) if key is not None else None, None, request, bad))
        return entries

    def batches_action(self, action: str, resource: str | None, query: Mapping[str, str]) -> Reply:
        """``batches.list``, ``.get`` (one poll), ``.cancel`` or ``.delete``."""
        if action == "batches.list":
            with self._lock:
                jobs = list(self._jobs.values())
            return Reply.json(200, paged("operations", jobs, query, self._operation))
        with self._lock:
            job = self._jobs.get(f"batches/{resource}")
        if job is None:
            raise ApiError(404, "Requested entity was not found.")
        if action == "batches.get":
            self._advance(job)
            return Reply.json(200, self._operation(job))
        if action == "batches.cancel":
            with job.lock:
                if job.state in _LIVE:
                    job.state = "BATCH_STATE_CANCELLED"
                    job.ended = job.updated = time.time()
            return Reply.json(200, {})
        with self._lock:  # batches.delete
            self._jobs.pop(job.name, None)
        return Reply.json(200, {})

    def _advance(self, job: _Job) -> None:
        """One poll: PENDING/RUNNING until the job is due, then answer every request (SUCCEEDED)."""
        with job.lock:
            job.polls += 1
            if job.state not in _LIVE:
                return
            seconds = self.host.batch_seconds_until_done
            if seconds is not None:
                due = time.time() - job.created >= seconds
            else:
                due = job.polls >= self.host.batch_polls_until_done
            if not due:
                job.state, job.updated = "BATCH_STATE_RUNNING", time.time()
                return
            results = [self._result(job, item) for item in job.items]
            if job.source == "file":
                lines = [_output_line(item, r) for item, r in zip(job.items, results, strict=True)]
                out = FakeFile(f"files/batch-{job.name.removeprefix('batches/')}", f"{job.name} responses",
                               "application/jsonl", ("\n".join(lines) + "\n").encode(), "GENERATED", time.time())
                with self._lock:
                    self._files[out.name] = out
                job.output_file = out.name
            job.results = results
            job.state = "BATCH_STATE_SUCCEEDED"
            job.ended = job.updated = time.time()

    def _result(self, job: _Job, item: _Item) -> dict[str, Any]:
        """One request of a batch, answered by the generateContent machinery: ``{"response"}`` or ``{"error"}``."""
        if item.error is not None:
            return {"error": item.error.status_json()}
        kind = item.outcome.kind
        if kind == "error":
            return {"error": error_for(item.outcome, job.model, job.version).status_json()}
        damages_line = job.source == "file" and kind in _LINE_FAULTS  # answered, then its line is damaged
        if kind in ("drop", "html", "malformed") and not damages_line:  # no meaning inside a batch
            return {"error": ApiError(500).status_json()}
        if kind == "raw":
            return {"response": item.outcome.body}
        outcome = Outcome.ok() if kind == "stall" or damages_line else item.outcome
        try:
            return {"response": self.answer(job.version, job.model, item.body, outcome, item.number)}
        except ApiError as exc:
            return {"error": exc.status_json()}

    @staticmethod
    def _operation(job: _Job) -> dict[str, Any]:
        """The long-running Operation for a batch job."""
        n = len(job.items)
        stats = {"requestCount": str(n)}  # int64 fields are JSON strings in proto3 JSON
        if job.state in _LIVE:
            stats["pendingRequestCount"] = str(n)
        elif job.results is not None:
            ok = sum(1 for r in job.results if "response" in r)
            if ok:
                stats["successfulRequestCount"] = str(ok)
            if n - ok:
                stats["failedRequestCount"] = str(n - ok)
        meta: dict[str, Any] = {"@type": _BATCH_TYPE, "model": f"models/{job.model}"}
        if job.display_name is not None:
            meta["displayName"] = job.display_name
        meta.update(createTime=rfc3339(job.created), updateTime=rfc3339(job.updated))
        if job.ended is not None:
            meta["endTime"] = rfc3339(job.ended)
        meta.update(batchStats=stats, state=job.state, name=job.name)
        op: dict[str, Any] = {"name": job.name, "metadata": meta}
        if job.state in _LIVE:
            return op
        op["done"] = True
        if job.state == "BATCH_STATE_SUCCEEDED" and job.results is not None:
            if job.output_file is not None:
                output: dict[str, Any] = {"responsesFile": job.output_file}
            else:
                entries = []
                for item, r in zip(job.items, job.results, strict=True):
                    entry = dict(r)
                    if item.metadata is not None:
                        entry["metadata"] = item.metadata
                    entries.append(entry)
                output = {"inlinedResponses": {"inlinedResponses": entries}}
            meta["output"] = output  # what google-genai reads
            op["response"] = {"@type": _BATCH_OUTPUT_TYPE, **output}  # what the REST docs show
        elif job.error is not None:
            op["error"] = dict(job.error)
        return op

    # ---- files -------------------------------------------------------------------------------------
    def files_action(self, action: str, *, version: str, base: str, path: str, resource: str | None, body: Any,
                     raw: bytes, headers: Mapping[str, str], query: Mapping[str, str], origin: str) -> Reply:
        """``files.create`` (start an upload), ``.upload`` (a chunk), ``.list``, ``.get``, ``.delete``, ``.download``.

        ``base`` is the origin plus any path prefix (for the ``uri`` of a file), ``path`` the request path
        (for the upload-session URL), ``origin`` the server's origin.
        """
        if action == "files.create":
            return self._start_upload(path, body, headers, origin)
        if action == "files.upload":
            return self._upload_chunk(raw, headers, query, base, version)
        if action == "files.list":
            with self._lock:
                files = list(self._files.values())
            return Reply.json(200, paged("files", files, query, lambda f: _file_json(f, base, version)))
        with self._lock:
            stored = self._files.get(f"files/{resource}")
        if stored is None:
            raise ApiError(404, f"File files/{resource} not found.", status="NOT_FOUND")
        if action == "files.get":
            return Reply.json(200, _file_json(stored, base, version))
        if action == "files.delete":
            with self._lock:
                self._files.pop(stored.name, None)
            return Reply.json(200, {})
        if stored.source != "GENERATED":  # files.download
            raise ApiError(400, "Only generated files can be downloaded; files created by upload cannot.",
                           status="FAILED_PRECONDITION")
        return Reply(200, stored.data, stored.mime_type)

    def _start_upload(self, path: str, body: Any, headers: Mapping[str, str], origin: str) -> Reply:
        if headers.get("x-goog-upload-protocol", "").lower() != "resumable" or \
                headers.get("x-goog-upload-command", "").lower() != "start":
            raise ApiError(400, "Only resumable uploads are supported: send X-Goog-Upload-Protocol: resumable "
                                "and X-Goog-Upload-Command: start.")
        meta = get(body, "file") or {}
        size = int64(headers.get("x-goog-upload-header-content-length")) or int64(get(meta, "sizeBytes"))
        mime = headers.get("x-goog-upload-header-content-type") or get(meta, "mimeType")
        if size is None or not mime:
            raise ApiError(400, "The upload needs X-Goog-Upload-Header-Content-Length and a MIME type.")
        upload = _Upload(secrets.token_urlsafe(24), get(meta, "displayName"), get(meta, "name"), str(mime),
                         size, bytearray())
        with self._lock:
            self._uploads[upload.id] = upload
        url = f"{origin}{path}?upload_id={upload.id}&upload_protocol=resumable"
        return Reply(200, b"", "text/plain; charset=utf-8", {
            "x-goog-upload-url": url, "x-goog-upload-status": "active", "x-goog-upload-chunk-granularity": "8388608"})

    def _upload_chunk(self, raw: bytes, headers: Mapping[str, str], query: Mapping[str, str], base: str,
                      version: str) -> Reply:
        with self._lock:
            upload = self._uploads.get(query.get("upload_id", ""))
        if upload is None:
            raise ApiError(404, "The upload session was not found or has expired.")
        command = headers.get("x-goog-upload-command", "").lower()
        offset = int64(headers.get("x-goog-upload-offset"))
        if "upload" in command:
            if offset is not None and offset != len(upload.data):
                raise ApiError(400, f"Invalid upload offset {offset}: {len(upload.data)} bytes were received.")
            upload.data += raw
        if "finalize" not in command:
            return Reply(200, b"", "text/plain; charset=utf-8", {
                "x-goog-upload-status": "active", "x-goog-upload-size-received": str(len(upload.data))})
        if len(upload.data) != upload.size:
            raise ApiError(400, f"The upload declared {upload.size} bytes but {len(upload.data)} were sent.")
        name = upload.name if upload.name and upload.name.startswith("files/") else f"files/{secrets.token_hex(6)}"
        stored = FakeFile(name, upload.display_name, upload.mime_type, bytes(upload.data), "UPLOADED", time.time())
        with self._lock:
            self._uploads.pop(upload.id, None)
            self._files[name] = stored
        return Reply.json(200, {"file": _file_json(stored, base, version)}, {"x-goog-upload-status": "final"})


_LINE_FAULTS = frozenset({"drop", "malformed"})


def _output_line(item: _Item, result: dict[str, Any]) -> str:
    """One line of a results file: ``{"key", "response" | "error"}``, damaged for the line faults."""
    kind = item.outcome.kind
    line = json.dumps(result if kind == "drop" else {"key": item.key, **result}, separators=(",", ":"))
    return line[:len(line) // 2] if kind == "malformed" else line


def download_chunks(data: bytes, cut: int | None, chunk: int = 1 << 20) -> tuple[list[memoryview], bool]:
    """A download's body in chunks, stopped after ``cut`` bytes when set; and whether it was cut short."""
    end = len(data) if cut is None else max(0, min(cut, len(data)))
    view = memoryview(data)
    return [view[i:min(i + chunk, end)] for i in range(0, end, chunk)], end < len(data)


def _file_json(f: FakeFile, base: str, version: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name}
    if f.display_name:
        out["displayName"] = f.display_name
    digest = hashlib.sha256(f.data).hexdigest()
    out.update(
        mimeType=f.mime_type, sizeBytes=str(len(f.data)), createTime=rfc3339(f.created),
        updateTime=rfc3339(f.created), expirationTime=rfc3339(f.created + 48 * 3600),
        sha256Hash=base64.b64encode(digest.encode()).decode(), uri=f"{base}/{version}/{f.name}", state="ACTIVE",
        source=f.source,
    )
    if f.source == "GENERATED":
        out["downloadUri"] = f"{base}/download/{version}/{f.name}:download?alt=media"
    return out
