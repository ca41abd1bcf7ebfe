"""Compositing: the subject of each later image pasted into the first, with a soft shadow.

There is no segmentation model here. The background colour is estimated from the image border (each
side separately, so a two-tone backdrop still works), pixels far from every border colour become the
foreground, and the mask is cleaned with morphology. When that mask is degenerate (almost empty, almost
everything, or glued to the border, as for busy photos) a centred soft ellipse is used instead.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

from .palette import smoothstep

_MASK_SIDE = 256  # masks are computed at most this big and resized: they are smooth anyway


def _ellipse_mask(w: int, h: int) -> np.ndarray:
    y = (np.arange(h, dtype=np.float32)[:, None] + 0.5) / h - 0.5
    x = (np.arange(w, dtype=np.float32)[None, :] + 0.5) / w - 0.5
    r = np.sqrt((x / 0.42) ** 2 + (y / 0.45) ** 2)
    return 1.0 - smoothstep(0.75, 1.0, r)


def foreground_mask(img: Image.Image) -> tuple[Image.Image, str]:
    """A soft foreground mask for ``img`` (255 = subject), and how it was made.

    Parameters
    ----------
    img : PIL.Image.Image
        An RGB image.

    Returns
    -------
    (mask, method)
        ``mask`` is an "L" image the size of ``img``; ``method`` is ``"border colour key"`` or
        ``"centre ellipse"`` (the fallback).
    """
    w, h = img.size
    k = max(1, math.ceil(max(w, h) / _MASK_SIDE))
    small = img.reduce(k) if k > 1 else img
    arr = np.asarray(small, dtype=np.float32)
    sh, sw = arr.shape[:2]
    b = max(2, round(0.04 * min(sh, sw)))
    sides = [arr[:b].reshape(-1, 3), arr[-b:].reshape(-1, 3), arr[:, :b].reshape(-1, 3), arr[:, -b:].reshape(-1, 3)]
    refs = np.array([np.median(s, axis=0) for s in sides], dtype=np.float32)
    dist = np.min(np.linalg.norm(arr[None, :, :, :] - refs[:, None, None, :], axis=-1), axis=0)
    border = np.concatenate([dist[:b].ravel(), dist[-b:].ravel(), dist[:, :b].ravel(), dist[:, -b:].ravel()])
    t0 = max(24.0, float(np.percentile(border, 90)) * 1.3)
    solid = dist > t0 + 12.0
    solid = ndimage.binary_opening(solid, iterations=1)
    solid = ndimage.binary_closing(solid, iterations=2)
    labels, n = ndimage.label(solid)
    method = "border colour key"
    ok = n > 0
    if ok:
        areas = ndimage.sum(solid, labels, index=np.arange(1, n + 1))
        keep = np.zeros(n + 1, dtype=bool)
        keep[1:] = areas >= max(4.0, 0.1 * float(areas.max()))
        solid = ndimage.binary_fill_holes(keep[labels])
        frac = float(solid.mean())
        edge = np.concatenate([solid[0], solid[-1], solid[:, 0], solid[:, -1]]).mean()
        ok = 0.03 <= frac <= 0.85 and edge <= 0.35
    if ok:
        soft = ndimage.gaussian_filter(solid.astype(np.float32), sigma=max(0.8, 0.006 * max(sh, sw)))
    else:
        soft = _ellipse_mask(sw, sh)
        method = "centre ellipse"
    mask = Image.fromarray((np.clip(soft, 0, 1) * 255).astype(np.uint8), "L")
    return mask.resize((w, h), Image.Resampling.BILINEAR), method


def _bbox(mask: Image.Image) -> tuple[int, int, int, int]:
    box = mask.point(lambda v: 255 if v > 64 else 0).getbbox()
    return box or (0, 0, *mask.size)


def fuse(scene: Image.Image, objects: list[Image.Image], rng: np.random.Generator,
         masks: list[Image.Image | None] | None = None) -> tuple[Image.Image, str]:
    """Composite the subject of each image in ``objects`` onto ``scene``.

    Subjects are scaled to a sensible share of the scene (about half its height for one, less for
    several), stood near the bottom and spread left to right, lightly matched to the scene's colour and
    given a soft drop shadow.

    Parameters
    ----------
    scene : PIL.Image.Image
        The first input, already at the working size (RGB).
    objects : list of PIL.Image.Image
        The later inputs (RGB).
    rng : numpy.random.Generator
        Small placement jitter.
    masks : list of (PIL.Image.Image or None), optional
        Known subject masks ("L", e.g. the alpha channel of a cut-out PNG); None entries are estimated.

    Returns
    -------
    (image, description)
        The composite and a phrase for the reply ("the subject of image 2 (border colour key)").
    """
    out = scene.copy()
    W, H = out.size
    n = len(objects)
    target_h = H * (0.46 if n == 1 else max(0.26, 0.42 - 0.04 * (n - 2)))
    max_w = W * (0.45 if n == 1 else 0.85 / n)
    scene_mean = np.asarray(scene.reduce(max(1, min(W, H) // 64)), dtype=np.float32).reshape(-1, 3).mean(axis=0)
    methods = []
    for i, obj in enumerate(objects):
        known = masks[i] if masks is not None and i < len(masks) else None
        mask, method = (known, "alpha channel") if known is not None else foreground_mask(obj)
        methods.append(method)
        box = _bbox(mask)
        crop, cmask = obj.crop(box), mask.crop(box)
        bw, bh = crop.size
        scale = min(target_h / bh, max_w / bw)
        size = (max(1, round(bw * scale)), max(1, round(bh * scale)))
        crop = crop.resize(size, Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC)
        cmask = cmask.resize(size, Image.Resampling.BILINEAR)
        # Nudge the subject's average colour a little towards the scene's, so it sits in the same light.
        arr = np.asarray(crop, dtype=np.float32)
        m = np.asarray(cmask, dtype=np.float32)[..., None] / 255.0
        obj_mean = (arr * m).reshape(-1, 3).sum(axis=0) / max(1.0, float(m.sum()))
        arr = np.clip(arr + (scene_mean - obj_mean) * 0.15, 0, 255)
        crop = Image.fromarray(arr.astype(np.uint8), "RGB")
        # One object goes to a (seeded) side of centre, where it is less likely to hide the scene's own
        # subject; several are spread across the width.
        cx = W * ((i + 1) / (n + 1) if n > 1 else rng.choice([0.32, 0.68])) + W * rng.uniform(-0.03, 0.03)
        x0 = round(min(max(cx - size[0] / 2, 0), W - size[0]))
        y0 = round(min(H * 0.95, H - 2) - size[1])
        # Drop shadow: the mask, blurred and offset down-right, darkening what is under it.
        blur = max(1.0, 0.03 * max(size))
        pad = round(blur * 3)
        sh_mask = Image.new("L", (size[0] + 2 * pad, size[1] + 2 * pad), 0)
        sh_mask.paste(cmask.point(lambda v: v * 110 // 255), (pad, pad))
        sh_mask = sh_mask.filter(ImageFilter.GaussianBlur(blur))
        dx, dy = round(0.04 * size[0]), round(0.02 * size[1])
        out.paste((0, 0, 0), (x0 - pad + dx, y0 - pad + dy), sh_mask)
        out.paste(crop, (x0, y0), cmask)
    if n == 1:
        where = f"the subject of image 2 ({methods[0]})"
    else:
        where = f"the subjects of images 2-{n + 1} ({', '.join(dict.fromkeys(methods))})"
    return out, where
