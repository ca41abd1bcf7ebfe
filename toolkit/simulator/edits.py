"""The edit vocabulary: plain-language instructions mapped to classical image operations.

An instruction is searched (case-insensitively) for every trigger in :data:`EDITS`; matches that overlap
a more specific one are dropped ("blur the background" is not also "blur"), and the rest are applied in
the order they appear, so "make it black and white and add a vignette" does both. ``add a <noun>``
draws one of the nouns the scene module knows (:data:`toolkit.simulator.shapes.NOUNS`).

Known limits: negation is not understood ("don't blur" blurs), and there is no notion of *where* in the
picture the subject is beyond "the middle".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from . import shapes
from .palette import COLOURS, RGB, gradient, luminance, smoothstep

EditFn = Callable[[Image.Image, "Op", np.random.Generator], Image.Image]


@dataclass(frozen=True)
class Edit:
    """One vocabulary entry."""

    key: str
    phrase: str  # the trigger phrase shown to users
    description: str
    pattern: str  # regex, matched case-insensitively between word boundaries
    fn: EditFn
    priority: int = 0  # higher wins when matches overlap


@dataclass(frozen=True)
class Op:
    """An edit found in an instruction, with the text that triggered it and parsed arguments."""

    edit: Edit
    text: str
    start: int
    args: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How the reply text names this operation ("rotate 90° clockwise", "add moon", ...)."""
        return str(self.args.get("label", self.edit.key))


@dataclass(frozen=True)
class Parsed:
    """What :func:`parse_instruction` found."""

    ops: tuple[Op, ...]
    unknown_nouns: tuple[str, ...] = ()


# ----------------------------------------------------------------------------------------- operations

def _diag(img: Image.Image) -> float:
    return math.hypot(*img.size)


def _lut(fn: Callable[[np.ndarray], np.ndarray]) -> list[int]:
    x = np.arange(256, dtype=np.float32)
    return np.clip(np.round(fn(x)), 0, 255).astype(np.uint8).tolist()


def _per_channel(img: Image.Image, gains: tuple[float, float, float]) -> Image.Image:
    lut: list[int] = []
    for g in gains:
        lut += _lut(lambda x, g=g: x * g)
    return img.point(lut)


def _radial(size: tuple[int, int], inner: float, outer: float, cx: float = 0.5, cy: float = 0.5,
            sx: float = 1.0, sy: float = 1.0) -> Image.Image:
    """A soft elliptical mask (255 inside ``inner``, 0 beyond ``outer``), computed small and resized."""
    w, h = size
    sw, sh = 128, max(8, round(128 * h / w))
    x = (np.linspace(0, 1, sw, dtype=np.float32)[None, :] - cx) / sx
    y = (np.linspace(0, 1, sh, dtype=np.float32)[:, None] - cy) / sy
    r = np.sqrt(x * x + y * y)
    m = 1.0 - smoothstep(inner, outer, r)
    return Image.fromarray((m * 255).astype(np.uint8), "L").resize((w, h), Image.BILINEAR)


