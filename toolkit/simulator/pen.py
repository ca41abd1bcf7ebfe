"""The drawing kit for nouns: a :class:`Pen` working in unit coordinates on a supersampled tile.

Each noun is drawn in its own unit box (x in ``0..aspect``, y in ``0..1``, y = 1 is where it touches the
ground). The drawers in :mod:`.creatures`, :mod:`.nature` and :mod:`.objects` all have the signature
:data:`Drawer`; :mod:`.shapes` lists them and renders the tiles.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from .palette import RGB

__all__ = [
    "BRIGHT",
    "MARGIN",
    "SKIN",
    "SUPERSAMPLE",
    "Ctx",
    "Drawer",
    "Pen",
    "bezier",
    "ellipse_points",
    "heart_points",
    "pick",
    "star_points",
]


SUPERSAMPLE = 2
"""Tiles are drawn at this multiple of the output size, then reduced (anti-aliasing)."""

MARGIN = 0.12
"""Tile margin around the unit box, in units, so rays, steam and flames may leave the box."""


class Pen:
    """Draws in unit coordinates on a supersampled tile, lighting colours by an ambient multiplier.

    Opaque shapes are written straight onto the tile; translucent ones (shadows, highlights, steam) go
    through a scratch layer and ``alpha_composite``, because ImageDraw on an RGBA image replaces pixels
    rather than blending them.
    """

    def __init__(self, tile: Image.Image, scale: float, ambient: tuple[float, float, float]):
        self.im = tile
        self.d = ImageDraw.Draw(tile)
        self.k = scale
        self.ambient = ambient

    def xy(self, x: float, y: float) -> tuple[float, float]:
        """Tile pixel coordinates of unit point (x, y)."""
        return ((x + MARGIN) * self.k, (y + MARGIN) * self.k)

    def box(self, cx: float, cy: float, rx: float, ry: float) -> tuple[float, float, float, float]:
        """Pixel bounding box of an ellipse given in units."""
        x0, y0 = self.xy(cx - rx, cy - ry)
        x1, y1 = self.xy(cx + rx, cy + ry)
        return (x0, y0, x1, y1)

    def c(self, colour: RGB, alpha: int = 255, glow: bool = False) -> tuple[int, int, int, int]:
        """RGBA ink for ``colour``, lit by the ambient light unless ``glow``."""
        # Emissive things (sun, lit windows, flames) ignore the ambient light so night scenes glow.
        if glow:
            return (*colour, alpha)
        r, g, b = (int(min(255, max(0, c * a))) for c, a in zip(colour, self.ambient, strict=True))
        return (r, g, b, alpha)

    def w(self, width: float) -> int:
        """A stroke width in units as whole pixels (at least 1)."""
        return max(1, round(width * self.k))

    def _layer(self, alpha: int) -> tuple[ImageDraw.ImageDraw, Image.Image | None]:
        if alpha >= 255:
            return self.d, None
        layer = Image.new("RGBA", self.im.size, (0, 0, 0, 0))
        return ImageDraw.Draw(layer), layer

    def _commit(self, layer: Image.Image | None) -> None:
        if layer is not None:
            self.im.alpha_composite(layer)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, fill: RGB, *, alpha: int = 255,
                glow: bool = False, angle: float = 0.0) -> None:
        """Filled ellipse centred at (cx, cy) with radii rx, ry, optionally rotated by ``angle`` degrees."""
        if angle:
            self.poly(ellipse_points(cx, cy, rx, ry, angle), fill, alpha=alpha, glow=glow)
            return
        d, layer = self._layer(alpha)
        d.ellipse(self.box(cx, cy, rx, ry), fill=self.c(fill, alpha, glow))
        self._commit(layer)

    def ring(self, cx: float, cy: float, rx: float, ry: float, fill: RGB, width: float, *, glow: bool = False) -> None:
        """Ellipse outline."""
        self.d.ellipse(self.box(cx, cy, rx, ry), outline=self.c(fill, glow=glow), width=self.w(width))

    def erase_ellipse(self, cx: float, cy: float, rx: float, ry: float) -> None:
        """Make an elliptical area transparent again (crescents, scallops)."""
        self.d.ellipse(self.box(cx, cy, rx, ry), fill=(0, 0, 0, 0))

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: RGB, *, radius: float = 0.0,
             alpha: int = 255, glow: bool = False) -> None:
        """Filled rectangle, with rounded corners when ``radius`` > 0."""
        d, layer = self._layer(alpha)
        box = (*self.xy(x0, y0), *self.xy(x1, y1))
        if radius > 0:
            d.rounded_rectangle(box, radius=radius * self.k, fill=self.c(fill, alpha, glow))
        else:
            d.rectangle(box, fill=self.c(fill, alpha, glow))
        self._commit(layer)

    def poly(self, points: list[tuple[float, float]], fill: RGB, *, alpha: int = 255, glow: bool = False) -> None:
        """Filled polygon."""
        d, layer = self._layer(alpha)
        d.polygon([self.xy(x, y) for x, y in points], fill=self.c(fill, alpha, glow))
        self._commit(layer)

    def line(self, points: list[tuple[float, float]], fill: RGB, width: float, *, alpha: int = 255,
             glow: bool = False) -> None:
        """Polyline with round joints and caps, ``width`` in units."""
        d, layer = self._layer(alpha)
        ink = self.c(fill, alpha, glow)
        d.line([self.xy(x, y) for x, y in points], fill=ink, width=self.w(width), joint="curve")
        # Round caps: PIL lines end square, which looks cut off on thick strokes.
        r = width / 2
        for x, y in (points[0], points[-1]):
            d.ellipse(self.box(x, y, r, r), fill=ink)
        self._commit(layer)

    def pie(self, cx: float, cy: float, rx: float, ry: float, start: float, end: float, fill: RGB,
            *, glow: bool = False) -> None:
        """Filled pie slice between ``start`` and ``end`` degrees (clockwise from 3 o'clock)."""
        self.d.pieslice(self.box(cx, cy, rx, ry), start, end, fill=self.c(fill, glow=glow))

    def arc(self, cx: float, cy: float, rx: float, ry: float, start: float, end: float, fill: RGB,
            width: float, *, glow: bool = False) -> None:
        """Arc stroke between ``start`` and ``end`` degrees."""
        self.d.arc(self.box(cx, cy, rx, ry), start, end, fill=self.c(fill, glow=glow), width=self.w(width))

    def shadow(self, cx: float, rx: float, alpha: int = 60) -> None:
        """Soft contact shadow on the ground line (y = 1)."""
        self.ellipse(cx, 0.985, rx, 0.03, (0, 0, 0), alpha=alpha, glow=True)


def ellipse_points(cx: float, cy: float, rx: float, ry: float, angle: float = 0.0, n: int = 40
                   ) -> list[tuple[float, float]]:
    """Polygon points of a (rotated, degrees) ellipse."""
    a = math.radians(angle)
    ca, sa = math.cos(a), math.sin(a)
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        x, y = rx * math.cos(t), ry * math.sin(t)
        pts.append((cx + x * ca - y * sa, cy + x * sa + y * ca))
    return pts


def bezier(p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float], n: int = 16
           ) -> list[tuple[float, float]]:
    """Points along a quadratic Bezier curve."""
    out = []
    for i in range(n + 1):
        t = i / n
        u = 1 - t
        out.append((u * u * p0[0] + 2 * u * t * p1[0] + t * t * p2[0], u * u * p0[1] + 2 * u * t * p1[1] + t * t * p2[1]))
    return out


