""":func:`load_image`: anything image-like (path, bytes, data URL, PIL image, array, ...) to an InputImage."""

from __future__ import annotations

import base64
import binascii
import os
import re
import stat
import sys
import urllib.parse
from dataclasses import replace
from pathlib import Path
from typing import Any

from PIL import Image, ImageFile

from ..errors import ImageInputError
from . import checks
from .arrays import array_to_pil
from .checks import MIN_SIDE, Origin, check_dimensions, damaged, origin_for, too_large_file
from .decode import from_bytes
from .input_image import InputImage
from .normalise import finish

__all__ = ["DEFAULT_MAX_SIDE", "MIN_MAX_SIDE", "load_image"]


DEFAULT_MAX_SIDE: int = 3072
"""Inputs whose longer side exceeds this are downscaled (override per call with ``max_side=``)."""

MIN_MAX_SIDE: int = 64
"""The smallest ``max_side`` accepted; anything lower is almost certainly a mistake."""

_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def load_image(src: Any, *, max_side: int = DEFAULT_MAX_SIDE, name: str | None = None) -> InputImage:
    """Load one input image and normalise it into something the API accepts.

    Parameters
    ----------
    src
        One of: a file path (``str`` or :class:`os.PathLike`); ``bytes``/``bytearray``/``memoryview``;
        a ``data:image/...;base64,...`` URL; a :class:`PIL.Image.Image`; a :class:`numpy.ndarray`
        (``HxW`` gray, ``HxWx3`` RGB or ``HxWx4`` RGBA; ``uint8``, ``bool``, ``uint16`` or floats in
        [0, 1]); an :class:`InputImage` (returned as is when it fits ``max_side``); or an object with
        ``data``/``mime`` attributes (a previous output), a ``to_pil()`` method or a PIL ``image``
        attribute. Web addresses are refused: nothing is downloaded.
    max_side : int, default DEFAULT_MAX_SIDE
        Longer-side limit in pixels; bigger images are downscaled (Lanczos, aspect kept). At least 64.
    name : str, optional
        Overrides the short ``source`` name recorded on the result.

    Returns
    -------
    InputImage
        With the original bytes when the input is a PNG, JPEG or WEBP in 8-bit gray/RGB/RGBA, fits
        ``max_side`` and needs no EXIF rotation; otherwise re-encoded as PNG (alpha or lossless source,
        PIL images and arrays) or JPEG quality 95 (lossy source), with ``notes`` saying what changed.

    Raises
    ------
    ImageInputError
        For a missing, empty, truncated or corrupt file, a path that is not a regular file (a pipe, a device
        such as ``/dev/zero``) or a file over ``MAX_FILE_BYTES`` (checked before reading), something that is not
        an image, HEIC without
        pillow-heif, an image under ``MIN_SIDE`` pixels per side or over ``MAX_PIXELS`` pixels, a web
        address, an array of an unsupported shape or dtype, or ``max_side < 64``. The message names
        the input and says how to fix it.

    Examples
    --------
    A PNG or JPEG that can be sent as it is keeps its bytes; a PIL image is encoded losslessly; a large
    file is downscaled, and ``notes`` says so:

    >>> from toolkit.samples import sample_path
    >>> img = load_image(sample_path("cat"))
    >>> img.source, img.width, img.height, img.mime, img.notes
    ('chelsea.png', 451, 300, 'image/png', ())
    >>> img.data == sample_path("cat").read_bytes()
    True
    >>> load_image(tk.sample("coffee")).source
    'sample:coffee'
    >>> load_image(sample_path("rocket"), max_side=320).notes
    ('downscaled 640x427 -> 320x214',)
    """
    if isinstance(max_side, bool) or not isinstance(max_side, int) or max_side < MIN_MAX_SIDE:
        raise ImageInputError(
            f"max_side={max_side!r} is not valid: it must be an int of at least {MIN_MAX_SIDE} pixels "
            f"(default {DEFAULT_MAX_SIDE}). Pass e.g. max_side=1024."
        )

    if isinstance(src, InputImage):
        return _reuse(src, max_side, name)
    if isinstance(src, str):
        stripped = src.strip()
        if stripped[:5].lower() == "data:":
            origin = origin_for(name or "data URL")
            return from_bytes(_decode_data_url(stripped, origin), origin, max_side)
        if stripped[:7].lower() == "file://":
            parsed = urllib.parse.urlparse(stripped)
            return _from_path(Path(urllib.parse.unquote(parsed.path)), name, max_side)
        if _URL_RE.match(stripped):
            shown = stripped if len(stripped) <= 100 else stripped[:97] + "..."
            raise ImageInputError(
                f"{shown!r} is a web address; images are not downloaded automatically. Download it "
                f"first (browser, curl, or urllib.request.urlretrieve(url, 'input.jpg')) and pass the "
                f"file path."
            )
        return _from_path(Path(src), name, max_side)
    if isinstance(src, os.PathLike):
        return _from_path(Path(os.fsdecode(src)), name, max_side)
    if isinstance(src, bytes | bytearray | memoryview):
        return from_bytes(bytes(src), origin_for(name or "bytes"), max_side)
    if isinstance(src, Image.Image):
        return _from_pil(src, _pil_origin(src, name), max_side, [])
    np = sys.modules.get("numpy")  # an ndarray cannot exist unless numpy was imported
    if np is not None and isinstance(src, np.ndarray):
        origin = origin_for(name or "numpy array")
        notes: list[str] = []
        return _from_pil(array_to_pil(src, origin, notes), origin, max_side, notes)
    return _from_object(src, max_side, name)


