"""Where an input came from, and the checks that refuse it with a message naming the input and the fix."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import UnidentifiedImageError

from ..errors import ImageInputError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "MIN_SIDE",
    "Origin",
    "check_dimensions",
    "damaged",
    "origin_for",
    "refuse_non_image",
    "too_large_file",
    "too_many_pixels",
]


MIN_SIDE: int = 8
"""Images with a side shorter than this are refused."""

# Pillow raises DecompressionBombError above twice its MAX_IMAGE_PIXELS default (89,478,485); we use the
# same figure as a fixed limit so that it also holds when a notebook has disabled Pillow's check.
MAX_PIXELS: int = 178_956_970
"""Images with more pixels than this (about 179 megapixels) are refused before decoding."""

MAX_FILE_BYTES: int = 100_000_000
"""Input files larger than this (100 MB) are refused before they are read, and no more than this is read.

Far above any photo or export a model takes (the Gemini API's whole inline request is limited to 20 MB, and
inputs are downscaled to ``max_side`` before sending); it stops a huge or endless file (``/dev/zero``, a file
still growing) from filling memory.
"""

_SUPPORTED = "PNG, JPEG, WEBP, GIF, BMP, TIFF, AVIF (HEIC with pillow-heif)"


@dataclass(frozen=True)
class Origin:
    """Where an input came from: the short name recorded on the result, and how messages name it."""

    source: str  # short name stored on the InputImage
    where: str  # how messages refer to it: the full quoted path for files

    def error(self, text: str) -> ImageInputError:
        """An :class:`~toolkit.errors.ImageInputError` that starts by naming the input."""
        return ImageInputError(f"{self.where} {text}")


def origin_for(source: str) -> Origin:
    """The :class:`Origin` of an input that is not a file (bytes, a PIL image, an array, ...).

    Examples
    --------
    >>> origin_for("bytes").error("is empty.")
    ImageInputError('Input image (bytes) is empty.')
    """
    return Origin(source, f"Input image ({source})")


def damaged(origin: Origin, exc: BaseException, mime: str | None) -> ImageInputError:
    """The error for an input that looks like an image (``mime`` from its signature) but fails to decode."""
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


def too_many_pixels(origin: Origin, size: tuple[int, int] | None, pixels: int | None) -> ImageInputError:
    """The error for an image over :data:`MAX_PIXELS`; ``size`` and ``pixels`` are shown when known."""
    dims = f"{size[0]}x{size[1]} pixels" if size else "very large"
    mp = f" ({pixels / 1e6:.0f} megapixels)" if pixels else ""
    return origin.error(
        f"is {dims}{mp}, more than the {MAX_PIXELS / 1e6:.0f}-megapixel limit for decoding (a "
        f"decompression-bomb guard). Downscale it first, e.g. to 4096 px on the long side, with an image "
        f"editor or `vips thumbnail in.png out.png 4096`."
    )


def too_large_file(origin: Origin, size: int | None) -> ImageInputError:
    """The error for a file over :data:`MAX_FILE_BYTES` (``size`` when known; None: it grew past it while read)."""
    shown = f"{size / 1e6:.0f} MB" if size is not None else "larger than the limit (it grew while being read)"
    return origin.error(
        f"is {shown}; input files over {MAX_FILE_BYTES / 1e6:.0f} MB are not read (MAX_FILE_BYTES). Re-export "
        f"it as JPEG or PNG at the size you need (the models take at most a few megapixels), or pass a smaller file."
    )


def check_dimensions(w: int, h: int, origin: Origin) -> None:
    """Raise unless ``w`` and ``h`` are at least :data:`MIN_SIDE` and ``w * h`` at most :data:`MAX_PIXELS`.

    Examples
    --------
    >>> check_dimensions(4, 300, origin_for("bytes"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    toolkit.errors.ImageInputError: Input image (bytes) is 4x300 pixels; images need at least 8 px per side...
    """
    if w < MIN_SIDE or h < MIN_SIDE:
        raise origin.error(
            f"is {w}x{h} pixels; images need at least {MIN_SIDE} px per side. Use a larger image."
        )
    if w * h > MAX_PIXELS:
        raise too_many_pixels(origin, (w, h), w * h)


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


def refuse_non_image(data: bytes, origin: Origin, *, force: bool = False) -> None:
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
