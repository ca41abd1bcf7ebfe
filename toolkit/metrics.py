"""Image metrics that need no model weights.

They are cheap, deterministic and explainable, and they measure pixels, not meaning. Use them to rank
or flag outputs, never as a verdict on "is this the same character". Each function says what it does and
does not measure.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from .images import load_image

_WORK_SIDE = 256


def _pil(img: Any) -> Image.Image:
    if isinstance(img, Image.Image):
        return img
    if hasattr(img, "image") and isinstance(img.image, Image.Image):  # a Result
        return img.image
    return load_image(img).to_pil()


def _gray(img: Any, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(_pil(img).convert("L").resize(size, Image.Resampling.BILINEAR), dtype=np.float64)


def phash(img: Any) -> int:
    """64-bit perceptual hash (DCT of a 32x32 grayscale thumbnail, signs of the lowest 8x8 frequencies)."""
    from scipy.fft import dctn

    g = _gray(img, (32, 32))
    low = dctn(g, norm="ortho")[:8, :8].ravel()
    bits = low > np.median(low[1:])
    return int("".join("1" if b else "0" for b in bits), 2)


def phash_similarity(a: Any, b: Any) -> float:
    """1 - Hamming distance / 64 between perceptual hashes, in [0, 1].

    Measures: global layout of light and dark (composition). Robust to resizing, mild blur and
    compression. Does not measure: colour, identity of a face or product, small details; two different
    cats in the same pose score high, the same cat mirrored scores low.

    Examples
    --------
    >>> cat = tk.sample("cat")
    >>> phash_similarity(cat, cat.resize((226, 150)))
    1.0
    >>> phash_similarity(cat, tk.sample("coffee")) < 0.8
    True
    """
    return 1.0 - bin(phash(a) ^ phash(b)).count("1") / 64.0


def ssim(a: Any, b: Any) -> float:
    """Structural similarity (grayscale, both images resized to 256 px on the long side of ``a``), in [-1, 1].

    Measures: local structure (edges, textures) at the same positions. Does not measure: anything that
    moved; a subject shifted by a few percent of the frame drops SSIM sharply even if it is identical.
    Best for edits that should keep the frame (edit locality), not for "same character, new scene".
    """
    from skimage.metrics import structural_similarity

    pa = _pil(a)
    w, h = pa.size
    scale = _WORK_SIDE / max(w, h)
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    return float(structural_similarity(_gray(pa, size), _gray(b, size), data_range=255.0))


def histogram_similarity(a: Any, b: Any, bins: int = 8) -> float:
    """Histogram intersection of joint RGB colour histograms (``bins`` per channel), in [0, 1].

    Measures: the palette (which colours, in what proportions), ignoring where they are. Does not
    measure: shapes or identity; a red car and a red apple on white can match well.
    """

    def hist(img: Any) -> np.ndarray:
        arr = np.asarray(_pil(img).convert("RGB").resize((128, 128)), dtype=np.uint8) // (256 // bins)
        idx = (arr[..., 0].astype(int) * bins + arr[..., 1]) * bins + arr[..., 2]
        counts = np.bincount(idx.ravel(), minlength=bins**3).astype(np.float64)
        return counts / counts.sum()

    return float(np.minimum(hist(a), hist(b)).sum())


def similarity(a: Any, b: Any) -> dict[str, float]:
    """All three scores at once: ``{"phash": ..., "ssim": ..., "histogram": ...}`` (rounded to 3 places).

    Examples
    --------
    >>> similarity(tk.sample("cat"), tk.sample("cat"))
    {'phash': 1.0, 'ssim': 1.0, 'histogram': 1.0}
    """
    return {
        "phash": round(phash_similarity(a, b), 3),
        "ssim": round(ssim(a, b), 3),
        "histogram": round(histogram_similarity(a, b), 3),
    }


def edit_locality(before: Any, after: Any, region: tuple[float, float, float, float], *,
                  threshold: float = 10.0, blur: float = 1.0, ignore_mark: bool = True) -> float:
    """Share of the change between two images that falls inside ``region`` (x0, y0, x1, y1 as fractions).

    1.0 means every changed pixel is inside the region (a perfectly local edit); the region's own area
    share is what a uniform global change would score.

    How the change is measured, so that an untouched pixel counts as unchanged even after the round trip
    through a model (resampling to another size, JPEG):

    1. both images are turned grey and resized to 256 px on ``before``'s long side;
    2. each is blurred (Gaussian, ``blur`` px at that size), which removes resampling and JPEG noise;
    3. the per-pixel difference is taken against the best-matching pixel of ``after`` within one pixel
       (so a reframing by a fraction of a percent does not light up every edge), minus ``threshold`` grey
       levels (0-255), clipped at 0: that is the change map. Noise below the threshold counts as no
       change; a real edit keeps almost all of its weight;
    4. with ``ignore_mark`` (default), the offline simulator's "OFFLINE SIMULATOR" mark is left out: it is
       found by its amber outline in either image (:func:`toolkit.simulator.marks.find_mark`), and its box
       (padded) does not count, inside or outside the region.

    Measures pixel change only; does not judge whether the change is the one that was asked for.
    ``threshold=0, blur=0, ignore_mark=False`` gives the raw share of absolute grey differences.

    Examples
    --------
    >>> before = tk.sample("cat")
    >>> after = before.copy()
    >>> after.paste((0, 0, 0), (0, 0, 200, 120))  # a black box in the top-left corner
    >>> edit_locality(before, after, (0.0, 0.0, 0.5, 0.5)) > 0.95
    True
    """
    from scipy import ndimage

    pa, pb = _pil(before), _pil(after)
    w, h = pa.size
    scale = _WORK_SIDE / max(w, h)
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    ga, gb = _gray(pa, size), _gray(pb, size)
    if blur > 0:
        ga, gb = ndimage.gaussian_filter(ga, blur), ndimage.gaussian_filter(gb, blur)
    diff = np.maximum(_shift_tolerant_difference(ga, gb) - threshold, 0.0) if threshold > 0 or blur > 0 \
        else np.abs(ga - gb)
    H, W = diff.shape
    if ignore_mark:
        from .simulator.marks import find_mark

        for img in (pa, pb):
            box = find_mark(img)
            if box is not None:
                iw, ih = img.size
                bx0, by0, bx1, by1 = box
                pad = 0.01
                diff[max(0, int((by0 / ih - pad) * H)):int(np.ceil((by1 / ih + pad) * H)),
                     max(0, int((bx0 / iw - pad) * W)):int(np.ceil((bx1 / iw + pad) * W))] = 0.0
    x0, y0, x1, y1 = region
    inside = diff[int(y0 * H):int(np.ceil(y1 * H)), int(x0 * W):int(np.ceil(x1 * W))].sum()
    total = diff.sum()
    return float(inside / total) if total > 0 else 1.0


def _shift_tolerant_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b| per pixel, against the closest of ``b``'s pixels within one pixel (edges replicated)."""
    padded = np.pad(b, 1, mode="edge")
    H, W = a.shape
    best = np.full(a.shape, np.inf)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            best = np.minimum(best, np.abs(a - padded[dy:dy + H, dx:dx + W]))
    return best


