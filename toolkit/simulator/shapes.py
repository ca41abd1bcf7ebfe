"""Drawable nouns: simple, recognisable pictures made of PIL ImageDraw primitives.

Each noun is drawn in its own unit box (x in ``0..aspect``, y in ``0..1``, y = 1 is where it touches
the ground) on a supersampled RGBA tile, then reduced, so edges are anti-aliased while only the
tile's pixels are paid for. :func:`render_noun` returns that tile; :mod:`.scene` and the "add a ..."
edit place it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from .palette import RGB, shade

SUPERSAMPLE = 2
_MARGIN = 0.12  # tile margin (in units) so rays, steam and flames may leave the unit box


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
        return ((x + _MARGIN) * self.k, (y + _MARGIN) * self.k)

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


def _pick(rng: np.random.Generator, options: list[RGB]) -> RGB:
    return options[int(rng.integers(len(options)))]


@dataclass
class Ctx:
    """What a drawer may want to know about the scene."""

    night: bool = False
    snow: bool = False
    variant: str = ""  # the word that selected the noun ("woman", "kitten", ...)


# --------------------------------------------------------------------------------------------- drawers
# Each drawer: (pen, colour or None, rng, ctx). Coordinates are in the noun's unit box.

Drawer = Callable[[Pen, "RGB | None", np.random.Generator, Ctx], None]

SKIN = [(241, 200, 170), (224, 172, 130), (176, 122, 86), (120, 80, 56)]
BRIGHT = [(214, 42, 42), (42, 96, 212), (246, 190, 40), (40, 160, 120), (132, 62, 182), (246, 120, 32)]


def _cat(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    body = col or _pick(rng, [(234, 146, 64), (130, 130, 138), (44, 44, 48), (236, 222, 196)])
    dark = shade(body, 0.62)
    light = shade(body, 1.45)
    detail = (235, 235, 235) if sum(body) < 200 else (40, 34, 34)
    p.shadow(0.45, 0.4)
    p.line(bezier((0.64, 0.93), (0.95, 0.95), (0.84, 0.55)), body, 0.075)
    p.ellipse(0.45, 0.72, 0.26, 0.27, body)
    p.ellipse(0.45, 0.77, 0.13, 0.19, light)
    for x in (0.45 - 0.2, 0.45 + 0.2):
        p.ellipse(x, 0.72, 0.03, 0.14, dark, alpha=255)
    p.ellipse(0.37, 0.965, 0.075, 0.04, light)
    p.ellipse(0.53, 0.965, 0.075, 0.04, light)
    for sx in (-1, 1):
        outer = [(0.45 + sx * 0.19, 0.33), (0.45 + sx * 0.16, 0.07), (0.45 + sx * 0.04, 0.2)]
        inner = [(0.45 + sx * 0.165, 0.28), (0.45 + sx * 0.15, 0.12), (0.45 + sx * 0.075, 0.21)]
        p.poly(outer, body)
        p.poly(inner, (240, 160, 170))
    p.ellipse(0.45, 0.36, 0.21, 0.18, body)
    for dx in (-0.05, 0.0, 0.05):
        p.line([(0.45 + dx, 0.2), (0.45 + dx * 0.8, 0.26)], dark, 0.018)
    for sx in (-1, 1):
        ex = 0.45 + sx * 0.075
        p.ellipse(ex, 0.35, 0.04, 0.045, (170, 204, 70))
        p.ellipse(ex, 0.35, 0.013, 0.038, (16, 16, 16))
        p.ellipse(ex + 0.012, 0.335, 0.008, 0.008, (255, 255, 255))
    p.poly([(0.425, 0.405), (0.475, 0.405), (0.45, 0.435)], (226, 120, 140))
    p.line([(0.45, 0.435), (0.45, 0.455)], detail, 0.01)
    p.line(bezier((0.45, 0.455), (0.43, 0.475), (0.415, 0.46)), detail, 0.01)
    p.line(bezier((0.45, 0.455), (0.47, 0.475), (0.485, 0.46)), detail, 0.01)
    for sx in (-1, 1):
        for dy in (-0.02, 0.015):
            p.line([(0.45 + sx * 0.08, 0.43), (0.45 + sx * 0.27, 0.43 + dy * 2.2)], detail, 0.007)


def _dog(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    body = col or _pick(rng, [(156, 104, 62), (214, 172, 104), (60, 50, 44), (236, 230, 220)])
    dark = shade(body, 0.6)
    light = shade(body, 1.35)
    p.shadow(0.65, 0.55)
    p.line([(0.98, 0.5), (1.1, 0.36), (1.16, 0.22)], body, 0.06)
    for x0, k in ((0.36, 0.8), (0.78, 0.8), (0.5, 1.0), (0.9, 1.0)):
        p.rect(x0, 0.58, x0 + 0.1, 0.97, shade(body, k), radius=0.04)
        p.ellipse(x0 + 0.05, 0.965, 0.065, 0.03, shade(body, k * 0.9))
    p.ellipse(0.66, 0.55, 0.38, 0.18, body)
    p.ellipse(0.66, 0.62, 0.26, 0.1, light)
    p.ellipse(0.34, 0.42, 0.1, 0.16, body, angle=-30)
    p.ellipse(0.3, 0.33, 0.17, 0.15, body)
    p.ellipse(0.15, 0.4, 0.11, 0.075, light)
    p.ellipse(0.055, 0.37, 0.04, 0.032, (24, 20, 20))
    p.line(bezier((0.08, 0.44), (0.14, 0.48), (0.2, 0.44)), (60, 30, 30), 0.012)
    p.ellipse(0.38, 0.38, 0.065, 0.15, dark, angle=12)
    p.ellipse(0.25, 0.29, 0.026, 0.03, (20, 16, 16))
    p.ellipse(0.258, 0.283, 0.009, 0.009, (255, 255, 255))
    p.line([(0.33, 0.47), (0.42, 0.45)], (210, 40, 40), 0.04)


def _house(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    wall = col or _pick(rng, [(240, 226, 196), (214, 110, 84), (180, 200, 220), (250, 240, 220)])
    roof = _pick(rng, [(150, 52, 44), (74, 74, 90), (110, 70, 50)])
    p.shadow(0.5, 0.5)
    p.rect(0.66, 0.12, 0.77, 0.36, shade(roof, 0.8))
    p.rect(0.12, 0.44, 0.88, 0.99, wall)
    p.rect(0.12, 0.44, 0.2, 0.99, shade(wall, 0.88))
    p.poly([(0.03, 0.48), (0.5, 0.1), (0.97, 0.48)], roof)
    p.poly([(0.5, 0.1), (0.97, 0.48), (0.88, 0.48)], shade(roof, 0.8))
    win = (255, 214, 110) if ctx.night else (150, 196, 230)
    for x0 in (0.2, 0.64):
        p.rect(x0 - 0.015, 0.545, x0 + 0.175, 0.715, (250, 250, 250))
        p.rect(x0, 0.56, x0 + 0.16, 0.7, win, glow=ctx.night)
        p.line([(x0 + 0.08, 0.56), (x0 + 0.08, 0.7)], (250, 250, 250), 0.015)
        p.line([(x0, 0.63), (x0 + 0.16, 0.63)], (250, 250, 250), 0.015)
    p.rect(0.42, 0.66, 0.58, 0.99, (120, 72, 44), radius=0.02)
    p.ellipse(0.55, 0.83, 0.014, 0.014, (230, 200, 90))
    p.ellipse(0.5, 0.33, 0.05, 0.05, win, glow=ctx.night)


def _tree(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    trunk = (112, 76, 48)
    p.shadow(0.4, 0.32)
    conifer = ctx.snow or ctx.variant in ("pine", "fir", "conifer", "christmas") or rng.random() < 0.3
    if conifer:
        leaf = col or (40, 112, 70)
        p.rect(0.36, 0.78, 0.44, 0.99, trunk)
        for i, (y0, half) in enumerate(((0.82, 0.36), (0.58, 0.29), (0.36, 0.21))):
            top = y0 - 0.36
            p.poly([(0.4 - half, y0), (0.4, top), (0.4 + half, y0)], shade(leaf, 0.9 + 0.08 * i))
            if ctx.snow:
                p.poly([(0.4 - half * 0.35, top + 0.13), (0.4, top), (0.4 + half * 0.35, top + 0.13)],
                       (244, 248, 255))
        return
    leaf = col or _pick(rng, [(62, 146, 64), (84, 160, 60), (50, 128, 74)])
    p.poly([(0.33, 0.99), (0.37, 0.5), (0.43, 0.5), (0.47, 0.99)], trunk)
    p.line([(0.4, 0.66), (0.55, 0.52)], trunk, 0.035)
    blobs = [(0.4, 0.44, 0.27), (0.2, 0.52, 0.17), (0.6, 0.52, 0.17), (0.28, 0.28, 0.18), (0.53, 0.27, 0.19),
             (0.4, 0.17, 0.16)]
    for x, y, r in blobs:
        p.ellipse(x, y + 0.03, r, r, shade(leaf, 0.72))
    for x, y, r in blobs:
        p.ellipse(x - 0.015, y, r * 0.94, r * 0.94, leaf)
    for x, y, r in blobs[3:]:
        p.ellipse(x - 0.05, y - 0.04, r * 0.45, r * 0.45, shade(leaf, 1.2))


def _sun(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or (255, 208, 72)
    for i in range(12):
        a = 2 * math.pi * i / 12
        a0, a1 = a - 0.09, a + 0.09
        p.poly([(0.5 + 0.35 * math.cos(a0), 0.5 + 0.35 * math.sin(a0)),
                (0.5 + 0.5 * math.cos(a), 0.5 + 0.5 * math.sin(a)),
                (0.5 + 0.35 * math.cos(a1), 0.5 + 0.35 * math.sin(a1))], shade(c, 1.1), glow=True)
    p.ellipse(0.5, 0.5, 0.31, 0.31, c, glow=True)
    p.ellipse(0.45, 0.45, 0.2, 0.2, shade(c, 1.25), glow=True)


def _moon(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or (244, 238, 206)
    p.ellipse(0.5, 0.5, 0.4, 0.4, c, glow=True)
    if ctx.variant == "full":
        for x, y, r in ((0.38, 0.4, 0.08), (0.6, 0.58, 0.11), (0.55, 0.32, 0.05), (0.36, 0.64, 0.05)):
            p.ellipse(x, y, r, r, shade(c, 0.88), glow=True)
        return
    p.ellipse(0.42, 0.6, 0.06, 0.06, shade(c, 0.9), glow=True)
    p.erase_ellipse(0.66, 0.4, 0.34, 0.34)


def star_points(cx: float, cy: float, r_out: float, r_in: float, n: int = 5) -> list[tuple[float, float]]:
    """Polygon points of an ``n``-pointed star, point up."""
    pts = []
    for i in range(2 * n):
        r = r_out if i % 2 == 0 else r_in
        a = -math.pi / 2 + math.pi * i / n
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return pts


def _star(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or (255, 216, 80)
    p.poly(star_points(0.5, 0.53, 0.5, 0.21), shade(c, 0.8), glow=True)
    p.poly(star_points(0.5, 0.53, 0.42, 0.17), c, glow=True)


def _car(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    body = col or _pick(rng, [(206, 40, 44), (40, 92, 200), (246, 196, 44), (30, 150, 140), (236, 236, 236)])
    glass = (160, 204, 232)
    p.shadow(1.0, 0.95, 70)
    p.poly([(0.48, 0.52), (0.66, 0.22), (1.3, 0.22), (1.56, 0.52)], body)
    p.poly([(0.58, 0.5), (0.72, 0.28), (0.96, 0.28), (0.96, 0.5)], glass)
    p.poly([(1.02, 0.5), (1.02, 0.28), (1.27, 0.28), (1.45, 0.5)], glass)
    p.rect(0.04, 0.48, 1.96, 0.84, body, radius=0.12)
    p.rect(0.04, 0.7, 1.96, 0.84, shade(body, 0.78), radius=0.06)
    p.line([(1.0, 0.52), (1.0, 0.74)], shade(body, 0.7), 0.015)
    p.rect(0.82, 0.58, 0.9, 0.6, shade(body, 0.6))
    p.rect(1.1, 0.58, 1.18, 0.6, shade(body, 0.6))
    p.ellipse(1.9, 0.58, 0.05, 0.035, (255, 236, 160), glow=True)
    p.ellipse(0.09, 0.58, 0.04, 0.03, (230, 40, 40), glow=ctx.night)
    for x in (0.45, 1.55):
        p.ellipse(x, 0.84, 0.16, 0.16, (30, 30, 34))
        p.ellipse(x, 0.84, 0.075, 0.075, (180, 184, 190))


def _banana(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or (246, 214, 62)
    p.shadow(0.8, 0.62)
    outer = [(0.8 + 0.78 * math.cos(math.radians(a)), 0.02 + 0.9 * math.sin(math.radians(a)))
             for a in np.linspace(14, 166, 40)]
    inner = [(0.8 + 0.7 * math.cos(math.radians(a)), 0.02 + 0.62 * math.sin(math.radians(a)))
             for a in np.linspace(166, 14, 40)]
    p.poly(outer + inner, c)
    belly = [(0.8 + 0.755 * math.cos(math.radians(a)), 0.02 + 0.8 * math.sin(math.radians(a)))
             for a in np.linspace(40, 140, 30)]
    p.line(belly, shade(c, 1.18), 0.035)
    edge = [(0.8 + 0.71 * math.cos(math.radians(a)), 0.02 + 0.645 * math.sin(math.radians(a)))
            for a in np.linspace(30, 150, 30)]
    p.line(edge, shade(c, 0.78), 0.02)
    p.poly([(0.05, 0.25), (0.0, 0.1), (0.05, 0.08), (0.12, 0.2)], (118, 96, 40))
    p.ellipse(1.52, 0.25, 0.03, 0.03, (80, 60, 30))


def _cup(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or (246, 244, 238)
    p.ellipse(0.55, 0.94, 0.52, 0.07, shade(c, 0.72))
    p.ellipse(0.55, 0.925, 0.5, 0.065, c)
    p.ring(0.86, 0.6, 0.12, 0.14, shade(c, 0.9), 0.05)
    p.poly([(0.22, 0.42), (0.84, 0.42), (0.76, 0.86), (0.3, 0.86)], c)
    p.ellipse(0.53, 0.86, 0.23, 0.05, c)
    p.poly([(0.64, 0.42), (0.84, 0.42), (0.76, 0.86), (0.66, 0.86)], shade(c, 0.86))
    p.ellipse(0.53, 0.42, 0.31, 0.06, shade(c, 0.93))
    p.ellipse(0.53, 0.43, 0.27, 0.045, (112, 68, 38))
    p.ellipse(0.5, 0.425, 0.1, 0.016, (200, 150, 100))
    for x in (0.42, 0.6):
        p.line(bezier((x, 0.33), (x - 0.1, 0.2), (x, 0.1)) + bezier((x, 0.1), (x + 0.08, 0.02), (x, -0.06))[1:],
               (236, 236, 240), 0.025, alpha=150)


def _mountain(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    rock = col or (104, 116, 146)
    p.poly([(-0.05, 1.0), (0.45, 0.35), (1.0, 1.0)], shade(rock, 1.2))
    p.poly([(0.2, 0.42), (0.45, 0.35), (0.34, 0.47)], (236, 240, 250))
    p.poly([(0.1, 1.0), (0.85, 0.05), (1.8, 1.0)], rock)
    p.poly([(0.85, 0.05), (1.8, 1.0), (1.05, 1.0)], shade(rock, 0.8))
    p.poly([(0.63, 0.31), (0.85, 0.05), (1.07, 0.31), (0.98, 0.27), (0.9, 0.34), (0.8, 0.26), (0.72, 0.33)],
           (244, 246, 252))
    p.poly([(0.85, 0.05), (1.07, 0.31), (0.98, 0.27), (0.9, 0.34)], (210, 218, 236))


def _flower(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    petal = col or _pick(rng, [(240, 110, 150), (220, 50, 60), (250, 210, 60), (150, 90, 210), (250, 250, 250)])
    green = (64, 140, 64)
    p.line([(0.3, 0.99), (0.31, 0.6), (0.3, 0.34)], green, 0.04)
    p.ellipse(0.18, 0.72, 0.12, 0.05, green, angle=-30)
    p.ellipse(0.42, 0.62, 0.12, 0.05, green, angle=30)
    for i in range(6):
        a = 2 * math.pi * i / 6
        p.ellipse(0.3 + 0.13 * math.cos(a), 0.3 + 0.13 * math.sin(a), 0.11, 0.11, shade(petal, 0.85))
    for i in range(6):
        a = 2 * math.pi * i / 6
        p.ellipse(0.3 + 0.12 * math.cos(a), 0.29 + 0.12 * math.sin(a), 0.095, 0.095, petal)
    p.ellipse(0.3, 0.3, 0.075, 0.075, (246, 196, 60))
    p.ellipse(0.3, 0.3, 0.04, 0.04, (200, 130, 40))


def _person(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    skin = _pick(rng, SKIN)
    cloth = col or _pick(rng, BRIGHT)
    hair = _pick(rng, [(40, 30, 24), (96, 60, 32), (200, 160, 90), (20, 20, 20)])
    woman = ctx.variant in ("woman", "girl", "lady", "women", "girls", "mother", "queen", "princess")
    trousers = (50, 60, 90)
    p.shadow(0.28, 0.25)
    if woman:
        p.ellipse(0.28, 0.2, 0.17, 0.15, hair)
        p.rect(0.11, 0.2, 0.45, 0.44, hair, radius=0.06)
    p.rect(0.17, 0.66, 0.26, 0.96, skin if woman else trousers)
    p.rect(0.3, 0.66, 0.39, 0.96, skin if woman else trousers)
    p.ellipse(0.2, 0.965, 0.06, 0.03, (40, 30, 30))
    p.ellipse(0.36, 0.965, 0.06, 0.03, (40, 30, 30))
    for sx in (-1, 1):
        p.line([(0.28 + sx * 0.15, 0.4), (0.28 + sx * 0.21, 0.66)], cloth, 0.075)
        p.ellipse(0.28 + sx * 0.21, 0.68, 0.035, 0.035, skin)
    if woman:
        p.poly([(0.15, 0.36), (0.41, 0.36), (0.5, 0.76), (0.06, 0.76)], cloth)
    else:
        p.poly([(0.13, 0.37), (0.43, 0.37), (0.41, 0.7), (0.15, 0.7)], cloth)
        p.rect(0.15, 0.64, 0.41, 0.7, shade(trousers, 0.8))
    p.ellipse(0.15, 0.4, 0.05, 0.04, cloth)
    p.ellipse(0.41, 0.4, 0.05, 0.04, cloth)
    p.rect(0.25, 0.29, 0.31, 0.38, shade(skin, 0.92))
    p.ellipse(0.28, 0.2, 0.1, 0.12, skin)
    if woman:
        p.ellipse(0.28, 0.12, 0.115, 0.07, hair)
    else:
        p.pie(0.28, 0.17, 0.105, 0.1, 180, 360, hair)
    for sx in (-1, 1):
        p.ellipse(0.28 + sx * 0.038, 0.205, 0.012, 0.015, (30, 24, 24))
    p.line(bezier((0.25, 0.255), (0.28, 0.275), (0.31, 0.255)), (150, 60, 60), 0.01)


def _bird(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or (44, 44, 56)
    p.line(bezier((0.0, 0.45), (0.22, 0.05), (0.5, 0.5)), c, 0.07)
    p.line(bezier((0.5, 0.5), (0.78, 0.05), (1.0, 0.45)), c, 0.07)
    p.ellipse(0.5, 0.5, 0.06, 0.05, c)


def _fish(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or ((246, 150, 40) if ctx.variant.startswith("goldfish") else
                _pick(rng, [(246, 130, 40), (60, 140, 220), (246, 200, 50), (220, 70, 90)]))
    p.poly([(1.1, 0.5), (1.55, 0.16), (1.45, 0.5), (1.55, 0.84)], shade(c, 0.85))
    p.poly([(0.5, 0.28), (0.75, 0.05), (0.95, 0.3)], shade(c, 0.85))
    p.ellipse(0.68, 0.5, 0.55, 0.3, c)
    for x in (0.55, 0.85):
        p.line(bezier((x, 0.24), (x - 0.06, 0.5), (x, 0.76)), (250, 250, 250), 0.05)
    p.ellipse(0.68, 0.6, 0.12, 0.07, shade(c, 0.8), angle=20)
    p.ellipse(0.35, 0.42, 0.06, 0.06, (255, 255, 255))
    p.ellipse(0.34, 0.42, 0.03, 0.03, (20, 20, 20))
    p.line(bezier((0.2, 0.55), (0.24, 0.58), (0.29, 0.56)), shade(c, 0.55), 0.015)


def _boat(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    hull = col or _pick(rng, [(190, 50, 46), (40, 80, 160), (236, 236, 230), (40, 120, 100)])
    p.line([(0.7, 0.7), (0.7, 0.04)], (110, 74, 46), 0.03)
    p.poly([(0.73, 0.08), (0.73, 0.64), (1.22, 0.64)], (250, 250, 246))
    p.poly([(0.67, 0.14), (0.67, 0.64), (0.28, 0.64)], (236, 228, 206))
    p.poly([(0.71, 0.04), (0.86, 0.07), (0.71, 0.1)], (220, 50, 50))
    p.poly([(0.04, 0.68), (1.36, 0.68), (1.16, 0.95), (0.24, 0.95)], hull)
    p.poly([(0.08, 0.73), (1.32, 0.73), (1.3, 0.76), (0.1, 0.76)], shade(hull, 1.5))
    for x in (0.45, 0.7, 0.95):
        p.ellipse(x, 0.84, 0.035, 0.035, (230, 236, 240))


def _cloud(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or (250, 251, 253)
    under = shade(c, 0.84)
    lobes = [(0.45, 0.62, 0.3, 0.24), (0.85, 0.45, 0.38, 0.36), (1.25, 0.6, 0.34, 0.26), (0.65, 0.5, 0.24, 0.22)]
    p.rect(0.2, 0.6, 1.55, 0.9, under, radius=0.15)
    for x, y, rx, ry in lobes:
        p.ellipse(x, y + 0.05, rx, ry, under)
    for x, y, rx, ry in lobes:
        p.ellipse(x, y, rx, ry, c)
    p.rect(0.2, 0.58, 1.55, 0.84, c, radius=0.13)


def _apple(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or ((208, 36, 44) if rng.random() < 0.75 else (120, 190, 60))
    p.shadow(0.5, 0.34)
    p.ellipse(0.38, 0.6, 0.3, 0.33, shade(c, 0.92))
    p.ellipse(0.62, 0.6, 0.3, 0.33, c)
    p.ellipse(0.5, 0.72, 0.3, 0.24, c)
    p.line([(0.5, 0.33), (0.55, 0.12)], (100, 70, 40), 0.035)
    p.ellipse(0.68, 0.16, 0.12, 0.05, (70, 150, 60), angle=-25)
    p.ellipse(0.32, 0.46, 0.06, 0.1, (255, 255, 255), alpha=110, angle=20)


def _robot(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    metal = col or (176, 184, 196)
    dark = shade(metal, 0.6)
    eye = (80, 220, 255)
    p.shadow(0.4, 0.3)
    p.rect(0.24, 0.76, 0.34, 0.97, dark)
    p.rect(0.46, 0.76, 0.56, 0.97, dark)
    p.rect(0.2, 0.93, 0.36, 0.99, shade(metal, 0.45), radius=0.02)
    p.rect(0.44, 0.93, 0.6, 0.99, shade(metal, 0.45), radius=0.02)
    for x in (0.08, 0.66):
        p.rect(x, 0.45, x + 0.08, 0.72, dark, radius=0.03)
        p.ring(x + 0.04, 0.76, 0.05, 0.04, shade(metal, 0.5), 0.025)
    p.rect(0.14, 0.42, 0.66, 0.8, metal, radius=0.05)
    p.rect(0.26, 0.5, 0.54, 0.7, shade(metal, 0.8), radius=0.02)
    for i, lc in enumerate(((240, 80, 80), (250, 210, 60), (90, 220, 120))):
        p.ellipse(0.32 + i * 0.08, 0.56, 0.025, 0.025, lc, glow=True)
    p.rect(0.36, 0.36, 0.44, 0.43, dark)
    p.line([(0.4, 0.13), (0.4, 0.03)], dark, 0.02)
    p.ellipse(0.4, 0.03, 0.035, 0.035, (240, 60, 60), glow=True)
    p.rect(0.2, 0.12, 0.6, 0.37, metal, radius=0.06)
    for x in (0.31, 0.49):
        p.ellipse(x, 0.22, 0.05, 0.05, (30, 34, 44))
        p.ellipse(x, 0.22, 0.032, 0.032, eye, glow=True)
    for i in range(4):
        p.rect(0.3 + i * 0.055, 0.3, 0.33 + i * 0.055, 0.33, dark)


def _castle(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    stone = col or (176, 170, 164)
    roof = _pick(rng, [(60, 80, 170), (170, 50, 50), (90, 60, 120)])
    win = (255, 210, 110) if ctx.night else (50, 44, 54)
    p.shadow(0.65, 0.64)
    p.rect(0.48, 0.2, 0.82, 0.6, shade(stone, 0.9))
    p.poly([(0.45, 0.21), (0.65, -0.06), (0.85, 0.21)], roof)
    p.line([(0.65, -0.06), (0.65, -0.11)], (80, 60, 40), 0.015)
    p.rect(0.18, 0.45, 1.12, 0.99, stone)
    for i in range(9):
        x = 0.18 + i * 0.11
        p.rect(x, 0.39, x + 0.06, 0.46, stone)
    for x0 in (0.0, 1.02):
        p.rect(x0, 0.3, x0 + 0.28, 0.99, shade(stone, 0.94))
        p.poly([(x0 - 0.03, 0.31), (x0 + 0.14, 0.02), (x0 + 0.31, 0.31)], roof)
        p.poly([(x0 + 0.14, 0.02), (x0 + 0.31, 0.31), (x0 + 0.2, 0.31)], shade(roof, 0.8))
        p.rect(x0 + 0.11, 0.45, x0 + 0.17, 0.56, win, radius=0.03, glow=ctx.night)
        p.poly([(x0 + 0.14, 0.02), (x0 + 0.14, -0.1), (x0 + 0.24, -0.06), (x0 + 0.14, -0.03)], (220, 50, 50))
        p.line([(x0 + 0.14, 0.02), (x0 + 0.14, -0.1)], (80, 60, 40), 0.012)
    p.rect(0.58, 0.32, 0.72, 0.44, win, radius=0.05, glow=ctx.night)
    p.rect(0.5, 0.72, 0.8, 0.99, (86, 60, 42))
    p.pie(0.65, 0.72, 0.15, 0.14, 180, 360, (86, 60, 42))
    p.line([(0.65, 0.6), (0.65, 0.99)], (60, 40, 30), 0.012)
    for x in (0.3, 0.95):
        p.rect(x, 0.58, x + 0.05, 0.68, win, glow=ctx.night)


def _rocket(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    accent = col or (214, 48, 48)
    body = (236, 238, 242)
    p.poly([(0.19, 0.78), (0.275, 1.08), (0.36, 0.78)], (250, 150, 40), glow=True)
    p.poly([(0.22, 0.78), (0.275, 0.96), (0.33, 0.78)], (255, 234, 120), glow=True)
    p.poly([(0.15, 0.5), (0.0, 0.82), (0.16, 0.76)], accent)
    p.poly([(0.4, 0.5), (0.55, 0.82), (0.39, 0.76)], accent)
    p.ellipse(0.275, 0.45, 0.13, 0.38, body)
    p.rect(0.16, 0.66, 0.39, 0.8, shade(body, 0.8), radius=0.02)
    p.ellipse(0.305, 0.45, 0.06, 0.34, shade(body, 0.88))
    p.pie(0.275, 0.33, 0.13, 0.26, 180, 360, accent)
    p.ellipse(0.275, 0.43, 0.065, 0.065, (250, 250, 250))
    p.ellipse(0.275, 0.43, 0.045, 0.045, (90, 160, 220))
    p.line([(0.275, 0.73), (0.275, 0.82)], accent, 0.03)


def heart_points(cx: float, cy: float, r: float, n: int = 60) -> list[tuple[float, float]]:
    """Polygon points of the classic parametric heart curve."""
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        pts.append((cx + x * r / 17, cy - y * r / 17))
    return pts


def _heart(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or (226, 40, 72)
    p.poly(heart_points(0.5, 0.5, 0.5), shade(c, 0.75), glow=ctx.night)
    p.poly(heart_points(0.5, 0.48, 0.45), c, glow=ctx.night)
    p.ellipse(0.33, 0.33, 0.07, 0.1, (255, 255, 255), alpha=120, angle=-30)


def _balloon(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or _pick(rng, BRIGHT)
    p.line(bezier((0.3, 0.62), (0.22, 0.8), (0.32, 0.99)), (120, 120, 120), 0.012)
    p.poly([(0.3, 0.6), (0.26, 0.66), (0.34, 0.66)], shade(c, 0.8))
    p.ellipse(0.3, 0.32, 0.27, 0.31, c)
    p.ellipse(0.22, 0.22, 0.06, 0.1, (255, 255, 255), alpha=130, angle=20)


def _umbrella(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or _pick(rng, BRIGHT)
    p.shadow(0.5, 0.3)
    p.line([(0.5, 0.45), (0.5, 0.88)], (60, 50, 44), 0.03)
    p.line(bezier((0.5, 0.88), (0.5, 0.99), (0.42, 0.95)), (60, 50, 44), 0.03)
    p.pie(0.5, 0.46, 0.47, 0.4, 180, 360, c)
    for i in range(5):
        x = 0.5 + (i - 2) * 0.188
        p.erase_ellipse(x, 0.49, 0.094, 0.05)
    for i in range(1, 5):
        x = 0.03 + i * 0.188
        p.line([(0.5, 0.07), (x, 0.44)], shade(c, 0.7), 0.012)
    p.line([(0.5, 0.06), (0.5, 0.0)], (60, 50, 44), 0.02)


def _snowman(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    snow = (242, 246, 252)
    scarf = col or (210, 50, 50)
    p.shadow(0.35, 0.3)
    p.line([(0.2, 0.45), (0.02, 0.32)], (110, 76, 48), 0.02)
    p.line([(0.5, 0.45), (0.68, 0.32)], (110, 76, 48), 0.02)
    p.ellipse(0.35, 0.78, 0.24, 0.21, shade(snow, 0.86))
    p.ellipse(0.34, 0.77, 0.22, 0.2, snow)
    p.ellipse(0.35, 0.48, 0.17, 0.15, shade(snow, 0.88))
    p.ellipse(0.34, 0.47, 0.16, 0.14, snow)
    for y in (0.42, 0.5, 0.72, 0.82):
        p.ellipse(0.35, y, 0.018, 0.018, (40, 40, 44))
    p.ellipse(0.35, 0.24, 0.12, 0.11, snow)
    p.rect(0.22, 0.32, 0.48, 0.36, scarf, radius=0.02)
    p.rect(0.38, 0.34, 0.44, 0.46, shade(scarf, 0.85), radius=0.02)
    p.poly([(0.35, 0.25), (0.48, 0.275), (0.35, 0.285)], (246, 130, 40))
    p.ellipse(0.31, 0.22, 0.014, 0.014, (30, 30, 30))
    p.ellipse(0.39, 0.22, 0.014, 0.014, (30, 30, 30))
    p.rect(0.22, 0.13, 0.48, 0.15, (30, 30, 34))
    p.rect(0.27, 0.0, 0.43, 0.14, (30, 30, 34))


def _butterfly(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or _pick(rng, [(246, 140, 40), (60, 120, 230), (170, 80, 200), (240, 200, 60)])
    for sx in (-1, 1):
        p.ellipse(0.5 + sx * 0.22, 0.36, 0.22, 0.19, c, angle=sx * 20)
        p.ellipse(0.5 + sx * 0.17, 0.66, 0.15, 0.14, shade(c, 0.82), angle=-sx * 20)
        p.ellipse(0.5 + sx * 0.27, 0.33, 0.05, 0.05, (255, 255, 255))
        p.ellipse(0.5 + sx * 0.18, 0.68, 0.035, 0.035, (255, 255, 255))
        p.line(bezier((0.5, 0.3), (0.5 + sx * 0.05, 0.1), (0.5 + sx * 0.14, 0.06)), (40, 30, 30), 0.012)
    p.ellipse(0.5, 0.5, 0.035, 0.24, (44, 34, 34))


def _cake(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or _pick(rng, [(246, 170, 190), (120, 74, 48), (250, 236, 200)])
    p.ellipse(0.5, 0.93, 0.48, 0.06, (230, 230, 236))
    p.rect(0.14, 0.52, 0.86, 0.9, c)
    p.ellipse(0.5, 0.9, 0.36, 0.05, c)
    p.rect(0.14, 0.7, 0.86, 0.74, (250, 246, 240))
    p.ellipse(0.5, 0.52, 0.36, 0.07, (252, 248, 244))
    for i in range(7):
        x = 0.17 + i * 0.11
        p.ellipse(x, 0.58, 0.035, 0.06, (252, 248, 244))
    p.ellipse(0.5, 0.47, 0.045, 0.045, (200, 20, 40))
    p.rect(0.62, 0.28, 0.66, 0.52, (120, 180, 240))
    p.ellipse(0.64, 0.23, 0.025, 0.05, (255, 200, 60), glow=True)


def _hat(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or (34, 34, 40)
    band = (200, 40, 50) if col is None else shade(c, 0.55)
    p.ellipse(0.6, 0.88, 0.56, 0.1, shade(c, 0.8))
    p.rect(0.3, 0.2, 0.9, 0.88, c)
    p.ellipse(0.6, 0.88, 0.3, 0.05, c)
    p.ellipse(0.6, 0.2, 0.3, 0.06, shade(c, 1.2))
    p.rect(0.3, 0.7, 0.9, 0.8, band)
    p.rect(0.32, 0.22, 0.4, 0.86, shade(c, 1.25), alpha=200)


def _ball(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    colours = [col or (220, 40, 40), (250, 250, 250), (40, 100, 220), (250, 250, 250), (246, 200, 40), (250, 250, 250)]
    p.shadow(0.5, 0.36)
    for i, c in enumerate(colours):
        p.pie(0.5, 0.52, 0.45, 0.45, i * 60 - 90, (i + 1) * 60 - 90, c)
    p.ellipse(0.5, 0.52, 0.08, 0.08, (250, 250, 250))
    p.ellipse(0.36, 0.36, 0.08, 0.06, (255, 255, 255), alpha=140, angle=-35)


def _plane(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or (40, 90, 200)
    body = (240, 242, 246)
    p.poly([(0.85, 0.5), (1.15, 0.5), (0.8, 0.9), (0.66, 0.9)], shade(body, 0.75))
    p.poly([(0.18, 0.5), (0.04, 0.12), (0.2, 0.12), (0.38, 0.45)], c)
    p.ellipse(1.0, 0.5, 0.9, 0.12, body)
    p.ellipse(1.82, 0.5, 0.1, 0.08, body)
    p.line([(0.2, 0.55), (1.85, 0.55)], c, 0.035)
    for i in range(9):
        p.ellipse(0.55 + i * 0.12, 0.46, 0.025, 0.025, (90, 130, 170))
    p.ellipse(1.78, 0.46, 0.05, 0.03, (90, 130, 170))
    p.poly([(0.9, 0.48), (1.1, 0.48), (0.86, 0.22), (0.78, 0.22)], shade(body, 0.86))


def _lighthouse(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    stripe = col or (206, 40, 44)
    white = (244, 244, 240)
    p.shadow(0.3, 0.28)

    def x_at(y: float) -> tuple[float, float]:
        t = (y - 0.28) / 0.72
        return 0.2 - 0.08 * t, 0.4 + 0.08 * t

    p.poly([(0.12, 1.0), (0.2, 0.28), (0.4, 0.28), (0.48, 1.0)], white)
    for y0, y1 in ((0.4, 0.52), (0.64, 0.76), (0.88, 1.0)):
        (a0, b0), (a1, b1) = x_at(y0), x_at(y1)
        p.poly([(a1, y1), (a0, y0), (b0, y0), (b1, y1)], stripe)
    p.poly([(0.34, 0.28), (0.4, 0.28), (0.48, 1.0), (0.4, 1.0)], (0, 0, 0), alpha=40, glow=True)
    p.rect(0.14, 0.25, 0.46, 0.29, (40, 40, 44))
    p.rect(0.2, 0.12, 0.4, 0.25, (255, 226, 120), glow=True)
    p.line([(0.3, 0.12), (0.3, 0.25)], (40, 40, 44), 0.015)
    p.poly([(0.16, 0.13), (0.3, 0.02), (0.44, 0.13)], stripe)


def _planet(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    c = col or _pick(rng, [(222, 160, 96), (110, 150, 220), (200, 110, 90), (150, 200, 190)])
    ring = shade(c, 1.4)
    p.ring(0.8, 0.55, 0.78, 0.16, ring, 0.045, glow=True)
    p.ellipse(0.8, 0.5, 0.42, 0.42, shade(c, 0.62), glow=True)
    p.ellipse(0.75, 0.45, 0.36, 0.36, c, glow=True)
    for dy, k in ((-0.2, 0.85), (0.05, 1.12), (0.22, 0.9)):
        p.ellipse(0.77, 0.47 + dy, 0.27, 0.04, shade(c, k), glow=True)
    p.arc(0.8, 0.55, 0.78, 0.16, 0, 180, ring, 0.045, glow=True)  # the ring's front half crosses the planet


@dataclass(frozen=True)
class Noun:
    """How to draw and place one drawable noun."""

    name: str
    draw: Drawer
    aspect: float  # width / height of its unit box
    height: float  # height as a fraction of the image height (before depth scaling)
    place: str  # "ground", "sky", "small" (table-top sized), "water", "backdrop"
    words: tuple[str, ...] = ()  # synonyms, singular (plurals are derived)


NOUNS: dict[str, Noun] = {n.name: n for n in (
    Noun("cat", _cat, 0.9, 0.26, "ground", ("cat", "kitten", "kitty", "kitties")),
    Noun("dog", _dog, 1.25, 0.24, "ground", ("dog", "puppy", "puppies", "doggo", "hound")),
    Noun("house", _house, 1.0, 0.4, "ground", ("house", "home", "cottage", "cabin", "hut", "barn")),
    Noun("tree", _tree, 0.8, 0.46, "ground", ("tree", "pine", "fir", "oak", "palm", "conifer")),
    Noun("sun", _sun, 1.0, 0.17, "sky", ("sun",)),
    Noun("moon", _moon, 1.0, 0.13, "sky", ("moon", "crescent")),
    Noun("star", _star, 1.0, 0.08, "sky", ("star",)),
    Noun("car", _car, 2.0, 0.15, "ground", ("car", "taxi", "automobile", "vehicle", "truck", "jeep")),
    Noun("banana", _banana, 1.6, 0.11, "small", ("banana", "plantain")),
    Noun("cup", _cup, 1.1, 0.13, "small", ("cup", "coffee", "mug", "tea", "latte", "cappuccino", "espresso")),
    Noun("mountain", _mountain, 1.8, 0.42, "backdrop", ("mountain", "peak", "alps", "volcano")),
    Noun("flower", _flower, 0.6, 0.16, "ground", ("flower", "rose", "tulip", "daisy", "sunflower", "blossom")),
    Noun("person", _person, 0.56, 0.32, "ground", (
        "person", "people", "woman", "women", "man", "men", "girl", "boy", "child", "kid", "lady", "guy",
        "chef", "friend", "mother", "father", "queen", "king", "princess", "prince", "wizard", "farmer")),
    Noun("bird", _bird, 1.0, 0.045, "sky", ("bird", "seagull", "gull", "eagle", "crow", "parrot", "pigeon")),
    Noun("fish", _fish, 1.6, 0.08, "water", ("fish", "goldfish", "salmon", "shark", "dolphin")),
    Noun("boat", _boat, 1.4, 0.2, "water", ("boat", "ship", "sailboat", "yacht", "canoe", "sail")),
    Noun("cloud", _cloud, 1.8, 0.12, "sky", ("cloud",)),
    Noun("apple", _apple, 1.0, 0.09, "small", ("apple",)),
    Noun("robot", _robot, 0.8, 0.36, "ground", ("robot", "android", "droid", "cyborg")),
    Noun("castle", _castle, 1.3, 0.42, "ground", ("castle", "palace", "fortress", "fort", "kingdom")),
    Noun("rocket", _rocket, 0.55, 0.3, "sky", ("rocket", "spaceship", "spacecraft", "shuttle")),
    Noun("heart", _heart, 1.0, 0.14, "sky", ("heart", "valentine")),
    Noun("balloon", _balloon, 0.6, 0.18, "sky", ("balloon",)),
    Noun("umbrella", _umbrella, 1.0, 0.26, "ground", ("umbrella", "parasol")),
    Noun("snowman", _snowman, 0.7, 0.3, "ground", ("snowman", "snowmen")),
    Noun("butterfly", _butterfly, 1.0, 0.08, "sky", ("butterfly", "butterflies", "moth")),
    Noun("cake", _cake, 1.0, 0.14, "small", ("cake", "cupcake", "birthday cake", "dessert")),
    Noun("hat", _hat, 1.2, 0.12, "small", ("hat", "top hat", "tophat")),
    Noun("ball", _ball, 1.0, 0.1, "small", ("ball", "beach ball", "football", "soccer ball")),
    Noun("plane", _plane, 2.0, 0.08, "sky", ("plane", "airplane", "aeroplane", "jet", "aircraft")),
    Noun("lighthouse", _lighthouse, 0.6, 0.44, "ground", ("lighthouse",)),
    Noun("planet", _planet, 1.6, 0.22, "sky", ("planet", "saturn", "jupiter")),
)}


def _plural(word: str) -> list[str]:
    if word.endswith(("s", "sh", "ch", "x")):
        return [word + "es"]
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return [word[:-1] + "ies"]
    if word.endswith("f"):
        return [word + "s", word[:-1] + "ves"]
    if word == "man" or word.endswith("man"):
        return [word[:-3] + "men"]
    return [word + "s"]


#: word (singular or plural, lower case) -> (noun name, is_plural)
WORD_TO_NOUN: dict[str, tuple[str, bool]] = {}
for _noun in NOUNS.values():
    for _w in _noun.words:
        WORD_TO_NOUN.setdefault(_w, (_noun.name, False))
        for _pl in _plural(_w):
            WORD_TO_NOUN.setdefault(_pl, (_noun.name, True))
# Irregular plurals listed as synonyms above are still plurals.
for _w in ("people", "women", "men", "puppies", "kitties", "butterflies", "snowmen", "alps"):
    WORD_TO_NOUN[_w] = (WORD_TO_NOUN[_w][0], True)


def render_noun(name: str, height_px: float, colour: RGB | None, rng: np.random.Generator, ctx: Ctx,
                ambient: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> tuple[Image.Image, int, int]:
    """Draw one noun as an anti-aliased RGBA tile.

    Parameters
    ----------
    name : str
        A key of :data:`NOUNS`.
    height_px : float
        Height of the unit box in output pixels.
    colour, rng, ctx, ambient
        Main colour (None for the noun's own), variation source, scene facts, ambient light.

    Returns
    -------
    (tile, ox, oy)
        The tile and the offset, in pixels, of the unit box's top-left corner inside it.
    """
    noun = NOUNS[name]
    s = max(4.0, float(height_px))
    k = s * SUPERSAMPLE
    w = math.ceil((noun.aspect + 2 * _MARGIN) * s) * SUPERSAMPLE
    h = math.ceil((1 + 2 * _MARGIN) * s) * SUPERSAMPLE
    tile = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    noun.draw(Pen(tile, k, ambient), colour, rng, ctx)
    tile = tile.reduce(SUPERSAMPLE)
    off = round(_MARGIN * s)
    return tile, off, off


def drawable_names() -> list[str]:
    """Names of every drawable noun, in vocabulary order."""
    return list(NOUNS)
