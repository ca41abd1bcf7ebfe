"""A finished Gemini batch job's answers, read one at a time: inline entries, or a JSONL results file on disk.

An inline job's answers come inside its Operation JSON (kept small by
:func:`~toolkit.backends.gemini_batch.submit_job`, which sends a job whose answers would be large as a file).
A file job's answers come as a JSONL results file (``{"key", "response" | "error"}`` per line,
https://ai.google.dev/gemini-api/docs/batch-api), which :func:`download_results` streams to a private
temporary file with ``client.aio.files.download(file=..., destination=...)`` (the SDK writes it chunk by
chunk). The file is then indexed by line (key -> byte span) reading 1 MiB at a time, and each lookup reads
and parses one line: a 10,000-image job never sits in memory, only its index does.

Where the temporary file lives: the system temp folder (:func:`tempfile.mkstemp`: mode 0600, honours
``TMPDIR``), because the backend knows nothing of the Studio's home and the file lives only while one
collection runs. :meth:`LazyAnswers.close` (``toolkit.batch`` calls it when a collection ends) removes it,
and a :func:`weakref.finalize` removes it if the object is dropped unclosed. A results file is about the
size of the job's images as base64; set ``TMPDIR`` to a roomy disk if the temp folder is small or in RAM.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from ..errors import MalformedReplyError, ProviderError
from ..secrets import scrub
from .base import Reply, as_provider_error, check_reply
from .gemini_wire import gemini_hint, json_field, parse_response, to_provider_error

#: Bytes read at a time when indexing a results file (never the whole file).
SCAN_CHUNK_BYTES = 1 << 20
#: A line longer than this holds an image: its key is looked for in its first and last KEY_WINDOW_BYTES.
SHORT_LINE_BYTES = 4096
KEY_WINDOW_BYTES = 2048

#: google.rpc.Code numbers (what a google.rpc.Status inside an Operation carries) -> (name, HTTP code), as
#: Google's API design guide maps them (https://cloud.google.com/apis/design/errors).
RPC_CODES = {
    1: ("CANCELLED", 499), 2: ("UNKNOWN", 500), 3: ("INVALID_ARGUMENT", 400), 4: ("DEADLINE_EXCEEDED", 504),
    5: ("NOT_FOUND", 404), 7: ("PERMISSION_DENIED", 403), 8: ("RESOURCE_EXHAUSTED", 429),
    9: ("FAILED_PRECONDITION", 400), 13: ("INTERNAL", 500), 14: ("UNAVAILABLE", 503), 16: ("UNAUTHENTICATED", 401),
}


def batch_answer(entry: dict[str, Any], model: str | None) -> Reply | ProviderError:
    """One ``{"response"}`` / ``{"error"}`` entry of a batch's output -> Reply or ProviderError.

    A response that cannot be read, or fails :func:`~toolkit.backends.base.check_reply`, is a
    :class:`~toolkit.backends.base.MalformedReplyError` for that request alone.

    >>> batch_answer({"error": {"code": 8, "message": "quota"}}, None).status
    'RESOURCE_EXHAUSTED'
    """
    response = json_field(entry, "response")
    if isinstance(response, dict):
        # one odd answer fails its own cell, never the whole collection (the Engine's check, done here)
        try:
            return check_reply(parse_response(response))
        except ProviderError as e:
            return e
        except Exception as e:  # KeyError, TypeError, ValueError, ...: an answer of an unexpected shape
            return as_provider_error("gemini", e)
    raw_error = json_field(entry, "error")
    err: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
    raw_code = err.get("code")
    try:
        code: int | None = int(raw_code) if raw_code is not None else None
    except (TypeError, ValueError):
        code = None
    status = err.get("status")
    if code is not None and code < 100:  # a google.rpc.Code number rather than an HTTP status
        status = status or RPC_CODES.get(code, ("UNKNOWN", 500))[0]
        code = RPC_CODES.get(code, ("UNKNOWN", 500))[1]
    message = scrub(str(err.get("message") or "")) or "the batch returned neither a response nor an error"
    hint: str | None
    if code in (429, 500, 502, 503, 504):
        hint = ("this request failed inside the batch job and was not retried; run the study again to send only "
                "the cells that failed (the others replay from the cache).")
    else:
        hint = gemini_hint(code, status, message, model)
    return ProviderError("gemini", code, status, message, hint=hint)


_KEY = re.compile(rb'"key"\s*:\s*"((?:[^"\\]|\\.)*)"')


def line_spans(chunks: Iterable[bytes]) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each line (newline excluded) of the bytes ``chunks`` add up to, read chunk by chunk.

    >>> list(line_spans([b"ab\\nc", b"d\\n\\ne"]))
    [(0, 2), (3, 5), (6, 6), (7, 8)]
    """
    start = pos = 0
    for chunk in chunks:
        i = chunk.find(b"\n")
        while i >= 0:
            yield start, pos + i
            start = pos + i + 1
            i = chunk.find(b"\n", i + 1)
        pos += len(chunk)
    if start < pos:
        yield start, pos