def _reuse(img: InputImage, max_side: int, name: str | None) -> InputImage:
    if max(img.width, img.height) > max_side:
        again = load_image(img.data, max_side=max_side, name=name or img.source)
        return replace(again, notes=img.notes + again.notes)
    if name is not None and name != img.source:
        return replace(img, source=name)
    return img


def _from_object(src: Any, max_side: int, name: str | None) -> InputImage:
    label = getattr(src, "source", None)
    label = label if isinstance(label, str) and label else type(src).__name__
    data, mime = getattr(src, "data", None), getattr(src, "mime", None)
    # An earlier output (bytes + MIME): take the bytes so an unchanged PNG/JPEG passes as is.
    if isinstance(data, bytes | bytearray) and isinstance(mime, str):
        return from_bytes(bytes(data), origin_for(name or label), max_side)
    to_pil = getattr(src, "to_pil", None)
    if callable(to_pil):
        im = to_pil()
        if isinstance(im, Image.Image):
            return _from_pil(im, origin_for(name or label), max_side, [])
    im = getattr(src, "image", None)
    if isinstance(im, Image.Image):
        return _from_pil(im, origin_for(name or label), max_side, [])
    raise ImageInputError(
        f"Cannot load an image from a {type(src).__name__} object. Pass a file path, bytes, a data: URL, "
        f"a PIL image or a numpy array (HxW, HxWx3 or HxWx4)."
    )


def _pil_origin(im: Image.Image, name: str | None) -> Origin:
    if name:
        return origin_for(name)
    tagged = im.info.get("toolkit_source")
    if isinstance(tagged, str) and tagged:
        return origin_for(tagged)
    filename = getattr(im, "filename", None)
    if isinstance(filename, str) and filename:
        return Origin(os.path.basename(filename), repr(filename))
    return origin_for("PIL image")


def _from_path(path: Path, name: str | None, max_side: int) -> InputImage:
    path = path.expanduser()
    full = os.path.abspath(path)
    origin = Origin(name or path.name or full, repr(full))
    try:
        data = _read_file(path, origin)
    except FileNotFoundError:
        hint = ""
        if len(str(path)) > 255 and os.sep not in str(path):
            hint = " If this is base64 image data, pass it as 'data:image/png;base64,...' or as bytes."
        raise ImageInputError(
            f"No such file: {full!r}. Check the path; relative paths are relative to the current "
            f"directory ({os.getcwd()}).{hint}"
        ) from None
    except PermissionError:
        raise origin.error("cannot be read: permission denied. Check the file's permissions.") from None
    except OSError as exc:
        raise origin.error(f"cannot be read ({exc.strerror or exc}). Check the path.") from None
    if not data:
        raise origin.error(
            "is empty (0 bytes). It was probably not fully written or downloaded: re-export or "
            "re-download it."
        )
    return from_bytes(data, origin, max_side)


