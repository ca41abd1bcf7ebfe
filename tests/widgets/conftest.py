"""Helpers for driving the widget apps without a browser."""

from __future__ import annotations

import datetime as dt

import pytest

from toolkit.samples import sample_path


def upload_value(name: str, data: bytes, mime: str = "image/png", last_modified=0) -> tuple[dict, ...]:
    """What ``FileUpload.value`` holds after a browser upload of one file (ipywidgets 8 shape)."""
    return ({"name": name, "type": mime, "size": len(data), "content": memoryview(data),
             "last_modified": last_modified},)


@pytest.fixture()
def upload():
    """``upload(name, data)`` -> a FileUpload value."""
    return upload_value


@pytest.fixture()
def bad_upload():
    """A text file's bytes posing as a PNG, exactly as the brief's example (``last_modified`` a number)."""
    return upload_value("x.png", b"hello", last_modified=0)


@pytest.fixture()
def cat_upload():
    """The cat sample photo as an upload (``last_modified`` a datetime, as the browser sends it)."""
    data = sample_path("cat").read_bytes()
    return upload_value("chelsea.png", data, last_modified=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


@pytest.fixture()
def capped(gemini):
    """A Studio on the Gemini backend (loopback fake) whose budget refuses any paid call."""
    gemini.budget_usd = 0.0001
    return gemini


def plain(widget_or_html) -> str:
    """The visible text of an HTML widget (tags dropped, entities decoded, spaces collapsed)."""
    import html
    import re

    value = getattr(widget_or_html, "value", widget_or_html)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", value)).split())


@pytest.fixture()
def text():
    """``text(widget)`` -> its visible text (see :func:`plain`)."""
    return plain