def _remove(file: IO[bytes], path: str) -> None:
    with contextlib.suppress(OSError):
        file.close()
    with contextlib.suppress(OSError):
        os.unlink(path)


class LazyAnswers(Mapping[str, "Reply | ProviderError"]):
    r"""A finished job's answers by request key, each parsed (and its image decoded) only when asked for.

    Holds the provider's raw output only: inline entries (:meth:`add`), results-file bytes
    (:meth:`add_lines`) or a results file on disk (:meth:`temp_file` then :meth:`index_file`), indexed by
    line. Each lookup parses anew; nothing parsed is kept. Close it (or use it as a context manager) to
    remove its temporary file; :attr:`unreadable` counts non-blank results lines whose key could not be read.

    >>> answers = LazyAnswers(None)
    >>> answers.add_lines(b'{"key": "a", "error": {"code": 8, "message": "quota"}}\n\n{"error": {}}\n')
    >>> list(answers), answers["a"].status, answers.unreadable
    (['a'], 'RESOURCE_EXHAUSTED', 1)
    """

    def __init__(self, model: str | None) -> None:
        self.model = model
        self.unreadable = 0
        self._entries: dict[str, Any] = {}
        self._data = b""
        self._file: IO[bytes] | None = None
        self._path: str | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._finalizer: weakref.finalize[Any, Any] | None = None

    # ---- filling -------------------------------------------------------------------------------------
    def add(self, key: str, entry: Any) -> None:
        """One parsed output entry (an inline response) under its key."""
        self._entries[key] = entry

    def add_lines(self, data: bytes) -> None:
        """A results file (JSONL) held in memory: see :meth:`index_file`."""
        self._data = data
        self._index(list(line_spans([data])))

    def temp_file(self) -> IO[bytes]:
        """A new private temporary file (0600) to write the results file into; removed by :meth:`close`."""
        fd, path = tempfile.mkstemp(prefix="toolkit-batch-results-", suffix=".jsonl")
        file = os.fdopen(fd, "w+b")
        self._file, self._path, self._data = file, path, b""
        self._finalizer = weakref.finalize(self, _remove, file, path)
        return file

    def index_file(self) -> None:
        """Index the results file written to :meth:`temp_file`: each line with a key by its byte span, read
        1 MiB at a time. Lines without a readable key cannot be matched to a request: they are counted in
        :attr:`unreadable` (blank lines are skipped)."""
        if self._file is None:
            raise ValueError("index_file() needs the results written to temp_file() first.")
        file = self._file
        file.flush()
        file.seek(0)
        spans = list(line_spans(iter(lambda: file.read(SCAN_CHUNK_BYTES), b"")))
        self._index(spans)

    def _index(self, spans: list[tuple[int, int]]) -> None:
        for start, end in spans:
            if end - start < SHORT_LINE_BYTES:
                line = self._read(start, end).strip()
                if not line:
                    continue
                key = _whole_line_key(line)
            else:
                key = self._long_line_key(start, end)
            if key is None:
                self.unreadable += 1
            else:
                self._entries[key] = (start, end)

    def _long_line_key(self, start: int, end: int) -> str | None:
        # a long line holds an image: its key is read from the line's ends (where the API writes it) without
        # parsing the megabytes between; failing that, the whole line (that one alone) is parsed
        for lo, hi in ((start, min(end, start + KEY_WINDOW_BYTES)), (max(start, end - KEY_WINDOW_BYTES), end)):
            found = _KEY.search(self._read(lo, hi))
            if found is not None:
                try:
                    return str(json.loads(b'"' + found.group(1) + b'"'))
                except ValueError:
                    break
        return _whole_line_key(self._read(start, end))

    def _read(self, start: int, end: int) -> bytes:
        if self._file is None:
            return self._data[start:end]
        with self._lock:
            self._file.seek(start)
            return self._file.read(end - start)

    # ---- reading -------------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Reply | ProviderError:
        raw = self._entries[key]
        if isinstance(raw, tuple):
            if self._closed:
                raise ValueError("These batch answers were closed and their temporary results file removed; "
                                 "poll the job again to read them.")
            try:
                raw = json.loads(self._read(raw[0], raw[1]))
            except ValueError as e:
                detail = (scrub(str(e)) or "")[:200]
                return MalformedReplyError("gemini", f"its line in the batch results file is not valid JSON "
                                                     f"({type(e).__name__}: {detail})")
        return batch_answer(raw if isinstance(raw, dict) else {}, self.model)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    # ---- the temporary file --------------------------------------------------------------------------
    @property
    def path(self) -> str | None:
        """The temporary results file while it exists (None for inline answers or once closed)."""
        return None if self._closed else self._path

    def close(self) -> None:
        """Remove the temporary results file (idempotent); lookups of its lines then raise ValueError."""
        self._closed = self._file is not None or self._closed
        if self._finalizer is not None:
            self._finalizer()
        self._file = None

    def __enter__(self) -> LazyAnswers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = f", file {self._path!r}" if self.path else ""
        return f"LazyAnswers({len(self)} answers{where})"