def star_points(cx: float, cy: float, r_out: float, r_in: float, n: int = 5) -> list[tuple[float, float]]:
    """Polygon points of an ``n``-pointed star, point up."""
    pts = []
    for i in range(2 * n):
        r = r_out if i % 2 == 0 else r_in
        a = -math.pi / 2 + math.pi * i / n
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return pts


def heart_points(cx: float, cy: float, r: float, n: int = 60) -> list[tuple[float, float]]:
    """Polygon points of the classic parametric heart curve."""
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        pts.append((cx + x * r / 17, cy - y * r / 17))
    return pts


def pick(rng: np.random.Generator, options: list[RGB]) -> RGB:
    """One of ``options``, chosen by ``rng``."""
    return options[int(rng.integers(len(options)))]


@dataclass
class Ctx:
    """What a drawer may want to know about the scene."""

    night: bool = False
    snow: bool = False
    variant: str = ""  # the word that selected the noun ("woman", "kitten", ...)


Drawer = Callable[[Pen, "RGB | None", np.random.Generator, Ctx], None]
"""A noun's drawer: ``(pen, colour or None for its own, rng, ctx)``; it draws in the noun's unit box."""

SKIN: list[RGB] = [(241, 200, 170), (224, 172, 130), (176, 122, 86), (120, 80, 56)]
BRIGHT: list[RGB] = [(214, 42, 42), (42, 96, 212), (246, 190, 40), (40, 160, 120), (132, 62, 182), (246, 120, 32)]
