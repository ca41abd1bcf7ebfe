"""Load and normalise input images; embed and read provenance metadata.

:func:`load_image` turns anything image-like (a path, bytes, a ``data:`` URL, a PIL image, a numpy array)
into an :class:`InputImage`: encoded bytes the Gemini API accepts (PNG, JPEG or WEBP) plus a short
account of what was changed on the way (``notes``). Files that can be sent as they are keep their
original bytes, so the same file always hashes (and caches) the same way; everything else is decoded,
normalised and re-encoded deterministically. Every refusal is an :class:`~toolkit.errors.ImageInputError`
that names the input, the problem and the fix.

:func:`embed_metadata` and :func:`read_metadata` store a small JSON document (prompt, model, seed, ...)
inside PNG and JPEG files at the byte level, without decoding or re-encoding the image;
:func:`strip_metadata` takes it out again, giving back the exact original bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import mmap
import os
import re
import struct
import sys
import urllib.parse
import warnings
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from .errors import ImageInputError

__all__ = [
    "DEFAULT_MAX_SIDE",
    "MAX_PIXELS",
    "METADATA_KEY",
    "MIN_SIDE",
    "InputImage",
    "embed_metadata",
    "load_image",
    "read_metadata",
    "sniff_mime",
    "strip_metadata",
]

DEFAULT_MAX_SIDE: int = 3072
"""Inputs whose longer side exceeds this are downscaled (override per call with ``max_side=``)."""

MIN_SIDE: int = 8
"""Images with a side shorter than this are refused."""

MIN_MAX_SIDE: int = 64
"""The smallest ``max_side`` accepted; anything lower is almost certainly a mistake."""

# Pillow raises DecompressionBombError above twice its MAX_IMAGE_PIXELS default (89,478,485); we use the
# same figure as a fixed limit so that it also holds when a notebook has disabled Pillow's check.
MAX_PIXELS: int = 178_956_970
"""Images with more pixels than this (about 179 megapixels) are refused before decoding."""

METADATA_KEY = "flash-image-toolkit"
"""Keyword of the PNG text chunk / prefix of the JPEG comment that holds our JSON metadata."""

JPEG_QUALITY = 95

_KEY_B = METADATA_KEY.encode("latin-1")
_ORIENTATION_TAG = 0x0112
_ORIENTATIONS = {
    2: "mirrored",
    3: "rotated 180°",
    4: "flipped vertically",
    5: "transposed",
    6: "rotated 90° clockwise",
    7: "transversed",
    8: "rotated 90° counter-clockwise",
}
# Formats whose pixels went through a lossy codec: re-encoding them as PNG would only make them bigger.
_LOSSY_FORMATS = frozenset({"JPEG", "MPO", "HEIF", "AVIF", "JPEG2000"})
# Formats the API accepts as they are; MPO is a JPEG with extra preview images appended (many cameras).
_FAST_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "MPO": "image/jpeg", "WEBP": "image/webp"}
_HEIF_MIMES = frozenset({"image/heic", "image/heif", "image/avif"})
_SUPPORTED = "PNG, JPEG, WEBP, GIF, BMP, TIFF, AVIF (HEIC with pillow-heif)"
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


# --------------------------------------------------------------------------------------------------------
# InputImage


@dataclass(frozen=True)
class InputImage:
    """One input image, ready to send.

    Attributes
    ----------
    data : bytes
        The encoded bytes to send: the original file's bytes when they could pass unchanged, otherwise a
        deterministic re-encoding (same input, same bytes).
    mime : str
        ``"image/png"``, ``"image/jpeg"`` or ``"image/webp"``.
    sha256 : str
        Hex SHA-256 of ``data``; a stable cache key for the image.
    width, height : int
        Pixel size of ``data`` (after EXIF rotation and any downscaling).
    source : str
        Short human name: a file name, ``"PIL image"``, ``"bytes"``, ``"numpy array"``, ``"sample:cat"``.
    notes : tuple of str
        What normalisation did, in plain words (empty when the bytes passed unchanged).

    Examples
    --------
    >>> img = load_image("cat.png")            # doctest: +SKIP
    >>> img                                     # doctest: +SKIP
    InputImage(source='cat.png', 451x300 image/png, 120.3 kB, sha256=ab12cd34…)
    """

    data: bytes
    mime: str
    sha256: str
    width: int
    height: int
    source: str
    notes: tuple[str, ...] = ()

    def to_pil(self) -> Image.Image:
        """Decode ``data`` to an RGB or RGBA PIL image.

        The first call decodes; later calls return a copy of the cached result, so editing the
        returned image in place never changes what a later call sees.

        Returns
        -------
        PIL.Image.Image
            Mode ``"RGB"`` or ``"RGBA"``; ``info["toolkit_source"]`` is set to :attr:`source`.
        """
        # The decoded pixels live in the instance __dict__, outside the dataclass fields (so they stay out
        # of eq, hash, repr and asdict) and are freed with the InputImage, unlike a global cache.
        im = self.__dict__.get("_pil_cache")
        if im is None:
            im = _decode_rgb(self.data)
            im.info["toolkit_source"] = self.source
            object.__setattr__(self, "_pil_cache", im)
        return im.copy()

    def __repr__(self) -> str:
        return (
            f"InputImage(source={self.source!r}, {self.width}x{self.height} {self.mime}, "
            f"{_human_bytes(len(self.data))}, sha256={self.sha256[:8]}…)"
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_pil_cache", None)
        return state

    # IPython/Jupyter display hooks: show the image itself rather than the repr.
    def _repr_png_(self) -> bytes | None:
        return self.data if self.mime == "image/png" else None

    def _repr_jpeg_(self) -> bytes | None:
        return self.data if self.mime == "image/jpeg" else None


def _human_bytes(n: int) -> str:
    if n < 1000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"


def _decode_rgb(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        if im.mode in ("RGB", "RGBA"):
            return im.copy()
        return im.convert("RGBA" if im.has_transparency_data else "RGB")


# --------------------------------------------------------------------------------------------------------
# Where an input came from (for names and messages)


@dataclass(frozen=True)
class _Origin:
    source: str  # short name stored on the InputImage
    where: str  # how messages refer to it: the full quoted path for files

    def error(self, text: str) -> ImageInputError:
        return ImageInputError(f"{self.where} {text}")


def _origin_for(source: str) -> _Origin:
    return _Origin(source, f"Input image ({source})")


# --------------------------------------------------------------------------------------------------------
# load_image


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
        For a missing, empty, truncated or corrupt file, something that is not an image, HEIC without
        pillow-heif, an image under ``MIN_SIDE`` pixels per side or over ``MAX_PIXELS`` pixels, a web
        address, an array of an unsupported shape or dtype, or ``max_side < 64``. The message names
        the input and says how to fix it.

    Examples
    --------
    >>> img = load_image("holiday.jpg")         # doctest: +SKIP
    >>> img.notes                               # doctest: +SKIP
    ('applied EXIF rotation (orientation 6: rotated 90° clockwise)', 'downscaled 4000x6000 -> 2048x3072')
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
            origin = _origin_for(name or "data URL")
            return _from_bytes(_decode_data_url(stripped, origin), origin, max_side)
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
        return _from_bytes(bytes(src), _origin_for(name or "bytes"), max_side)
    if isinstance(src, Image.Image):
        return _from_pil(src, _pil_origin(src, name), max_side, [])
    np = sys.modules.get("numpy")  # an ndarray cannot exist unless numpy was imported
    if np is not None and isinstance(src, np.ndarray):
        origin = _origin_for(name or "numpy array")
        notes: list[str] = []
        return _from_pil(_array_to_pil(src, origin, notes), origin, max_side, notes)
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
        return _from_bytes(bytes(data), _origin_for(name or label), max_side)
    to_pil = getattr(src, "to_pil", None)
    if callable(to_pil):
        im = to_pil()
        if isinstance(im, Image.Image):
            return _from_pil(im, _origin_for(name or label), max_side, [])
    im = getattr(src, "image", None)
    if isinstance(im, Image.Image):
        return _from_pil(im, _origin_for(name or label), max_side, [])
    raise ImageInputError(
        f"Cannot load an image from a {type(src).__name__} object. Pass a file path, bytes, a data: URL, "
        f"a PIL image or a numpy array (HxW, HxWx3 or HxWx4)."
    )


def _pil_origin(im: Image.Image, name: str | None) -> _Origin:
    if name:
        return _origin_for(name)
    tagged = im.info.get("toolkit_source")
    if isinstance(tagged, str) and tagged:
        return _origin_for(tagged)
    filename = getattr(im, "filename", None)
    if isinstance(filename, str) and filename:
        return _Origin(os.path.basename(filename), repr(filename))
    return _origin_for("PIL image")


# ---- paths and URLs


def _from_path(path: Path, name: str | None, max_side: int) -> InputImage:
    path = path.expanduser()
    full = os.path.abspath(path)
    origin = _Origin(name or path.name or full, repr(full))
    try:
        if path.is_dir():
            raise origin.error(f"is a directory, not an image file. {_dir_hint(path)}")
        data = path.read_bytes()
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
    return _from_bytes(data, origin, max_side)


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


def _decode_data_url(url: str, origin: _Origin) -> bytes:
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


# ---- bytes (files, data URLs, previous outputs)


def _from_bytes(data: bytes, origin: _Origin, max_side: int) -> InputImage:
    if not data:
        raise origin.error("is empty (0 bytes). Pass the bytes of an image file.")
    mime = sniff_mime(data)
    if mime in _HEIF_MIMES:
        _enable_heif(mime, origin)
    elif mime is None:
        _refuse_non_image(data, origin)
    im = _open(data, origin, mime)
    with im:
        w, h = im.size
        _check_dimensions(w, h, origin)
        fmt = im.format or ""
        fast, reason = _fast_path(im, data, fmt, max_side, origin)
        if fast:
            return InputImage(
                data=data,
                mime=_FAST_FORMATS[fmt],
                sha256=hashlib.sha256(data).hexdigest(),
                width=w,
                height=h,
                source=origin.source,
            )
        notes = [reason] if reason else []
        lossless = fmt not in _LOSSY_FORMATS and not (fmt == "WEBP" and not _webp_is_lossless(data))

        n_frames = 1
        if fmt != "MPO":  # MPO's extra frames are previews of the same photo, not an animation
            try:
                n_frames = int(getattr(im, "n_frames", 1))
            except Exception:  # a broken later frame must not hide a good first one
                n_frames = 1
        if n_frames > 1:
            notes.append(f"first frame of an animated {fmt} ({n_frames} frames)")
            im.seek(0)
        if fmt in ("JPEG", "MPO") and max(w, h) > max_side:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale (never below the target): far less memory and
            # time for big camera photos; Lanczos then does the final, exact resize.
            tw, th = _fit(w, h, max_side)
            im.draft(None, (tw, th))
        try:
            im.load()
        except Exception as exc:
            raise _damaged(origin, exc, mime) from None
        return _finish(im, origin, max_side, notes, lossless=lossless, full_size=(w, h), exif=True)


def _open(data: bytes, origin: _Origin, mime: str | None) -> Image.Image:
    """Open lazily: this reads the header only, so the size is known before any pixel is allocated."""
    try:
        with warnings.catch_warnings():
            # Between Pillow's warning and error thresholds we decide ourselves (see MAX_PIXELS).
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        size = _header_size(data)
        if size is None:
            m = re.search(r"\((\d+) pixels\)", str(exc))
            pixels = int(m.group(1)) if m else None
            raise _too_many_pixels(origin, None, pixels) from None
        raise _too_many_pixels(origin, size, size[0] * size[1]) from None
    except Exception as exc:
        failure = exc
    # Raised outside the except block so the message is not followed by Pillow's traceback.
    if mime is None:
        _refuse_non_image(data, origin, force=True)
    raise _damaged(origin, failure, mime)


def _damaged(origin: _Origin, exc: BaseException, mime: str | None) -> ImageInputError:
    kind = f"a {_label(mime)} file" if mime else "an image"
    if isinstance(exc, UnidentifiedImageError):
        # Pillow's own text names a BytesIO object, which means nothing to the reader.
        return origin.error(
            f"looks like {kind} but Pillow cannot read it: it is corrupt, truncated or an unsupported "
            f"variant of the format. Re-export it as PNG or JPEG."
        )
    detail = str(exc) or type(exc).__name__
    return origin.error(
        f"looks like {kind} but cannot be decoded ({detail}): it is truncated or corrupt. Re-export or "
        f"re-download it."
    )


def _label(mime: str | None) -> str:
    return (mime or "image/?").split("/")[1].upper()


def _too_many_pixels(origin: _Origin, size: tuple[int, int] | None, pixels: int | None) -> ImageInputError:
    dims = f"{size[0]}x{size[1]} pixels" if size else "very large"
    mp = f" ({pixels / 1e6:.0f} megapixels)" if pixels else ""
    return origin.error(
        f"is {dims}{mp}, more than the {MAX_PIXELS / 1e6:.0f}-megapixel limit for decoding (a "
        f"decompression-bomb guard). Downscale it first, e.g. to 4096 px on the long side, with an image "
        f"editor or `vips thumbnail in.png out.png 4096`."
    )


def _check_dimensions(w: int, h: int, origin: _Origin) -> None:
    if w < MIN_SIDE or h < MIN_SIDE:
        raise origin.error(
            f"is {w}x{h} pixels; images need at least {MIN_SIDE} px per side. Use a larger image."
        )
    if w * h > MAX_PIXELS:
        raise _too_many_pixels(origin, (w, h), w * h)


_NON_IMAGES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "is a PDF document, not an image. Export the page as PNG or JPEG first."),
    (b"<svg", "is an SVG (vector) drawing, which the models do not accept. Render it to PNG first."),
    (
        b"<!doctype html",
        "is an HTML page, not an image (an error page or a failed download?). Download the image itself.",
    ),
    (
        b"<html",
        "is an HTML page, not an image (an error page or a failed download?). Download the image itself.",
    ),
    (b"PK\x03\x04", "is a ZIP archive, not an image. Extract the image from it first."),
    (b"\xff\x0a", "is a JPEG XL image, which Pillow cannot read. Convert it to PNG or JPEG first."),
    (
        b"\x00\x00\x00\x0cJXL ",
        "is a JPEG XL image, which Pillow cannot read. Convert it to PNG or JPEG first.",
    ),
)


def _refuse_non_image(data: bytes, origin: _Origin, *, force: bool = False) -> None:
    """Raise for content we can name (PDF, SVG, HTML, ...); with ``force``, raise for anything.

    Without ``force`` unknown content returns, so formats Pillow reads without a well-known magic number
    (PPM, TGA, ICO, ...) still get their chance.
    """
    head = data[:512].lstrip().lower()
    if head.startswith(b"<?xml") and b"<svg" in head:
        head = b"<svg"
    for magic, text in _NON_IMAGES:
        if head.startswith(magic.lower()):
            raise origin.error(text)
    if force:
        raise origin.error(
            f"is not an image (or not one Pillow can read): it starts with {data[:8]!r}. Supported: "
            f"{_SUPPORTED}. Check the file; if it is an image in another format, convert it to PNG or "
            f"JPEG first."
        )


def _enable_heif(mime: str, origin: _Origin) -> None:
    from PIL import features

    if mime == "image/avif" and features.check("avif"):
        return  # Pillow >= 11.2 reads AVIF natively
    try:
        import pillow_heif  # type: ignore[import-not-found]
    except ImportError:
        kind = {"image/heic": "HEIC", "image/heif": "HEIF", "image/avif": "AVIF"}[mime]
        raise origin.error(
            f"is a {kind} image, which needs the optional pillow-heif package: install pillow-heif "
            f"(pip install pillow-heif), or convert it to JPEG first (e.g. macOS Preview > File > Export)."
        ) from None
    pillow_heif.register_heif_opener()  # idempotent
    if mime == "image/avif" and hasattr(pillow_heif, "register_avif_opener"):
        pillow_heif.register_avif_opener()


def _fast_path(
    im: Image.Image, data: bytes, fmt: str, max_side: int, origin: _Origin
) -> tuple[bool, str | None]:
    """Can ``data`` be sent unchanged? Decided from headers; returns ``(ok, note for the slow path)``."""
    if fmt not in _FAST_FORMATS or im.mode not in ("L", "RGB", "RGBA") or max(im.size) > max_side:
        return False, None
    if fmt == "PNG":
        scan = _png_scan(data)
        # Pillow maps 16-bit RGB(A) and 2/4-bit gray to 8-bit modes, so the mode alone does not tell.
        if scan.bit_depth != 8 or scan.animated:
            return False, None
        if not scan.complete:
            # The decode on the slow path decides whether what is there is usable.
            return False, "re-encoded because the file ends early (no IEND chunk)"
        if not scan.crc_ok:
            return False, "re-encoded because the file has damaged chunks (bad CRC)"
        orientation = _orientation_from_exif_bytes(scan.exif)
    else:
        if fmt == "WEBP" and getattr(im, "n_frames", 1) > 1:
            return False, None
        orientation = _orientation(im)
        if not _looks_complete(data, fmt):
            _validate_by_decoding(data, origin, fmt)
    return orientation not in _ORIENTATIONS, None


def _looks_complete(data: bytes, fmt: str) -> bool:
    if fmt == "WEBP":
        return struct.unpack_from("<I", data, 4)[0] + 8 <= len(data)
    # A JPEG ends with EOI; some writers pad with zeros after it.
    return data[-64:].rstrip(b"\0").endswith(b"\xff\xd9")


def _validate_by_decoding(data: bytes, origin: _Origin, fmt: str) -> None:
    """Decode once to prove the file is whole (JPEG at 1/8 scale: reads all data, little IDCT work)."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            if fmt in ("JPEG", "MPO"):
                im.draft(None, (max(1, im.width // 8), max(1, im.height // 8)))
            im.load()
    except Exception as exc:
        raise _damaged(origin, exc, sniff_mime(data)) from None


def _orientation(im: Image.Image) -> int | None:
    try:
        value = im.getexif().get(_ORIENTATION_TAG)
    except Exception:  # malformed EXIF: ignore it, as viewers do
        return None
    return value if isinstance(value, int) else None


def _orientation_from_exif_bytes(raw: bytes | None) -> int | None:
    if not raw:
        return None
    exif = Image.Exif()
    try:
        exif.load(raw if raw.startswith(b"Exif\0\0") else b"Exif\0\0" + raw)
    except Exception:
        return None
    value = exif.get(_ORIENTATION_TAG)
    return value if isinstance(value, int) else None


def _webp_is_lossless(data: bytes) -> bool:
    pos = 12
    while pos + 8 <= len(data):
        fourcc = data[pos : pos + 4]
        if fourcc == b"VP8L":
            return True
        if fourcc == b"VP8 ":
            return False
        if fourcc == b"ANMF":  # an animation frame: step into it (16-byte frame header, then sub-chunks)
            pos += 8 + 16
            continue
        size = struct.unpack_from("<I", data, pos + 4)[0]
        pos += 8 + size + (size & 1)
    return False


# ---- PIL images and numpy arrays


def _from_pil(im: Image.Image, origin: _Origin, max_side: int, notes: list[str]) -> InputImage:
    try:
        im.load()  # a lazily opened file may still fail here
    except Exception as exc:
        raise _damaged(origin, exc, None) from None
    w, h = im.size
    if w < MIN_SIDE or h < MIN_SIDE:
        _check_dimensions(w, h, origin)
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
    return _finish(
        im, origin, max_side, notes, lossless=True, full_size=(w, h), exif=isinstance(im, ImageFile.ImageFile)
    )


def _array_to_pil(arr: Any, origin: _Origin, notes: list[str]) -> Image.Image:
    import numpy as np

    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        hint = ""
        if arr.ndim == 3 and arr.shape[0] in (1, 3, 4):
            hint = " It looks channels-first: use np.moveaxis(arr, 0, -1)."
        elif arr.ndim == 4 and arr.shape[0] == 1:
            hint = " It looks like a batch of one: use arr[0]."
        raise origin.error(f"has shape {arr.shape}; expected HxW (gray), HxWx3 (RGB) or HxWx4 (RGBA).{hint}")
    if arr.shape[0] < MIN_SIDE or arr.shape[1] < MIN_SIDE:
        _check_dimensions(arr.shape[1], arr.shape[0], origin)
    # kind/itemsize rather than == np.uint16, so big-endian arrays (from FITS, TIFF readers) count too.
    kind, size = arr.dtype.kind, arr.dtype.itemsize
    if kind == "u" and size == 1:
        out = arr
    elif kind == "b":
        out = arr.astype(np.uint8) * 255
        notes.append("converted a boolean mask to black (False) and white (True)")
    elif kind == "u" and size == 2:
        out = _scale_16_to_8(arr)
        notes.append("scaled uint16 values (0-65535) to 8-bit")
    elif kind == "f":
        lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
        if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0.0 or hi > 1.0:
            raise origin.error(
                f"is a float array with values in [{lo:g}, {hi:g}]; float images must be in [0, 1] "
                f"without NaN. Divide 0-255 data by 255, or use np.clip(arr, 0, 1)."
            )
        out = np.rint(arr.astype(np.float64) * 255.0).astype(np.uint8)
        notes.append("scaled float values in [0, 1] to 8-bit")
    else:
        raise origin.error(
            f"has dtype {arr.dtype}; supported dtypes are uint8, bool, uint16 and float in [0, 1]. If the "
            f"values are 0-255, use arr.astype(np.uint8)."
        )
    return Image.fromarray(np.ascontiguousarray(out))  # uint8 HxW / HxWx3 / HxWx4 -> L / RGB / RGBA


def _scale_16_to_8(a: Any) -> Any:
    import numpy as np

    # Round(v * 255 / 65535) in integers: 65535 -> 255, 32768 -> 128, 0 -> 0. Never clip.
    return ((a.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


# ---- normalisation shared by every decoded path


def _finish(
    im: Image.Image,
    origin: _Origin,
    max_side: int,
    notes: list[str],
    *,
    lossless: bool,
    full_size: tuple[int, int],
    exif: bool,
) -> InputImage:
    icc = im.info.get("icc_profile") or None
    orientation = _orientation(im) if exif else None
    ow, oh = full_size
    if orientation in _ORIENTATIONS:
        im = ImageOps.exif_transpose(im)
        notes.append(f"applied EXIF rotation (orientation {orientation}: {_ORIENTATIONS[orientation]})")
        if orientation >= 5:
            ow, oh = oh, ow
    im, icc = _standard_mode(im, notes, icc)
    if max(ow, oh) > max_side:
        nw, nh = _fit(ow, oh, max_side)
        if min(nw, nh) < MIN_SIDE:
            raise origin.error(
                f"is {ow}x{oh} pixels: downscaled to {max_side} px on the long side it would be {nw}x{nh}, "
                f"under {MIN_SIDE} px. Crop it to a less extreme aspect ratio, or pass a larger max_side."
            )
        im = im.resize((nw, nh), Image.Resampling.LANCZOS, reducing_gap=3.0)
        notes.append(f"downscaled {ow}x{oh} -> {nw}x{nh}")
    data, mime = _encode(im, lossless=lossless, icc=icc)
    return InputImage(
        data=data,
        mime=mime,
        sha256=hashlib.sha256(data).hexdigest(),
        width=im.width,
        height=im.height,
        source=origin.source,
        notes=tuple(notes),
    )


def _fit(w: int, h: int, max_side: int) -> tuple[int, int]:
    scale = max_side / max(w, h)
    if w >= h:
        return max_side, max(1, round(h * scale))
    return max(1, round(w * scale)), max_side


def _standard_mode(im: Image.Image, notes: list[str], icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """Bring any mode to L, RGB or RGBA, saying what was done."""
    mode = im.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        im = _high_depth_to_l(im, notes)
    elif mode == "1":
        im = im.convert("L")
        notes.append("converted 1-bit black and white to 8-bit grayscale")
    elif mode == "CMYK":
        im = _cmyk_to_rgb(im, icc, notes)
        icc = None  # the CMYK profile no longer describes the pixels
    elif mode in ("P", "PA"):
        target = "RGBA" if im.has_transparency_data else "RGB"
        im = im.convert(target)
        notes.append(
            f"converted palette image to {target}" + (" (it has transparency)" if target == "RGBA" else "")
        )
    elif mode in ("LA", "La"):
        im = im.convert("RGBA")
        notes.append("converted grayscale+alpha to RGBA")
    elif mode == "RGBa":
        im = im.convert("RGBA")
    elif mode in ("L", "RGB") and "transparency" in im.info:
        im = im.convert("RGBA")
        notes.append(f"converted {mode} with a transparent colour to RGBA")
    elif mode not in ("L", "RGB", "RGBA"):
        im = im.convert("RGB")
        notes.append(f"converted {mode} to RGB")
    if icc and icc[16:20] != (b"GRAY" if im.mode == "L" else b"RGB "):
        icc = None  # a profile for another colour space would mis-describe the pixels
    return im, icc


def _high_depth_to_l(im: Image.Image, notes: list[str]) -> Image.Image:
    import numpy as np

    a = np.asarray(im)
    if im.mode.startswith("I;16"):
        out = _scale_16_to_8(a)
        notes.append("scaled 16-bit grayscale to 8-bit")
        return Image.fromarray(out)
    lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    if im.mode == "F" and lo >= 0.0 and hi <= 1.0:
        out = np.rint(a.astype(np.float64) * 255.0).astype(np.uint8)
        notes.append("scaled 32-bit float grayscale in [0, 1] to 8-bit")
    elif im.mode == "I" and lo >= 0 and hi <= 255:
        out = a.astype(np.uint8)
        notes.append("converted 32-bit integer grayscale (values 0-255) to 8-bit")
    elif im.mode == "I" and lo >= 0 and hi <= 65535:
        out = _scale_16_to_8(a)
        notes.append("scaled 16-bit grayscale to 8-bit")
    else:
        span = (hi - lo) or 1.0
        clean = np.nan_to_num(a.astype(np.float64), nan=lo, posinf=hi, neginf=lo)
        out = np.rint((clean - lo) * (255.0 / span)).astype(np.uint8)
        notes.append(f"stretched {im.mode} grayscale values {lo:g}..{hi:g} to 8-bit")
    return Image.fromarray(out)


def _cmyk_to_rgb(im: Image.Image, icc: bytes | None, notes: list[str]) -> Image.Image:
    if icc and icc[16:20] == b"CMYK":
        try:
            from PIL import ImageCms

            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out = ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
            if out is not None:
                notes.append("converted CMYK to RGB (using its ICC profile)")
                return out
        except Exception:  # no littlecms or a broken profile: the plain conversion below still works
            pass
    notes.append("converted CMYK to RGB")
    return im.convert("RGB")


def _encode(im: Image.Image, *, lossless: bool, icc: bytes | None) -> tuple[bytes, str]:
    """Encode deterministically: fixed options, no timestamps, and only the metadata passed here.

    Every option is explicit so nothing leaks in from ``im.info`` (Pillow would copy a JPEG comment or a
    PNG ICC profile from it).
    """
    buf = io.BytesIO()
    if lossless or im.mode == "RGBA":
        # Level 3, not zlib's default 6: about 3x faster on photos for ~8% more bytes (measured on a
        # 1024x1024 photo: 80 ms vs 255 ms), which the upload time more than pays back.
        im.save(buf, "PNG", optimize=False, compress_level=3, icc_profile=icc or b"", transparency=None)
        return buf.getvalue(), "image/png"
    im.save(
        buf,
        "JPEG",
        quality=JPEG_QUALITY,
        subsampling="4:2:0",
        optimize=False,
        progressive=False,
        icc_profile=icc or b"",
        exif=b"",
        comment=b"",
    )
    return buf.getvalue(), "image/jpeg"


# --------------------------------------------------------------------------------------------------------
# sniff_mime and header parsing


def sniff_mime(data: bytes) -> str | None:
    """Identify an image format from its first bytes (magic numbers), without decoding.

    Parameters
    ----------
    data : bytes
        The file's bytes (only the first few hundred are looked at).

    Returns
    -------
    str or None
        ``"image/png"``, ``"image/jpeg"``, ``"image/webp"``, ``"image/gif"``, ``"image/bmp"``,
        ``"image/tiff"``, ``"image/heic"``, ``"image/heif"`` or ``"image/avif"``; ``None`` otherwise.

    Examples
    --------
    >>> sniff_mime(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8))
    'image/png'
    >>> sniff_mime(b"hello") is None
    True
    """
    head = bytes(data[:256])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    # "BM" alone is too weak (text can start with it); the DIB header size narrows it down.
    if head[:2] == b"BM" and len(head) >= 18 and struct.unpack_from("<I", head, 14)[0] in _DIB_SIZES:
        return "image/bmp"
    if head[:4] in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"):
        return "image/tiff"
    if head[4:8] == b"ftyp" and len(head) >= 12:
        return _sniff_isobmff(head)
    return None


_DIB_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"mif2"})


def _sniff_isobmff(head: bytes) -> str | None:
    size = struct.unpack_from(">I", head, 0)[0]
    major = head[8:12]
    compatible = {head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)}
    for brands in ({major}, compatible):
        if brands & _AVIF_BRANDS:
            return "image/avif"
        if brands & _HEIC_BRANDS:
            return "image/heic"
    if ({major} | compatible) & _HEIF_BRANDS:
        return "image/heif"
    return None


def _header_size(data: bytes) -> tuple[int, int] | None:
    """Pixel size from the header alone, for messages about images too big to open."""
    try:
        mime = sniff_mime(data)
        if mime == "image/png" and data[12:16] == b"IHDR":
            return struct.unpack_from(">II", data, 16)
        if mime == "image/gif":
            return struct.unpack_from("<HH", data, 6)
        if mime == "image/bmp":
            if struct.unpack_from("<I", data, 14)[0] == 12:
                return struct.unpack_from("<HH", data, 18)
            w, h = struct.unpack_from("<ii", data, 18)
            return abs(w), abs(h)
        if mime == "image/webp":
            fourcc = data[12:16]
            if fourcc == b"VP8X":
                w = int.from_bytes(data[24:27], "little") + 1
                return w, int.from_bytes(data[27:30], "little") + 1
            if fourcc == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if fourcc == b"VP8 ":
                w, h = struct.unpack_from("<HH", data, 26)
                return w & 0x3FFF, h & 0x3FFF
        if mime == "image/jpeg":
            for marker, start, end in _jpeg_segments(data):
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and end - start >= 9:
                    h, w = struct.unpack_from(">HH", data, start + 5)
                    return w, h
    except struct.error:
        pass
    return None


# --------------------------------------------------------------------------------------------------------
# PNG and JPEG structure


@dataclass
class _PngScan:
    bit_depth: int = 0
    animated: bool = False
    complete: bool = False  # IEND reached and every chunk whole
    crc_ok: bool = True
    exif: bytes | None = None


def _png_chunks(buf: Any) -> Iterator[tuple[bytes, int, int]]:
    """Yield ``(type, start, end)`` for each whole chunk; chunk data is ``buf[start + 8 : end - 4]``.

    Stops after IEND or at the first incomplete chunk (a truncated file).
    """
    pos, n = 8, len(buf)
    while pos + 12 <= n:
        length, ctype = struct.unpack_from(">I4s", buf, pos)
        end = pos + 12 + length
        if end > n:
            return
        yield ctype, pos, end
        if ctype == b"IEND":
            return
        pos = end


def _png_scan(data: bytes) -> _PngScan:
    scan = _PngScan()
    if data[12:16] == b"IHDR":
        scan.bit_depth = data[24]
    view = memoryview(data)
    with view:
        for ctype, start, end in _png_chunks(view):
            if zlib.crc32(view[start + 4 : end - 4]) != struct.unpack_from(">I", data, end - 4)[0]:
                scan.crc_ok = False
            if ctype == b"acTL":
                num_frames = struct.unpack_from(">I", data, start + 8)[0] if end - start >= 16 else 1
                scan.animated = num_frames > 1
            elif ctype == b"eXIf":
                scan.exif = data[start + 8 : end - 4]
            elif ctype == b"IEND":
                scan.complete = True
    return scan


_PNG_TEXT = (b"tEXt", b"zTXt", b"iTXt")


def _is_our_text(buf: Any, ctype: bytes, start: int, end: int) -> bool:
    n = len(_KEY_B) + 1
    return ctype in _PNG_TEXT and end - start - 12 >= n and buf[start + 8 : start + 8 + n] == _KEY_B + b"\0"


def _png_text_value(ctype: bytes, payload: bytes) -> str:
    rest = payload.partition(b"\0")[2]
    if ctype == b"tEXt":
        return rest.decode("latin-1")
    if ctype == b"zTXt":
        return _inflate(rest[1:]).decode("latin-1")
    compressed = rest[0] == 1
    rest = rest[2:].partition(b"\0")[2]  # language tag
    text = rest.partition(b"\0")[2]  # translated keyword
    return (_inflate(text) if compressed else text).decode("utf-8")


def _inflate(data: bytes, limit: int = 16 << 20) -> bytes:
    # Bounded, so a hostile text chunk cannot inflate to gigabytes.
    return zlib.decompressobj().decompress(data, limit)


def _jpeg_segments(buf: Any) -> Iterator[tuple[int, int, int]]:
    """Yield ``(marker, start, end)`` for the header segments, up to and including SOS.

    ``start`` is the offset of the 0xFF byte, ``end`` one past the segment. Entropy-coded data after SOS
    is never scanned, so this costs a handful of steps however big the image is.
    """
    pos, n = 2, len(buf)
    while pos + 4 <= n:
        if buf[pos] != 0xFF:
            return
        while pos + 1 < n and buf[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        if pos + 4 > n:
            return
        marker = buf[pos + 1]
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # standalone markers carry no length
            pos += 2
            continue
        if marker == 0xD9:
            return
        end = pos + 2 + struct.unpack_from(">H", buf, pos + 2)[0]
        if end > n:
            return
        yield marker, pos, end
        if marker == 0xDA:
            return
        pos = end


def _splice(data: bytes, cuts: list[tuple[int, int]], at: int | None, insert: bytes) -> bytes:
    """``data`` without the ``cuts`` ranges and with ``insert`` at offset ``at``, in one copy.

    ``at`` is an offset in the original ``data`` on a chunk/segment boundary (never inside a cut); with
    ``at=None`` nothing is inserted.
    """
    view = memoryview(data)
    parts: list[Any] = []
    pos, pending = 0, at is not None
    for start, end in sorted(cuts):
        if pending and at is not None and at <= start:
            parts += [view[pos:at], insert]
            pos, pending = at, False
        parts.append(view[pos:start])
        pos = end
    if pending and at is not None:
        parts += [view[pos:at], insert]
        pos = at
    parts.append(view[pos:])
    return b"".join(parts)


# --------------------------------------------------------------------------------------------------------
# Metadata


def embed_metadata(data: bytes, mime: str, meta: Mapping[str, Any]) -> bytes:
    """Store ``meta`` as JSON inside a PNG or JPEG, without touching the pixels.

    The image is not decoded: only bytes are spliced, so this costs microseconds even for large files.
    Embedding again replaces the earlier entry rather than adding a second one.

    * **PNG** — an uncompressed ``iTXt`` chunk with keyword :data:`METADATA_KEY`, placed right after
      ``IHDR``. There it is found without scanning the image data, and Pillow's lazy ``Image.open``
      already exposes it as ``im.info[METADATA_KEY]`` (text chunks after the image data only appear after
      a full decode). Earlier ``tEXt``/``zTXt``/``iTXt`` chunks with our keyword are removed.
    * **JPEG** — a comment (``COM``) segment holding ``METADATA_KEY + "\\0" + json``, placed after the
      leading ``APPn`` segments so JFIF/EXIF stay where readers expect them. A segment holds at most
      65,533 bytes: longer JSON has its longest strings (usually the prompt) shortened, ending in "…", and
      gets ``"truncated": true``.
    * **Anything else** (WEBP, GIF, ...) — returned unchanged.

    Parameters
    ----------
    data : bytes
        The encoded image.
    mime : str
        Its declared type. The bytes' own signature decides the container, so an image labelled with the
        wrong type is still handled correctly.
    meta : Mapping
        JSON-serialisable values; others (dates, paths, ...) are stored as ``str(value)``.

    Returns
    -------
    bytes
        The image with the metadata inside.

    Examples
    --------
    >>> png = embed_metadata(png, "image/png", {"prompt": "a cat", "seed": 7})   # doctest: +SKIP
    >>> read_metadata(png)                                                       # doctest: +SKIP
    {'prompt': 'a cat', 'seed': 7}
    """
    data = data if isinstance(data, bytes) else bytes(data)
    layout = _layout(data)
    if layout is None:
        return data
    kind, cuts, at = layout
    if kind == "png":
        payload = _KEY_B + b"\0\0\0\0\0" + _dumps(meta).encode("utf-8")  # flag, method, no lang, no key
        crc = zlib.crc32(b"iTXt" + payload)
        insert = struct.pack(">I", len(payload)) + b"iTXt" + payload + struct.pack(">I", crc)
    else:
        head = _KEY_B + b"\0"
        payload = head + _fit_json(meta, 65533 - len(head)).encode("utf-8")
        insert = b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload
    return _splice(data, cuts, at, insert)


def strip_metadata(data: bytes, mime: str) -> bytes:
    """Remove what :func:`embed_metadata` added, giving back the original bytes exactly.

    ``strip_metadata(embed_metadata(x, mime, meta), mime) == x`` for any PNG or JPEG ``x`` that did not
    already carry our entry, so a stored file can be checked against the SHA-256 of the bytes the
    provider sent.

    Parameters
    ----------
    data : bytes
        A PNG or JPEG (anything else is returned unchanged).
    mime : str
        Its declared type; as in :func:`embed_metadata`, the bytes' signature decides.

    Returns
    -------
    bytes
    """
    data = data if isinstance(data, bytes) else bytes(data)
    layout = _layout(data)
    if layout is None or not layout[1]:
        return data
    return _splice(data, layout[1], None, b"")


def _layout(data: bytes) -> tuple[str, list[tuple[int, int]], int] | None:
    """``(container, ranges holding our metadata, where a new entry goes)``, or None for other formats."""
    kind = sniff_mime(data)
    if kind == "image/png" and data[12:16] == b"IHDR":
        cuts = [(s, e) for t, s, e in _png_chunks(data) if _is_our_text(data, t, s, e)]
        return "png", cuts, 33  # 33 = signature (8) + IHDR chunk (25): always the first chunk
    if kind == "image/jpeg":
        head = _KEY_B + b"\0"
        at, cuts, leading = 2, [], True
        for marker, start, end in _jpeg_segments(data):
            if leading and 0xE0 <= marker <= 0xEF:
                at = end
            else:
                leading = False
            if marker == 0xFE and data[start + 4 : start + 4 + len(head)] == head:
                cuts.append((start, end))
        return "jpeg", cuts, at
    return None


def read_metadata(src: str | os.PathLike[str] | bytes) -> dict[str, Any] | None:
    """Read the metadata :func:`embed_metadata` stored, from a file or bytes.

    Also finds the PNG entry after Pillow re-saved the file with it in a ``PngInfo`` (as ``tEXt``,
    ``zTXt`` or ``iTXt``). Files are memory-mapped, so only the header pages are read from disk.

    Parameters
    ----------
    src : str, os.PathLike or bytes
        A file path, or the image bytes.

    Returns
    -------
    dict or None
        The stored dict; ``None`` when there is none (or it is not valid JSON), or the data is not a
        PNG/JPEG.

    Raises
    ------
    ImageInputError
        When the file does not exist or cannot be read.
    """
    if isinstance(src, bytes | bytearray | memoryview):
        return _read_meta(bytes(src))
    path = Path(os.fsdecode(src)).expanduser()
    full = os.path.abspath(path)
    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                return None
            try:
                mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):  # not mappable (pipes, some network filesystems)
                return _read_meta(fh.read())
            with mm:
                return _read_meta(mm)
    except FileNotFoundError:
        raise ImageInputError(
            f"No such file: {full!r}. Check the path; relative paths are relative to the current "
            f"directory ({os.getcwd()})."
        ) from None
    except OSError as exc:
        raise ImageInputError(f"{full!r} cannot be read ({exc.strerror or exc}). Check the path.") from None


def _read_meta(buf: Any) -> dict[str, Any] | None:
    head = bytes(buf[:16])
    text: str | None = None
    try:
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            for ctype, start, end in _png_chunks(buf):
                if _is_our_text(buf, ctype, start, end):
                    text = _png_text_value(ctype, bytes(buf[start + 8 : end - 4]))
                    break
        elif head.startswith(b"\xff\xd8\xff"):
            prefix = _KEY_B + b"\0"
            for marker, start, end in _jpeg_segments(buf):
                if marker == 0xFE and buf[start + 4 : start + 4 + len(prefix)] == prefix:
                    text = bytes(buf[start + 4 + len(prefix) : end]).decode("utf-8")
                    break
        if text is None:
            return None
        value = json.loads(text)
    except (ValueError, zlib.error, IndexError, struct.error):
        return None
    return value if isinstance(value, dict) else None


def _dumps(meta: Mapping[str, Any]) -> str:
    if not isinstance(meta, Mapping):
        raise TypeError(f"meta must be a dict, not {type(meta).__name__}")
    return json.dumps(dict(meta), ensure_ascii=False, separators=(",", ":"), default=str)


def _fit_json(meta: Mapping[str, Any], limit: int) -> str:
    """JSON for ``meta`` in at most ``limit`` UTF-8 bytes, shortening the longest strings if needed."""
    text = _dumps(meta)
    if len(text.encode("utf-8")) <= limit:
        return text
    obj = json.loads(text)  # a plain-JSON deep copy we may edit
    obj["truncated"] = True
    for _ in range(100):
        text = _dumps(obj)
        over = len(text.encode("utf-8")) - limit
        if over <= 0:
            return text
        holder, key, value = _longest_string(obj)
        if holder is None or len(value) <= 64:
            break
        # Each character dropped removes at least one byte, so cutting `over` (+ room for "…") suffices
        # unless an escape sequence sits in the cut; the loop handles that case.
        holder[key] = value[: max(32, len(value) - over - 8)] + "…"
    small = {k: v for k, v in obj.items() if len(_dumps({k: v})) <= 256}
    small["truncated"] = True
    text = _dumps(small)
    return text if len(text.encode("utf-8")) <= limit else '{"truncated":true}'


def _longest_string(obj: Any) -> tuple[Any, Any, str]:
    best: tuple[Any, Any, str] = (None, None, "")
    stack = [obj]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if isinstance(value, str):
                if len(value) > len(best[2]):
                    best = (node, key, value)
            elif isinstance(value, dict | list):
                stack.append(value)
    return best