def _grayscale(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    return ImageOps.grayscale(img).convert("RGB")


def _sepia(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    # A tone curve from dark brown to cream, with lifted blacks: the faded look of old prints.
    stops = ((0.0, (46, 30, 18)), (0.5, (164, 124, 84)), (1.0, (250, 238, 208)))
    ramp = gradient(stops, 256)
    gray = ImageOps.grayscale(img)
    bands = [gray.point(np.round(ramp[:, i]).astype(np.uint8).tolist()) for i in range(3)]
    return Image.merge("RGB", bands)


def _blur_background(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    # Without a segmentation model the subject is assumed to be the centre: a soft ellipse stays sharp.
    blurred = img.filter(ImageFilter.GaussianBlur(_diag(img) * 0.009))
    mask = _radial(img.size, 0.34, 0.5, 0.5, 0.48, 0.85, 1.0)
    return Image.composite(img, blurred, mask)


def _blur(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    return img.filter(ImageFilter.GaussianBlur(max(1.5, _diag(img) * 0.004)))


def _sharpen(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    return img.filter(ImageFilter.UnsharpMask(radius=max(1.5, _diag(img) / 900), percent=170, threshold=1))


def _brighter(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    return img.point(_lut(lambda x: 255 * (x / 255) ** 0.72 * 1.04) * 3)


def _darker(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    return img.point(_lut(lambda x: 255 * (x / 255) ** 1.4 * 0.9) * 3)


def _contrast(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    return ImageEnhance.Contrast(img).enhance(1.45)


def _less_contrast(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    return ImageEnhance.Contrast(img).enhance(0.6)


def _saturate(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    return ImageEnhance.Color(img).enhance(1.6)


def is_grayscale(img: Image.Image, tol: float = 4.0) -> bool:
    """True when the channels hardly differ (mean |R-G| + |G-B| below ``tol``), sampled small."""
    small = np.asarray(img.reduce(max(1, min(img.size) // 128)), dtype=np.int16)
    return float(np.abs(small[..., 0] - small[..., 1]).mean() + np.abs(small[..., 1] - small[..., 2]).mean()) < tol


def _colourise(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    if not is_grayscale(img):
        op.args["label"] = "colourise (already in colour: boosted saturation)"
        return ImageEnhance.Color(img).enhance(1.35)
    # Luminance through a warm "natural" ramp: cool deep shadows, skin-like mid tones, warm highlights.
    stops = ((0.0, (22, 20, 34)), (0.22, (70, 56, 58)), (0.45, (150, 108, 86)), (0.62, (206, 160, 128)),
             (0.8, (232, 208, 180)), (1.0, (250, 248, 240)))
    ramp = gradient(stops, 256)
    gray = np.asarray(ImageOps.grayscale(img), dtype=np.float32)
    out = ramp[gray.astype(np.uint8)]
    h = gray.shape[0]
    # Bright, smooth areas near the top are probably sky: push them towards blue.
    yy = np.linspace(1.0, 0.0, h, dtype=np.float32)[:, None]
    sky = smoothstep(0.55, 0.85, gray / 255.0) * smoothstep(0.35, 0.9, yy)
    sky_col = np.array([150, 188, 230], dtype=np.float32) * (gray / 255.0)[..., None] * 1.08
    out = out * (1 - sky[..., None]) + sky_col * sky[..., None]
    # Keep the original luminance so detail survives the recolouring.
    lum = luminance(out)
    out *= (gray / np.maximum(lum, 1.0))[..., None]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")


def _warm(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    return _per_channel(img, (1.1, 1.01, 0.84))


def _cool(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    return _per_channel(img, (0.86, 0.98, 1.12))


def _rotate(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    t = op.text.lower()
    if "180" in t or "upside" in t:
        op.args["label"] = "rotate 180°"
        return img.transpose(Image.Transpose.ROTATE_180)
    if "270" in t or re.search(r"\bleft\b|counter|anti|\bccw\b", t):
        op.args["label"] = "rotate 90° counter-clockwise"
        return img.transpose(Image.Transpose.ROTATE_90)
    op.args["label"] = "rotate 90° clockwise"
    return img.transpose(Image.Transpose.ROTATE_270)


def _mirror(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    return ImageOps.mirror(img)


def _flip(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    return ImageOps.flip(img)


_NAMED_RATIOS = {"square": (1, 1), "portrait": (3, 4), "landscape": (4, 3), "widescreen": (16, 9),
                 "panorama": (21, 9), "panoramic": (21, 9), "instagram": (4, 5), "story": (9, 16)}


def crop_to_ratio(img: Image.Image, a: int, b: int) -> Image.Image:
    """The largest centred crop of ``img`` with aspect ratio ``a:b``."""
    w, h = img.size
    if w * b > h * a:
        nw = max(1, round(h * a / b))
        x0 = (w - nw) // 2
        return img.crop((x0, 0, x0 + nw, h))
    nh = max(1, round(w * b / a))
    y0 = (h - nh) // 2
    return img.crop((0, y0, w, y0 + nh))


def _crop(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    t = op.text.lower()
    m = re.search(r"(\d+)\s*[:x/]\s*(\d+)", t)
    if m and int(m.group(1)) > 0 and int(m.group(2)) > 0:
        a, b = int(m.group(1)), int(m.group(2))
        op.args["label"] = f"crop to {a}:{b}"
        return crop_to_ratio(img, a, b)
    for word, (a, b) in _NAMED_RATIOS.items():
        if word in t:
            op.args["label"] = f"crop to {word} ({a}:{b})"
            return crop_to_ratio(img, a, b)
    op.args["label"] = "crop (centre 80%)"
    w, h = img.size
    return img.crop((round(w * 0.1), round(h * 0.1), round(w * 0.9), round(h * 0.9)))


def _zoom(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    w, h = img.size
    k = 1 / 1.4
    box = (w * (1 - k) / 2, h * (1 - k) / 2, w * (1 + k) / 2, h * (1 + k) / 2)
    return img.resize((w, h), Image.BICUBIC, box=box)


def _pixelate(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    w, h = img.size
    block = max(4, round(min(w, h) / 40))
    small = img.resize((max(1, w // block), max(1, h // block)), Image.BOX)
    return small.resize((w, h), Image.NEAREST)


def _posterize(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    return ImageOps.posterize(img, 2)


def _edges(gray: np.ndarray) -> np.ndarray:
    """Gradient magnitude (Sobel-like, by shifted differences: vectorised, no per-pixel loop)."""
    g = gray.astype(np.float32)
    gx = np.zeros_like(g)
    gy = np.zeros_like(g)
    gx[:, 1:-1] = g[:, 2:] - g[:, :-2]
    gy[1:-1, :] = g[2:, :] - g[:-2, :]
    return np.hypot(gx, gy)


def _cartoon(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    w, h = img.size
    # Smooth small, then quantise brightness only (hue kept): flat regions like cel shading.
    small = img.resize((max(1, w // 3), max(1, h // 3)), Image.BOX).filter(ImageFilter.MedianFilter(5))
    flat = ImageEnhance.Color(small).enhance(1.35).resize((w, h), Image.BICUBIC)
    arr = np.asarray(flat, dtype=np.float32)
    lum = luminance(arr)
    levels = 5
    q = (np.floor(lum / 256.0 * levels) + 0.6) * (255.0 / levels)
    arr = arr * (q / np.maximum(lum, 1.0))[..., None]
    gray = np.asarray(ImageOps.grayscale(img).filter(ImageFilter.GaussianBlur(max(1.5, _diag(img) / 600))))
    mag = _edges(gray)
    thr = max(14.0, float(np.percentile(mag, 92)))
    ink = smoothstep(thr * 0.9, thr * 1.5, mag)
    arr = arr * (1 - 0.9 * ink[..., None])
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8), "RGB")


def _night(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    arr = np.asarray(img, dtype=np.float32)
    lum = luminance(arr)[..., None]
    desat = arr * 0.45 + lum * 0.55
    out = desat * np.array([0.32, 0.42, 0.72], dtype=np.float32)
    out = 255 * (out / 255) ** 1.15
    img2 = Image.fromarray(out.clip(0, 255).astype(np.uint8), "RGB")
    return _vignette(img2, op, rng, strength=0.45)


def _sunset(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    h = img.size[1]
    arr = np.asarray(img, dtype=np.float32) * np.array([1.06, 0.96, 0.84], dtype=np.float32)
    over = gradient(((0.0, (255, 170, 90)), (0.55, (246, 150, 110)), (1.0, (150, 100, 150))), h)[:, None, :]
    t = np.linspace(0.4, 0.22, h, dtype=np.float32)[:, None, None]
    # Soft-light-like blend: the overlay colours the image without flattening its tones.
    out = arr * (1 - t) + (arr * over / 255 * 1.5) * t
    return Image.fromarray(out.clip(0, 255).astype(np.uint8), "RGB")


def _invert(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    return ImageOps.invert(img)


def _vignette(img: Image.Image, op: Op, rng: np.random.Generator, strength: float = 0.6) -> Image.Image:
    mask = _radial(img.size, 0.25, 0.9, sx=0.72, sy=0.72)
    lo = round(255 * (1 - strength))
    shade_map = mask.point(lambda v: lo + (255 - lo) * v // 255)
    return Image.composite(img, Image.new("RGB", img.size, (0, 0, 0)), shade_map)


def _sketch(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    # Colour-dodge the grey image with its blurred negative: the classic pencil-sketch trick.
    gray = ImageOps.grayscale(img)
    blur = ImageOps.invert(gray).filter(ImageFilter.GaussianBlur(max(2.0, _diag(img) / 250)))
    g = np.asarray(gray, dtype=np.float32)
    b = np.asarray(blur, dtype=np.float32)
    out = np.clip(g * 255.0 / np.maximum(255.0 - b, 1.0), 0, 255)
    out = 255 * (out / 255) ** 2.2  # darker strokes
    return Image.fromarray(out.astype(np.uint8), "L").convert("RGB")


def _grain(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    w, h = img.size
    noise = rng.normal(0.0, 14.0, (h, w, 1)).astype(np.float32)
    out = np.asarray(img, dtype=np.float32) + noise
    return Image.fromarray(out.clip(0, 255).astype(np.uint8), "RGB")


def _denoise(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    return img.filter(ImageFilter.MedianFilter(3))


def _snow(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    out = _per_channel(img, (0.95, 1.0, 1.06)).point(_lut(lambda x: 40 + x * 0.86) * 3)
    w, h = out.size
    d = ImageDraw.Draw(out, "RGBA")
    n = max(60, w * h // 2500)
    for x, y, r in zip(rng.uniform(0, w, n), rng.uniform(0, h, n), rng.random(n) ** 2 * h * 0.006 + 1.2, strict=True):
        d.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255, 225))
    return out


def _rain(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    out = _per_channel(img, (0.78, 0.84, 0.92))
    w, h = out.size
    d = ImageDraw.Draw(out, "RGBA")
    n = max(80, w * h // 2000)
    ln = h * 0.04
    for x, y in zip(rng.uniform(-0.1 * w, w, n), rng.uniform(-ln, h, n), strict=True):
        d.line([(x, y), (x + ln * 0.22, y + ln)], fill=(200, 212, 230, 120), width=max(1, h // 500))
    return out


def _fog(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    w, h = img.size
    # Thicker towards the top, where a photo usually shows what is farthest away.
    mask = _radial(img.size, 0.0, 1.6, 0.5, 1.1, 1.0, 1.4).point(lambda v: 175 - v * 85 // 255)
    return Image.composite(Image.new("RGB", (w, h), (222, 226, 232)), img, mask)


def _remove_background(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    from .fuse import foreground_mask

    mask, _ = foreground_mask(img)
    return Image.composite(img, Image.new("RGB", img.size, (255, 255, 255)), mask)


def _painting(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    w, h = img.size
    k = max(2, round(min(w, h) / 200))
    small = img.resize((max(1, w // k), max(1, h // k)), Image.BOX)
    # Median then mode filtering merges detail into flat dabs of colour, like brush strokes; a light
    # unsharp mask afterwards gives the dabs edges.
    small = small.filter(ImageFilter.MedianFilter(5)).filter(ImageFilter.ModeFilter(5))
    out = ImageEnhance.Color(small).enhance(1.3).resize((w, h), Image.BICUBIC)
    return out.filter(ImageFilter.UnsharpMask(radius=max(1.0, k * 0.8), percent=60, threshold=2))


def _add(img: Image.Image, op: Op, rng: np.random.Generator) -> Image.Image:
    name: str = op.args["noun"]
    colour: RGB | None = op.args.get("colour")
    count: int = op.args.get("count", 1)
    noun = shapes.NOUNS[name]
    out = img.copy()
    w, h = out.size
    ref = min(h, 1.3 * w)
    night = float(np.asarray(img.reduce(max(1, min(w, h) // 64))).mean()) < 70
    ctx = shapes.Ctx(night=night, variant=op.args.get("word", ""))
    for k in range(count):
        grow = 2.0 if name == "hat" else 1.25 if noun.place != "sky" else 1.0
        s = noun.height * ref * grow * rng.uniform(0.9, 1.1)
        s = min(s, 0.9 * w / noun.aspect, 0.8 * h)
        half = noun.aspect * s / 2
        slot = (k + 0.5) / count
        if name == "hat":
            cx, base = w * 0.5, h * 0.05 + s  # on top of a centred subject's head, as far as we can guess
        elif noun.place == "sky":
            cx, base = w * (0.15 + 0.7 * (slot if count > 1 else rng.uniform(0, 1))), h * rng.uniform(0.1, 0.3) + s
        else:
            cx, base = w * (0.15 + 0.7 * (slot if count > 1 else rng.choice([0.1, 0.9]))), h * rng.uniform(0.86, 0.94)
        cx = min(max(cx, half + 2), w - half - 2)
        tile, ox, oy = shapes.render_noun(name, s, colour, rng, ctx)
        out.paste(tile, (round(cx - half) - ox, round(base - s) - oy), tile)
    op.args["label"] = f"add {name}" if count == 1 else f"add {count} {name}s"
    return out


# ----------------------------------------------------------------------------------------- vocabulary

_IMG = r"(?:\s+(?:it|this|the\s+(?:image|photo|picture|pic)))?"

EDITS: tuple[Edit, ...] = (
    Edit("black and white", "black and white", "grayscale (also: greyscale, monochrome, desaturate)",
         r"black[\s-]*(?:and|&|n)[\s-]*white|b\s?&\s?w|gr[ae]y[\s-]?scale|monochrome|desaturat\w*|no\s+colou?rs?|colou?rless",
         _grayscale, 5),
    Edit("sepia", "sepia", "brown-toned old print (also: vintage, old photo, antique, retro)",
         r"sepia|vintage|old[\s-](?:photo\w*|picture|film|timey|fashioned|time)|antique|retro", _sepia, 4),
    Edit("blur the background", "blur the background",
         "keeps a central ellipse sharp and blurs the rest (also: bokeh, portrait mode, depth of field)",
         r"blur\w*(?:\s+out)?\s+(?:the\s+|its\s+)?(?:back\s?ground|bg)|back\s?ground\s+blur\w*|bokeh|portrait\s+mode|"
         r"(?:shallow\s+)?depth\s+of\s+field", _blur_background, 9),
    Edit("blur", "blur", "Gaussian blur (also: soften, out of focus)", r"blur\w*|soften|out\s+of\s+focus|defocus\w*",
         _blur, 1),
    Edit("sharpen", "sharpen", "unsharp mask (also: sharper, crisper, more detail)",
         r"sharpen\w*|sharper|crisp(?:er|en)?|more\s+detail(?:ed)?|enhance\s+(?:the\s+)?details?|unblur|deblur", _sharpen, 2),
    Edit("brighter", "brighter", "lifts mid-tones (also: brighten, lighten, more light)",
         r"bright(?:er|en\w*)|lighten\w*|lighter|more\s+light|(?:increase|raise|boost)\s+(?:the\s+)?(?:brightness|exposure)|"
         r"over-?expose\w*|less\s+dark", _brighter, 2),
    Edit("darker", "darker", "deepens mid-tones (also: darken, dim, moody)",
         r"dark(?:er|en\w*)|dimmer|dim|(?:decrease|lower|reduce)\s+(?:the\s+)?(?:brightness|exposure)|under-?expose\w*|"
         r"less\s+bright|mood(?:y|ier)", _darker, 2),
    Edit("more contrast", "more contrast", "stretches tones (also: increase contrast, punchy)",
         r"(?:more|increase\w*|boost\w*|higher|add|stronger|high)\s+(?:the\s+)?contrast|contrast(?:y|ier)?|punch(?:y|ier)",
         _contrast, 2),
    Edit("less contrast", "less contrast", "flattens tones (also: lower contrast, faded, washed out)",
         r"(?:less|lower|reduce\w*|decrease\w*|softer|low)\s+(?:the\s+)?contrast|faded|washed[\s-]out|matte", _less_contrast, 4),
    Edit("colorize", "colorize", "colours a grayscale photo with natural tones (also: colourise, add colour)",
         # "Colorize this old photo": the object phrase belongs to colourise, so "old photo" is not also sepia.
         r"colou?ri[sz]\w*(?:\s+(?:this|the|my|an?)\s+(?:old\s+)?(?:black[\s-]and[\s-]white\s+)?(?:photo\w*|picture|image|pic))?|"
         r"add\s+colou?rs?|in\s+colou?r|restore\s+(?:the\s+)?colou?rs?|full\s+colou?r|colou?r\s+it", _colourise, 6),
    Edit("more saturated", "more saturated", "richer colours (also: vivid, vibrant, more colourful)",
         r"(?:more\s+)?saturat\w*|vivid|vibrant|more\s+colou?rful|boost\s+(?:the\s+)?colou?rs?", _saturate, 3),
    Edit("warmer", "warmer", "warmer white balance (also: warm tones, cosier)", r"warm\w*|cos(?:y|ier)|coz(?:y|ier)",
         _warm, 2),
    Edit("cooler", "cooler", "cooler white balance (also: cold, icy, bluer)",
         r"cool(?:er)?|cold(?:er)?|icy|chilly|blu(?:er|ish)\s*(?:tint|tone)?|blue\s+(?:tint|tone)", _cool, 2),
    Edit("rotate", "rotate 90 / 180 / 270 / left / right", "quarter or half turn (default 90° clockwise)",
         r"rotat\w*(?:\s+(?:it|this|the\s+(?:image|photo|picture)))?(?:\s+(?:by\s+)?(?:90|180|270)(?:\s*(?:degrees?|°))?)?"
         r"(?:\s+(?:to\s+the\s+)?(?:left|right|clockwise|counter-?clockwise|anti-?clockwise|ccw|cw|upside[\s-]down))?|"
         r"turn" + _IMG + r"\s+(?:(?:90|180|270)(?:\s*(?:degrees?|°))?|(?:to\s+the\s+)?(?:left|right)|sideways|"
         r"clockwise|counter-?clockwise)|quarter\s+turn", _rotate, 8),
    Edit("flip vertically", "flip vertically", "top-to-bottom flip (also: upside down)",
         r"flip\w*" + _IMG + r"\s+(?:vertically|upside\s+down|top\s+to\s+bottom)|vertical(?:ly)?\s+flip\w*|upside[\s-]down",
         _flip, 7),
    Edit("mirror", "mirror", "left-right flip (also: flip horizontally, flip)",
         r"mirror\w*|flip\w*" + _IMG + r"(?:\s+(?:horizontally|left\s+to\s+right|sideways))?|horizontal(?:ly)?\s+flip\w*",
         _mirror, 5),
    Edit("crop", "crop to 16:9 / square crop", "centred crop to a ratio (or the centre 80%)",
         r"crop\w*(?:" + _IMG + r"(?:\s+(?:to|into|as|at|in))?(?:\s+(?:an?|the))?\s+(?:\d+\s*[:x/]\s*\d+|square|portrait|"
         r"landscape|widescreen|panoram\w*|instagram|story))?(?:\s+(?:crop|aspect(?:\s+ratio)?|format|ratio))?|"
         r"(?:square|\d+\s*:\s*\d+)\s+crop|make" + _IMG + r"\s+square", _crop, 6),
    Edit("zoom in", "zoom in", "centre crop by 1.4x, same size (also: closer, close-up)",
         r"zoom(?:ed)?\s+in|closer|close[\s-]?up|enlarge|magnify", _zoom, 3),
    Edit("pixelate", "pixelate", "big square pixels (also: pixel art, 8-bit, mosaic)",
         r"pixel(?:ate\w*|i[sz]e\w*|\s+art|ated)|8[\s-]?bit|mosaic|censor\w*", _pixelate, 3),
    Edit("posterize", "posterize", "4 levels per channel (also: poster effect, pop art)",
         r"posteri[sz]\w*|poster(?:\s+effect|\s+look)?|flat\s+colou?rs|fewer\s+colou?rs|pop\s+art", _posterize, 3),
    Edit("cartoon", "cartoon", "flat colours with dark outlines (also: comic, cel shaded, anime)",
         r"cartoon\w*|comic\w*|cel[\s-]shad\w*|toon\w*|anime|manga", _cartoon, 3),
    Edit("painting", "painting", "soft painterly brushwork (also: oil painting, watercolour)",
         r"(?:oil\s+|watercolou?r\s+)?painting|painterly|watercolou?r|impressionis\w*|paint\s+it", _painting, 3),
    Edit("sketch", "sketch", "pencil drawing from the edges (also: pencil, line art, charcoal)",
         r"sketch\w*|pencil\w*|drawing|line\s+art|charcoal|hand[\s-]drawn", _sketch, 3),
    Edit("night time", "night time", "darkens and tints blue (also: at night, moonlight)",
         r"night[\s-]?time|(?:at|by|into|to)\s+night|make\s+it\s+night|night|midnight|moonlit|moonlight|after\s+dark",
         _night, 3),
    Edit("sunset", "sunset", "warm orange-to-violet light from above (also: golden hour, dusk)",
         r"sun\s?set|golden[\s-]hour|sun\s?rise|dusk|evening\s+light|warm\s+glow", _sunset, 5),
    Edit("invert", "invert", "negative image (also: negative, inverse colours)", r"invert\w*|negative|inverse", _invert, 3),
    Edit("vignette", "vignette", "darkens the corners (also: darken the edges)",
         r"vignett\w*|dark(?:en|er)?\s+(?:the\s+)?(?:edges|corners|borders)", _vignette, 8),
    Edit("remove the background", "remove the background",
         "white background behind the subject (also: cut out, isolate the subject)",
         r"(?:remove|delete|erase|drop)\s+(?:the\s+)?back\s?ground|no\s+back\s?ground|white\s+back\s?ground|"
         r"transparent\s+back\s?ground|cut[\s-]?out|isolate\s+(?:the\s+)?subject", _remove_background, 9),
    Edit("film grain", "film grain", "adds fine noise (also: grain, grainy, noisy)",
         r"(?:film\s+)?grain\w*|(?:add\s+)?noise|noisy|analog(?:ue)?\s+film", _grain, 3),
    Edit("denoise", "denoise", "median filter (also: remove noise, clean up)",
         r"de-?nois\w*|(?:remove|reduce)\s+(?:the\s+)?(?:noise|grain)|smooth(?:en)?\s+(?:the\s+)?skin|clean\s+(?:it\s+)?up",
         _denoise, 6),
    Edit("snow", "snow", "falling snow and a colder, lighter look (also: snowy, winter)",
         r"snow\w*|blizzard|winter\w*", _snow, 3),
    Edit("rain", "rain", "rain streaks and a grey-blue cast (also: rainy, storm)", r"rain\w*|drizzl\w*|storm\w*", _rain, 3),
    Edit("fog", "fog", "misty haze, thicker towards the top (also: mist, haze)", r"fog\w*|mist\w*|haze|hazy", _fog, 3),
)

ADD_EDIT = Edit("add", "add a <noun>", "draws a cartoon object: " + ", ".join(shapes.NOUNS),
                r"(?:add|put|place|draw|insert|include|paint\s+in)", _add, 10)

#: ``(trigger phrase, what it does)`` for every instruction the offline simulator understands.
EDIT_VOCABULARY: tuple[tuple[str, str], ...] = (
    *((e.phrase, e.description) for e in EDITS),
    (ADD_EDIT.phrase, ADD_EDIT.description),
)

_COMPILED = [(e, re.compile(rf"\b(?:{e.pattern})(?!\w)", re.IGNORECASE)) for e in EDITS]
_ADD_RE = re.compile(rf"\b{ADD_EDIT.pattern}\b", re.IGNORECASE)
_FILLER = {"a", "an", "the", "some", "more", "little", "small", "big", "large", "tiny", "cute", "new", "another",
           "one", "two", "three", "four", "five", "six", "of", "in", "on", "with", "to", "it", "this", "few",
           "couple", "pair", "bright", "dark", "light", "pale", "giant", "huge", "funny", "nice", "fancy"}
_COUNTS = {"a": 1, "an": 1, "one": 1, "another": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "pair": 2,
           "couple": 2, "some": 3, "few": 3}


def parse_instruction(text: str) -> Parsed:
    """Find every vocabulary edit in ``text``.

    Parameters
    ----------
    text : str
        A plain-language instruction, e.g. ``"Make it black and white and add a vignette"``.

    Returns
    -------
    Parsed
        The edits in the order they appear (overlapping weaker matches dropped), and nouns after
        "add ..." that the simulator cannot draw.

    Examples
    --------
    >>> [op.edit.key for op in parse_instruction("Make it black and white and add a vignette").ops]
    ['black and white', 'vignette']
    """
    found: list[tuple[int, int, Op]] = []
    claimed: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return not any(a < y and x < b for x, y in claimed)

    for edit, rx in sorted(_COMPILED, key=lambda p: -p[0].priority):
        for m in rx.finditer(text):
            if m.end() > m.start() and free(m.start(), m.end()):
                claimed.append((m.start(), m.end()))
                found.append((m.start(), m.end(), Op(edit, m.group(0), m.start(), {})))
    unknown: list[str] = []
    for m in _ADD_RE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        rest = text[m.end():]
        words = [(w.start(), w.group(0).lower()) for w in re.finditer(r"[A-Za-z]+|\d+", rest)][:6]
        colour = None
        count = 1
        for k, (pos, word) in enumerate(words):
            at = m.end() + pos
            if not free(at, at + len(word)):
                break  # "add a vignette": another edit owns the word
            pair = f"{word} {words[k + 1][1]}" if k + 1 < len(words) else ""
            hit = shapes.WORD_TO_NOUN.get(pair) or shapes.WORD_TO_NOUN.get(word)
            if hit:
                noun, plural = hit
                if plural and count == 1:
                    count = 3
                end = at + len(word)
                claimed.append((m.start(), end))
                found.append((m.start(), end, Op(ADD_EDIT, text[m.start():end], m.start(),
                                                 {"noun": noun, "colour": colour, "count": min(count, 6), "word": word})))
                break
            if word in COLOURS:
                colour = COLOURS[word]
                continue
            if word.isdigit():
                count = max(1, min(int(word), 6))
                continue
            if word in _COUNTS:
                count = _COUNTS[word]
                continue
            if word in _FILLER:
                continue
            unknown.append(word)
            break
    found.sort(key=lambda t: t[0])
    ops: list[Op] = []
    for _, _, op in found:
        # "golden hour sunset" is one sunset; only turns and additions may repeat.
        if op.edit.key not in ("add", "rotate") and any(o.edit.key == op.edit.key for o in ops):
            continue
        ops.append(op)
    return Parsed(tuple(ops), tuple(dict.fromkeys(unknown)))


def apply_edits(img: Image.Image, ops: tuple[Op, ...] | list[Op], rng: np.random.Generator) -> tuple[Image.Image, list[str]]:
    """Apply ``ops`` in order to an RGB image; returns the result and a label per operation."""
    labels = []
    for op in ops:
        img = op.edit.fn(img, op, rng)
        if img.mode != "RGB":
            img = img.convert("RGB")
        labels.append(op.label)
    return img, labels


def vocabulary_message() -> str:
    """One short sentence listing what the simulator understands."""
    phrases = ", ".join(p for p, _ in EDIT_VOCABULARY[:-1])
    nouns = list(shapes.NOUNS)
    return (f"The offline simulator understands: {phrases}, and add a <noun> ({', '.join(nouns[:8])} and "
            f"{len(nouns) - 8} more); try one of these or use a real model.")


def not_understood_text(instruction: str, parsed: Parsed) -> str:
    """The reply text for an instruction with no usable edit."""
    if parsed.unknown_nouns:
        return (f"[offline simulator] I can't draw {', '.join(repr(n) for n in parsed.unknown_nouns)} offline, and no "
                f"other edit in my vocabulary matched, so there is no image.")
    shown = " ".join(instruction.split())
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return (f"[offline simulator] I don't know how to do {shown!r} offline: no edit in my vocabulary matched, "
            f"so there is no image.")
