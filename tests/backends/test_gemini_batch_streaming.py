"""Batch results read flat: a job whose answers would be large goes as a JSONL file, its results file is streamed
to a private temporary file (``files.download(destination=...)``), indexed by line and read one answer per
lookup, and the file is removed when the collection ends. Through the real google-genai SDK against the fake.

The rest of batch mode is tested in tests/backends/test_gemini_batch.py and tests/test_batch.py."""

from __future__ import annotations

import gc
import io
import json
import os
import random
import stat
import tempfile

import pytest
from PIL import Image

import toolkit as tk
from toolkit.backends import gemini_batch_results
from toolkit.backends.base import Reply
from toolkit.backends.gemini import GeminiBackend
from toolkit.backends.gemini_batch import (
    ANSWER_BYTES_BY_IMAGE_SIZE,
    BATCH_INLINE_ANSWERS_LIMIT_BYTES,
    expected_answer_bytes,
    poll_job,
    submit_job,
)
from toolkit.backends.gemini_batch_results import LazyAnswers, line_spans
from toolkit.errors import ProviderError
from toolkit.request import Options, Request, TextPart, Turn
from toolkit.runner import run
from toolkit.testing import FakeGeminiServer

KEY = "test-key-stream-51c0de"
M = "gemini-3.1-flash-image"


def _noise_png() -> bytes:
    """A PNG that does not compress (about 12 kB): its results lines are long, as image lines are."""
    rng = random.Random(7)
    buf = io.BytesIO()
    Image.frombytes("RGB", (64, 64), bytes(rng.randrange(256) for _ in range(64 * 64 * 3))).save(buf, "PNG")
    return buf.getvalue()


PNG = _noise_png()


@pytest.fixture(scope="module")
def fake():
    with FakeGeminiServer(api_key=KEY, static_image=PNG) as server:
        yield server


@pytest.fixture()
def server(fake):
    fake.reset()
    fake.batch_polls_until_done, fake.batch_seconds_until_done, fake.batch_download_cut_bytes = 1, None, None
    yield fake
    fake.batch_download_cut_bytes = None
    fake.reset()


