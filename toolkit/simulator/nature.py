"""Drawers for the sky and the land: sun, moon, star, cloud, planet, mountain, tree, flower."""

from __future__ import annotations

import math

import numpy as np

from .palette import RGB, shade
from .pen import Ctx, Pen, pick, star_points

__all__ = [
    "draw_cloud",
    "draw_flower",
    "draw_moon",
    "draw_mountain",
    "draw_planet",
    "draw_star",
    "draw_sun",
    "draw_tree",
]


def draw_sun(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A sun with twelve rays; it glows (ignores the ambient light)."""
    c = col or (255, 208, 72)
    for i in range(12):
        a = 2 * math.pi * i / 12
        a0, a1 = a - 0.09, a + 0.09
        p.poly([(0.5 + 0.35 * math.cos(a0), 0.5 + 0.35 * math.sin(a0)),
                (0.5 + 0.5 * math.cos(a), 0.5 + 0.5 * math.sin(a)),
                (0.5 + 0.35 * math.cos(a1), 0.5 + 0.35 * math.sin(a1))], shade(c, 1.1), glow=True)
    p.ellipse(0.5, 0.5, 0.31, 0.31, c, glow=True)
    p.ellipse(0.45, 0.45, 0.2, 0.2, shade(c, 1.25), glow=True)


def draw_moon(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A crescent moon, or a full moon with craters when ``ctx.variant`` is "full"; it glows."""
    c = col or (244, 238, 206)
    p.ellipse(0.5, 0.5, 0.4, 0.4, c, glow=True)
    if ctx.variant == "full":
        for x, y, r in ((0.38, 0.4, 0.08), (0.6, 0.58, 0.11), (0.55, 0.32, 0.05), (0.36, 0.64, 0.05)):
            p.ellipse(x, y, r, r, shade(c, 0.88), glow=True)
        return
    p.ellipse(0.42, 0.6, 0.06, 0.06, shade(c, 0.9), glow=True)
    p.erase_ellipse(0.66, 0.4, 0.34, 0.34)


def draw_star(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A five-pointed star; it glows."""
    c = col or (255, 216, 80)
    p.poly(star_points(0.5, 0.53, 0.5, 0.21), shade(c, 0.8), glow=True)
    p.poly(star_points(0.5, 0.53, 0.42, 0.17), c, glow=True)


def draw_cloud(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A white cumulus cloud of overlapping lobes."""
    c = col or (250, 251, 253)
    under = shade(c, 0.84)
    lobes = [(0.45, 0.62, 0.3, 0.24), (0.85, 0.45, 0.38, 0.36), (1.25, 0.6, 0.34, 0.26), (0.65, 0.5, 0.24, 0.22)]
    p.rect(0.2, 0.6, 1.55, 0.9, under, radius=0.15)
    for x, y, rx, ry in lobes:
        p.ellipse(x, y + 0.05, rx, ry, under)
    for x, y, rx, ry in lobes:
        p.ellipse(x, y, rx, ry, c)
    p.rect(0.2, 0.58, 1.55, 0.84, c, radius=0.13)


def draw_planet(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A ringed planet; it glows."""
    c = col or pick(rng, [(222, 160, 96), (110, 150, 220), (200, 110, 90), (150, 200, 190)])
    ring = shade(c, 1.4)
    p.ring(0.8, 0.55, 0.78, 0.16, ring, 0.045, glow=True)
    p.ellipse(0.8, 0.5, 0.42, 0.42, shade(c, 0.62), glow=True)
    p.ellipse(0.75, 0.45, 0.36, 0.36, c, glow=True)
    for dy, k in ((-0.2, 0.85), (0.05, 1.12), (0.22, 0.9)):
        p.ellipse(0.77, 0.47 + dy, 0.27, 0.04, shade(c, k), glow=True)
    p.arc(0.8, 0.55, 0.78, 0.16, 0, 180, ring, 0.045, glow=True)  # the ring's front half crosses the planet


def draw_mountain(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """Two snow-capped peaks; rock from ``col`` or slate blue."""
    rock = col or (104, 116, 146)
    p.poly([(-0.05, 1.0), (0.45, 0.35), (1.0, 1.0)], shade(rock, 1.2))
    p.poly([(0.2, 0.42), (0.45, 0.35), (0.34, 0.47)], (236, 240, 250))
    p.poly([(0.1, 1.0), (0.85, 0.05), (1.8, 1.0)], rock)
    p.poly([(0.85, 0.05), (1.8, 1.0), (1.05, 1.0)], shade(rock, 0.8))
    p.poly([(0.63, 0.31), (0.85, 0.05), (1.07, 0.31), (0.98, 0.27), (0.9, 0.34), (0.8, 0.26), (0.72, 0.33)],
           (244, 246, 252))
    p.poly([(0.85, 0.05), (1.07, 0.31), (0.98, 0.27), (0.9, 0.34)], (210, 218, 236))


def draw_tree(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A broadleaf tree, or a conifer: always in snow or for "pine", "fir", ..., otherwise now and then."""
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
    leaf = col or pick(rng, [(62, 146, 64), (84, 160, 60), (50, 128, 74)])
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


def draw_flower(p: Pen, col: RGB | None, rng: np.random.Generator, ctx: Ctx) -> None:
    """A six-petalled flower on a stem with two leaves."""
    petal = col or pick(rng, [(240, 110, 150), (220, 50, 60), (250, 210, 60), (150, 90, 210), (250, 250, 250)])
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
