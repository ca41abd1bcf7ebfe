"""The classical image operations behind the edit vocabulary (:mod:`.edits`).

Each operation takes an RGB image, the edit that triggered it (an :class:`~.edits.Op`, seen here through
the :class:`Trigger` protocol: its text and parsed arguments; an operation may set ``op.args["label"]``
to say exactly what it did) and the request's ``rng``, and returns a new image. None changes its input in
place.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from . import lexicon, shapes
from .palette import RGB, gradient, luminance, smoothstep

__all__ = [
    "Trigger",
    "add",
    "blur",
    "blur_background",
    "brighter",
    "cartoon",
    "colourise",
    "contrast",
    "cool",
    "crop",
    "crop_to_ratio",
    "darker",
    "denoise",
    "flip",
    "fog",
    "grain",
    "grayscale",
    "invert",
    "is_grayscale",
    "less_contrast",
    "mirror",
    "night",
    "painting",
    "pixelate",
    "posterize",
    "rain",
    "remove_background",
    "rotate",
    "saturate",
    "sepia",
    "sharpen",
    "sketch",
    "snow",
    "sunset",
    "vignette",
    "warm",
    "zoom",
]


class Trigger(Protocol):
    """What an operation reads from the edit that triggered it (an :class:`.edits.Op`).

    ``text`` is the matched instruction text ("rotate left", "crop to 16:9"); ``args`` holds parsed
    arguments (the noun, colour and count of "add ...") and takes the ``"label"`` an operation reports.
    """

    @property
    def text(self) -> str: ...
    @property
    def args(self) -> dict[str, Any]: ...


def _diag(img: Image.Image) -> float:
    return math.hypot(*img.size)


def _lut(fn: Callable[[np.ndarray], np.ndarray]) -> list[int]:
    x = np.arange(256, dtype=np.float32)
    return np.clip(np.round(fn(x)), 0, 255).astype(np.uint8).tolist()


def _per_channel(img: Image.Image, gains: tuple[float, float, float]) -> Image.Image:
    lut: list[int] = []
    for gain in gains:
        lut += _lut(_times(gain))
    return img.point(lut)


def _times(k: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: x * k


def _radial(size: tuple[int, int], inner: float, outer: float, cx: float = 0.5, cy: float = 0.5,
            sx: float = 1.0, sy: float = 1.0) -> Image.Image:
    """A soft elliptical mask (255 inside ``inner``, 0 beyond ``outer``), computed small and resized."""
    w, h = size
    sw, sh = 128, max(8, round(128 * h / w))
    x = (np.linspace(0, 1, sw, dtype=np.float32)[None, :] - cx) / sx
    y = (np.linspace(0, 1, sh, dtype=np.float32)[:, None] - cy) / sy
    r = np.sqrt(x * x + y * y)
    m = 1.0 - smoothstep(inner, outer, r)
    return Image.fromarray((m * 255).astype(np.uint8), "L").resize((w, h), Image.Resampling.BILINEAR)


def grayscale(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "black and white": grayscale, back in RGB."""
    return ImageOps.grayscale(img).convert("RGB")


