"""Local edits at a place: remove what is there (classical inpainting) or recolour it.

A local edit needs a place, given in the instruction's words:

* a **hotspot**, as the Editor writes it (:func:`toolkit.widgets.logic.edits.hotspot_phrase`): "at the point
  (x=120, y=80) of the 451x300 image, i.e. at (0.27, 0.27) as fractions ...", or "at pixel (120, 80)";
* a **region**: "in the region (0.1, 0.2, 0.4, 0.5)" (x0, y0, x1, y1 as fractions of the frame, or pixels).

**Finding the thing at a hotspot** (:func:`object_mask`), on a copy at most 256 px across: the colour around
the point is modelled ring by ring (the median CIELAB colour of 16 angular sectors of a ring of radius r);
the pixels inside r that differ from their sector's ring colour, connected to the point, are the object.
The smallest ring that encloses the object wins. When no ring does (a click inside a large textured
area), a colour flood fill from the point with the largest tolerance that does not leak is used, and
failing that a disc around the point. The mask is grown by a few pixels to take the object's rim and
soft edge with it.

**Removing** (:func:`remove`): the masked pixels are filled by biharmonic inpainting
(``skimage.restoration.inpaint_biharmonic``) on a crop around the mask at most 112 px across, upscaled,
given back the fine texture of the pixels beside the hole (so wood grain or grass does not turn into a
smear), and pasted back through a feathered mask. Pixels outside the mask never change. A 1024 x 1024
edit takes well under a second.

**Recolouring** (:func:`recolour`): the masked pixels get the new colour's hue and chroma in CIELAB, with
their lightness moved towards it and their texture kept.

Known limits: the object is found by colour contrast with its surroundings, not by knowing what it is;
a click on a patterned shirt may take only one colour of it, and a subject touching the frame's edge
may be taken only in part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from .palette import COLOURS, RGB

__all__ = ["Place", "find_place", "object_mask", "recolour", "recolour_target", "remove", "strip_place"]

_SEG_SIDE = 256  # the object is found on a copy at most this big
_INPAINT_SIDE = 112  # inpainting works on a crop at most this big, then upscales


@dataclass(frozen=True)
class Place:
    """Where a local edit applies, as fractions of the frame: a point, or a box (x0, y0, x1, y1)."""

    point: tuple[float, float] | None = None
    box: tuple[float, float, float, float] | None = None

    def describe(self) -> str:
        """Words for the reply text: "at (0.52, 0.24)" or "in the region (0.10, 0.20)-(0.40, 0.50)"."""
        if self.point is not None:
            return f"at ({self.point[0]:.2f}, {self.point[1]:.2f})"
        assert self.box is not None
        x0, y0, x1, y1 = self.box
        return f"in the region ({x0:.2f}, {y0:.2f})-({x1:.2f}, {y1:.2f})"


_NUM = r"(\d+(?:\.\d+)?)"
_EDITOR_POINT = re.compile(rf"at\s+the\s+point\s*\(\s*x\s*=\s*{_NUM}\s*,\s*y\s*=\s*{_NUM}\s*\)\s*of\s+the\s+"
                           rf"(\d+)\s*x\s*(\d+)\s+image(?:\s*,?\s*i\.?e\.?,?\s*at\s*\([^)]*\)\s*as\s+fractions\s+of\s+"
                           r"its\s+width\s+and\s+height(?:\s+from\s+the\s+top-left\s+corner)?)?", re.IGNORECASE)
_PIXEL_POINT = re.compile(rf"(?:at|around|near)\s+(?:the\s+)?(?:pixel|point|position|location)\s*"
                          rf"\(\s*(?:x\s*=\s*)?{_NUM}\s*,\s*(?:y\s*=\s*)?{_NUM}\s*\)", re.IGNORECASE)
_REGION = re.compile(rf"(?:in|inside|within)?\s*(?:the\s+)?(?:region|box|area|rectangle)\s*\(\s*{_NUM}\s*,\s*{_NUM}"
                     rf"\s*,\s*{_NUM}\s*,\s*{_NUM}\s*\)", re.IGNORECASE)


def find_place(text: str, size: tuple[int, int] | None = None) -> tuple[Place | None, tuple[int, int] | None]:
    """The place named in an instruction, and the character span of the words that name it.

    Pixel coordinates are read against the image size written in the phrase ("of the 451x300 image"),
    else against ``size`` (the input image); without either, pixels cannot be placed and None is returned.

    Examples
    --------
    >>> find_place("Remove the stain at the point (x=300, y=150) of the 600x400 image.")[0]
    Place(point=(0.5, 0.375), box=None)
    >>> find_place("Recolour in the region (0.1, 0.2, 0.4, 0.5) to red")[0].box
    (0.1, 0.2, 0.4, 0.5)
    """
    m = _EDITOR_POINT.search(text)
    if m:
        x, y, w, h = (float(g) for g in m.groups())
        if w > 0 and h > 0:
            return Place(point=(_unit(x / w), _unit(y / h))), m.span()
    m = _REGION.search(text)
    if m:
        vals = [float(g) for g in m.groups()]
        if max(vals) > 1.0:
            if size is None:
                return None, None
            vals = [vals[0] / size[0], vals[1] / size[1], vals[2] / size[0], vals[3] / size[1]]
        x0, y0, x1, y1 = (_unit(v) for v in vals)
        if x1 - x0 > 0.002 and y1 - y0 > 0.002:
            return Place(box=(x0, y0, x1, y1)), m.span()
    m = _PIXEL_POINT.search(text)
    if m:
        x, y = float(m.group(1)), float(m.group(2))
        if x <= 1.0 and y <= 1.0 and "." in m.group(0):
            return Place(point=(x, y)), m.span()
        if size is not None:
            return Place(point=(_unit(x / size[0]), _unit(y / size[1]))), m.span()
    return None, None


def strip_place(text: str, span: tuple[int, int] | None) -> str:
    """``text`` with the place phrase blanked (same length), so its words trigger no other edit."""
    if span is None:
        return text
    a, b = span
    return text[:a] + " " * (b - a) + text[b:]


def _unit(v: float) -> float:
    return min(1.0, max(0.0, v))


def _lab(rgb: np.ndarray) -> np.ndarray:
    from skimage.color import rgb2lab

    return np.asarray(rgb2lab(rgb.astype(np.float32) / 255.0), dtype=np.float32)


def _small(img: Image.Image, side: int) -> tuple[Image.Image, float]:
    w, h = img.size
    k = min(1.0, side / max(w, h))
    if k >= 1.0:
        return img, 1.0
    return img.resize((max(8, round(w * k)), max(8, round(h * k))), Image.Resampling.BOX), k


def object_mask(img: Image.Image, place: Place) -> np.ndarray:
    """A soft mask (float32 in 0..1, the size of ``img``) of the thing at ``place`` (see the module notes)."""
    w, h = img.size
    if place.box is not None:
        x0, y0, x1, y1 = place.box
        mask = np.zeros((h, w), dtype=np.float32)
        mask[round(y0 * h):max(round(y0 * h) + 1, round(y1 * h)), round(x0 * w):max(round(x0 * w) + 1, round(x1 * w))] = 1
        return _feather(mask, max(1.0, 0.004 * max(w, h)))
    assert place.point is not None
    small, k = _small(img, _SEG_SIDE)
    lab = ndimage.gaussian_filter(_lab(np.asarray(small.convert("RGB"))), sigma=(0.8, 0.8, 0))
    sh, sw = lab.shape[:2]
    px, py = min(sw - 1, round(place.point[0] * sw)), min(sh - 1, round(place.point[1] * sh))
    solid = _ring_object(lab, px, py)
    if solid is None:
        solid = _thin_object(lab, px, py)
    if solid is None:
        solid = _flood_object(lab, px, py)
    if solid is None:
        yy, xx = np.ogrid[:sh, :sw]
        r = 0.06 * min(sw, sh)
        solid = (xx - px) ** 2 + (yy - py) ** 2 <= r * r
    grow = max(1, round(0.012 * max(sw, sh)))
    solid = ndimage.binary_dilation(solid, iterations=grow)
    soft = Image.fromarray((solid * 255).astype(np.uint8), "L").resize((w, h), Image.Resampling.BILINEAR)
    return _feather(np.asarray(soft, dtype=np.float32) / 255.0, max(0.8, 0.6 / k))


def _feather(mask: np.ndarray, sigma: float) -> np.ndarray:
    return np.clip(ndimage.gaussian_filter(mask, sigma) * 1.15, 0.0, 1.0).astype(np.float32)


def _ring_object(lab: np.ndarray, px: int, py: int) -> np.ndarray | None:
    """The object at (px, py), judged against the colours of a ring around it (None when no ring encloses it)."""
    sh, sw = lab.shape[:2]
    yy, xx = np.mgrid[:sh, :sw]
    dx, dy = (xx - px).astype(np.float32), (yy - py).astype(np.float32)
    dist = np.hypot(dx, dy)
    sector = ((np.arctan2(dy, dx) + np.pi) / (2 * np.pi) * 16).astype(int) % 16
    short = min(sw, sh)
    for r in np.geomspace(0.03 * short, 0.45 * short, 14):
        ring = (dist >= r) & (dist < r * 1.2 + 1.5)
        if ring.sum() < 24:
            continue
        refs = np.zeros((16, 3), dtype=np.float32)
        spread = []
        for s in range(16):
            pix = lab[ring & (sector == s)]
            if len(pix) == 0:
                pix = lab[ring]
            refs[s] = np.median(pix, axis=0)
            spread.append(float(np.median(np.linalg.norm(pix - refs[s], axis=1))))
        inside = dist < r
        own = np.linalg.norm(lab - refs[sector], axis=-1)
        near = np.minimum(own, np.minimum(np.linalg.norm(lab - refs[(sector + 1) % 16], axis=-1),
                                          np.linalg.norm(lab - refs[(sector - 1) % 16], axis=-1)))
        thr = max(9.0, 3.0 * float(np.median(spread)))
        here = near[max(0, py - 1):py + 2, max(0, px - 1):px + 2]
        if float(np.median(here)) <= thr:
            continue  # the ring is still inside the object (or the point is on background): look wider
        cand = inside & (near > thr)
        cand = ndimage.binary_closing(cand, iterations=1)
        labels, _ = ndimage.label(cand)
        seed = _seed_label(labels, px, py, max(2, round(0.01 * short)))
        if seed == 0:
            continue
        obj = ndimage.binary_fill_holes(labels == seed)
        edge = obj & (dist >= r - 1.0)
        frame = obj[:3].any() or obj[-3:].any() or obj[:, :3].any() or obj[:, -3:].any()
        # enclosed: at most ~3% of the circle's last pixel band (plus a blurred pixel or three) is the object
        if obj.sum() >= 6 and edge.sum() <= 0.03 * 2 * np.pi * r + 3 and not frame:
            return np.asarray(obj, dtype=bool)
    return None


def _thin_object(lab: np.ndarray, px: int, py: int) -> np.ndarray | None:
    """A thin thing at the point (a tripod leg, a wire, a pole): what differs from a median-filtered copy.

    Structures narrower than about 5% of the frame vanish from a median filter (run on a half-size copy);
    the component of the difference through the point is kept, at the lowest threshold before it leaks
    (grows more than 2.2x from the previous threshold, or past 6% of the frame).
    """
    sh, sw = lab.shape[:2]
    half = lab[::2, ::2]
    size = max(5, round(0.02 * max(sw, sh)) | 1)
    med = np.stack([ndimage.median_filter(half[..., c], size=size) for c in range(3)], axis=-1)
    med = np.repeat(np.repeat(med, 2, axis=0), 2, axis=1)[:sh, :sw]
    diff = np.linalg.norm(lab - med, axis=-1)
    reach = max(2, round(0.01 * max(sw, sh)))
    best = None
    for thr in (16.0, 12.0, 9.0, 6.0):
        labels, _ = ndimage.label(diff > thr, structure=np.ones((3, 3)))
        seed = _seed_label(labels, px, py, reach)
        if seed == 0:
            continue
        obj = labels == seed
        if float(obj.mean()) > 0.06 or (best is not None and obj.sum() > 2.2 * best.sum()):
            break  # leaked into the surroundings: keep the previous threshold's
        best = obj
    return np.asarray(best, dtype=bool) if best is not None and best.sum() >= 6 else None


def _seed_label(labels: np.ndarray, px: int, py: int, reach: int) -> int:
    """The label at the point, or the most common one within ``reach`` pixels of it (0: none)."""
    if labels[py, px]:
        return int(labels[py, px])
    win = labels[max(0, py - reach):py + reach + 1, max(0, px - reach):px + reach + 1]
    found = win[win > 0]
    return int(np.bincount(found).argmax()) if found.size else 0


def _flood_object(lab: np.ndarray, px: int, py: int) -> np.ndarray | None:
    """The region of similar colour around the point, at the largest tolerance that does not leak."""
    from skimage.segmentation import flood

    sh, sw = lab.shape[:2]
    seed = np.median(lab[max(0, py - 2):py + 3, max(0, px - 2):px + 3].reshape(-1, 3), axis=0)
    dist = np.linalg.norm(lab - seed, axis=-1)
    best = None
    prev_area = 0
    for tol in (4.0, 6.0, 9.0, 13.0, 18.0, 24.0):
        region = flood(dist, (py, px), tolerance=tol)
        area = int(region.sum())
        border = region[0].any() or region[-1].any() or region[:, 0].any() or region[:, -1].any()
        if area > 0.2 * sh * sw or (prev_area and area > 4 * prev_area and area > 0.02 * sh * sw) or border:
            break
        best, prev_area = region, area
    if best is None or prev_area < 4:
        return None
    return np.asarray(ndimage.binary_fill_holes(ndimage.binary_closing(best, iterations=2)), dtype=bool)


def _bbox(mask: np.ndarray, pad: float) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(mask > 0.02)
    if ys.size == 0:
        return None
    h, w = mask.shape
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    p = round(pad * max(y1 - y0, x1 - x0)) + 4
    return max(0, x0 - p), max(0, y0 - p), min(w, x1 + p), min(h, y1 + p)


def _place(op: Any) -> Place:
    place = op.args.get("place")
    if not isinstance(place, Place):
        raise ValueError("a local edit needs a place (a hotspot or a region)")
    return place


def remove(img: Image.Image, op: Any, rng: np.random.Generator) -> Image.Image:
    """Edit "remove ... (at a place)": inpaint the thing at the place from its surroundings."""
    from skimage.restoration import inpaint_biharmonic

    place = _place(op)
    mask = object_mask(img, place)
    box = _bbox(mask, 0.35)
    if box is None:
        return img.copy()
    x0, y0, x1, y1 = box
    crop = np.asarray(img.crop(box).convert("RGB"), dtype=np.float32) / 255.0
    cmask = mask[y0:y1, x0:x1]
    cw, ch = x1 - x0, y1 - y0
    k = min(1.0, _INPAINT_SIDE / max(cw, ch))
    sw, sh = max(8, round(cw * k)), max(8, round(ch * k))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize((sw, sh), Image.Resampling.BOX),
                       dtype=np.float32) / 255.0
    hole = np.asarray(Image.fromarray((cmask * 255).astype(np.uint8)).resize((sw, sh), Image.Resampling.BILINEAR)) > 8
    hole = ndimage.binary_dilation(hole, iterations=1)
    filled = inpaint_biharmonic(small, hole, channel_axis=-1) if hole.any() else small
    smooth = np.asarray(Image.fromarray((np.clip(filled, 0, 1) * 255).astype(np.uint8)).resize(
        (cw, ch), Image.Resampling.BICUBIC), dtype=np.float32) / 255.0
    fill = np.clip(smooth + _texture(img, box, cmask, rng), 0.0, 1.0)
    a = cmask[..., None]
    out = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    out[y0:y1, x0:x1] = crop * (1 - a) + fill * a
    op.args["label"] = f"remove the object {place.describe()} (inpainted)"
    return Image.fromarray((np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8), "RGB")


def _texture(img: Image.Image, box: tuple[int, int, int, int], cmask: np.ndarray,
             rng: np.random.Generator) -> np.ndarray:
    """Grain for the smooth fill: seeded noise with the strength of the fine detail around the hole.

    Copying texture from beside the hole would also copy whatever edges are there (a cup's rim onto a
    table); noise matched to the surrounding detail has no such ghosts.
    """
    x0, y0, x1, y1 = box
    cw, ch = x1 - x0, y1 - y0
    src = np.asarray(img.crop(box).convert("RGB"), dtype=np.float32) / 255.0
    sigma = max(1.2, 0.01 * max(cw, ch))
    detail = src - ndimage.gaussian_filter(src, sigma=(sigma, sigma, 0))
    around = cmask < 0.02
    if not around.any():
        return np.zeros((ch, cw, 3), dtype=np.float32)
    ring = detail[around]
    std = 1.4826 * np.median(np.abs(ring - np.median(ring, axis=0)), axis=0)  # robust: edges nearby do not count
    noise = ndimage.gaussian_filter(rng.normal(0.0, 1.0, (ch, cw)).astype(np.float32), 0.6)
    noise /= max(1e-6, float(noise.std()))
    return np.asarray(noise[..., None] * std[None, None, :] * (cmask[..., None] > 0.02), dtype=np.float32)


_COLOUR_WORDS = "|".join(sorted(COLOURS, key=len, reverse=True))


def recolour_target(text: str) -> RGB | None:
    """The colour a recolour instruction asks for: the colour word after "to"/"into", else the last one."""
    m = re.search(rf"\b(?:to|into|as)\s+(?:a\s+|an\s+)?(?:(light|pale|dark|deep|bright)\s+)?({_COLOUR_WORDS})\b",
                  text, re.IGNORECASE)
    words = re.findall(rf"\b({_COLOUR_WORDS})\b", text.lower())
    if m:
        base = COLOURS[m.group(2).lower()]
        mod = (m.group(1) or "").lower()
        k = 0.6 if mod in ("dark", "deep") else 1.45 if mod in ("light", "pale") else 1.0
        return (min(255, round(base[0] * k)), min(255, round(base[1] * k)), min(255, round(base[2] * k)))
    return COLOURS[words[-1]] if words else None


def recolour(img: Image.Image, op: Any, rng: np.random.Generator) -> Image.Image:
    """Edit "change the colour of ... to <colour> (at a place)": new hue and chroma, texture kept."""
    from skimage.color import lab2rgb

    place = _place(op)
    target = op.args.get("colour") or recolour_target(op.text)
    if target is None:
        op.args["label"] = "recolour (no colour named: unchanged)"
        return img.copy()
    mask = object_mask(img, place)
    box = _bbox(mask, 0.05)
    if box is None:
        return img.copy()
    x0, y0, x1, y1 = box
    crop = np.asarray(img.crop(box).convert("RGB"))
    lab = _lab(crop)
    a = mask[y0:y1, x0:x1]
    goal = _lab(np.array([[target]], dtype=np.uint8))[0, 0]
    weight = a > 0.5
    mean_l = float(lab[..., 0][weight].mean()) if weight.any() else float(lab[..., 0].mean())
    new = lab.copy()
    new[..., 0] = np.clip(lab[..., 0] + (goal[0] - mean_l) * 0.75, 0, 100)
    new[..., 1] = goal[1] + (lab[..., 1] - lab[..., 1][weight].mean() if weight.any() else 0) * 0.2
    new[..., 2] = goal[2] + (lab[..., 2] - lab[..., 2][weight].mean() if weight.any() else 0) * 0.2
    rgb = np.clip(np.asarray(lab2rgb(new), dtype=np.float32) * 255.0, 0, 255)
    out = np.asarray(img.convert("RGB"), dtype=np.float32)
    out[y0:y1, x0:x1] = crop * (1 - a[..., None]) + rgb * a[..., None]
    name = next((n for n, c in COLOURS.items() if c == target), f"rgb{target}")
    op.args["label"] = f"recolour the object {place.describe()} to {name}"
    return Image.fromarray((out + 0.5).clip(0, 255).astype(np.uint8), "RGB")
