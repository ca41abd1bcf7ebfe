"""Image helpers for the views: thumbnails, JPEG/PNG bytes, fitting into a canvas, and canvas strokes."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw


def thumbnail(img: Image.Image, max_side: int) -> Image.Image:
    """An RGB copy no larger than ``max_side`` on its longer side.

    Examples
    --------
    >>> from PIL import Image
    >>> thumbnail(Image.new("RGB", (1000, 500)), 200).size
    (200, 100)
    """
    out = img.convert("RGB")  # convert copies, so the caller's image is never resized in place
    out.thumbnail((max_side, max_side))
    return out


def jpeg_bytes(img: Image.Image, quality: int = 85) -> bytes:
    """JPEG bytes of ``img`` (for ``ipywidgets.Image`` views: small and quick to send).

    Examples
    --------
    >>> from PIL import Image
    >>> jpeg_bytes(Image.new("RGB", (8, 8)))[:2]
    b'\\xff\\xd8'
    """
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def png_bytes(img: Image.Image) -> bytes:
    """PNG bytes of ``img``.

    Examples
    --------
    >>> from PIL import Image
    >>> png_bytes(Image.new("RGB", (8, 8)))[:4]
    b'\\x89PNG'
    """
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def fit_into(img: Image.Image, size: tuple[int, int], background: str = "white") -> tuple[Image.Image, tuple[int, int]]:
    """``img`` scaled to fit ``size`` (aspect kept), centred on a ``background`` canvas.

    Returns
    -------
    (PIL.Image.Image, (int, int))
        The new image and where the scaled picture's top-left corner landed.

    Examples
    --------
    >>> from PIL import Image
    >>> out, at = fit_into(Image.new("RGB", (100, 50), "red"), (200, 200))
    >>> out.size, at
    ((200, 200), (0, 50))
    """
    W, H = size
    src = img.convert("RGBA") if img.mode in ("RGBA", "LA", "P") else img.convert("RGB")
    k = min(W / src.width, H / src.height)
    scaled = src.resize((max(1, round(src.width * k)), max(1, round(src.height * k))), Image.Resampling.LANCZOS)
    out = Image.new("RGB", size, background)
    at = ((W - scaled.width) // 2, (H - scaled.height) // 2)
    out.paste(scaled, at, scaled if scaled.mode == "RGBA" else None)
    return out, at


def draw_stroke(img: Image.Image, points: Sequence[tuple[float, float]], colour: str = "#000000",
                width: int = 4) -> None:
    """Draw a polyline with round caps and joins on ``img`` in place (the canvas mirror).

    Matches what an HTML canvas draws with ``lineCap = lineJoin = "round"``, so the PNG sent to the
    model shows the same strokes as the browser. A single point draws a dot.

    Examples
    --------
    >>> from PIL import Image
    >>> im = Image.new("RGB", (20, 20), "white")
    >>> draw_stroke(im, [(2, 10), (18, 10)], "#000000", 3)
    >>> im.getpixel((10, 10))
    (0, 0, 0)
    """
    if not points:
        return
    draw = ImageDraw.Draw(img)
    pts = [(float(px), float(py)) for px, py in points]
    if len(pts) > 1:
        draw.line(pts, fill=colour, width=max(1, int(width)))
    r = max(0.5, width / 2)
    for px, py in pts:  # round caps and joins; PIL's own joint="curve" leaves the ends square
        draw.ellipse((px - r + 0.5, py - r + 0.5, px + r - 0.5, py + r - 0.5), fill=colour)
