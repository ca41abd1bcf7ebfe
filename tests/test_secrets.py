import pickle

import pytest

from toolkit.secrets import Secret, scrub


def test_secret_never_shows_itself():
    s = Secret("AIza-test-secret-value")
    assert "AIza" not in repr(s) and "AIza" not in str(s) and "AIza" not in f"{s}"
    assert s.reveal() == "AIza-test-secret-value"
    with pytest.raises(TypeError):
        pickle.dumps(s)


def test_scrub_removes_registered_secrets():
    Secret("another-secret-123")
    assert scrub("key=another-secret-123&x=1") == "key=<redacted>&x=1"
    assert scrub(None) is None


# A key shaped like Google's (AIza + 35 characters), used only by the truncation tests below.
TRUNC_KEY = "AIzaSyQ7trunc4TEST_kp9Zx-2mWv8RbLh3Ny"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"key={TRUNC_KEY}&x=1", "key=<redacted>&x=1"),                                   # exact
        (f"API key {TRUNC_KEY[:12]}... is invalid", "API key <redacted>... is invalid"),  # prefix of 12 + "..."
        (f"API key {TRUNC_KEY[:8]}\u2026 is invalid", "API key <redacted>\u2026 is invalid"),  # prefix of 8 + "…"
        (f"key ending in ...{TRUNC_KEY[-10:]}.", "key ending in ...<redacted>."),       # suffix of 10
        (f"key \u2026{TRUNC_KEY[-8:]}", "key \u2026<redacted>"),                           # suffix of 8
        (f"{TRUNC_KEY[:9]}...{TRUNC_KEY[-9:]}", "<redacted>...<redacted>"),               # both ends
        (f"{TRUNC_KEY[:10]}{TRUNC_KEY[:10]}", "<redacted>"),                               # touching echoes
        (f"[{TRUNC_KEY[:15]}xyz]", "[<redacted>xyz]"),                                    # only what matches
        (f"API key {TRUNC_KEY[:7]}... is invalid", f"API key {TRUNC_KEY[:7]}... is invalid"),  # 7: left alone
        (f"key ...{TRUNC_KEY[-7:]}", f"key ...{TRUNC_KEY[-7:]}"),                           # 7 at the end
        ("Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute. AIza keys only.",
         "Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute. AIza keys only."),
    ],
)
def test_scrub_removes_truncated_echoes_of_a_key(text, expected):
    Secret(TRUNC_KEY)
    assert scrub(text) == expected


def test_short_secrets_are_scrubbed_only_whole():
    short = "tiny-key-9876"  # under 16 characters: its first 8 ("tiny-key") could be ordinary text
    Secret(short)
    assert scrub(f"bad key {short}!") == "bad key <redacted>!"
    assert scrub("a tiny-key-98 is not the key") == "a tiny-key-98 is not the key"


# -- a whole session with a distinctive key: nothing written or shown may contain it ----------------------
import logging  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402

import toolkit as tk  # noqa: E402
from toolkit.testing import FakeGeminiServer, Outcome  # noqa: E402

SECRET = "SECRETKEY-flash-image-distinctive-0123456789"


def _all_bytes_under(*roots: Path):
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                yield path, path.read_bytes()


def test_whole_session_never_leaks_the_key(tmp_path, capsys, caplog, recwarn):
    caplog.set_level(logging.DEBUG)  # every logger, including the SDK's and httpx2's
    home = tmp_path / "home"
    out = tmp_path / "out"
    shown: list[str] = []
    with FakeGeminiServer() as server:  # accepts any key
        studio = tk.Studio(backend="gemini", api_key=SECRET, base_url=server.base_url, home=home,
                           retry=tk.RetryPolicy(initial_delay_s=0.01))
        shown += [repr(studio), repr(studio.backend), str(studio.__dict__)]
        r = studio.generate("a lamp", image_size="512")                      # success
        shown += [repr(r), r._repr_html_(), str(r.to_dict()), str(r.metadata)]
        shown.append(repr(studio.generate("a lamp", image_size="512")))      # cache hit
        server.enqueue(Outcome.error(429, retry_delay="0.01s"), "503", "ok")  # retries
        shown.append(repr(studio.generate("a chair", image_size="512")))
        server.enqueue("image_safety")
        shown.append(repr(studio.generate("a bench", image_size="512")))     # blocked
        for code in ("400", "403", "404"):
            server.enqueue(code)
            try:
                studio.generate(f"a table {code}", image_size="512")
            except tk.ProviderError as e:                                    # errors
                shown += [str(e), repr(e), str(e.args)]
        chat = studio.chat()
        chat.send("a boat", image_size="512")
        chat.send("make it night time", image_size="512")
        shown.append(chat._repr_html_())
        try:
            tk.Studio(backend="gemini", api_key=SECRET, base_url=server.base_url, home=home,
                      budget_usd=0).generate("x")
        except tk.BudgetExceededError as e:
            shown.append(str(e))
        r.save(out / "saved.png")
        shown += [studio.ledger.df.to_string(), repr(studio.ledger.summary())]
        recorded = [str(q.headers) + str(q.query) + str(q.json) for q in server.requests]
    captured = capsys.readouterr()
    shown += [captured.out, captured.err, caplog.text, *(str(w.message) for w in recwarn)]
    assert not [s for s in shown if SECRET in s]
    assert not [q for q in recorded if SECRET in q]
    leaks = [p for p, data in _all_bytes_under(home, out) if SECRET.encode() in data]
    assert not leaks
    assert (home / "ledger.sqlite").exists()


def test_notebook_outputs_never_contain_the_key(tmp_path, monkeypatch):
    import jupytext
    from nbclient import NotebookClient

    nb_path = Path(__file__).resolve().parents[1] / "notebooks" / "01_quickstart.py"
    with FakeGeminiServer() as server:
        monkeypatch.setenv("GEMINI_API_KEY", SECRET)
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.base_url)
        monkeypatch.setenv("TOOLKIT_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("MPLBACKEND", "Agg")
        nb = jupytext.read(nb_path)
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(nb_path.parent)}}).execute()
        assert server.call_count > 0  # the notebook really used the (fake) Gemini API
    text = str(nb)
    assert "gemini" in text and SECRET not in text
    assert os.environ.get("GEMINI_API_KEY") == SECRET  # the kernel had it; the outputs do not