_NOT_REGULAR = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _check_regular(mode: int, path: Path, origin: Origin) -> None:
    if stat.S_ISDIR(mode):
        raise origin.error(f"is a directory, not an image file. {_dir_hint(path)}")
    if not stat.S_ISREG(mode):
        kind = next((label for test, label in _NOT_REGULAR if test(mode)), "not a regular file")
        raise origin.error(
            f"is {kind}, not an image file; only regular files are read (a pipe or device could block or never "
            f"end). Save the image to a file and pass its path, or pass the bytes."
        )


def _read_file(path: Path, origin: Origin) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES; anything else is refused before it is read."""
    limit = checks.MAX_FILE_BYTES
    st = os.stat(path)
    _check_regular(st.st_mode, path, origin)  # before opening: opening a FIFO waits for a writer
    if st.st_size > limit:
        raise too_large_file(origin, st.st_size)
    # O_NONBLOCK: should the path be swapped for a FIFO after the check, opening it does not wait
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb") as f:
        _check_regular(os.fstat(f.fileno()).st_mode, path, origin)
        data = f.read(limit + 1)  # a hard cap: the file may have grown since the stat
    if len(data) > limit:
        raise too_large_file(origin, None)
    return data


def _dir_hint(path: Path) -> str:
    try:
        with os.scandir(path) as it:
            for i, entry in enumerate(it):
                if i > 500:
                    break
                if entry.name.lower().endswith((".png", ".jpg", ".jpeg", ".webp", ".gif")):
                    return f"Pass the path of one image inside it, e.g. {os.path.join(path, entry.name)!r}."
    except OSError:
        pass
    return "Pass the path of one image file."


def _decode_data_url(url: str, origin: Origin) -> bytes:
    head, sep, payload = url.partition(",")
    if not sep:
        raise origin.error("is not a valid data URL (no comma). Use 'data:image/png;base64,<base64 data>'.")
    if head.lower().endswith(";base64"):
        # Tolerate line-wrapped, URL-safe and unpadded base64, which all occur in the wild.
        text = re.sub(r"\s+", "", urllib.parse.unquote(payload)).replace("-", "+").replace("_", "/")
        text += "=" * (-len(text) % 4)
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise origin.error(
                f"has an invalid base64 payload ({exc}). Re-create it with "
                f"'data:image/png;base64,' + base64.b64encode(data).decode()."
            ) from None
    else:
        data = urllib.parse.unquote_to_bytes(payload)
    if not data:
        raise origin.error("is empty (no data after the comma). Pass a data URL that contains an image.")
    return data


def _from_pil(im: Image.Image, origin: Origin, max_side: int, notes: list[str]) -> InputImage:
    try:
        im.load()  # a lazily opened file may still fail here
    except Exception as exc:
        raise damaged(origin, exc, None) from None
    w, h = im.size
    if w < MIN_SIDE or h < MIN_SIDE:
        check_dimensions(w, h, origin)
    try:
        n_frames = int(getattr(im, "n_frames", 1))
    except Exception:
        n_frames = 1
    if n_frames > 1 and im.format != "MPO":
        notes.append(f"frame {im.tell() + 1} of an animated {im.format or 'image'} ({n_frames} frames)")
    # PIL images and arrays are always re-encoded, so lossless PNG keeps exactly the pixels given.
    # EXIF orientation is applied only to images straight from a file (as for a path). A derived image
    # (rotated, converted, copied) still carries the file's EXIF in info, and rotating it again would
    # undo the caller's own fix; what they see in the notebook is what is sent.
    return finish(
        im, origin, max_side, notes, lossless=True, full_size=(w, h), exif=isinstance(im, ImageFile.ImageFile)
    )