@pytest.fixture()
def tmp(tmp_path, monkeypatch):
    """The temp folder the results files go to, watched by the test."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _left(folder) -> list[str]:
    """The batch results files left in ``folder`` (the Studio keeps other things in the temp folder)."""
    return [p.name for p in folder.glob("toolkit-batch-results-*")]


def _request(prompt: str, size: str | None = "1K") -> Request:
    return Request("gemini", M, (Turn("user", (TextPart(prompt),)),), Options(image_size=size))


def _studio(server, home) -> tk.Studio:
    return tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home,
                     retry=tk.RetryPolicy(attempts=2, initial_delay_s=0.01, max_delay_s=0.02))


def _study(studio: tk.Studio, xs, size: str = "4K"):
    return studio.compare("a {x}", x=list(xs), image_size=size, mode="batch", progress=False)


def _poll_done(client, name):
    status = run(poll_job(client, name))
    assert status.done, status
    return status


# -- the rule: by the size of the answers -----------------------------------------------------------------------
def test_answers_that_would_be_large_go_as_a_file_even_when_the_requests_are_small(server):
    client = GeminiBackend(KEY, base_url=server.base_url).client
    per_1k = ANSWER_BYTES_BY_IMAGE_SIZE["1K"]
    fits = BATCH_INLINE_ANSWERS_LIMIT_BYTES // per_1k - (BATCH_INLINE_ANSWERS_LIMIT_BYTES % per_1k == 0)
    small = [_request(f"a kite {i}") for i in range(fits)]
    large = [_request(f"a boat {i}") for i in range(fits + 1)]
    assert expected_answer_bytes(small) < BATCH_INLINE_ANSWERS_LIMIT_BYTES <= expected_answer_bytes(large)
    assert expected_answer_bytes([_request("x", None)]) == per_1k  # the models' default size is 1K
    assert expected_answer_bytes([_request("x", "512")]) < per_1k < expected_answer_bytes([_request("x", "4K")])
    run(submit_job(client, small, "small"))
    run(submit_job(client, large, "large"))
    inline, as_file = server.batches
    assert inline.source == "inline" and len(inline.keys) == fits
    assert as_file.source == "file" and len(as_file.keys) == fits + 1
    request_bytes = len(server.files[as_file.input_file].data)
    assert request_bytes < 1_000_000  # well under the 18 MB input limit: the answers decided
    # the input-side limit still sends big requests as a file, and small jobs stay inline
    run(submit_job(client, small[:2], "tiny", inline_limit_bytes=1))
    run(submit_job(client, small[:2], "tiny"))
    assert [b.source for b in server.batches[2:]] == ["file", "inline"]


# -- streamed, indexed, read one at a time, removed -------------------------------------------------------------
def test_file_job_answers_come_from_a_private_temp_file_that_is_removed_on_close_or_drop(server, tmp):
    client = GeminiBackend(KEY, base_url=server.base_url).client
    requests = [_request(f"a kite {i}", "4K") for i in range(3)]
    name = run(submit_job(client, requests, "three"))
    (job,) = server.batches
    assert job.source == "file"
    status = _poll_done(client, name)
    answers = status.results
    assert isinstance(answers, LazyAnswers) and answers.path is not None
    assert os.path.dirname(answers.path) == str(tmp)
    assert stat.S_IMODE(os.stat(answers.path).st_mode) == 0o600
    assert os.path.getsize(answers.path) == len(server.files[server.batches[0].output_file].data)
    assert set(answers) == {r.key for r in requests} and answers.unreadable == 0
    first = answers[requests[0].key]
    assert isinstance(first, Reply) and first.status == "ok" and first.images[0].data == PNG
    answers.close()
    assert not _left(tmp) and answers.path is None
    with pytest.raises(ValueError, match="closed"):
        answers[requests[0].key]
    answers.close()  # idempotent

    dropped = _poll_done(client, name)  # polled again: downloaded anew, then dropped without close()
    assert len(_left(tmp)) == 1
    del dropped
    gc.collect()
    assert not _left(tmp)


def test_a_file_study_is_collected_and_leaves_no_temp_file(server, home, tmp):
    studio = _studio(server, home)
    study = _study(studio, ["cat", "dog", "owl"])  # three 4K images: answers past the inline limit
    (job,) = server.batches
    assert job.source == "file"
    study.refresh()
    assert study.done and (study.df["status"] == "ok").all()
    assert study.result(x="dog").image.size == (64, 64)
    assert "files.download" in [r.action for r in server.requests]
    assert len(studio.ledger) == 3 and not _left(tmp)


def test_the_index_is_built_chunk_by_chunk(monkeypatch, tmp):
    lines = [json.dumps({"key": f"k{i}", "error": {"code": 13, "message": "x" * (i * 900 + 1)}}) for i in range(8)]
    data = ("\n".join(lines) + "\n\n").encode()
    monkeypatch.setattr(gemini_batch_results, "SCAN_CHUNK_BYTES", 7)  # every line spans many chunks
    with LazyAnswers(M) as answers:
        answers.temp_file().write(data)
        answers.index_file()
        assert list(answers) == [f"k{i}" for i in range(8)]
        assert all(answers[f"k{i}"].message == "x" * (i * 900 + 1) for i in range(8))
    assert not _left(tmp)
    assert list(line_spans([data[:5], data[5:]])) == list(line_spans([data]))


# -- damaged lines and broken downloads -------------------------------------------------------------------------
def test_a_malformed_or_keyless_line_fails_its_own_cell_only(server, home, tmp):
    studio = _studio(server, home)
    server.enqueue("ok", "malformed", "drop", "ok")  # the fake cuts line 2 in half and writes line 3 without its key
    study = _study(studio, ["a", "b", "c", "d"])
    study.refresh()
    df = study.df
    assert study.done and df["status"].tolist() == ["ok", "failed", "failed", "ok"]
    assert "not valid JSON" in df.loc[1, "error"]  # the key still leads the cut line: that cell's own error
    assert "returned no answer for this request" in df.loc[2, "error"]
    assert "1 line(s) of its results file could not be read" in df.loc[2, "error"]
    assert study.result(x="d").image.size == (64, 64) and len(studio.ledger) == 4
    assert not _left(tmp)


def test_a_download_that_breaks_off_is_a_clear_error_and_loses_nothing_stored(server, home, tmp):
    studio = _studio(server, home)
    first = _study(studio, ["cat", "dog"])
    first.refresh()
    assert first.done and (first.df["status"] == "ok").all()

    second = _study(studio, ["owl", "fox", "elk"])
    server.batch_download_cut_bytes = 5000
    with pytest.raises(ProviderError) as info:
        second.refresh()
    text = str(info.value)
    assert "download of the batch results file files/" in text and "broke off after" in text
    assert "nothing of this job was collected" in text.lower() and KEY not in text
    assert not second.done and len(second.pending) == 3 and not _left(tmp)
    assert len(studio.ledger) == 2  # the first study's rows, untouched
    again = studio.compare("a {x}", x=["cat", "dog"], image_size="4K", progress=False)  # still in the cache
    assert again.df["cached"].all()

    server.batch_download_cut_bytes = None
    second.refresh()
    assert second.done and (second.df["status"] == "ok").all() and not _left(tmp)
    assert (studio.ledger.df["tier"] == "batch").sum() == 5
