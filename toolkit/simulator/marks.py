"""The visible "OFFLINE SIMULATOR" mark, the caption drawn under generated scenes, and the "NOT SIMULATED" banner.

All are drawn at the final output size (after any upscaling) so the text stays crisp, with Pillow's
bundled scalable font (``ImageFont.load_default(size=...)``, Pillow >= 10.1); nothing is downloaded.

The mark never names the model: it depends on the image size only, so two arms of a blind comparison
cannot be told apart by it (the model is in the image's metadata). The banner says on the image itself
that an instruction or a subject was not simulated.
"""

from __future__ import annotations

import functools
import threading
import unicodedata

import numpy as np
from PIL import Image, ImageDraw, ImageFont

MARK_TEXT = "OFFLINE SIMULATOR"
BANNER_TEXT = "NOT SIMULATED"
MARK_OUTLINE = (255, 196, 0)  # the amber outline of the mark and the banner

_ASCII_FALLBACK = {"\u2014": "-", "\u2013": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                   "\u00a0": " ", "\u2026": "...", "\u00d7": "x"}


_local = threading.local()


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font at ``size`` pixels.

    Cached per thread: the offline backend renders in worker threads, and a FreeType face should not
    be shared between threads.
    """
    cache = getattr(_local, "fonts", None)
    if cache is None:
        cache = _local.fonts = {}
    size = max(6, int(size))
    f = cache.get(size)
    if f is None:
        if len(cache) > 64:
            cache.clear()
        f = cache[size] = ImageFont.load_default(size=size)
    return f


def line_metrics(f: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> tuple[int, int]:
    """``(ascent, descent)`` of a font in pixels.

    Pillow's bundled font is a FreeType font; without FreeType, ``load_default`` falls back to a bitmap
    font that has no metrics, and its box height stands in for the ascent.
    """
    if isinstance(f, ImageFont.FreeTypeFont):
        return f.getmetrics()
    return int(f.getbbox("Ay")[3]), 0


@functools.lru_cache(maxsize=1)
def _notdef() -> bytes:
    return bytes(font(20).getmask("\ue000"))


@functools.lru_cache(maxsize=4096)
def _has_glyph(ch: str) -> bool:
    if ch.isspace() or ord(ch) < 128:
        return True
    return bytes(font(20).getmask(ch)) != _notdef()


def safe_text(text: str) -> str:
    """``text`` with characters the bundled font cannot draw replaced by close ASCII (or "?")."""
    out = []
    for ch in text:
        if ch in "\n\t\r":
            out.append(" ")
        elif _has_glyph(ch):
            out.append(ch)
        elif ch in _ASCII_FALLBACK:
            out.append(_ASCII_FALLBACK[ch])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and all(_has_glyph(c) for c in base) else "?")
    return "".join(out)


def mark_font_size(width: int, height: int) -> int:
    """Mark text size: about 2% of the image's geometric mean side, at least 9 px."""
    return max(9, min(round((width * height) ** 0.5 * 0.021), round(height * 0.07)))


def _mark_layout(width: int, height: int) -> tuple[int, list[str], tuple[int, int, int, int]]:
    size = mark_font_size(width, height)
    while True:
        f = font(size)
        pad = max(3, round(size * 0.45))
        margin = max(4, round(size * 0.6))
        lines = [MARK_TEXT]
        text_w = max(f.getlength(t) for t in lines)
        if text_w + 2 * pad + 2 * margin <= width or size <= 6:
            break
        size -= 1
    ascent, descent = line_metrics(f)
    line_h = ascent + descent
    box_w = round(text_w) + 2 * pad
    box_h = line_h * len(lines) + 2 * pad - round(descent * 0.5)
    x1 = width - margin
    y0 = margin
    return size, lines, (x1 - box_w, y0, x1, y0 + box_h)


def mark_box(width: int, height: int) -> tuple[int, int, int, int]:
    """Pixel box ``(x0, y0, x1, y1)`` the mark covers in a ``width`` x ``height`` image (top-right corner)."""
    return _mark_layout(width, height)[2]


