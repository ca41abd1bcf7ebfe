"""Encoded bytes to an :class:`InputImage`: the unchanged fast path, or a checked decode and re-encode."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import warnings

from PIL import Image

from .checks import Origin, check_dimensions, damaged, refuse_non_image, too_many_pixels
from .containers import png_scan, webp_is_lossless
from .input_image import InputImage
from .normalise import ORIENTATIONS, finish, fit_size, orientation, orientation_from_exif_bytes
from .sniff import header_size, sniff_mime

__all__ = ["from_bytes", "open_image"]


# Formats whose pixels went through a lossy codec: re-encoding them as PNG would only make them bigger.
_LOSSY_FORMATS = frozenset({"JPEG", "MPO", "HEIF", "AVIF", "JPEG2000"})
# Formats the API accepts as they are; MPO is a JPEG with extra preview images appended (many cameras).
_FAST_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "MPO": "image/jpeg", "WEBP": "image/webp"}
_HEIF_MIMES = frozenset({"image/heic", "image/heif", "image/avif"})


def from_bytes(data: bytes, origin: Origin, max_side: int) -> InputImage:
    """An :class:`InputImage` from an encoded file's bytes (a path's contents, a data URL, an earlier output).

    The original bytes are kept when the headers show a complete 8-bit PNG, JPEG or WEBP that fits
    ``max_side`` and needs no EXIF rotation; anything else is decoded (the first frame of an animation)
    and normalised by :func:`~toolkit.images.normalise.finish`.

    Examples
    --------
    >>> from toolkit.images.checks import origin_for
    >>> from toolkit.samples import sample_path
    >>> data = sample_path("rocket").read_bytes()
    >>> from_bytes(data, origin_for("rocket.jpg"), 3072).data == data
    True
    >>> from_bytes(data, origin_for("rocket.jpg"), 320).notes
    ('downscaled 640x427 -> 320x214',)
    """
    if not data:
        raise origin.error("is empty (0 bytes). Pass the bytes of an image file.")
    mime = sniff_mime(data)
    if mime in _HEIF_MIMES:
        _enable_heif(mime, origin)
    elif mime is None:
        refuse_non_image(data, origin)
    im = open_image(data, origin, mime)
    with im:
        w, h = im.size
        check_dimensions(w, h, origin)
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
        lossless = fmt not in _LOSSY_FORMATS and not (fmt == "WEBP" and not webp_is_lossless(data))

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
            tw, th = fit_size(w, h, max_side)
            im.draft(None, (tw, th))
        try:
            im.load()
        except Exception as exc:
            raise damaged(origin, exc, mime) from None
        return finish(im, origin, max_side, notes, lossless=lossless, full_size=(w, h), exif=True)


def open_image(data: bytes, origin: Origin, mime: str | None) -> Image.Image:
    """Open lazily: this reads the header only, so the size is known before any pixel is allocated."""
    try:
        with warnings.catch_warnings():
            # Between Pillow's warning and error thresholds we decide ourselves (see MAX_PIXELS).
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        size = header_size(data)
        if size is None:
            m = re.search(r"\((\d+) pixels\)", str(exc))
            pixels = int(m.group(1)) if m else None
            raise too_many_pixels(origin, None, pixels) from None
        raise too_many_pixels(origin, size, size[0] * size[1]) from None
    except Exception as exc:
        failure = exc
    # Raised outside the except block so the message is not followed by Pillow's traceback.
    if mime is None:
        refuse_non_image(data, origin, force=True)
    raise damaged(origin, failure, mime)


def _enable_heif(mime: str, origin: Origin) -> None:
    from PIL import features

    if mime == "image/avif" and features.check("avif"):
        return  # Pillow >= 11.2 reads AVIF natively
    try:
        import pillow_heif
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
    im: Image.Image, data: bytes, fmt: str, max_side: int, origin: Origin
) -> tuple[bool, str | None]:
    """Can ``data`` be sent unchanged? Decided from headers; returns ``(ok, note for the slow path)``."""
    if fmt not in _FAST_FORMATS or im.mode not in ("L", "RGB", "RGBA") or max(im.size) > max_side:
        return False, None
    if fmt == "PNG":
        scan = png_scan(data)
        # Pillow maps 16-bit RGB(A) and 2/4-bit gray to 8-bit modes, so the mode alone does not tell.
        if scan.bit_depth != 8 or scan.animated:
            return False, None
        if not scan.complete:
            # The decode on the slow path decides whether what is there is usable.
            return False, "re-encoded because the file ends early (no IEND chunk)"
        if not scan.crc_ok:
            return False, "re-encoded because the file has damaged chunks (bad CRC)"
        turn = orientation_from_exif_bytes(scan.exif)
    else:
        if fmt == "WEBP" and getattr(im, "n_frames", 1) > 1:
            return False, None
        turn = orientation(im)
        if not _looks_complete(data, fmt):
            _validate_by_decoding(data, origin, fmt)
    return turn not in ORIENTATIONS, None


def _looks_complete(data: bytes, fmt: str) -> bool:
    if fmt == "WEBP":
        return struct.unpack_from("<I", data, 4)[0] + 8 <= len(data)
    # A JPEG ends with EOI; some writers pad with zeros after it.
    return data[-64:].rstrip(b"\0").endswith(b"\xff\xd9")


def _validate_by_decoding(data: bytes, origin: Origin, fmt: str) -> None:
    """Decode once to prove the file is whole (JPEG at 1/8 scale: reads all data, little IDCT work)."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            if fmt in ("JPEG", "MPO"):
                im.draft(None, (max(1, im.width // 8), max(1, im.height // 8)))
            im.load()
    except Exception as exc:
        raise damaged(origin, exc, sniff_mime(data)) from None
