"""Painting primitives for scenes: gradients, ridgelines, glows, a vignette, skies and placed nouns.

Smooth fields are computed small or separably and resized, so they cost little at any output size.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageChops

from . import shapes
from .palette import RGB, Sky, gradient

__all__ = ["fill_below", "glow", "paste_noun", "ridge", "sky_image", "vgrad", "vignette"]


def vgrad(top: RGB, bottom: RGB, w: int, h: int, stops: tuple[tuple[float, RGB], ...] | None = None) -> Image.Image:
    """A vertical gradient image (broadcast, not per pixel)."""
    rows = gradient(stops or ((0.0, top), (1.0, bottom)), h)
    arr = np.ascontiguousarray(np.broadcast_to(rows[:, None, :], (h, w, 3)).astype(np.uint8))
    return Image.fromarray(arr, "RGB")


def ridge(rng: np.random.Generator, w: int, base: float, amp: float, waves: int = 3) -> np.ndarray:
    """Column heights (pixels from the top) of a rolling skyline made of a few seeded sines."""
    x = np.linspace(0.0, 1.0, w, dtype=np.float32)
    y = np.full(w, base, dtype=np.float32)
    for k in range(waves):
        f = rng.uniform(0.6, 1.6) * (k + 1)
        y += (amp / (k + 1)) * np.sin(2 * math.pi * f * x + rng.uniform(0, 2 * math.pi)).astype(np.float32)
    return y


def fill_below(canvas: Image.Image, ridge: np.ndarray, top: RGB, bottom: RGB, bottom_y: float | None = None) -> None:
    """Fill everything under a ridge line with a vertical gradient, anti-aliased along the ridge.

    The gradient runs from the ridge's highest point to ``bottom_y`` (default: the image bottom) and
    holds its last colour below that.
    """
    w, h = canvas.size
    y0 = max(0, math.floor(float(ridge.min())))
    if y0 >= h:
        return
    rows = h - y0
    yy = np.arange(y0, h, dtype=np.float32)[:, None] + 0.5
    alpha = np.clip(yy - ridge[None, :], 0.0, 1.0)
    mask = Image.fromarray((alpha * 255).astype(np.uint8), "L")
    span = max(1, round((bottom_y if bottom_y is not None else h) - y0))
    col = gradient(((0.0, top), (1.0, bottom)), span)
    if span < rows:
        col = np.concatenate([col, np.repeat(col[-1:], rows - span, axis=0)])
    col = col[:rows]
    fill = Image.fromarray(np.ascontiguousarray(np.broadcast_to(col[:, None, :], (rows, w, 3))).astype(np.uint8), "RGB")
    canvas.paste(fill, (0, y0), mask)


def glow(canvas: Image.Image, cx: float, cy: float, radius: float, colour: RGB, strength: float) -> None:
    """Screen a soft glow onto ``canvas`` in place.

    A Gaussian is separable (an outer product of two 1-D profiles) and negligible beyond 2.5 radii,
    so only that box is computed and blended.
    """
    w, h = canvas.size
    x0, x1 = max(0, int(cx - 2.5 * radius)), min(w, int(cx + 2.5 * radius) + 1)
    y0, y1 = max(0, int(cy - 2.5 * radius)), min(h, int(cy + 2.5 * radius) + 1)
    if x1 <= x0 or y1 <= y0:
        return
    gx = np.exp(-(((np.arange(x0, x1, dtype=np.float32) - cx) / radius) ** 2))
    gy = np.exp(-(((np.arange(y0, y1, dtype=np.float32) - cy) / radius) ** 2))
    g = np.outer(gy, gx) * strength
    arr = (g[:, :, None] * np.array(colour, dtype=np.float32)[None, None, :]).clip(0, 255).astype(np.uint8)
    box = (x0, y0, x1, y1)
    canvas.paste(ImageChops.screen(canvas.crop(box), Image.fromarray(arr, "RGB")), box)


def vignette(canvas: Image.Image, strength: float = 0.22) -> Image.Image:
    """``canvas`` with its corners darkened by ``strength`` (0..1)."""
    w, h = canvas.size
    small_w, small_h = 64, max(8, round(64 * h / w))
    x = np.linspace(-1, 1, small_w, dtype=np.float32)
    y = np.linspace(-1, 1, small_h, dtype=np.float32)
    v = 1.0 - strength * np.clip(np.add.outer(y * y, x * x) / 2.0, 0, 1) ** 1.3
    mask = Image.fromarray((v * 255).astype(np.uint8), "L").resize((w, h), Image.Resampling.BILINEAR)
    return ImageChops.multiply(canvas, Image.merge("RGB", (mask, mask, mask)))


def paste_noun(canvas: Image.Image, name: str, cx: float, base_y: float, height: float, colour: RGB | None,
               rng: np.random.Generator, ctx: shapes.Ctx, ambient: tuple[float, float, float]) -> tuple[int, int, int, int]:
    """Draw noun ``name`` with its unit box bottom-centred at (cx, base_y); returns its pixel box."""
    tile, ox, oy = shapes.render_noun(name, height, colour, rng, ctx, ambient)
    aspect = shapes.noun(name).aspect
    x0 = round(cx - aspect * height / 2) - ox
    y0 = round(base_y - height) - oy
    canvas.paste(tile, (x0, y0), tile)
    return (x0 + ox, y0 + oy, x0 + ox + round(aspect * height), y0 + oy + round(height))


def sky_image(sky: Sky, w: int, h: int, horizon: float, rng: np.random.Generator) -> Image.Image:
    """A ``w`` x ``h`` sky: ``sky``'s gradient down to ``horizon`` (px), its last colour below, and stars."""
    rows = gradient(sky.stops, max(1, round(horizon)))
    below = np.repeat(rows[-1:], h - len(rows), axis=0) if h > len(rows) else rows[:0]
    col = np.concatenate([rows, below], axis=0)[:h]
    arr = np.ascontiguousarray(np.broadcast_to(col[:, None, :], (h, w, 3))).astype(np.float32)
    if sky.stars > 0:
        n = int(sky.stars * w * horizon / 900)
        xs = rng.integers(0, w, n)
        ys = (rng.random(n) ** 1.4 * horizon * 0.92).astype(int)
        b = 120 + 135 * rng.random(n) ** 2
        arr[ys, xs] = np.maximum(arr[ys, xs], b[:, None] * np.array([0.95, 0.97, 1.0], dtype=np.float32))
        big = rng.random(n) < 0.08
        xs2, ys2 = np.clip(xs[big] + 1, 0, w - 1), np.clip(ys[big] + 1, 0, h - 1)
        arr[ys2, xs2] = np.maximum(arr[ys2, xs2], b[big, None] * 0.8)
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8), "RGB")
