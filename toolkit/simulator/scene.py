"""Text-to-image: a procedural scene drawn from the words of the prompt.

The prompt is parsed into a :class:`~.plan.Plan` (subjects with counts and colours, a setting, a time of
day, weather; see :mod:`.plan`), then drawn back to front: sky, backdrop, ground, set pieces
(:mod:`.outdoors`, :mod:`.indoors`), subjects, weather, vignette. Smooth fields (gradients, glows, fog,
vignette) are computed small or separably and resized (:mod:`.paint`), and subjects are drawn on
supersampled tiles (:mod:`.shapes`), so a megapixel scene costs tens of milliseconds. All variation
comes from the ``rng`` handed in, so the same seed gives the same picture.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from . import shapes
from .indoors import draw_table, indoor
from .outdoors import outdoor, space, underwater
from .paint import glow, paste_noun, vgrad, vignette
from .palette import COLOURS, RGB, Sky, shade
from .plan import INDOOR, SETTING_WORDS, Plan, Subject, parse_prompt
from .stage import Stage, overcast, sky_for

__all__ = ["COLOURS", "INDOOR", "SETTING_WORDS", "Plan", "Subject", "parse_prompt", "render_scene", "shapes"]


def render_scene(plan: Plan, size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """Draw ``plan`` as an RGB image of ``size`` pixels.

    Parameters
    ----------
    plan : Plan
        From :func:`parse_prompt`.
    size : (int, int)
        Width and height in pixels.
    rng : numpy.random.Generator
        The only source of variation (layout, colours, stars), seeded by the caller.

    Returns
    -------
    PIL.Image.Image
        The scene, without the simulator mark or caption.
    """
    w, h = size
    if plan.abstract:
        return _abstract(plan, w, h, rng)
    sky = sky_for(plan)
    weather = set(plan.weather)
    if "storm" in weather:
        sky = overcast(sky, 0.75)
    elif "rain" in weather:
        sky = overcast(sky, 0.55)
    elif "cloudy" in weather or "snow" in weather:
        sky = overcast(sky, 0.3)
    setting = plan.setting
    nouns = {s.noun for s in plan.subjects}
    if setting is None and nouns & {"boat", "fish"}:
        setting = "water"
    snowy = "snow" in weather or setting == "snowfield" or "snowman" in nouns
    ctx = shapes.Ctx(night=sky.name in ("night", "dusk"), snow=snowy)

    if setting in INDOOR:
        canvas, stage, ambient = indoor(plan, setting, sky, w, h, rng, ctx)
    elif setting == "space":
        canvas, stage, ambient = space(w, h, rng)
    elif setting == "underwater":
        canvas, stage, ambient = underwater(w, h, rng)
    else:
        canvas, stage, ambient = outdoor(plan, setting, sky, w, h, rng, ctx, snowy)

    _place_subjects(canvas, plan, stage, rng, ctx, ambient, sky, setting)
    if setting not in INDOOR:
        _weather(canvas, weather, stage, rng, snowy and "snow" in weather)
    return vignette(canvas, 0.28 if sky.name == "night" else 0.2)


def _abstract(plan: Plan, w: int, h: int, rng: np.random.Generator) -> Image.Image:
    """Overlapping translucent discs and rings in the named colours, over a dark gradient of them."""
    cols = list(dict.fromkeys(plan.colours)) or [(232, 92, 80), (246, 196, 70), (60, 140, 200), (130, 80, 180)]
    canvas = vgrad(shade(cols[0], 0.3), shade(cols[-1], 0.5), w, h)
    ref = min(w, h)
    for i in range(3):
        glow(canvas, rng.uniform(0, w), rng.uniform(0, h), ref * rng.uniform(0.3, 0.5), cols[i % len(cols)], 0.6)
    d = ImageDraw.Draw(canvas, "RGBA")
    for i in range(int(rng.integers(9, 14))):
        c = cols[i % len(cols)]
        r = ref * rng.uniform(0.05, 0.3)
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        if rng.random() < 0.3:
            d.ellipse((x - r, y - r, x + r, y + r), outline=(*shade(c, 1.2), 200), width=max(2, round(r * 0.08)))
        else:
            d.ellipse((x - r, y - r, x + r, y + r), fill=(*c, int(rng.integers(90, 190))))
    # The discs are drawn without supersampling; a slight blur hides their stair-stepped edges.
    return vignette(canvas.filter(ImageFilter.GaussianBlur(0.7)), 0.25)


_BANDS = {"left": (0.0, 0.42), "right": (0.58, 1.0), "centre": (0.3, 0.7)}
"""Horizontal share of the free range, as fractions, for subjects with a position."""


def _place_subjects(canvas: Image.Image, plan: Plan, stage: Stage, rng: np.random.Generator, ctx: shapes.Ctx,
                    ambient: tuple[float, float, float], sky: Sky, setting: str | None) -> None:
    w, h = canvas.size
    ref = min(h, 1.3 * w)
    instances: list[tuple[str, RGB | None, str, str | None]] = []  # (noun, colour, word, position)
    free = list(plan.free_colours)
    colourable = {"car", "balloon", "umbrella", "flower", "hat", "ball", "boat", "butterfly", "heart", "house",
                  "person", "fish", "cake", "cup", "star", "robot", "planet", "plane", "rocket", "snowman"}
    for subj in plan.subjects:
        if (subj.noun == "sun" and sky.sun is not None) or (subj.noun == "moon" and sky.moon):
            continue  # already drawn with the sky
        if shapes.noun(subj.noun).place == "backdrop" and setting not in INDOOR and setting not in ("space", "underwater"):
            continue  # already drawn behind the hills
        for k in range(subj.count):
            col = subj.colours[k % len(subj.colours)] if subj.colours else None
            if col is None and subj.noun in colourable and free:
                col = free[k % len(free)] if subj.count > 1 else free.pop(0)
            instances.append((subj.noun, col, subj.word, subj.position))
    n_main = sum(1 for n, *_ in instances if shapes.noun(n).place in ("ground", "small", "water"))
    hero = 1.45 if n_main <= 1 else 1.25 if n_main == 2 else 1.0
    only_small = n_main > 0 and all(shapes.noun(n).place == "small" for n, *_ in instances
                                    if shapes.noun(n).place in ("ground", "small", "water"))

    sky_items, floor_items, table_items, water_items = [], [], [], []
    for inst in instances:
        place = shapes.noun(inst[0]).place
        if stage.floating:
            sky_items.append(inst) if place == "sky" else floor_items.append(inst)
        elif place == "sky":
            sky_items.append(inst)
        elif place == "water" and stage.water is not None:
            water_items.append(inst)
        elif stage.table is not None and (place == "small" or shapes.noun(inst[0]).height <= 0.3):
            table_items.append(inst)
        else:
            floor_items.append(inst)

    def size_of(name: str, depth: float = 1.0) -> float:
        noun = shapes.noun(name)
        k = hero * (1.7 if only_small and noun.place == "small" else 1.0)
        s = noun.height * ref * depth * k * rng.uniform(0.9, 1.1)
        return min(s, 0.92 * w / noun.aspect, (0.8 if noun.place == "sky" else 0.56) * h)

    def spread(n: int, lo: float, hi: float) -> list[float]:
        if n == 0:
            return []
        order = rng.permutation(n)
        if n == 1:
            return [rng.uniform(0.3, 0.7) * (hi - lo) + lo]
        slot = (hi - lo) / n
        return [lo + (int(order[i]) + 0.5 + rng.uniform(-0.22, 0.22)) * slot for i in range(n)]

    def spread_by_position(items: list[tuple[str, RGB | None, str, str | None]], lo: float, hi: float) -> list[float]:
        # Items with a position ("on the left") share that part of the range; the rest share all of it.
        xs = [0.0] * len(items)
        groups: dict[str | None, list[int]] = {}
        for k, item in enumerate(items):
            groups.setdefault(item[3] if item[3] in _BANDS else None, []).append(k)
        for pos, idxs in groups.items():
            a, b = _BANDS.get(pos or "", (0.0, 1.0))
            for k, x in zip(idxs, spread(len(idxs), lo + a * (hi - lo), lo + b * (hi - lo)), strict=True):
                xs[k] = x
        return xs

    # Sky things: rejection-sample positions so they do not pile up.
    boxes = list(stage.boxes)
    for name, col, word, pos in sky_items:
        s = size_of(name) * (0.9 if name != "bird" else rng.uniform(0.7, 1.2))
        region = stage.window if (stage.window and name in ("sun", "moon", "star", "cloud", "bird", "plane", "rocket")) else None
        if region is not None:
            rx0, ry0, rx1, ry1 = region
            s = min(s, (ry1 - ry0) * 0.45, (rx1 - rx0) * 0.45 / shapes.noun(name).aspect)
        else:
            rx0, ry0, rx1, ry1 = 0.0, stage.sky_band[0], float(w), stage.sky_band[1]
        if pos in _BANDS:
            a, b = _BANDS[pos]
            rx0, rx1 = rx0 + a * (rx1 - rx0), rx0 + b * (rx1 - rx0)
        aw = shapes.noun(name).aspect * s
        best: tuple[float, float, tuple[float, float, float, float]] | None = None
        for _ in range(12):
            cx = rng.uniform(rx0 + aw / 2 + 2, max(rx0 + aw / 2 + 3, rx1 - aw / 2 - 2))
            by = rng.uniform(ry0 + s, max(ry0 + s + 1, ry1 - 0.02 * h))
            box = (cx - aw / 2, by - s, cx + aw / 2, by)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes):
                best = (cx, by, box)
                break
            best = best or (cx, by, box)
        assert best is not None  # the loop runs at least once
        cx, by, (x0, y0, x1, y1) = best
        boxes.append((round(x0), round(y0), round(x1), round(y1)))
        paste_noun(canvas, name, cx, by, s, col, rng, shapes.Ctx(ctx.night, ctx.snow, word), ambient)

    placed: list[tuple[float, str, RGB | None, str, float, float]] = []  # (baseline, name, col, word, cx, size)
    lo, hi = stage.ground
    for x, (name, col, word, pos) in zip(spread_by_position(floor_items, 0.04 * w, 0.96 * w), floor_items, strict=True):
        if stage.floating:
            by = rng.uniform(h * 0.35, h * 0.85)
            depth = 1.0
        else:
            # Big things (houses, trees, castles) stand further back, small ones in front, so a car is
            # not hidden behind a house.
            big = (shapes.noun(name).height >= 0.36 or pos == "top") and pos != "bottom"
            by = rng.uniform(lo, lo + 0.55 * (hi - lo)) if big else rng.uniform(lo + 0.4 * (hi - lo), hi)
            depth = 0.75 + 0.45 * (by - stage.horizon) / max(1.0, h - stage.horizon)
        s = size_of(name, depth)
        half = shapes.noun(name).aspect * s / 2
        placed.append((by, name, col, word, min(max(x, half), w - half), s))
    if stage.water is not None:
        wlo, whi = stage.water
        for x, (name, col, word, _) in zip(spread_by_position(water_items, 0.05 * w, 0.95 * w), water_items,
                                           strict=True):
            by = rng.uniform(wlo + 0.3 * (whi - wlo), whi) if name == "boat" else rng.uniform(wlo + 0.4 * (whi - wlo), whi)
            depth = 0.7 + 0.5 * (by - wlo) / max(1.0, whi - wlo)
            if setting == "underwater":
                depth *= 2.2  # the fish are the subject here, not specks in a lake
            s = size_of(name, depth)
            placed.append((by, name, col, word, x, s))
    for by, name, col, word, cx, s in sorted(placed, key=lambda t: t[0]):
        paste_noun(canvas, name, cx, by, s, col, rng, shapes.Ctx(ctx.night, ctx.snow, word), ambient)

    if stage.table is not None:
        draw_table(canvas, stage, setting or "", ctx, rng)
        x0, x1, ty = stage.table
        xs = spread_by_position(table_items, x0 + 0.12 * (x1 - x0), x1 - 0.12 * (x1 - x0))
        for x, (name, col, word, _) in sorted(zip(xs, table_items, strict=True),
                                              key=lambda t: -shapes.noun(t[1][0]).height):
            s = size_of(name)
            if setting == "restaurant" and shapes.noun(name).place == "small":
                d = ImageDraw.Draw(canvas, "RGBA")
                pw = shapes.noun(name).aspect * s * 0.75
                d.ellipse((x - pw, ty - h * 0.025, x + pw, ty + h * 0.015), fill=(212, 208, 204, 255))
                d.ellipse((x - pw * 0.8, ty - h * 0.02, x + pw * 0.8, ty + h * 0.008), fill=(252, 252, 250, 255))
            paste_noun(canvas, name, x, ty + 0.005 * h, s, col, rng, shapes.Ctx(ctx.night, ctx.snow, word), ambient)

    if not instances and plan.colours:
        # Nothing drawable but colours were named: float soft bokeh discs in them.
        for i in range(6):
            c = plan.colours[i % len(plan.colours)]
            r = ref * rng.uniform(0.05, 0.12)
            glow(canvas, rng.uniform(0, w), rng.uniform(0, h * 0.8), r, c, 0.9)


def _weather(canvas: Image.Image, weather: set[str], stage: Stage, rng: np.random.Generator, snowing: bool) -> None:
    w, h = canvas.size
    if "fog" in weather:
        sw, sh = 32, max(4, round(32 * h / w))
        rows = np.linspace(0, 1, sh, dtype=np.float32)[:, None]
        hz = stage.horizon / h
        a = 0.35 + 0.45 * np.exp(-np.abs(rows - hz) / 0.18)
        a = np.broadcast_to(a, (sh, sw))
        mask = Image.fromarray((a * 255).astype(np.uint8), "L").resize((w, h), Image.Resampling.BILINEAR)
        canvas.paste(Image.new("RGB", (w, h), (206, 210, 216)), (0, 0), mask)
    d = ImageDraw.Draw(canvas, "RGBA")
    if "storm" in weather:
        x = rng.uniform(0.2, 0.8) * w
        pts = [(x, 0.0)]
        y = 0.0
        while y < stage.horizon * 0.8:
            y += h * rng.uniform(0.05, 0.1)
            x += w * rng.uniform(-0.04, 0.04)
            pts.append((x, y))
        d.line(pts, fill=(255, 250, 210, 255), width=max(2, h // 200), joint="curve")
    if "rain" in weather or "storm" in weather:
        n = int(w * h / 2500)
        xs, ys = rng.uniform(-0.1 * w, w, n), rng.uniform(0, h, n)
        ln = h * 0.03
        for x, y in zip(xs, ys, strict=True):
            d.line([(x, y), (x + ln * 0.25, y + ln)], fill=(210, 220, 235, 110), width=max(1, h // 600))
    if snowing:
        n = int(w * h / 3000)
        xs, ys = rng.uniform(0, w, n), rng.uniform(0, h, n)
        rs = (rng.random(n) ** 2) * h * 0.006 + 1.0
        for x, y, r in zip(xs, ys, rs, strict=True):
            d.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255, 210))
