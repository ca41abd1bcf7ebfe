"""The network can send anything: junk images, odd shapes, replies too big, answers that never finish.

Each one is a malformed reply or a timeout (retried, then one clear ProviderError and one ledger row), never a
crash, never an entry in the cache, and never something a display cannot show. Items 7, 8 and 10 of the
security and reliability audit (item 9, studies that fail, is in ``test_study_aborts.py``).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import zlib

import pytest

import toolkit as tk
from toolkit import pricing
from toolkit.backends import base
from toolkit.backends.base import Reply, ReplyImage, check_reply
from toolkit.backends.gemini_batch import batch_answer
from toolkit.errors import MalformedReplyError
from toolkit.result import OutputImage, Result
from toolkit.samples import sample_path
from toolkit.testing import Outcome

KEY = "test-key-123456"
CAT = sample_path("cat").read_bytes()  # a real PNG
FAST = tk.RetryPolicy(initial_delay_s=0.01)
CANDIDATES_AS_OBJECT = {"candidates": {"0": {"content": {"parts": [{"text": "hi"}]}, "finishReason": "STOP"}}}
TOKENS_AS_TEXT = {"candidates": [{"content": {"parts": [{"text": "hi"}]}, "finishReason": "STOP"}],
                  "usageMetadata": {"promptTokenCount": "ten", "candidatesTokenCount": 3}}


@pytest.fixture()
def gemini(server, home):
    return tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home, retry=FAST)


def malformed_error(studio: tk.Studio, **kwargs) -> tk.ProviderError:
    with pytest.raises(tk.ProviderError) as info:
        studio.generate("a hostile reply", image_size="512", **kwargs)
    return info.value


# -- item 7: junk images and oversized replies ------------------------------------------------------------------
def test_a_junk_image_is_a_malformed_reply_retried_then_raised_and_never_cached(gemini, server):
    server.enqueue(*[Outcome.junk_image()] * 4)
    e = malformed_error(gemini)
    assert e.status == "MALFORMED_RESPONSE" and e.attempts == 4 and server.call_count == 4
    assert "malformed reply" in str(e) and "not an image" in str(e) and "could not be reached" not in str(e)
    (row,) = gemini.store.calls()  # exactly one ledger row, completed as an error
    assert row["status"] == "error" and "malformed reply" in row["error"]
    r = gemini.generate("a hostile reply", image_size="512")  # nothing was cached: this one is sent
    assert r.ok and not r.cached and server.call_count == 5 and r.image.size[0] > 0


def test_a_junk_image_then_a_good_one_is_a_retry(gemini, server):
    server.enqueue(Outcome.junk_image(), "ok")
    r = gemini.generate("a hostile reply", image_size="512")
    assert r.ok and r.attempts == 2 and len(gemini.ledger) == 1
    assert "cannot be decoded" not in repr(r) and r.unreadable == []


def test_a_reply_over_the_size_cap_is_refused(gemini, server, monkeypatch):
    # the cap is 64 MiB; a 64 kB cap and a 200 kB reply exercise the same path without 100 MB on loopback
    monkeypatch.setattr(base, "MAX_REPLY_IMAGE_BYTES", 64 * 1024)
    gemini.engine.max_reply_bytes = 64 * 1024
    server.enqueue(*[Outcome.junk_image(200_000)] * 4)
    e = malformed_error(gemini)
    assert "MAX_REPLY_IMAGE_BYTES" in str(e) and "malformed reply" in str(e) and len(gemini.ledger) == 1
    assert "add up to about" in str(e)  # refused from the base64's length, before decoding
    gemini.engine.max_reply_bytes = 4096  # checked after decoding too, for backends that cannot check before
    monkeypatch.setattr(base, "MAX_REPLY_IMAGE_BYTES", 64 * 2**20)
    e = malformed_error(gemini)
    assert "MAX_REPLY_IMAGE_BYTES" in str(e) and "about" not in str(e) and len(gemini.ledger) == 2


def test_check_reply_reads_headers_and_corrects_a_mislabelled_type():
    png = CAT
    fixed = check_reply(Reply("ok", [ReplyImage(png, "image/jpeg")]))
    assert fixed.images[0].mime == "image/png"  # what the bytes are, not what the label said
    ihdr = b"IHDR" + (100_000).to_bytes(4, "big") * 2 + png[24:29]  # 100000 x 100000 claimed in the header
    huge = png[:12] + ihdr + zlib.crc32(ihdr).to_bytes(4, "big") + png[33:]
    for junk, words in [(b"", "not an image"), (b"<html>oops</html>", "not an image"),
                        (huge, "impossible size|DecompressionBomb")]:
        with pytest.raises(MalformedReplyError, match=words):
            check_reply(Reply("ok", [ReplyImage(junk, "image/png")]), provider="p")
    with pytest.raises(MalformedReplyError, match="cost"):
        check_reply(Reply("ok", [ReplyImage(png, "image/png")], extra={"cost_usd": "lots"}))
    with pytest.raises(MalformedReplyError, match="status"):
        check_reply(Reply("fine", []))


# -- item 7: showing what could not be decoded -----------------------------------------------------------------
def junk_result(data: bytes) -> Result:
    return Result(status="ok", model="gemini-3.1-flash-image", backend="gemini", prompt="a cat",
                  outputs=[OutputImage(data, "image/png", "0" * 64)])


@pytest.mark.parametrize("data", [b"\x00junk" * 50, CAT[:400]], ids=["junk", "truncated"])
def test_a_result_holding_an_undecodable_image_still_displays(data):
    r = junk_result(data)
    shown = repr(r) + r.caption() + r._repr_html_()
    assert "unreadable image" in shown
    assert r.images == [] and r.image is None and "cannot be decoded" in r.unreadable[0]


def test_a_study_with_an_undecodable_cell_still_displays(studio, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    study = studio.compare("a {animal}", animal=["cat", "dog", "owl"], progress=False)
    study.results[1] = junk_result(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    df = study.df
    assert "cannot be decoded" in df.loc[1, "error"] and df.loc[0, "status"] == "ok"
    page = study.to_html(tmp_path / "study.html").read_text()
    assert "unreadable image" in page and page.count("<img") == 2
    import matplotlib.pyplot as plt

    fig = study.grid()
    assert len(fig.axes) == 3
    plt.close(fig)
    assert "Study(3 cells" in repr(study) and "cannot be decoded" in study._repr_html_()


# -- item 8: odd shapes -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("body", "kind"), [(CANDIDATES_AS_OBJECT, "KeyError"), (TOKENS_AS_TEXT, "ValueError")],
                         ids=["candidates-as-object", "tokens-as-text"])
@pytest.mark.parametrize("stream", [False, True], ids=["generate", "stream"])
def test_an_odd_shape_is_a_malformed_reply_with_one_ledger_row(gemini, server, body, kind, stream):
    server.enqueue(*[Outcome.raw(body)] * 4)
    shown: list[str] = []
    e = malformed_error(gemini, stream=stream, on_text=shown.append if stream else None)
    # a stream that already showed its text is not retried (a retry would show it twice)
    attempts = 1 if shown else 4
    assert shown == (["hi"] if stream and body is TOKENS_AS_TEXT else [])
    assert e.status == "MALFORMED_RESPONSE" and e.attempts == attempts and server.call_count == attempts
    assert "malformed reply" in str(e) and kind in str(e) and "could not be reached" not in str(e)
    (row,) = gemini.store.calls()
    assert row["status"] == "error" and kind in row["error"]


class OddBackend:
    """A plugin backend whose replies are whatever the test says: the Engine checks them, not the backend."""

    kind = "oddshape"
    spends_money = False
    description = "answers with whatever it is given"

    def __init__(self, make):
        self.make = make
        self.calls = 0

    async def generate(self, request):
        self.calls += 1
        return self.make()

    def list_models(self):
        return []


@pytest.mark.parametrize(("make", "words"), [
    (lambda: Reply("ok", [ReplyImage(CAT, "image/png")], usage={"output_tokens": "lots"}),
     "output_tokens='lots'"),
    (lambda: {"status": "ok"}, "not a Reply"),
    (lambda: Reply("ok", [ReplyImage(b"GIF89a", "image/gif")]), "header cannot be read"),
], ids=["usage-as-text", "not-a-reply", "gif-header-only"])
def test_any_backend_gets_the_same_reply_check(home, make, words):
    backend = OddBackend(make)
    studio = tk.Studio(backend=backend, home=home, retry=tk.RetryPolicy(attempts=2, initial_delay_s=0.01))
    with pytest.raises(tk.ProviderError, match=words) as info:
        studio.generate("a plugin's odd reply")
    assert info.value.status == "MALFORMED_RESPONSE" and backend.calls == 2 and len(studio.ledger) == 1


def test_a_backend_that_raises_while_parsing_gives_a_malformed_reply(home):
    def broken():
        raise AttributeError("'NoneType' object has no attribute 'parts'")

    studio = tk.Studio(backend=OddBackend(broken), home=home, retry=tk.RetryPolicy(attempts=1))
    with pytest.raises(tk.ProviderError, match="AttributeError") as info:
        studio.generate("a plugin that breaks")
    assert "malformed reply" in str(info.value) and len(studio.ledger) == 1


def test_normalize_usage_accepts_numbers_and_refuses_the_rest():
    assert pricing.normalize_usage({"output_tokens": "1290", "input_tokens": 12.0, "thought_tokens": None}) == {
        "input_tokens": 12, "input_image_tokens": 0, "output_tokens": 1290, "output_image_tokens": 0,
        "thought_tokens": 0, "cached_tokens": 0}
    for bad in ["ten", 1.5, -3, float("nan"), True, 10**13, [1]]:
        with pytest.raises(ValueError, match="malformed reply"):
            pricing.normalize_usage({"output_tokens": bad})
    with pytest.raises(ValueError, match="malformed reply"):
        pricing.normalize_usage(["output_tokens"])  # type: ignore[arg-type]


def test_a_batch_answer_of_an_odd_shape_fails_only_its_own_request():
    odd = batch_answer({"response": CANDIDATES_AS_OBJECT}, None)
    assert isinstance(odd, MalformedReplyError) and "KeyError" in str(odd)
    junk = {"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": "AAAA"}}]},
                            "finishReason": "STOP"}]}
    assert isinstance(batch_answer({"response": junk}, None), MalformedReplyError)
    assert isinstance(batch_answer({"response": TOKENS_AS_TEXT}, None), MalformedReplyError)


# -- item 10: timeouts are deadlines ---------------------------------------------------------------------------
class DripServer:
    """A raw-socket HTTP server: it reads the request, sends a 200's headers, then one byte every ``interval_s``
    (an idle timeout never fires), and hangs up after ``give_up_s`` so a client without a deadline fails
    eventually instead of hanging the suite."""

    def __init__(self, interval_s: float = 0.2, give_up_s: float = 10.0) -> None:
        self.interval_s, self.give_up_s = interval_s, give_up_s
        self.requests = 0
        self.stopped = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                body += chunk
            self.requests += 1
            end = time.monotonic() + self.give_up_s
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
                while not self.stopped.is_set() and time.monotonic() < end:
                    conn.sendall(b" ")
                    time.sleep(self.interval_s)
            except OSError:
                return

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


@pytest.fixture()
def drip():
    server = DripServer()
    yield server
    server.close()


def test_a_dripping_server_is_cut_off_at_timeout_s_per_attempt(drip, home):
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=drip.base_url, home=home, timeout_s=1.0,
                       retry=tk.RetryPolicy(attempts=2, initial_delay_s=0.01))
    start = time.monotonic()
    with pytest.raises(tk.ProviderError) as info:
        studio.generate("a slow trickle", image_size="512")
    elapsed = time.monotonic() - start
    e = info.value
    assert e.status == "TIMEOUT" and e.attempts == 2 and drip.requests == 2
    assert "timeout_s=1 s (per attempt)" in str(e) and "after 2 attempts" in str(e)
    assert elapsed < 10 * 1.0 * 2  # generous: without the deadline each attempt lasts give_up_s (10 s)
    (row,) = studio.store.calls()
    assert row["status"] == "error" and "timeout_s=1" in row["error"]


def test_the_calls_deadline_ends_the_retries(drip, home):
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=drip.base_url, home=home, timeout_s=1.0,
                       retry=tk.RetryPolicy(attempts=10, initial_delay_s=0.01, deadline_s=2.5))
    with pytest.raises(tk.ProviderError) as info:
        studio.generate("a slow trickle", image_size="512")
    e = info.value
    assert "deadline_s=2.5 s passed" in str(e) and e.attempts == 3 and drip.requests == 3  # 1 s + 1 s + 0.5 s
    assert len(studio.ledger) == 1


def test_retries_are_announced_in_the_log_and_to_on_retry(gemini, server, caplog):
    notices = []
    gemini.engine.on_retry = notices.append
    server.enqueue("503", Outcome.junk_image(), "ok")
    with caplog.at_level(logging.WARNING, logger="toolkit"):
        r = gemini.generate("a flaky service", image_size="512")
    assert r.ok and r.attempts == 3
    assert [(n.attempt, n.attempts) for n in notices] == [(1, 4), (2, 4)]
    assert "503" in str(notices[0]) and "retrying in" in str(notices[0]) and "malformed reply" in str(notices[1])
    logged = [rec.getMessage() for rec in caplog.records if rec.name == "toolkit"]
    assert len(logged) == 2 and "attempt 1 of 4 failed" in logged[0] and KEY not in "".join(logged)


def test_a_broken_on_retry_hook_never_breaks_the_call(gemini, server):
    def broken(notice):
        raise RuntimeError("widget gone")

    gemini.engine.on_retry = broken
    server.enqueue("500", "ok")
    assert gemini.generate("a flaky service", image_size="512").ok


@pytest.mark.parametrize("code", ["502", "503"])
def test_a_retryable_error_that_used_up_its_attempts_says_it_was_retried(gemini, server, code):
    server.enqueue(*[code] * 4)
    e = malformed_error(gemini)
    assert e.attempts == 4 and "not retried" not in str(e) and "tried 4 times" in str(e)
    assert str(e).count("\nFix: ") == 1 and "after 4 attempts" in str(e).split("\nFix: ")[0]
