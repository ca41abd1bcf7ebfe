"""Text-to-image: a procedural scene drawn from the words of the prompt.

The prompt is parsed into a :class:`Plan` (subjects with counts and colours, a setting, a time of day,
weather), then drawn back to front: sky, backdrop, ground, set pieces, subjects, weather, vignette.
Smooth fields (gradients, glows, fog, vignette) are computed small or separably and resized, and
subjects are drawn on supersampled tiles (:mod:`.shapes`), so a megapixel scene costs tens of
milliseconds. All variation comes from the ``rng`` handed in, so the same seed gives the same picture.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from . import shapes
from .palette import (
    COLOURS,
    RGB,
    SKIES,
    Sky,
    find_time,
    find_weather,
    gradient,
    mix,
    shade,
    tint,
    tokens,
)

#: Setting phrases, most specific first, and the setting they select.
SETTING_WORDS: tuple[tuple[str, str], ...] = (
    (r"under ?water|under the sea|aquarium|coral reef|reef|seabed|ocean floor", "underwater"),
    (r"outer space|space|galaxy|cosmos|universe|nebula|orbit", "space"),
    (r"restaurants?|bistro|caf[eé]s?|diner|dining room|bar|pub|brasserie|dinner", "restaurant"),
    (r"kitchen", "kitchen"),
    (r"bedroom|living room|room|office|studio|library|indoors?|inside|interior|home office", "room"),
    (r"beach|seaside|coast|shore|tropical|island", "beach"),
    (r"ocean|sea|lake|river|pond|harbou?r|bay|waterfront", "water"),
    (r"desert|dunes?|sahara", "desert"),
    (r"city|street|town|downtown|skyline|urban|skyscrapers?|metropolis|new york|tokyo|paris|london", "city"),
    (r"forest|woods|jungle|woodland|rainforest", "forest"),
    (r"arctic|antarctic|tundra|glacier|ski slope", "snowfield"),
    (r"field|meadow|garden|park|farm|countryside|hills?|grass\w*|valley", "meadow"),
)

INDOOR = ("restaurant", "kitchen", "room")
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "pair": 2,
            "couple": 2, "several": 3, "many": 5, "lots": 5, "some": 3, "few": 3}
_SOFT = {"and", "big", "small", "little", "tiny", "giant", "huge", "cute", "fluffy", "fancy", "happy", "old",
         "young", "shiny", "bright", "dark", "light", "pale", "tall", "of", "the", "my", "your", "our", "with",
         "beautiful", "lovely", "large", "adorable", "sleepy", "wooden", "colorful", "colourful", "deep"}
_MAX_PER_NOUN = 6
_MAX_INSTANCES = 12


@dataclass(frozen=True)
class Subject:
    """One drawable noun found in the prompt."""

    noun: str
    count: int
    colours: tuple[RGB, ...]  # explicit colours from adjacent words ("red car"), cycled over copies
    word: str  # the word used ("kitten", "woman", ...)


@dataclass(frozen=True)
class Plan:
    """What the prompt asks for, as far as the simulator can draw it."""

    subjects: tuple[Subject, ...]
    setting: str | None
    time: str | None
    weather: tuple[str, ...]
    colours: tuple[RGB, ...]  # every colour word, in order
    free_colours: tuple[RGB, ...]  # colour words not attached to a subject or the setting
    setting_colour: RGB | None = None
    colour_words: tuple[str, ...] = ()
    abstract: bool = False  # nothing drawable, no setting, but colours or "abstract" asked for
    full_moon: bool = False

    def summary(self) -> list[str]:
        """Words for the reply text: subjects (with counts), then setting and weather."""
        out = []
        for s in self.subjects:
            out.append(s.noun if s.count == 1 else f"{s.count} {s.noun}s")
        if self.setting:
            out.append(self.setting)
        out.extend(self.weather)
        return out


def _adjective_colours(toks: list[str], i: int, noun: str | None = None
                       ) -> tuple[tuple[RGB, ...], int | None, list[int]]:
    """Colours and a count in the adjective run before token ``i`` ("two big red and blue balloons")."""
    colours: list[RGB] = []
    used: list[int] = []
    count = None
    j = i - 1
    while j >= 0 and i - j <= 5:
        t = toks[j]
        if t in COLOURS:
            c = COLOURS[t]
            if j > 0 and toks[j - 1] in ("dark", "deep"):
                c = shade(c, 0.6)
            elif j > 0 and toks[j - 1] in ("light", "pale"):
                c = shade(c, 1.45)
            colours.insert(0, c)
            used.append(j)
        elif t.isdigit():
            count = int(t)
            break
        elif t in _NUMBERS:
            count = _NUMBERS[t]
            break
        elif t not in _SOFT and (noun is None or shapes.WORD_TO_NOUN.get(t, ("",))[0] != noun):
            break
        j -= 1
    return tuple(colours), count, used


def parse_prompt(prompt: str) -> Plan:
    """Read a prompt into a :class:`Plan`.

    Parameters
    ----------
    prompt : str
        Free text, e.g. ``"Two red balloons over a castle at sunset"``.

    Returns
    -------
    Plan
        Subjects (at most six copies of each, twelve in all), setting, time of day, weather and colours.

    Examples
    --------
    >>> [s.noun for s in parse_prompt("A photo of my cat eating a nano-banana in a fancy restaurant").subjects]
    ['cat', 'banana']
    """
    low = prompt.lower()
    toks = tokens(low)
    # "golden hour" is a time, not the colour gold.
    masked = {i for i, t in enumerate(toks) if t == "golden" and i + 1 < len(toks) and toks[i + 1] == "hour"}
    subjects: dict[str, Subject] = {}
    order: list[str] = []
    used_colour_idx: set[int] = set()
    i = 0
    while i < len(toks):
        tok = toks[i]
        hit = None
        if i + 1 < len(toks) and f"{tok} {toks[i + 1]}" in shapes.WORD_TO_NOUN:
            hit, width = shapes.WORD_TO_NOUN[f"{tok} {toks[i + 1]}"], 2
        elif tok in shapes.WORD_TO_NOUN:
            hit, width = shapes.WORD_TO_NOUN[tok], 1
        if hit is None:
            i += 1
            continue
        noun, plural = hit
        nxt = shapes.WORD_TO_NOUN.get(toks[i + width]) if i + width < len(toks) else None
        if nxt is not None and nxt[0] == noun:
            i += width  # "pine trees": the head word decides (plural), the modifier is skipped
            continue
        colours, count, used = _adjective_colours(toks, i, noun)
        used_colour_idx.update(used)
        if count is None:
            count = 3 if plural else 1
        if noun in ("sun", "moon"):
            count = 1
        prev = subjects.get(noun)
        if prev is None:
            subjects[noun] = Subject(noun, min(count, _MAX_PER_NOUN), colours, tok)
            order.append(noun)
        elif colours and not prev.colours:
            subjects[noun] = Subject(noun, prev.count, colours, prev.word)
        i += width
    setting = None
    setting_colour = None
    for pattern, name in SETTING_WORDS:
        m = re.search(rf"\b(?:{pattern})\b", low)
        if m:
            setting = name
            k = len(tokens(low[: m.start()]))
            cols, _, used = _adjective_colours(toks, k)
            if cols:
                setting_colour = cols[-1]
                used_colour_idx.update(used)
            break
    colours = [COLOURS[t] for j, t in enumerate(toks) if t in COLOURS and j not in masked]
    free = [COLOURS[t] for j, t in enumerate(toks) if t in COLOURS and j not in masked and j not in used_colour_idx]
    total = 0
    subs = []
    for noun in order:
        s = subjects[noun]
        n = min(s.count, _MAX_INSTANCES - total)
        if n <= 0:
            break
        subs.append(Subject(s.noun, n, s.colours, s.word))
        total += n
    words = tuple(dict.fromkeys(t for j, t in enumerate(toks) if t in COLOURS and j not in masked))
    abstract = not subs and setting is None and bool(colours or re.search(r"\b(?:abstract|pattern|geometric|shapes)\b", low))
    return Plan(tuple(subs), setting, find_time(low), tuple(find_weather(low)), tuple(colours), tuple(free),
                setting_colour, words, abstract, "full moon" in low)


# ------------------------------------------------------------------------------------------ helpers

def _vgrad(top: RGB, bottom: RGB, w: int, h: int, stops: tuple[tuple[float, RGB], ...] | None = None) -> Image.Image:
    """A vertical gradient image (broadcast, not per pixel)."""
    rows = gradient(stops or ((0.0, top), (1.0, bottom)), h)
    arr = np.ascontiguousarray(np.broadcast_to(rows[:, None, :], (h, w, 3)).astype(np.uint8))
    return Image.fromarray(arr, "RGB")


def _ridge(rng: np.random.Generator, w: int, base: float, amp: float, waves: int = 3) -> np.ndarray:
    """Column heights (pixels from the top) of a rolling skyline made of a few seeded sines."""
    x = np.linspace(0.0, 1.0, w, dtype=np.float32)
    y = np.full(w, base, dtype=np.float32)
    for k in range(waves):
        f = rng.uniform(0.6, 1.6) * (k + 1)
        y += (amp / (k + 1)) * np.sin(2 * math.pi * f * x + rng.uniform(0, 2 * math.pi)).astype(np.float32)
    return y


def _fill_below(canvas: Image.Image, ridge: np.ndarray, top: RGB, bottom: RGB, bottom_y: float | None = None) -> None:
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


def _glow(canvas: Image.Image, cx: float, cy: float, radius: float, colour: RGB, strength: float) -> None:
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


def _vignette(canvas: Image.Image, strength: float = 0.22) -> Image.Image:
    w, h = canvas.size
    small_w, small_h = 64, max(8, round(64 * h / w))
    x = np.linspace(-1, 1, small_w, dtype=np.float32)
    y = np.linspace(-1, 1, small_h, dtype=np.float32)
    v = 1.0 - strength * np.clip(np.add.outer(y * y, x * x) / 2.0, 0, 1) ** 1.3
    mask = Image.fromarray((v * 255).astype(np.uint8), "L").resize((w, h), Image.BILINEAR)
    return ImageChops.multiply(canvas, Image.merge("RGB", (mask, mask, mask)))


def _paste_noun(canvas: Image.Image, name: str, cx: float, base_y: float, height: float, colour: RGB | None,
                rng: np.random.Generator, ctx: shapes.Ctx, ambient: tuple[float, float, float]) -> tuple[int, int, int, int]:
    """Draw noun ``name`` with its unit box bottom-centred at (cx, base_y); returns its pixel box."""
    tile, ox, oy = shapes.render_noun(name, height, colour, rng, ctx, ambient)
    aspect = shapes.NOUNS[name].aspect
    x0 = round(cx - aspect * height / 2) - ox
    y0 = round(base_y - height) - oy
    canvas.paste(tile, (x0, y0), tile)
    return (x0 + ox, y0 + oy, x0 + ox + round(aspect * height), y0 + oy + round(height))


# ----------------------------------------------------------------------------------------- the scene

@dataclass
class _Stage:
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


def _sky_for(plan: Plan) -> Sky:
    if plan.time:
        return SKIES[plan.time]
    if plan.setting == "space":
        return SKIES["night"]
    return SKIES["day"]


def _overcast(sky: Sky, amount: float) -> Sky:
    grey = (150, 156, 166)
    stops = tuple((p, mix(c, shade(grey, 0.6 + 0.4 * p), amount)) for p, c in sky.stops)
    amb = tuple(a * (1 - 0.25 * amount) for a in sky.ambient)
    return Sky(sky.name, stops, amb, None, sky.moon and amount < 0.5, sky.stars * (1 - amount))  # type: ignore[arg-type]


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
    sky = _sky_for(plan)
    weather = set(plan.weather)
    if "storm" in weather:
        sky = _overcast(sky, 0.75)
    elif "rain" in weather:
        sky = _overcast(sky, 0.55)
    elif "cloudy" in weather or "snow" in weather:
        sky = _overcast(sky, 0.3)
    setting = plan.setting
    nouns = {s.noun for s in plan.subjects}
    if setting is None and nouns & {"boat", "fish"}:
        setting = "water"
    snowy = "snow" in weather or setting == "snowfield" or "snowman" in nouns
    ctx = shapes.Ctx(night=sky.name in ("night", "dusk"), snow=snowy)

    if setting in INDOOR:
        canvas, stage, ambient = _indoor(plan, setting, sky, w, h, rng, ctx)
    elif setting == "space":
        canvas, stage, ambient = _space(w, h, rng)
    elif setting == "underwater":
        canvas, stage, ambient = _underwater(w, h, rng)
    else:
        canvas, stage, ambient = _outdoor(plan, setting, sky, w, h, rng, ctx, snowy)

    _place_subjects(canvas, plan, stage, rng, ctx, ambient, sky, setting)
    if setting not in INDOOR:
        _weather(canvas, weather, stage, rng, snowy and "snow" in weather)
    return _vignette(canvas, 0.28 if sky.name == "night" else 0.2)


def _abstract(plan: Plan, w: int, h: int, rng: np.random.Generator) -> Image.Image:
    """Overlapping translucent discs and rings in the named colours, over a dark gradient of them."""
    cols = list(dict.fromkeys(plan.colours)) or [(232, 92, 80), (246, 196, 70), (60, 140, 200), (130, 80, 180)]
    canvas = _vgrad(shade(cols[0], 0.3), shade(cols[-1], 0.5), w, h)
    ref = min(w, h)
    for i in range(3):
        _glow(canvas, rng.uniform(0, w), rng.uniform(0, h), ref * rng.uniform(0.3, 0.5), cols[i % len(cols)], 0.6)
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
    return _vignette(canvas.filter(ImageFilter.GaussianBlur(0.7)), 0.25)


def _sky_image(sky: Sky, w: int, h: int, horizon: float, rng: np.random.Generator) -> Image.Image:
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


def _sun_and_moon(canvas: Image.Image, plan: Plan, sky: Sky, stage: _Stage, rng: np.random.Generator,
                  ctx: shapes.Ctx, region: tuple[float, float, float, float] | None = None) -> None:
    ctx = shapes.Ctx(ctx.night, ctx.snow, "full" if plan.full_moon else "")
    """Default sun (with glow) or moon, unless the prompt asks for its own (then that is placed here)."""
    w, h = canvas.size
    x0, y0, x1, y1 = region or (0.0, 0.0, float(w), stage.horizon)
    nouns = {s.noun for s in plan.subjects}
    ref = min(h, 1.3 * w)
    if sky.sun is not None:
        height, colour = sky.sun
        r = ref * (0.055 if region is None else 0.04)
        cx = x0 + (x1 - x0) * rng.uniform(0.15, 0.85)
        cy = y1 - (y1 - y0) * height
        _glow(canvas, cx, cy, r * 6, colour, 0.55)
        if "sun" in nouns:
            _paste_noun(canvas, "sun", cx, cy + r * 2.4, r * 4.8, None, rng, ctx, (1, 1, 1))
            stage.boxes.append((round(cx - r * 2.4), round(cy - r * 2.4), round(cx + r * 2.4), round(cy + r * 2.4)))
        else:
            d = ImageDraw.Draw(canvas, "RGBA")
            for k, a in ((1.0, 255),):
                d.ellipse((cx - r * k, cy - r * k, cx + r * k, cy + r * k), fill=(*shade(colour, 1.15), a))
    if sky.moon:
        r = ref * (0.05 if region is None else 0.035)
        cx = x0 + (x1 - x0) * rng.uniform(0.12, 0.88)
        cy = y0 + (y1 - y0) * rng.uniform(0.2, 0.45)
        _glow(canvas, cx, cy, r * 5, (120, 130, 170), 0.5)
        _paste_noun(canvas, "moon", cx, cy + r * 1.25, r * 2.5, None, rng, ctx, (1, 1, 1))
        stage.boxes.append((round(cx - r * 1.3), round(cy - r * 1.3), round(cx + r * 1.3), round(cy + r * 1.3)))


def _outdoor(plan: Plan, setting: str | None, sky: Sky, w: int, h: int, rng: np.random.Generator,
             ctx: shapes.Ctx, snowy: bool) -> tuple[Image.Image, _Stage, tuple[float, float, float]]:
    amb = sky.ambient
    horizon = h * rng.uniform(0.54, 0.64)
    canvas = _sky_image(sky, w, h, horizon, rng)
    stage = _Stage(w, h, horizon, (horizon + 0.3 * (h - horizon), h * 0.9), sky_band=(h * 0.05, horizon))
    _sun_and_moon(canvas, plan, sky, stage, rng, ctx)
    ref = min(h, 1.3 * w)
    # Soft decorative clouds make a daytime sky look less empty.
    if sky.name in ("day", "noon", "sunrise", "golden hour") and "cloud" not in {s.noun for s in plan.subjects}:
        for _ in range(int(rng.integers(1, 4))):
            ch = ref * rng.uniform(0.06, 0.1)
            _paste_noun(canvas, "cloud", rng.uniform(0.1, 0.9) * w, rng.uniform(0.12, 0.4) * horizon + ch,
                        ch, None, rng, ctx, tuple(min(1.0, a) for a in amb))  # type: ignore[arg-type]

    for s in plan.subjects:  # backdrop nouns sit behind the hills
        if shapes.NOUNS[s.noun].place == "backdrop":
            for k in range(s.count):
                mh = ref * rng.uniform(0.32, 0.42)
                cx = w * ((k + 0.5) / s.count + rng.uniform(-0.12, 0.12) / s.count)
                col = s.colours[k % len(s.colours)] if s.colours else None
                _paste_noun(canvas, s.noun, cx, horizon + 0.02 * h, mh, col, rng, ctx, amb)

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
        ridge = _ridge(rng, w, horizon - 0.06 * ref, 0.035 * ref)
        _fill_below(canvas, ridge, tint(far, amb), tint(mix(far, ground_top, 0.4), amb))
    if setting == "forest":
        _tree_line(canvas, horizon, rng, ctx, amb)

    if setting in ("water", "beach"):
        sea_top = tint(mix(sky.stops[-1][1], (40, 110, 170), 0.5), (1, 1, 1))
        sea_bottom = tint((24, 76, 140), amb)
        water_end = horizon + (0.14 if setting == "beach" else 0.55) * (h - horizon)
        _fill_below(canvas, np.full(w, horizon, np.float32), sea_top, sea_bottom, bottom_y=round(water_end))
        _waves(canvas, horizon, water_end, rng, sky)
        shore = _ridge(rng, w, water_end, 0.012 * ref, 2)
        _fill_below(canvas, shore, tint(ground_top, amb), tint(ground_bottom, amb))
        if setting == "beach":
            d = ImageDraw.Draw(canvas)
            d.line([(x, float(shore[min(x, w - 1)])) for x in range(0, w + 8, 8)],
                   fill=tint(mix(ground_top, (255, 255, 255), 0.65), amb), width=max(2, round(ref / 200)), joint="curve")
        stage.water = (horizon + 0.02 * h, water_end)
        stage.ground = (water_end + 0.25 * (h - water_end), h * 0.93)
    else:
        near = _ridge(rng, w, horizon + 0.01 * ref, 0.012 * ref, 2)
        _fill_below(canvas, near, tint(ground_top, amb), tint(ground_bottom, amb))
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
    road = _vgrad(tint((92, 92, 98), amb), tint((62, 62, 68), amb), w, max(1, round(h - top - 0.06 * h)))
    canvas.paste(road, (0, round(top + 0.06 * h)))
    y = top + 0.06 * h + 0.55 * (h - top - 0.06 * h)
    for x in np.arange(0, w, w / 10):
        d.rectangle((x, y, x + w / 20, y + max(2, h * 0.008)), fill=tint((236, 230, 200), amb))


def _tree_line(canvas: Image.Image, horizon: float, rng: np.random.Generator, ctx: shapes.Ctx,
               amb: tuple[float, float, float]) -> None:
    w, h = canvas.size
    dim = tuple(a * 0.75 for a in amb)
    n = max(8, w // 60)
    for i in range(n):
        th = h * rng.uniform(0.12, 0.22)
        _paste_noun(canvas, "tree", (i + rng.uniform(0, 1)) * w / n, horizon + 0.03 * h, th, None, rng,
                    shapes.Ctx(night=ctx.night, snow=ctx.snow, variant="pine" if rng.random() < 0.6 else ""),
                    dim)  # type: ignore[arg-type]


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


def _space(w: int, h: int, rng: np.random.Generator) -> tuple[Image.Image, _Stage, tuple[float, float, float]]:
    sky = Sky("space", ((0.0, (2, 2, 12)), (1.0, (14, 8, 34))), (1.0, 1.0, 1.0), None, stars=2.2)
    canvas = _sky_image(sky, w, h, float(h), rng)
    for colour in ((120, 40, 160), (30, 80, 170), (170, 50, 110)):
        r = min(w, h) * rng.uniform(0.25, 0.45)
        _glow(canvas, rng.uniform(0, w), rng.uniform(0, h), r, colour, 0.45)
    stage = _Stage(w, h, float(h), (h * 0.35, h * 0.9), sky_band=(h * 0.05, h * 0.95), floating=True)
    return canvas, stage, (0.95, 0.95, 1.0)


def _underwater(w: int, h: int, rng: np.random.Generator) -> tuple[Image.Image, _Stage, tuple[float, float, float]]:
    canvas = _vgrad((70, 184, 214), (8, 40, 92), w, h)
    # Light shafts: a few soft slanted bands, drawn small and stretched.
    sw, sh = 96, max(8, round(96 * h / w))
    x = np.linspace(0, 1, sw, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, sh, dtype=np.float32)[:, None]
    shafts = np.zeros((sh, sw), np.float32)
    for _ in range(4):
        c, width = rng.uniform(0.1, 0.9), rng.uniform(0.03, 0.07)
        shafts += np.exp(-(((x - c - 0.25 * y) / width) ** 2)) * (1 - y) * 0.35
    light = Image.fromarray((shafts.clip(0, 1) * 255).astype(np.uint8), "L").resize((w, h), Image.BILINEAR)
    canvas = ImageChops.screen(canvas, Image.merge("RGB", (light, light, light)))
    sand = _ridge(rng, w, h * 0.86, h * 0.015, 2)
    _fill_below(canvas, sand, (200, 184, 140), (150, 134, 100))
    d = ImageDraw.Draw(canvas, "RGBA")
    for _ in range(max(5, w // 90)):
        x0 = rng.uniform(0, w)
        height = h * rng.uniform(0.12, 0.3)
        pts = [(x0 + math.sin(t * 5 + x0) * w * 0.01, h * 0.9 - height * t) for t in np.linspace(0, 1, 12)]
        d.line(pts, fill=(40, 120, 70, 230), width=max(2, w // 110), joint="curve")
    for _ in range(max(12, w // 40)):
        bx, by, r = rng.uniform(0, w), rng.uniform(0, h * 0.8), rng.uniform(1.5, 0.012 * h)
        d.ellipse((bx - r, by - r, bx + r, by + r), outline=(220, 240, 255, 170), width=max(1, round(r / 4)))
    stage = _Stage(w, h, h * 0.1, (h * 0.88, h * 0.93), water=(h * 0.2, h * 0.78), sky_band=(h * 0.08, h * 0.5))
    return canvas, stage, (0.78, 0.9, 1.0)


def _indoor(plan: Plan, setting: str, sky: Sky, w: int, h: int, rng: np.random.Generator,
            ctx: shapes.Ctx) -> tuple[Image.Image, _Stage, tuple[float, float, float]]:
    floor_y = h * 0.6
    walls = {"restaurant": ((128, 38, 46), (92, 24, 34)), "kitchen": (( 236, 226, 204), (214, 200, 172)),
             "room": ((218, 206, 186), (190, 176, 156))}
    top, bottom = walls[setting]
    if plan.setting_colour is not None:
        top, bottom = mix(top, plan.setting_colour, 0.6), mix(bottom, plan.setting_colour, 0.6)
    canvas = _vgrad(top, bottom, w, h)
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
    win = _sky_image(view, round(ww), round(wh), wh * 1.0, rng)
    canvas.paste(win, (round(wx), round(wy)))
    stage = _Stage(w, h, floor_y, (floor_y + 0.05 * h, h * 0.72), window=(wx, wy, wx + ww, wy + wh),
                   sky_band=(h * 0.06, h * 0.42))
    _sun_and_moon(canvas, plan, view, stage, rng, ctx, region=(wx, wy, wx + ww, wy + wh))
    d = ImageDraw.Draw(canvas, "RGBA")
    d.line([(wx + ww / 2, wy), (wx + ww / 2, wy + wh)], fill=frame, width=max(2, round(h * 0.01)))
    d.line([(wx, wy + wh / 2), (wx + ww, wy + wh / 2)], fill=frame, width=max(2, round(h * 0.01)))
    # A framed picture on the other side of the wall.
    px = w * 0.7 if wx < w * 0.5 else w * 0.12
    pw, ph = w * 0.16, h * 0.2
    d.rectangle((px - h * 0.012, h * 0.12 - h * 0.012, px + pw + h * 0.012, h * 0.12 + ph + h * 0.012), fill=(180, 140, 60))
    art = _vgrad((120, 170, 220), (230, 200, 150), round(pw), round(ph))
    ImageDraw.Draw(art).polygon([(0, ph), (pw * 0.4, ph * 0.45), (pw * 0.7, ph * 0.8), (pw, ph * 0.55), (pw, ph)],
                                fill=(70, 120, 80))
    canvas.paste(art, (round(px), round(h * 0.12)))
    # Wainscot panel under the chair rail.
    rail = h * 0.44
    panel = shade(bottom, 0.7)
    d.rectangle((0, rail, w, floor_y), fill=panel)
    d.line([(0, rail), (w, rail)], fill=shade(frame, 0.9), width=max(2, round(h * 0.008)))
    for x in np.arange(w * 0.02, w, w / 9):
        d.rectangle((x, rail + h * 0.025, x + w / 9 - w * 0.03, floor_y - h * 0.02), outline=shade(panel, 0.8),
                    width=max(1, h // 400))
    floor = _vgrad((124, 82, 52), (84, 54, 34), w, round(h - floor_y))
    canvas.paste(floor, (0, round(floor_y)))
    vp = w * 0.5
    for k in range(-10, 11):
        d.line([(vp + k * w * 0.05, floor_y), (vp + k * w * 0.16, h)], fill=(60, 36, 22, 120), width=max(1, h // 500))
    # Pendant lamps with warm glows.
    lamps = [w * 0.3, w * 0.7] if w > h * 0.9 else [w * 0.5]
    for lx in lamps:
        ly = h * 0.17
        _glow(canvas, lx, ly + h * 0.05, h * 0.22, (255, 190, 110), 0.45)
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


def _draw_table(canvas: Image.Image, stage: _Stage, setting: str, ctx: shapes.Ctx, rng: np.random.Generator) -> None:
    assert stage.table is not None
    w, h = canvas.size
    x0, x1, ty = stage.table
    d = ImageDraw.Draw(canvas, "RGBA")
    cloth = (246, 242, 234) if setting == "restaurant" else (168, 116, 70)
    d.polygon([(x0 + w * 0.03, ty - h * 0.035), (x1 - w * 0.03, ty - h * 0.035), (x1, ty + h * 0.03), (x0, ty + h * 0.03)],
              fill=cloth)
    front = _vgrad(shade(cloth, 0.92), shade(cloth, 0.7), round(x1 - x0), max(1, round(h - ty - h * 0.03)))
    canvas.paste(front, (round(x0), round(ty + h * 0.03)))
    d = ImageDraw.Draw(canvas, "RGBA")
    if setting == "restaurant":
        for x in np.arange(x0 + w * 0.04, x1, w * 0.07):
            d.line([(x, ty + h * 0.04), (x + w * 0.005, h)], fill=(0, 0, 0, 12), width=max(2, w // 250))
        # Candle with a glow: the "fancy" cue.
        cx = x0 + (x1 - x0) * rng.choice([0.12, 0.88])
        _glow(canvas, cx, ty - h * 0.12, h * 0.08, (255, 180, 90), 0.6)
        d = ImageDraw.Draw(canvas, "RGBA")
        d.rectangle((cx - h * 0.012, ty - h * 0.1, cx + h * 0.012, ty - h * 0.005), fill=(246, 236, 210, 255))
        d.ellipse((cx - h * 0.008, ty - h * 0.135, cx + h * 0.008, ty - h * 0.1), fill=(255, 210, 90, 255))
        d.ellipse((cx - h * 0.03, ty - h * 0.015, cx + h * 0.03, ty + h * 0.005), fill=(200, 170, 90, 255))
    else:
        d.rectangle((x0, ty + h * 0.03, x1, ty + h * 0.05), fill=shade(cloth, 0.6))


def _place_subjects(canvas: Image.Image, plan: Plan, stage: _Stage, rng: np.random.Generator, ctx: shapes.Ctx,
                    ambient: tuple[float, float, float], sky: Sky, setting: str | None) -> None:
    w, h = canvas.size
    ref = min(h, 1.3 * w)
    instances: list[tuple[str, RGB | None, str]] = []
    free = list(plan.free_colours)
    colourable = {"car", "balloon", "umbrella", "flower", "hat", "ball", "boat", "butterfly", "heart", "house",
                  "person", "fish", "cake", "cup", "star", "robot", "planet", "plane", "rocket", "snowman"}
    for s in plan.subjects:
        if (s.noun == "sun" and sky.sun is not None) or (s.noun == "moon" and sky.moon):
            continue  # already drawn with the sky
        if shapes.NOUNS[s.noun].place == "backdrop" and setting not in INDOOR and setting not in ("space", "underwater"):
            continue  # already drawn behind the hills
        for k in range(s.count):
            col = s.colours[k % len(s.colours)] if s.colours else None
            if col is None and s.noun in colourable and free:
                col = free[k % len(free)] if s.count > 1 else free.pop(0)
            instances.append((s.noun, col, s.word))
    n_main = sum(1 for n, _, _ in instances if shapes.NOUNS[n].place in ("ground", "small", "water"))
    hero = 1.45 if n_main <= 1 else 1.25 if n_main == 2 else 1.0
    only_small = n_main > 0 and all(shapes.NOUNS[n].place == "small" for n, _, _ in instances
                                    if shapes.NOUNS[n].place in ("ground", "small", "water"))

    sky_items, floor_items, table_items, water_items = [], [], [], []
    for inst in instances:
        place = shapes.NOUNS[inst[0]].place
        if stage.floating:
            sky_items.append(inst) if place == "sky" else floor_items.append(inst)
        elif place == "sky":
            sky_items.append(inst)
        elif place == "water" and stage.water is not None:
            water_items.append(inst)
        elif stage.table is not None and (place == "small" or shapes.NOUNS[inst[0]].height <= 0.3):
            table_items.append(inst)
        else:
            floor_items.append(inst)

    def size_of(name: str, depth: float = 1.0) -> float:
        noun = shapes.NOUNS[name]
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

    # Sky things: rejection-sample positions so they do not pile up.
    boxes = list(stage.boxes)
    for name, col, word in sky_items:
        s = size_of(name) * (0.9 if name != "bird" else rng.uniform(0.7, 1.2))
        region = stage.window if (stage.window and name in ("sun", "moon", "star", "cloud", "bird", "plane", "rocket")) else None
        if region is not None:
            rx0, ry0, rx1, ry1 = region
            s = min(s, (ry1 - ry0) * 0.45, (rx1 - rx0) * 0.45 / shapes.NOUNS[name].aspect)
        else:
            rx0, ry0, rx1, ry1 = 0.0, stage.sky_band[0], float(w), stage.sky_band[1]
        aw = shapes.NOUNS[name].aspect * s
        best = None
        for _ in range(12):
            cx = rng.uniform(rx0 + aw / 2 + 2, max(rx0 + aw / 2 + 3, rx1 - aw / 2 - 2))
            by = rng.uniform(ry0 + s, max(ry0 + s + 1, ry1 - 0.02 * h))
            box = (cx - aw / 2, by - s, cx + aw / 2, by)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes):
                best = (cx, by, box)
                break
            best = best or (cx, by, box)
        cx, by, box = best  # type: ignore[misc]
        boxes.append(tuple(round(v) for v in box))  # type: ignore[arg-type]
        _paste_noun(canvas, name, cx, by, s, col, rng, shapes.Ctx(ctx.night, ctx.snow, word), ambient)

    placed: list[tuple[float, str, RGB | None, str, float, float]] = []  # (baseline, name, col, word, cx, size)
    lo, hi = stage.ground
    for x, (name, col, word) in zip(spread(len(floor_items), 0.04 * w, 0.96 * w), floor_items, strict=True):
        if stage.floating:
            by = rng.uniform(h * 0.35, h * 0.85)
            depth = 1.0
        else:
            # Big things (houses, trees, castles) stand further back, small ones in front, so a car is
            # not hidden behind a house.
            big = shapes.NOUNS[name].height >= 0.36
            by = rng.uniform(lo, lo + 0.55 * (hi - lo)) if big else rng.uniform(lo + 0.4 * (hi - lo), hi)
            depth = 0.75 + 0.45 * (by - stage.horizon) / max(1.0, h - stage.horizon)
        s = size_of(name, depth)
        half = shapes.NOUNS[name].aspect * s / 2
        placed.append((by, name, col, word, min(max(x, half), w - half), s))
    if stage.water is not None:
        wlo, whi = stage.water
        for x, (name, col, word) in zip(spread(len(water_items), 0.05 * w, 0.95 * w), water_items, strict=True):
            by = rng.uniform(wlo + 0.3 * (whi - wlo), whi) if name == "boat" else rng.uniform(wlo + 0.4 * (whi - wlo), whi)
            depth = 0.7 + 0.5 * (by - wlo) / max(1.0, whi - wlo)
            if setting == "underwater":
                depth *= 2.2  # the fish are the subject here, not specks in a lake
            s = size_of(name, depth)
            placed.append((by, name, col, word, x, s))
    for by, name, col, word, cx, s in sorted(placed, key=lambda t: t[0]):
        _paste_noun(canvas, name, cx, by, s, col, rng, shapes.Ctx(ctx.night, ctx.snow, word), ambient)

    if stage.table is not None:
        _draw_table(canvas, stage, setting or "", ctx, rng)
        x0, x1, ty = stage.table
        xs = spread(len(table_items), x0 + 0.12 * (x1 - x0), x1 - 0.12 * (x1 - x0))
        for x, (name, col, word) in sorted(zip(xs, table_items, strict=True), key=lambda t: -shapes.NOUNS[t[1][0]].height):
            s = size_of(name)
            if setting == "restaurant" and shapes.NOUNS[name].place == "small":
                d = ImageDraw.Draw(canvas, "RGBA")
                pw = shapes.NOUNS[name].aspect * s * 0.75
                d.ellipse((x - pw, ty - h * 0.025, x + pw, ty + h * 0.015), fill=(212, 208, 204, 255))
                d.ellipse((x - pw * 0.8, ty - h * 0.02, x + pw * 0.8, ty + h * 0.008), fill=(252, 252, 250, 255))
            _paste_noun(canvas, name, x, ty + 0.005 * h, s, col, rng, shapes.Ctx(ctx.night, ctx.snow, word), ambient)

    if not instances and plan.colours:
        # Nothing drawable but colours were named: float soft bokeh discs in them.
        for i in range(6):
            c = plan.colours[i % len(plan.colours)]
            r = ref * rng.uniform(0.05, 0.12)
            _glow(canvas, rng.uniform(0, w), rng.uniform(0, h * 0.8), r, c, 0.9)


def _weather(canvas: Image.Image, weather: set[str], stage: _Stage, rng: np.random.Generator, snowing: bool) -> None:
    w, h = canvas.size
    if "fog" in weather:
        sw, sh = 32, max(4, round(32 * h / w))
        y = np.linspace(0, 1, sh, dtype=np.float32)[:, None]
        hz = stage.horizon / h
        a = 0.35 + 0.45 * np.exp(-np.abs(y - hz) / 0.18)
        a = np.broadcast_to(a, (sh, sw))
        mask = Image.fromarray((a * 255).astype(np.uint8), "L").resize((w, h), Image.BILINEAR)
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