def sepia(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    # A tone curve from dark brown to cream, with lifted blacks: the faded look of old prints.
    """Edit "sepia": a brown-toned old print (a tone curve from dark brown to cream, blacks lifted)."""
    stops = ((0.0, (46, 30, 18)), (0.5, (164, 124, 84)), (1.0, (250, 238, 208)))
    ramp = gradient(stops, 256)
    gray = ImageOps.grayscale(img)
    bands = [gray.point(np.round(ramp[:, i]).astype(np.uint8).tolist()) for i in range(3)]
    return Image.merge("RGB", bands)


def blur_background(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    # Without a segmentation model the subject is assumed to be the centre: a soft ellipse stays sharp.
    """Edit "blur the background": keeps a central ellipse sharp and blurs the rest."""
    blurred = img.filter(ImageFilter.GaussianBlur(_diag(img) * 0.009))
    mask = _radial(img.size, 0.34, 0.5, 0.5, 0.48, 0.85, 1.0)
    return Image.composite(img, blurred, mask)


def blur(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "blur": Gaussian blur scaled to the image diagonal."""
    return img.filter(ImageFilter.GaussianBlur(max(1.5, _diag(img) * 0.004)))


def sharpen(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "sharpen": unsharp mask."""
    return img.filter(ImageFilter.UnsharpMask(radius=max(1.5, _diag(img) / 900), percent=170, threshold=1))


def brighter(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "brighter": lifts the mid-tones (gamma 0.72)."""
    return img.point(_lut(lambda x: 255 * (x / 255) ** 0.72 * 1.04) * 3)


def darker(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "darker": deepens the mid-tones (gamma 1.4)."""
    return img.point(_lut(lambda x: 255 * (x / 255) ** 1.4 * 0.9) * 3)


def contrast(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "more contrast": stretches the tones (x1.45)."""
    return ImageEnhance.Contrast(img).enhance(1.45)


def less_contrast(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "less contrast": flattens the tones (x0.6)."""
    return ImageEnhance.Contrast(img).enhance(0.6)


def saturate(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "more saturated": richer colours (x1.6)."""
    return ImageEnhance.Color(img).enhance(1.6)


def is_grayscale(img: Image.Image, tol: float = 4.0) -> bool:
    """True when the channels hardly differ (mean |R-G| + |G-B| below ``tol``), sampled small."""
    small = np.asarray(img.reduce(max(1, min(img.size) // 128)), dtype=np.int16)
    return float(np.abs(small[..., 0] - small[..., 1]).mean() + np.abs(small[..., 1] - small[..., 2]).mean()) < tol


def colourise(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "colorize": a grayscale photo through a natural tone ramp (sky-like areas blue), luminance kept.

    An image already in colour only gets a saturation boost, and the label says so.
    """
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


def warm(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "warmer": a warmer white balance (more red, less blue)."""
    return _per_channel(img, (1.1, 1.01, 0.84))


def cool(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "cooler": a cooler white balance (less red, more blue)."""
    return _per_channel(img, (0.86, 0.98, 1.12))


def rotate(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "rotate ...": a quarter or half turn; the direction is read from the triggering text."""
    t = op.text.lower()
    if "180" in t or "upside" in t:
        op.args["label"] = "rotate 180°"
        return img.transpose(Image.Transpose.ROTATE_180)
    if "270" in t or re.search(r"\bleft\b|counter|anti|\bccw\b", t):
        op.args["label"] = "rotate 90° counter-clockwise"
        return img.transpose(Image.Transpose.ROTATE_90)
    op.args["label"] = "rotate 90° clockwise"
    return img.transpose(Image.Transpose.ROTATE_270)


def mirror(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "mirror": a left-right flip."""
    return ImageOps.mirror(img)


def flip(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "flip vertically": a top-to-bottom flip."""
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


def crop(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "crop ...": a centred crop to the ratio in the text ("16:9", "square", ...), else to 80%."""
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


def zoom(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "zoom in": a centre crop by 1.4x, resized back to the same size."""
    w, h = img.size
    k = 1 / 1.4
    box = (w * (1 - k) / 2, h * (1 - k) / 2, w * (1 + k) / 2, h * (1 + k) / 2)
    return img.resize((w, h), Image.Resampling.BICUBIC, box=box)


def pixelate(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "pixelate": big square pixels (about 40 blocks across the shorter side)."""
    w, h = img.size
    block = max(4, round(min(w, h) / 40))
    small = img.resize((max(1, w // block), max(1, h // block)), Image.Resampling.BOX)
    return small.resize((w, h), Image.Resampling.NEAREST)


def posterize(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "posterize": 4 levels per channel."""
    return ImageOps.posterize(img, 2)


def _edges(gray: np.ndarray) -> np.ndarray:
    """Gradient magnitude (Sobel-like, by shifted differences: vectorised, no per-pixel loop)."""
    g = gray.astype(np.float32)
    gx = np.zeros_like(g)
    gy = np.zeros_like(g)
    gx[:, 1:-1] = g[:, 2:] - g[:, :-2]
    gy[1:-1, :] = g[2:, :] - g[:-2, :]
    return np.hypot(gx, gy)


def cartoon(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "cartoon": flat, quantised brightness with dark outlines on the strong edges."""
    w, h = img.size
    # Smooth small, then quantise brightness only (hue kept): flat regions like cel shading.
    small = img.resize((max(1, w // 3), max(1, h // 3)), Image.Resampling.BOX).filter(ImageFilter.MedianFilter(5))
    flat = ImageEnhance.Color(small).enhance(1.35).resize((w, h), Image.Resampling.BICUBIC)
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


def night(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "night time": darkened, desaturated and tinted blue, with a vignette."""
    arr = np.asarray(img, dtype=np.float32)
    lum = luminance(arr)[..., None]
    desat = arr * 0.45 + lum * 0.55
    out = desat * np.array([0.32, 0.42, 0.72], dtype=np.float32)
    out = 255 * (out / 255) ** 1.15
    img2 = Image.fromarray(out.clip(0, 255).astype(np.uint8), "RGB")
    return vignette(img2, op, rng, strength=0.45)


def sunset(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "sunset": warm orange-to-violet light from above."""
    h = img.size[1]
    arr = np.asarray(img, dtype=np.float32) * np.array([1.06, 0.96, 0.84], dtype=np.float32)
    over = gradient(((0.0, (255, 170, 90)), (0.55, (246, 150, 110)), (1.0, (150, 100, 150))), h)[:, None, :]
    t = np.linspace(0.4, 0.22, h, dtype=np.float32)[:, None, None]
    # Soft-light-like blend: the overlay colours the image without flattening its tones.
    out = arr * (1 - t) + (arr * over / 255 * 1.5) * t
    return Image.fromarray(out.clip(0, 255).astype(np.uint8), "RGB")


def invert(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "invert": the negative image."""
    return ImageOps.invert(img)


def vignette(img: Image.Image, op: Trigger, rng: np.random.Generator, strength: float = 0.6) -> Image.Image:
    """Edit "vignette": darkens the corners (``strength`` 0..1 is how dark they get)."""
    mask = _radial(img.size, 0.25, 0.9, sx=0.72, sy=0.72)
    lo = round(255 * (1 - strength))
    shade_map = mask.point(lambda v: lo + (255 - lo) * v // 255)
    return Image.composite(img, Image.new("RGB", img.size, (0, 0, 0)), shade_map)


def sketch(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    # Colour-dodge the grey image with its blurred negative: the classic pencil-sketch trick.
    """Edit "sketch": a pencil drawing (the grey image colour-dodged with its blurred negative)."""
    gray = ImageOps.grayscale(img)
    blur = ImageOps.invert(gray).filter(ImageFilter.GaussianBlur(max(2.0, _diag(img) / 250)))
    g = np.asarray(gray, dtype=np.float32)
    b = np.asarray(blur, dtype=np.float32)
    out = np.clip(g * 255.0 / np.maximum(255.0 - b, 1.0), 0, 255)
    out = 255 * (out / 255) ** 2.2  # darker strokes
    return Image.fromarray(out.astype(np.uint8), "L").convert("RGB")


def grain(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "film grain": fine Gaussian noise, the same on every channel."""
    w, h = img.size
    noise = rng.normal(0.0, 14.0, (h, w, 1)).astype(np.float32)
    out = np.asarray(img, dtype=np.float32) + noise
    return Image.fromarray(out.clip(0, 255).astype(np.uint8), "RGB")


def denoise(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "denoise": a 3x3 median filter."""
    return img.filter(ImageFilter.MedianFilter(3))


def snow(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "snow": a colder, lighter look with falling snowflakes."""
    out = _per_channel(img, (0.95, 1.0, 1.06)).point(_lut(lambda x: 40 + x * 0.86) * 3)
    w, h = out.size
    d = ImageDraw.Draw(out, "RGBA")
    n = max(60, w * h // 2500)
    for x, y, r in zip(rng.uniform(0, w, n), rng.uniform(0, h, n), rng.random(n) ** 2 * h * 0.006 + 1.2, strict=True):
        d.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255, 225))
    return out


def rain(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "rain": a grey-blue cast with rain streaks."""
    out = _per_channel(img, (0.78, 0.84, 0.92))
    w, h = out.size
    d = ImageDraw.Draw(out, "RGBA")
    n = max(80, w * h // 2000)
    ln = h * 0.04
    for x, y in zip(rng.uniform(-0.1 * w, w, n), rng.uniform(-ln, h, n), strict=True):
        d.line([(x, y), (x + ln * 0.22, y + ln)], fill=(200, 212, 230, 120), width=max(1, h // 500))
    return out


def fog(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "fog": a misty haze, thicker towards the top."""
    w, h = img.size
    # Thicker towards the top, where a photo usually shows what is farthest away.
    mask = _radial(img.size, 0.0, 1.6, 0.5, 1.1, 1.0, 1.4).point(lambda v: 175 - v * 85 // 255)
    return Image.composite(Image.new("RGB", (w, h), (222, 226, 232)), img, mask)


def remove_background(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "remove the background": the subject (colour-keyed by :func:`.fuse.foreground_mask`) on white."""
    from .fuse import foreground_mask

    mask, _ = foreground_mask(img)
    return Image.composite(img, Image.new("RGB", img.size, (255, 255, 255)), mask)


def painting(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "painting": soft painterly dabs (median and mode filters at reduced size), lightly sharpened."""
    w, h = img.size
    k = max(2, round(min(w, h) / 200))
    small = img.resize((max(1, w // k), max(1, h // k)), Image.Resampling.BOX)
    # Median then mode filtering merges detail into flat dabs of colour, like brush strokes; a light
    # unsharp mask afterwards gives the dabs edges.
    small = small.filter(ImageFilter.MedianFilter(5)).filter(ImageFilter.ModeFilter(5))
    out = ImageEnhance.Color(small).enhance(1.3).resize((w, h), Image.Resampling.BICUBIC)
    return out.filter(ImageFilter.UnsharpMask(radius=max(1.0, k * 0.8), percent=60, threshold=2))


def add(img: Image.Image, op: Trigger, rng: np.random.Generator) -> Image.Image:
    """Edit "add a <noun>": draws ``op.args["count"]`` copies of a noun from :data:`.shapes.NOUNS`.

    Sky nouns go in the upper part, a hat on top of a centred subject, other nouns near the bottom; with a
    hotspot (``op.args["place"]``) the first copy is centred on it.
    """
    name: str = op.args["noun"]
    colour: RGB | None = op.args.get("colour")
    count: int = op.args.get("count", 1)
    noun = shapes.noun(name)
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
        point = getattr(op.args.get("place"), "point", None)
        if point is not None and k == 0:
            cx, base = point[0] * w, min(h - 2.0, point[1] * h + s / 2)
        cx = min(max(cx, half + 2), w - half - 2)
        tile, ox, oy = shapes.render_noun(name, s, colour, rng, ctx)
        out.paste(tile, (round(cx - half) - ox, round(base - s) - oy), tile)
    op.args["label"] = f"add {name}" if count == 1 else f"add {count} {lexicon.plural(name)}"
    return out
