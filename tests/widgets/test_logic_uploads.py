"""Uploads: FileUpload values read, loaded and normalised (toolkit/widgets/logic/uploads.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from toolkit.errors import (
    ImageInputError,
)
from toolkit.samples import sample_path
from toolkit.widgets.logic import uploads


def test_upload_files_reads_ipywidgets_8_and_7_shapes():
    v8 = ({"name": "a.png", "type": "image/png", "size": 3, "content": memoryview(b"abc")},
          {"name": "b.png", "content": memoryview(b"de")})
    assert uploads.upload_files(v8) == [("a.png", b"abc"), ("b.png", b"de")]
    v7 = {"c.png": {"metadata": {}, "content": b"xyz"}}
    assert uploads.upload_files(v7) == [("c.png", b"xyz")]
    assert uploads.upload_files(()) == []
    assert uploads.upload_files(None) == []


def test_upload_without_content_is_an_image_input_error():
    with pytest.raises(ImageInputError, match="no content"):
        uploads.upload_files(({"name": "a.png"},))


def test_load_uploads_names_the_file_in_errors_and_loads_images():
    with pytest.raises(ImageInputError, match=r"x\.png.*not an image"):
        uploads.load_uploads(({"name": "x.png", "content": memoryview(b"hello")},))
    data = sample_path("cat").read_bytes()
    [img] = uploads.load_uploads(({"name": "chelsea.png", "content": memoryview(data)},))
    assert (img.source, img.width, img.height) == ("chelsea.png", 451, 300)


def test_normalise_upload_entry_fills_what_ipywidgets_needs():
    e = uploads.normalise_upload_entry({"name": "x.png", "content": b"hello", "last_modified": 1_700_000_000_000})
    assert isinstance(e["content"], memoryview) and e["size"] == 5 and e["type"] == ""
    assert e["last_modified"] == dt.datetime.fromtimestamp(1_700_000_000, tz=dt.UTC)
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert uploads.normalise_upload_entry({"name": "a", "content": b"", "size": 0, "last_modified": when})[
        "last_modified"] is when
    assert uploads.normalise_upload_entry({"content": b"z"})["last_modified"].year == 1970
