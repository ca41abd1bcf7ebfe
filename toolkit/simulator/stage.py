"""The stage of a scene: its geometry (horizon, ground, water, table), its sky, and the sun and moon."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from . import shapes
from .paint import glow, paste_noun
from .palette import SKIES, Sky, light, mix, shade
from .plan import Plan

__all__ = ["Stage", "overcast", "sky_for", "sun_and_moon"]


@dataclass
class Stage:
    """Geometry decided while drawing the set, used to place subjects."""

    w: int
    h: int
    horizon: float
    ground: tuple[float, float]  # band of baselines for standing things
    water: tuple[float, float] | None = None
    table: tuple[float, float, float] | None = None  # (x0, x1, y) of a table top
    window: tuple[float, float, float, float] | None = None
    sky_band: tuple[float, float] = (0.0, 0.0)
    floating: bool = False  # space: everything floats
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)


def sky_for(plan: Plan) -> Sky:
    """The sky for the plan's time of day (night in space, day by default)."""
    if plan.time:
        return SKIES[plan.time]
    if plan.setting == "space":
        return SKIES["night"]
    return SKIES["day"]


def overcast(sky: Sky, amount: float) -> Sky:
    """``sky`` greyed towards an overcast sky by ``amount`` (0..1): dimmer, no sun, fewer stars."""
    grey = (150, 156, 166)
    stops = tuple((p, mix(c, shade(grey, 0.6 + 0.4 * p), amount)) for p, c in sky.stops)
    amb = light(a * (1 - 0.25 * amount) for a in sky.ambient)
    return Sky(sky.name, stops, amb, None, sky.moon and amount < 0.5, sky.stars * (1 - amount))


def sun_and_moon(canvas: Image.Image, plan: Plan, sky: Sky, stage: Stage, rng: np.random.Generator,
                 ctx: shapes.Ctx, region: tuple[float, float, float, float] | None = None) -> None:
    """Default sun (with glow) or moon, unless the prompt asks for its own (then that is placed here).

    ``region`` limits them to a window (indoors); the boxes they take are added to ``stage.boxes``.
    """
    ctx = shapes.Ctx(ctx.night, ctx.snow, "full" if plan.full_moon else "")
    w, h = canvas.size
    x0, y0, x1, y1 = region or (0.0, 0.0, float(w), stage.horizon)
    nouns = {s.noun for s in plan.subjects}
    ref = min(h, 1.3 * w)
    if sky.sun is not None:
        height, colour = sky.sun
        r = ref * (0.055 if region is None else 0.04)
        cx = x0 + (x1 - x0) * rng.uniform(0.15, 0.85)
        cy = y1 - (y1 - y0) * height
        glow(canvas, cx, cy, r * 6, colour, 0.55)
        if "sun" in nouns:
            paste_noun(canvas, "sun", cx, cy + r * 2.4, r * 4.8, None, rng, ctx, (1, 1, 1))
            stage.boxes.append((round(cx - r * 2.4), round(cy - r * 2.4), round(cx + r * 2.4), round(cy + r * 2.4)))
        else:
            d = ImageDraw.Draw(canvas, "RGBA")
            for k, a in ((1.0, 255),):
                d.ellipse((cx - r * k, cy - r * k, cx + r * k, cy + r * k), fill=(*shade(colour, 1.15), a))
    if sky.moon:
        r = ref * (0.05 if region is None else 0.035)
        cx = x0 + (x1 - x0) * rng.uniform(0.12, 0.88)
        cy = y0 + (y1 - y0) * rng.uniform(0.2, 0.45)
        glow(canvas, cx, cy, r * 5, (120, 130, 170), 0.5)
        paste_noun(canvas, "moon", cx, cy + r * 1.25, r * 2.5, None, rng, ctx, (1, 1, 1))
        stage.boxes.append((round(cx - r * 1.3), round(cy - r * 1.3), round(cx + r * 1.3), round(cy + r * 1.3)))
