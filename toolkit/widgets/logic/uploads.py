"""Uploads: the files in a ``FileUpload`` value, loaded as images, and entries ipywidgets can send."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ...errors import ImageInputError
from ...images import DEFAULT_MAX_SIDE, InputImage, load_image


def upload_files(value: Any) -> list[tuple[str, bytes]]:
    """The files in a ``FileUpload.value`` as ``(name, bytes)`` pairs.

    Accepts the ipywidgets 8 shape (a tuple of dicts with ``name`` and ``content``, a memoryview) and,
    for notebooks written for ipywidgets 7, a dict of ``name -> {"content": ...}``.

    Parameters
    ----------
    value
        ``upload.value``.

    Returns
    -------
    list of (str, bytes)

    Examples
    --------
    >>> upload_files(({"name": "a.png", "content": memoryview(b"abc")},))
    [('a.png', b'abc')]
    """
    if not value:
        return []
    if isinstance(value, Mapping):  # ipywidgets 7: {name: {"metadata": ..., "content": bytes}}
        entries = [{"name": name, **dict(v)} for name, v in value.items()]
    else:
        entries = [dict(v) for v in value]
    out = []
    for i, entry in enumerate(entries, start=1):
        name = str(entry.get("name") or f"upload {i}")
        content = entry.get("content")
        if content is None:
            raise ImageInputError(f"Upload {name!r} has no content. Upload the file again.")
        out.append((name, bytes(content)))
    return out


def load_uploads(value: Any, *, max_side: int = DEFAULT_MAX_SIDE) -> list[InputImage]:
    """Load every uploaded file as an image, or raise for the first one that is not an image.

    Parameters
    ----------
    value
        ``upload.value`` (see :func:`upload_files`).
    max_side : int
        Longer-side limit, as in :func:`toolkit.images.load_image`.

    Returns
    -------
    list of InputImage
        Each named after its file.

    Raises
    ------
    ImageInputError
        Naming the file, the problem and the fix (e.g. a text file renamed ``.png``).

    Examples
    --------
    >>> load_uploads(({"name": "notes.png", "content": memoryview(b"hello")},))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    toolkit.errors.ImageInputError: Input image (notes.png) is not an image ...
    >>> from toolkit.samples import sample_path
    >>> [cat] = load_uploads(({"name": "cat.png", "content": sample_path("cat").read_bytes()},))
    >>> cat.source, cat.width, cat.height
    ('cat.png', 451, 300)
    """
    return [load_image(data, name=name, max_side=max_side) for name, data in upload_files(value)]


def normalise_upload_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One ``FileUpload.value`` entry with every key ipywidgets 8 needs to serialise it.

    A value set from Python (a test, or a notebook that "uploads" a file by hand) often has
    ``last_modified`` as a number or leaves out ``size``; ipywidgets then fails while sending the state,
    before any observer runs. The browser's own uploads already have this shape and pass unchanged.

    Examples
    --------
    >>> e = normalise_upload_entry({"name": "x.png", "content": b"hi", "last_modified": 0})
    >>> e["size"], e["last_modified"].year, type(e["content"]).__name__
    (2, 1970, 'memoryview')
    """
    out = dict(entry)
    content = out.get("content")
    if content is None:
        content = b""
    if not isinstance(content, memoryview):
        content = memoryview(bytes(content))
    out["content"] = content
    out.setdefault("name", "upload")
    out.setdefault("type", "")
    if not isinstance(out.get("size"), int):
        out["size"] = content.nbytes
    stamp = out.get("last_modified")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        out["last_modified"] = dt.datetime.fromtimestamp(stamp / 1000, tz=dt.UTC)  # browsers send milliseconds
    elif not isinstance(stamp, dt.datetime):
        out["last_modified"] = dt.datetime.fromtimestamp(0, tz=dt.UTC)
    return out

