"""Drawers for made things: buildings, vehicles, food and props."""

from __future__ import annotations

import math

import numpy as np

from .palette import RGB, shade
from .pen import BRIGHT, Ctx, Pen, bezier, heart_points, pick

__all__ = [
    "draw_apple",
    "draw_ball",
    "draw_balloon",
    "draw_banana",
    "draw_boat",
    "draw_cake",
    "draw_car",
    "draw_castle",
    "draw_cup",
    "draw_hat",
    "draw_heart",
    "draw_house",
    "draw_lighthouse",
    "draw_plane",
    "draw_rocket",
    "draw_umbrella",
]


def draw_house(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A house with a pitched roof, chimney, windows (lit at night) and a door."""
    wall = col or pick(rng, [(240, 226, 196), (214, 110, 84), (180, 200, 220), (250, 240, 220)])
    roof = pick(rng, [(150, 52, 44), (74, 74, 90), (110, 70, 50)])
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


def draw_car(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A car in profile; paint from ``col`` or a random red, blue, yellow, teal or white."""
    body = col or pick(rng, [(206, 40, 44), (40, 92, 200), (246, 196, 44), (30, 150, 140), (236, 236, 236)])
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


def draw_banana(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A curved banana lying on its side."""
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


def draw_cup(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A cup of coffee on a saucer, with steam."""
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


def draw_boat(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A sailing boat with two sails and a pennant; hull from ``col`` or a random colour."""
    hull = col or pick(rng, [(190, 50, 46), (40, 80, 160), (236, 236, 230), (40, 120, 100)])
    p.line([(0.7, 0.7), (0.7, 0.04)], (110, 74, 46), 0.03)
    p.poly([(0.73, 0.08), (0.73, 0.64), (1.22, 0.64)], (250, 250, 246))
    p.poly([(0.67, 0.14), (0.67, 0.64), (0.28, 0.64)], (236, 228, 206))
    p.poly([(0.71, 0.04), (0.86, 0.07), (0.71, 0.1)], (220, 50, 50))
    p.poly([(0.04, 0.68), (1.36, 0.68), (1.16, 0.95), (0.24, 0.95)], hull)
    p.poly([(0.08, 0.73), (1.32, 0.73), (1.3, 0.76), (0.1, 0.76)], shade(hull, 1.5))
    for x in (0.45, 0.7, 0.95):
        p.ellipse(x, 0.84, 0.035, 0.035, (230, 236, 240))


def draw_apple(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A red (or sometimes green) apple with a leaf."""
    c = col or ((208, 36, 44) if rng.random() < 0.75 else (120, 190, 60))
    p.shadow(0.5, 0.34)
    p.ellipse(0.38, 0.6, 0.3, 0.33, shade(c, 0.92))
    p.ellipse(0.62, 0.6, 0.3, 0.33, c)
    p.ellipse(0.5, 0.72, 0.3, 0.24, c)
    p.line([(0.5, 0.33), (0.55, 0.12)], (100, 70, 40), 0.035)
    p.ellipse(0.68, 0.16, 0.12, 0.05, (70, 150, 60), angle=-25)
    p.ellipse(0.32, 0.46, 0.06, 0.1, (255, 255, 255), alpha=110, angle=20)


def draw_castle(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A castle with two towers, a keep, battlements and a gate; windows lit at night."""
    stone = col or (176, 170, 164)
    roof = pick(rng, [(60, 80, 170), (170, 50, 50), (90, 60, 120)])
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


def draw_rocket(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A rocket with fins, a porthole and a glowing exhaust flame; trim from ``col``."""
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


def draw_heart(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A heart with a highlight; it glows at night."""
    c = col or (226, 40, 72)
    p.poly(heart_points(0.5, 0.5, 0.5), shade(c, 0.75), glow=ctx.night)
    p.poly(heart_points(0.5, 0.48, 0.45), c, glow=ctx.night)
    p.ellipse(0.33, 0.33, 0.07, 0.1, (255, 255, 255), alpha=120, angle=-30)


def draw_balloon(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A balloon on a string; colour from ``col`` or a random bright one."""
    c = col or pick(rng, BRIGHT)
    p.line(bezier((0.3, 0.62), (0.22, 0.8), (0.32, 0.99)), (120, 120, 120), 0.012)
    p.poly([(0.3, 0.6), (0.26, 0.66), (0.34, 0.66)], shade(c, 0.8))
    p.ellipse(0.3, 0.32, 0.27, 0.31, c)
    p.ellipse(0.22, 0.22, 0.06, 0.1, (255, 255, 255), alpha=130, angle=20)


def draw_umbrella(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """An open umbrella with a scalloped edge."""
    c = col or pick(rng, BRIGHT)
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


def draw_cake(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A layer cake with icing, a cherry and a lit candle."""
    c = col or pick(rng, [(246, 170, 190), (120, 74, 48), (250, 236, 200)])
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


def draw_hat(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A top hat with a band."""
    c = col or (34, 34, 40)
    band = (200, 40, 50) if col is None else shade(c, 0.55)
    p.ellipse(0.6, 0.88, 0.56, 0.1, shade(c, 0.8))
    p.rect(0.3, 0.2, 0.9, 0.88, c)
    p.ellipse(0.6, 0.88, 0.3, 0.05, c)
    p.ellipse(0.6, 0.2, 0.3, 0.06, shade(c, 1.2))
    p.rect(0.3, 0.7, 0.9, 0.8, band)
    p.rect(0.32, 0.22, 0.4, 0.86, shade(c, 1.25), alpha=200)


def draw_ball(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A beach ball of six coloured panels."""
    colours = [col or (220, 40, 40), (250, 250, 250), (40, 100, 220), (250, 250, 250), (246, 200, 40), (250, 250, 250)]
    p.shadow(0.5, 0.36)
    for i, c in enumerate(colours):
        p.pie(0.5, 0.52, 0.45, 0.45, i * 60 - 90, (i + 1) * 60 - 90, c)
    p.ellipse(0.5, 0.52, 0.08, 0.08, (250, 250, 250))
    p.ellipse(0.36, 0.36, 0.08, 0.06, (255, 255, 255), alpha=140, angle=-35)


def draw_plane(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """An airliner in profile."""
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


def draw_lighthouse(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A striped lighthouse with a glowing lamp room."""
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