def add_mark(img: Image.Image) -> Image.Image:
    """Draw the "OFFLINE SIMULATOR" band in the top-right corner of ``img`` (in place).

    A dark semi-opaque rounded band with white text and an amber outline reads on any background. It does
    not name the model, so it cannot reveal the arm of a blind comparison.
    """
    w, h = img.size
    size, lines, (x0, y0, x1, y1) = _mark_layout(w, h)
    f = font(size)
    pad = max(3, round(size * 0.45))
    layer = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    d.rounded_rectangle((0, 0, x1 - x0 - 1, y1 - y0 - 1), radius=max(2, size // 3), fill=(12, 12, 16, 178),
                        outline=(*MARK_OUTLINE, 220), width=max(1, size // 12))
    ascent, descent = line_metrics(f)
    for i, line in enumerate(lines):
        d.text((pad, pad + i * (ascent + descent) - round(descent * 0.25)), line, font=f, fill=(255, 255, 255, 255))
    base = img if img.mode == "RGB" else img.convert("RGB")
    base.paste(layer, (x0, y0), layer)
    return base


def banner_box(width: int, height: int) -> tuple[int, int, int, int]:
    """Pixel box of the "NOT SIMULATED" banner: a full-width band just under the mark."""
    size = max(10, round(mark_font_size(width, height) * 1.35))
    ascent, descent = line_metrics(font(size))
    y0 = mark_box(width, height)[3] + max(4, round(size * 0.4))
    return 0, y0, width, min(height, y0 + ascent + descent + 2 * max(3, round(size * 0.45)))


def add_banner(img: Image.Image, detail: str) -> Image.Image:
    """Draw a red "NOT SIMULATED: <detail>" band across ``img`` just under the mark (in place).

    The text is shortened with "..." to fit one line.
    """
    w, h = img.size
    x0, y0, x1, y1 = banner_box(w, h)
    size = max(10, round(mark_font_size(w, h) * 1.35))
    f = font(size)
    pad = max(3, round(size * 0.45))
    text = f"{BANNER_TEXT}: {' '.join(safe_text(detail).split())}" if detail.strip() else BANNER_TEXT
    avail = w - 2 * pad - 2 * max(4, round(size * 0.6))
    if f.getlength(text) > avail:
        while len(text) > len(BANNER_TEXT) and f.getlength(text + "...") > avail:
            text = text[:-1]
        text = text.rstrip(" ,.;:") + "..."
    layer = Image.new("RGBA", (x1 - x0, y1 - y0), (178, 24, 30, 225))
    d = ImageDraw.Draw(layer)
    line = max(1, size // 10)
    d.rectangle((0, 0, x1 - x0, line - 1), fill=(*MARK_OUTLINE, 255))
    d.rectangle((0, y1 - y0 - line, x1 - x0, y1 - y0), fill=(*MARK_OUTLINE, 255))
    descent = line_metrics(f)[1]
    d.text(((x1 - x0 - f.getlength(text)) / 2, pad - round(descent * 0.25)), text, font=f, fill=(255, 255, 255, 255))
    img.paste(layer, (x0, y0), layer)
    return img


def find_mark(img: Image.Image) -> tuple[int, int, int, int] | None:
    """The box of an "OFFLINE SIMULATOR" mark in ``img`` (padded a little), or None when there is none.

    The mark is looked for where :func:`add_mark` puts it for this size (an image resized since keeps it
    at about the same place, as the mark scales with the image): a dark band with light text. JPEG smears
    the thin amber outline, so the test is on brightness: at least 2% light pixels (text) and 30% dark ones.
    """
    w, h = img.size
    x0, y0, x1, y1 = mark_box(w, h)
    region = np.asarray(img.convert("L").crop((x0, y0, x1, y1)), dtype=np.float32)
    if region.size == 0 or (region > 190).mean() < 0.02 or (region < 90).mean() < 0.3:
        return None
    pad = max(2, round(0.25 * (y1 - y0)))
    return max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)


def add_caption(img: Image.Image, text: str, *, max_lines: int = 3) -> Image.Image:
    """Draw ``text`` (wrapped, truncated with "...") over a soft dark band at the bottom of ``img`` (in place)."""
    text = " ".join(safe_text(text).split())
    if not text:
        return img
    w, h = img.size
    size = max(9, round(mark_font_size(w, h) * 1.3))
    f = font(size)
    margin = max(6, round(size * 0.8))
    avail = w - 2 * margin
    lines = _wrap(text, f, avail, max_lines)
    ascent, descent = line_metrics(f)
    line_h = round((ascent + descent) * 1.12)
    block = line_h * len(lines)
    band_h = min(h, block + 3 * margin)
    ramp = np.linspace(0.0, 1.0, band_h, dtype=np.float32) ** 0.7 * 170
    mask = Image.fromarray(np.ascontiguousarray(np.broadcast_to(ramp[:, None], (band_h, w))).astype(np.uint8), "L")
    img.paste((0, 0, 0), (0, h - band_h, w, h), mask)
    d = ImageDraw.Draw(img)
    y = h - margin - block
    shadow = max(1, size // 14)
    for line in lines:
        d.text((margin + shadow, y + shadow), line, font=f, fill=(0, 0, 0))
        d.text((margin, y), line, font=f, fill=(248, 248, 244))
        y += line_h
    return img


def _wrap(text: str, f: ImageFont.FreeTypeFont | ImageFont.ImageFont, avail: float, max_lines: int) -> list[str]:
    # Only what can be shown is measured: a 100 kB prompt must not cost seconds of getlength calls.
    budget = int(max_lines * avail / max(1.0, f.getlength("i"))) + 1
    clipped = len(text) > budget
    words = text[:budget].split(" ")
    lines: list[str] = []
    cur = ""
    for word in words:
        while f.getlength(word) > avail and len(word) > 1:  # a very long token: hard-split it
            lo, hi = 1, len(word)
            while lo < hi:  # longest prefix that fits, by bisection
                mid = (lo + hi + 1) // 2
                if f.getlength(word[:mid]) <= avail:
                    lo = mid
                else:
                    hi = mid - 1
            if cur:
                lines.append(cur)
                cur = ""
            lines.append(word[:lo])
            word = word[lo:]
            if len(lines) > max_lines:
                break
        trial = f"{cur} {word}" if cur else word
        if f.getlength(trial) <= avail:
            cur = trial
        else:
            lines.append(cur)
            cur = word
        if len(lines) > max_lines:
            break
    if cur and len(lines) <= max_lines:
        lines.append(cur)
    if len(lines) > max_lines or clipped:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and f.getlength(last + "...") > avail:
            last = last[:-1].rstrip()
        lines[-1] = last.rstrip(" ,.;:") + "..."
    return lines