def aspect_ratio_error(img: Any, aspect_ratio: str) -> float:
    """Relative difference between the image's width/height and the requested ratio ("16:9" -> 0.0 when exact).

    Examples
    --------
    >>> round(aspect_ratio_error(tk.sample("cat"), "3:2"), 4)  # 451x300 is nearly 3:2
    0.0022
    """
    pa = _pil(img)
    a, b = (int(x) for x in aspect_ratio.split(":"))
    return abs((pa.width / pa.height) / (a / b) - 1.0)


def text_accuracy(img: Any, expected: str) -> float | None:
    """How much of ``expected`` an OCR engine reads in the image: 1 - normalised edit distance, in [0, 1].

    Uses the ``tesseract`` command when it is installed (None otherwise). Measures whether the requested
    words are legible as those characters; does not measure typography, placement, or extra text. OCR
    misreads stylised fonts, so treat low scores as "look at this", not as failure.
    """
    import shutil
    import subprocess
    import tempfile

    exe = shutil.which("tesseract")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src = f"{tmp}/in.png"
        _pil(img).convert("RGB").save(src)
        proc = subprocess.run([exe, src, "stdout"], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        return None
    got = " ".join(proc.stdout.split()).lower()
    want = " ".join(expected.split()).lower()
    if not want:
        return None
    # best match of the expected text anywhere in what was read (extra text is not penalised)
    best = min((_edit_distance(want, got[i:i + len(want)]) for i in range(max(1, len(got) - len(want) + 1))),
               default=len(want))
    return round(max(0.0, 1.0 - best / len(want)), 3)


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
