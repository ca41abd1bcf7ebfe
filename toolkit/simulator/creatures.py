"""Drawers for animals and figures: cat, dog, person, bird, fish, butterfly, snowman, robot."""

from __future__ import annotations

import numpy as np

from .palette import RGB, shade
from .pen import BRIGHT, SKIN, Ctx, Pen, bezier, pick

__all__ = [
    "draw_bird",
    "draw_butterfly",
    "draw_cat",
    "draw_dog",
    "draw_fish",
    "draw_person",
    "draw_robot",
    "draw_snowman",
]


def draw_cat(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A sitting cat facing the viewer; fur from ``col`` or a random ginger, grey, black or cream."""
    body = col or pick(rng, [(234, 146, 64), (130, 130, 138), (44, 44, 48), (236, 222, 196)])
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


def draw_dog(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A standing dog in profile with a red collar; coat from ``col`` or a random brown, tan, black, white."""
    body = col or pick(rng, [(156, 104, 62), (214, 172, 104), (60, 50, 44), (236, 230, 220)])
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


def draw_person(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A standing figure; ``ctx.variant`` ("woman", "girl", ...) gives long hair and a dress."""
    skin = pick(rng, SKIN)
    cloth = col or pick(rng, BRIGHT)
    hair = pick(rng, [(40, 30, 24), (96, 60, 32), (200, 160, 90), (20, 20, 20)])
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


def draw_bird(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A distant bird: two curved wing strokes."""
    c = col or (44, 44, 56)
    p.line(bezier((0.0, 0.45), (0.22, 0.05), (0.5, 0.5)), c, 0.07)
    p.line(bezier((0.5, 0.5), (0.78, 0.05), (1.0, 0.45)), c, 0.07)
    p.ellipse(0.5, 0.5, 0.06, 0.05, c)


def draw_fish(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A striped fish in profile; a goldfish is orange."""
    c = col or ((246, 150, 40) if ctx.variant.startswith("goldfish") else
                pick(rng, [(246, 130, 40), (60, 140, 220), (246, 200, 50), (220, 70, 90)]))
    p.poly([(1.1, 0.5), (1.55, 0.16), (1.45, 0.5), (1.55, 0.84)], shade(c, 0.85))
    p.poly([(0.5, 0.28), (0.75, 0.05), (0.95, 0.3)], shade(c, 0.85))
    p.ellipse(0.68, 0.5, 0.55, 0.3, c)
    for x in (0.55, 0.85):
        p.line(bezier((x, 0.24), (x - 0.06, 0.5), (x, 0.76)), (250, 250, 250), 0.05)
    p.ellipse(0.68, 0.6, 0.12, 0.07, shade(c, 0.8), angle=20)
    p.ellipse(0.35, 0.42, 0.06, 0.06, (255, 255, 255))
    p.ellipse(0.34, 0.42, 0.03, 0.03, (20, 20, 20))
    p.line(bezier((0.2, 0.55), (0.24, 0.58), (0.29, 0.56)), shade(c, 0.55), 0.015)


def draw_butterfly(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A butterfly with spotted wings seen from above."""
    c = col or pick(rng, [(246, 140, 40), (60, 120, 230), (170, 80, 200), (240, 200, 60)])
    for sx in (-1, 1):
        p.ellipse(0.5 + sx * 0.22, 0.36, 0.22, 0.19, c, angle=sx * 20)
        p.ellipse(0.5 + sx * 0.17, 0.66, 0.15, 0.14, shade(c, 0.82), angle=-sx * 20)
        p.ellipse(0.5 + sx * 0.27, 0.33, 0.05, 0.05, (255, 255, 255))
        p.ellipse(0.5 + sx * 0.18, 0.68, 0.035, 0.035, (255, 255, 255))
        p.line(bezier((0.5, 0.3), (0.5 + sx * 0.05, 0.1), (0.5 + sx * 0.14, 0.06)), (40, 30, 30), 0.012)
    p.ellipse(0.5, 0.5, 0.035, 0.24, (44, 34, 34))


def draw_snowman(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A snowman with a scarf (``col``), a carrot nose and a top hat."""
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


def draw_robot(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A boxy robot with glowing eyes and panel lights; body from ``col`` or steel grey."""
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
