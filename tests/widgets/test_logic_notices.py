"""Messages: errors and Results described as notices, and their HTML (toolkit/widgets/logic/notices.py)."""

from __future__ import annotations

import pytest

from toolkit.errors import (
    BudgetExceededError,
    ConfigError,
    ImageInputError,
    InputError,
    ModelNotFoundError,
    OptionError,
    ProviderError,
    ToolkitError,
)
from toolkit.result import Result
from toolkit.secrets import Secret
from toolkit.widgets.logic import notices


@pytest.mark.parametrize(("exc", "title", "fix"), [
    (BudgetExceededError(0.5, 0.067, 0.5), "Budget cap reached", "Raise the cap"),
    (ImageInputError("Input image (x.png) is not an image"), "That image cannot be used", "PNG"),
    (OptionError("aspect_ratio='5:1' is not supported"), "does not suit this model", "dropdowns"),
    (InputError("The prompt is empty."), "needs fixing", ""),
    (ConfigError("backend='x' unknown"), "not set up", ""),
    (ModelNotFoundError("gemini", 404, "NOT_FOUND", "no such model"), "does not know this model", "studio.models()"),
    (ProviderError("gemini", 429, "RESOURCE_EXHAUSTED", "quota"), "answered 429 RESOURCE_EXHAUSTED", "wait"),
    (ProviderError("gemini", 503, "UNAVAILABLE", "overloaded"), "answered 503", "try again"),
    (ProviderError("gemini", 403, "PERMISSION_DENIED", "no"), "answered 403", "API key"),
    (ProviderError("gemini", 400, "INVALID_ARGUMENT", "bad", hint="Use v1beta."), "answered 400", "Use v1beta."),
    (ProviderError("gemini", None, None, "timed out"), "could not be reached", "network"),
    (ToolkitError("something"), "refused this call", ""),
    (RuntimeError("boom"), "Unexpected error: RuntimeError", "bug"),
])
def test_describe_error_names_problem_and_fix(exc, title, fix):
    n = notices.describe_error(exc)
    assert n.kind == "error"
    assert title in n.title
    assert fix in n.fix
    assert n.detail
    assert "Traceback" not in notices.notice_html(n)


def test_describe_error_scrubs_secrets_and_handles_empty_messages():
    Secret("k-test-widgets-secret-42")
    n = notices.describe_error(RuntimeError("failed with k-test-widgets-secret-42 in the url"))
    assert "k-test-widgets-secret-42" not in n.detail + notices.notice_html(n)
    assert notices.describe_error(KeyError()).detail == "(no message)"


def test_describe_result_per_status():
    ok = Result(status="ok", model="m", backend="offline")
    assert notices.describe_result(ok) is None
    partial = Result(status="ok", model="m", backend="gemini", errors=["503 UNAVAILABLE"])
    assert notices.describe_result(partial).kind == "warning"
    blocked = notices.describe_result(Result(status="blocked", model="m", backend="offline", reason="PROHIBITED_CONTENT"))
    assert "blocked" in blocked.title and blocked.detail == "PROHIBITED_CONTENT" and "Rephrase" in blocked.fix
    offline = notices.describe_result(Result(status="no_image", model="m", backend="offline", reason="vocab"))
    assert "no_image" in offline.title and "simulator" in offline.fix
    real = notices.describe_result(Result(status="no_image", model="m", backend="gemini", text="I can't"))
    assert real.detail == "I can't" and "Ask explicitly" in real.fix
    err = notices.describe_result(Result(status="error", model="m", backend="gemini", reason="MALFORMED"))
    assert err.kind == "error" and "MALFORMED" in err.detail


def test_notice_html_escapes_and_colours():
    h = notices.notice_html(notices.Notice("warning", "<b>x</b>", "a & b", "do <this>"))
    assert "&lt;b&gt;x&lt;/b&gt;" in h and "a &amp; b" in h and "do &lt;this&gt;" in h
    assert "#8a5a00" in h and "What to do" in h
    assert notices.notice_html(None) == ""
    assert "What to do" not in notices.notice_html(notices.Notice("info", "t"))