def _whole_line_key(line: bytes) -> str | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    key = entry.get("key") if isinstance(entry, dict) else None
    return str(key) if key is not None else None


async def download_results(client: Any, file_name: str, answers: LazyAnswers) -> None:
    """Stream the results file ``file_name`` to ``answers``' temporary file, then index it.

    Raises
    ------
    ProviderError
        The download failed (the temporary file is removed first). A transfer that broke off says how many
        bytes had arrived; nothing of the job has been stored at that point, so polling again is safe.
    """
    file = answers.temp_file()
    try:
        await client.aio.files.download(file=file_name, destination=file)
        answers.index_file()
    except Exception as e:
        received = _size(file)
        answers.close()
        mapped = to_provider_error(e, answers.model)
        if mapped is None:
            mapped = as_provider_error("gemini", e)  # OSError: writing the temporary file failed
        if mapped.code is not None:
            raise mapped from None
        raise ProviderError(
            "gemini", None, mapped.status,
            f"the download of the batch results file {file_name} broke off after {received:,} bytes "
            f"({mapped.message})",
            hint="nothing of this job was collected, so nothing is lost: refresh the study again "
                 "(study.refresh()) to download the results anew. If it keeps failing, check the network and "
                 "the free space in the temp folder (TMPDIR).",
        ) from None


def _size(file: IO[bytes]) -> int:
    try:
        return file.tell()
    except (OSError, ValueError):
        return 0


__all__ = ["KEY_WINDOW_BYTES", "RPC_CODES", "SCAN_CHUNK_BYTES", "SHORT_LINE_BYTES", "LazyAnswers", "batch_answer",
           "download_results", "line_spans"]
