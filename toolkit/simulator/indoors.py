"""Indoor sets: a restaurant, a kitchen or a room, with a window on the sky, and the table top."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from . import shapes
from .paint import glow, sky_image, vgrad
from .palette import SKIES, Sky, mix, shade
from .plan import Plan
from .stage import Stage, sun_and_moon

__all__ = ["draw_table", "indoor"]


def indoor(plan: Plan, setting: str, sky: Sky, w: int, h: int, rng: np.random.Generator,
           ctx: shapes.Ctx) -> tuple[Image.Image, Stage, tuple[float, float, float]]:
    """An indoor set (restaurant, kitchen or room): wall, window on the sky, picture, floor and lamps.

    Restaurants and kitchens also get a table top (``stage.table``), drawn later by :func:`draw_table`.
    """
    floor_y = h * 0.6
    walls = {"restaurant": ((128, 38, 46), (92, 24, 34)), "kitchen": (( 236, 226, 204), (214, 200, 172)),
             "room": ((218, 206, 186), (190, 176, 156))}
    top, bottom = walls[setting]
    if plan.setting_colour is not None:
        top, bottom = mix(top, plan.setting_colour, 0.6), mix(bottom, plan.setting_colour, 0.6)
    canvas = vgrad(top, bottom, w, h)
    d = ImageDraw.Draw(canvas, "RGBA")
    if setting == "kitchen":
        step = max(8, round(h * 0.06))
        for y in range(step, round(floor_y * 0.7), step):
            d.line([(0, y), (w, y)], fill=(255, 255, 255, 90), width=max(1, h // 500))
        for x in range(0, w, step):
            d.line([(x, 0), (x, floor_y * 0.7 - (floor_y * 0.7) % step)], fill=(255, 255, 255, 90), width=max(1, h // 500))
    # Window showing the time of day (dusk by default in a restaurant: it reads as "dinner").
    view = sky if plan.time or setting != "restaurant" else SKIES["dusk"]
    wx = w * (0.08 if rng.random() < 0.5 else 0.62)
    ww, wh = w * 0.3, h * 0.32
    wy = h * 0.08
    frame = (236, 226, 200) if setting != "restaurant" else (196, 156, 72)
    d.rectangle((wx - h * 0.015, wy - h * 0.015, wx + ww + h * 0.015, wy + wh + h * 0.015), fill=frame)
    win = sky_image(view, round(ww), round(wh), wh * 1.0, rng)
    canvas.paste(win, (round(wx), round(wy)))
    stage = Stage(w, h, floor_y, (floor_y + 0.05 * h, h * 0.72), window=(wx, wy, wx + ww, wy + wh),
                   sky_band=(h * 0.06, h * 0.42))
    sun_and_moon(canvas, plan, view, stage, rng, ctx, region=(wx, wy, wx + ww, wy + wh))
    d = ImageDraw.Draw(canvas, "RGBA")
    d.line([(wx + ww / 2, wy), (wx + ww / 2, wy + wh)], fill=frame, width=max(2, round(h * 0.01)))
    d.line([(wx, wy + wh / 2), (wx + ww, wy + wh / 2)], fill=frame, width=max(2, round(h * 0.01)))
    # A framed picture on the other side of the wall.
    px = w * 0.7 if wx < w * 0.5 else w * 0.12
    pw, ph = w * 0.16, h * 0.2
    d.rectangle((px - h * 0.012, h * 0.12 - h * 0.012, px + pw + h * 0.012, h * 0.12 + ph + h * 0.012), fill=(180, 140, 60))
    art = vgrad((120, 170, 220), (230, 200, 150), round(pw), round(ph))
    ImageDraw.Draw(art).polygon([(0, ph), (pw * 0.4, ph * 0.45), (pw * 0.7, ph * 0.8), (pw, ph * 0.55), (pw, ph)],
                                fill=(70, 120, 80))
    canvas.paste(art, (round(px), round(h * 0.12)))
    # Wainscot panel under the chair rail.
    rail = h * 0.44
    panel = shade(bottom, 0.7)
    d.rectangle((0, rail, w, floor_y), fill=panel)
    d.line([(0, rail), (w, rail)], fill=shade(frame, 0.9), width=max(2, round(h * 0.008)))
    for panel_x in np.arange(w * 0.02, w, w / 9):
        d.rectangle((panel_x, rail + h * 0.025, panel_x + w / 9 - w * 0.03, floor_y - h * 0.02), outline=shade(panel, 0.8),
                    width=max(1, h // 400))
    floor = vgrad((124, 82, 52), (84, 54, 34), w, round(h - floor_y))
    canvas.paste(floor, (0, round(floor_y)))
    vp = w * 0.5
    for k in range(-10, 11):
        d.line([(vp + k * w * 0.05, floor_y), (vp + k * w * 0.16, h)], fill=(60, 36, 22, 120), width=max(1, h // 500))
    # Pendant lamps with warm glows.
    lamps = [w * 0.3, w * 0.7] if w > h * 0.9 else [w * 0.5]
    for lx in lamps:
        ly = h * 0.17
        glow(canvas, lx, ly + h * 0.05, h * 0.22, (255, 190, 110), 0.45)
        d = ImageDraw.Draw(canvas, "RGBA")
        d.line([(lx, 0), (lx, ly)], fill=(40, 30, 24, 255), width=max(1, h // 300))
        d.polygon([(lx - h * 0.045, ly + h * 0.05), (lx - h * 0.015, ly), (lx + h * 0.015, ly),
                   (lx + h * 0.045, ly + h * 0.05)], fill=(200, 160, 70, 255))
        d.ellipse((lx - h * 0.02, ly + h * 0.04, lx + h * 0.02, ly + h * 0.065), fill=(255, 236, 180, 255))
    amb = (1.0, 0.96, 0.9) if not ctx.night else (0.9, 0.84, 0.74)
    if setting in ("restaurant", "kitchen"):
        x0 = w * rng.uniform(0.04, 0.12)
        x1 = w * rng.uniform(0.88, 0.96)
        ty = h * 0.68
        stage.table = (x0, x1, ty)
    return canvas, stage, amb


def draw_table(canvas: Image.Image, stage: Stage, setting: str, ctx: shapes.Ctx, rng: np.random.Generator) -> None:
    """The table in front of the subjects: a cloth (restaurant, with a candle) or a wooden top (kitchen)."""
    assert stage.table is not None
    w, h = canvas.size
    x0, x1, ty = stage.table
    d = ImageDraw.Draw(canvas, "RGBA")
    cloth = (246, 242, 234) if setting == "restaurant" else (168, 116, 70)
    d.polygon([(x0 + w * 0.03, ty - h * 0.035), (x1 - w * 0.03, ty - h * 0.035), (x1, ty + h * 0.03), (x0, ty + h * 0.03)],
              fill=cloth)
    front = vgrad(shade(cloth, 0.92), shade(cloth, 0.7), round(x1 - x0), max(1, round(h - ty - h * 0.03)))
    canvas.paste(front, (round(x0), round(ty + h * 0.03)))
    d = ImageDraw.Draw(canvas, "RGBA")
    if setting == "restaurant":
        for x in np.arange(x0 + w * 0.04, x1, w * 0.07):
            d.line([(x, ty + h * 0.04), (x + w * 0.005, h)], fill=(0, 0, 0, 12), width=max(2, w // 250))
        # Candle with a glow: the "fancy" cue.
        cx = x0 + (x1 - x0) * rng.choice([0.12, 0.88])
        glow(canvas, cx, ty - h * 0.12, h * 0.08, (255, 180, 90), 0.6)
        d = ImageDraw.Draw(canvas, "RGBA")
        d.rectangle((cx - h * 0.012, ty - h * 0.1, cx + h * 0.012, ty - h * 0.005), fill=(246, 236, 210, 255))
        d.ellipse((cx - h * 0.008, ty - h * 0.135, cx + h * 0.008, ty - h * 0.1), fill=(255, 210, 90, 255))
        d.ellipse((cx - h * 0.03, ty - h * 0.015, cx + h * 0.03, ty + h * 0.005), fill=(200, 170, 90, 255))
    else:
        d.rectangle((x0, ty + h * 0.03, x1, ty + h * 0.05), fill=shade(cloth, 0.6))
