"""Outdoor sets: landscape, water and beach, city, forest, desert, snowfield; also space and underwater.

Each set function draws the backdrop and ground and returns ``(canvas, stage, ambient light)``.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from . import shapes
from .paint import fill_below, glow, paste_noun, ridge, sky_image, vgrad
from .palette import Sky, light, mix, shade, tint
from .plan import Plan
from .stage import Stage, sun_and_moon

__all__ = ["outdoor", "space", "underwater"]


def outdoor(plan: Plan, setting: str | None, sky: Sky, w: int, h: int, rng: np.random.Generator,
            ctx: shapes.Ctx, snowy: bool) -> tuple[Image.Image, Stage, tuple[float, float, float]]:
    """An outdoor set: sky, sun or moon, hills or a skyline, and ground, water or beach for ``setting``."""
    amb = sky.ambient
    horizon = h * rng.uniform(0.54, 0.64)
    canvas = sky_image(sky, w, h, horizon, rng)
    stage = Stage(w, h, horizon, (horizon + 0.3 * (h - horizon), h * 0.9), sky_band=(h * 0.05, horizon))
    sun_and_moon(canvas, plan, sky, stage, rng, ctx)
    ref = min(h, 1.3 * w)
    # Soft decorative clouds make a daytime sky look less empty.
    if sky.name in ("day", "noon", "sunrise", "golden hour") and "cloud" not in {s.noun for s in plan.subjects}:
        for _ in range(int(rng.integers(1, 4))):
            ch = ref * rng.uniform(0.06, 0.1)
            paste_noun(canvas, "cloud", rng.uniform(0.1, 0.9) * w, rng.uniform(0.12, 0.4) * horizon + ch,
                       ch, None, rng, ctx, light(min(1.0, a) for a in amb))

    for s in plan.subjects:  # backdrop nouns sit behind the hills
        if shapes.noun(s.noun).place == "backdrop":
            for k in range(s.count):
                mh = ref * rng.uniform(0.32, 0.42)
                cx = w * ((k + 0.5) / s.count + rng.uniform(-0.12, 0.12) / s.count)
                col = s.colours[k % len(s.colours)] if s.colours else None
                paste_noun(canvas, s.noun, cx, horizon + 0.02 * h, mh, col, rng, ctx, amb)

    far = tint(mix(sky.stops[-1][1], (90, 130, 110), 0.45), (0.95, 0.97, 1.0))
    ground_top, ground_bottom = (104, 168, 80), (58, 118, 52)
    if snowy:
        ground_top, ground_bottom = (236, 242, 252), (206, 218, 236)
        far = (214, 224, 240)
    if setting == "desert":
        ground_top, ground_bottom = (236, 196, 130), (214, 160, 92)
        far = (226, 178, 120)
    elif setting == "city":
        far = (150, 160, 178)
        ground_top, ground_bottom = (150, 150, 150), (120, 120, 124)
    elif setting == "forest":
        ground_top, ground_bottom = (70, 120, 60), (40, 84, 40)
        far = (64, 104, 84)
    elif setting == "beach":
        ground_top, ground_bottom = (240, 220, 170), (222, 196, 140)
    if plan.setting_colour is not None:
        ground_top = mix(ground_top, plan.setting_colour, 0.5)
        ground_bottom = mix(ground_bottom, plan.setting_colour, 0.5)

    if setting == "city":
        _skyline(canvas, horizon, rng, ctx.night, amb)
    else:
        hills = ridge(rng, w, horizon - 0.06 * ref, 0.035 * ref)
        fill_below(canvas, hills, tint(far, amb), tint(mix(far, ground_top, 0.4), amb))
    if setting == "forest":
        _tree_line(canvas, horizon, rng, ctx, amb)

    if setting in ("water", "beach"):
        sea_top = tint(mix(sky.stops[-1][1], (40, 110, 170), 0.5), (1, 1, 1))
        sea_bottom = tint((24, 76, 140), amb)
        water_end = horizon + (0.14 if setting == "beach" else 0.55) * (h - horizon)
        fill_below(canvas, np.full(w, horizon, np.float32), sea_top, sea_bottom, bottom_y=round(water_end))
        _waves(canvas, horizon, water_end, rng, sky)
        shore = ridge(rng, w, water_end, 0.012 * ref, 2)
        fill_below(canvas, shore, tint(ground_top, amb), tint(ground_bottom, amb))
        if setting == "beach":
            d = ImageDraw.Draw(canvas)
            d.line([(x, float(shore[min(x, w - 1)])) for x in range(0, w + 8, 8)],
                   fill=tint(mix(ground_top, (255, 255, 255), 0.65), amb), width=max(2, round(ref / 200)), joint="curve")
        stage.water = (horizon + 0.02 * h, water_end)
        stage.ground = (water_end + 0.25 * (h - water_end), h * 0.93)
    else:
        near = ridge(rng, w, horizon + 0.01 * ref, 0.012 * ref, 2)
        fill_below(canvas, near, tint(ground_top, amb), tint(ground_bottom, amb))
        if setting == "city":
            _road(canvas, horizon, amb)
            stage.ground = (horizon + 0.35 * (h - horizon), h * 0.9)
        elif setting in (None, "meadow") and not snowy:
            _meadow_flowers(canvas, horizon, rng, amb)
    return canvas, stage, amb


def _waves(canvas: Image.Image, top: float, bottom: float, rng: np.random.Generator, sky: Sky) -> None:
    w, h = canvas.size
    ref = min(h, 1.3 * w)
    d = ImageDraw.Draw(canvas, "RGBA")
    glint = shade(sky.sun[1], 1.1) if sky.sun else (220, 230, 255)
    for _ in range(int(w * (bottom - top) / 2500) + 8):
        y = top + (bottom - top) * rng.random() ** 1.6
        depth = (y - top) / max(1.0, bottom - top)
        x = rng.uniform(0, w)
        length = ref * (0.015 + 0.07 * depth) * rng.uniform(0.5, 1.5)
        d.line([(x, y), (x + length, y)], fill=(*glint, int(60 + 80 * rng.random())), width=max(1, round(ref * 0.002 * (1 + 2 * depth))))


def _skyline(canvas: Image.Image, horizon: float, rng: np.random.Generator, night: bool,
             amb: tuple[float, float, float]) -> None:
    w, h = canvas.size
    d = ImageDraw.Draw(canvas)
    for layer, (k, hmin, hmax) in enumerate(((0.75, 0.12, 0.3), (1.0, 0.08, 0.22))):
        x = -rng.uniform(0, 0.05) * w
        base = horizon + 0.02 * h
        while x < w:
            bw = w * rng.uniform(0.04, 0.09)
            bh = h * rng.uniform(hmin, hmax)
            body = tint(shade((118, 130, 156), k * rng.uniform(0.85, 1.05)), amb) if not night else shade((26, 30, 48), 0.8 + 0.3 * layer)
            d.rectangle((x, base - bh, x + bw, base), fill=body)
            if layer == 1 and bw > 12:
                win = max(2, round(bw / 9))
                lit = (255, 214, 120) if night else tint((190, 210, 230), amb)
                for wy in np.arange(base - bh + win * 1.5, base - win, win * 2.2):
                    for wx in np.arange(x + win, x + bw - win * 1.5, win * 2.0):
                        if night and rng.random() < 0.55:
                            continue
                        d.rectangle((wx, wy, wx + win, wy + win * 1.2), fill=lit)
            x += bw + w * rng.uniform(0.0, 0.015)


def _road(canvas: Image.Image, horizon: float, amb: tuple[float, float, float]) -> None:
    w, h = canvas.size
    d = ImageDraw.Draw(canvas)
    top = horizon + 0.02 * h
    d.rectangle((0, top, w, top + 0.06 * h), fill=tint((168, 166, 160), amb))
    road = vgrad(tint((92, 92, 98), amb), tint((62, 62, 68), amb), w, max(1, round(h - top - 0.06 * h)))
    canvas.paste(road, (0, round(top + 0.06 * h)))
    y = top + 0.06 * h + 0.55 * (h - top - 0.06 * h)
    for x in np.arange(0, w, w / 10):
        d.rectangle((x, y, x + w / 20, y + max(2, h * 0.008)), fill=tint((236, 230, 200), amb))


def _tree_line(canvas: Image.Image, horizon: float, rng: np.random.Generator, ctx: shapes.Ctx,
               amb: tuple[float, float, float]) -> None:
    w, h = canvas.size
    dim = light(a * 0.75 for a in amb)
    n = max(8, w // 60)
    for i in range(n):
        th = h * rng.uniform(0.12, 0.22)
        paste_noun(canvas, "tree", (i + rng.uniform(0, 1)) * w / n, horizon + 0.03 * h, th, None, rng,
                   shapes.Ctx(night=ctx.night, snow=ctx.snow, variant="pine" if rng.random() < 0.6 else ""),
                   dim)


def _meadow_flowers(canvas: Image.Image, horizon: float, rng: np.random.Generator, amb: tuple[float, float, float]) -> None:
    w, h = canvas.size
    d = ImageDraw.Draw(canvas)
    palette = [(250, 250, 250), (250, 220, 80), (240, 120, 160), (180, 140, 230)]
    n = int(w * (h - horizon) / 9000)
    for _ in range(n):
        y = horizon + (h - horizon) * (0.15 + 0.85 * rng.random())
        r = max(1.0, (y - horizon) / (h - horizon) * h * 0.004)
        x = rng.uniform(0, w)
        d.ellipse((x - r, y - r, x + r, y + r), fill=tint(palette[int(rng.integers(len(palette)))], amb))


def space(w: int, h: int, rng: np.random.Generator) -> tuple[Image.Image, Stage, tuple[float, float, float]]:
    """Outer space: a star field with soft nebulae; everything floats."""
    sky = Sky("space", ((0.0, (2, 2, 12)), (1.0, (14, 8, 34))), (1.0, 1.0, 1.0), None, stars=2.2)
    canvas = sky_image(sky, w, h, float(h), rng)
    for colour in ((120, 40, 160), (30, 80, 170), (170, 50, 110)):
        r = min(w, h) * rng.uniform(0.25, 0.45)
        glow(canvas, rng.uniform(0, w), rng.uniform(0, h), r, colour, 0.45)
    stage = Stage(w, h, float(h), (h * 0.35, h * 0.9), sky_band=(h * 0.05, h * 0.95), floating=True)
    return canvas, stage, (0.95, 0.95, 1.0)


def underwater(w: int, h: int, rng: np.random.Generator) -> tuple[Image.Image, Stage, tuple[float, float, float]]:
    """Under the sea: a blue gradient, light shafts, sand, weeds and bubbles."""
    canvas = vgrad((70, 184, 214), (8, 40, 92), w, h)
    # Light shafts: a few soft slanted bands, drawn small and stretched.
    sw, sh = 96, max(8, round(96 * h / w))
    x = np.linspace(0, 1, sw, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, sh, dtype=np.float32)[:, None]
    shafts = np.zeros((sh, sw), np.float32)
    for _ in range(4):
        c, width = rng.uniform(0.1, 0.9), rng.uniform(0.03, 0.07)
        shafts += np.exp(-(((x - c - 0.25 * y) / width) ** 2)) * (1 - y) * 0.35
    light = Image.fromarray((shafts.clip(0, 1) * 255).astype(np.uint8), "L").resize((w, h), Image.Resampling.BILINEAR)
    canvas = ImageChops.screen(canvas, Image.merge("RGB", (light, light, light)))
    sand = ridge(rng, w, h * 0.86, h * 0.015, 2)
    fill_below(canvas, sand, (200, 184, 140), (150, 134, 100))
    d = ImageDraw.Draw(canvas, "RGBA")
    for _ in range(max(5, w // 90)):
        x0 = rng.uniform(0, w)
        height = h * rng.uniform(0.12, 0.3)
        pts = [(x0 + math.sin(t * 5 + x0) * w * 0.01, h * 0.9 - height * t) for t in np.linspace(0, 1, 12)]
        d.line(pts, fill=(40, 120, 70, 230), width=max(2, w // 110), joint="curve")
    for _ in range(max(12, w // 40)):
        bx, by, r = rng.uniform(0, w), rng.uniform(0, h * 0.8), rng.uniform(1.5, 0.012 * h)
        d.ellipse((bx - r, by - r, bx + r, by + r), outline=(220, 240, 255, 170), width=max(1, round(r / 4)))
    stage = Stage(w, h, h * 0.1, (h * 0.88, h * 0.93), water=(h * 0.2, h * 0.78), sky_band=(h * 0.08, h * 0.5))
    return canvas, stage, (0.78, 0.9, 1.0)
