"""Tests for toolkit.simulator.marks: the visible OFFLINE SIMULATOR mark and the prompt caption."""

from __future__ import annotations

import numpy as np
from PIL import Image
from sim_helpers import FLASH31, arr, decode, lum, outside_mark

from toolkit.simulator import marks, render


def test_mark_is_drawn_in_the_top_right_corner():
    flat = Image.new("RGB", (400, 400), (128, 128, 128))
    out = render("sharpen", [flat], model=FLASH31, image_size="512")  # sharpening a flat image changes nothing
    a = arr(decode(out))
    keep = outside_mark(a.shape)
    assert np.abs(a[keep] - 128).max() < 12, "something besides the mark changed the flat image"
    x0, y0, x1, y1 = marks.mark_box(a.shape[1], a.shape[0])
    assert x0 > a.shape[1] / 2 and y1 < a.shape[0] / 2
    region = lum(a[y0:y1, x0:x1])
    assert (region > 200).mean() > 0.03, "no light text pixels in the mark"
    assert (region < 60).mean() > 0.3, "no dark band behind the mark text"


def test_generated_images_carry_the_mark_text_band():
    out = render("a sunny meadow with flowers", model=FLASH31, image_size="512")
    a = arr(decode(out))
    x0, y0, x1, y1 = marks.mark_box(a.shape[1], a.shape[0])
    region = lum(a[y0:y1, x0:x1])
    assert (region > 200).mean() > 0.03 and (region < 80).mean() > 0.3


def test_mark_fits_narrow_images():
    for ar in ("1:8", "8:1"):
        w, h = FLASH31.pixel_size(ar, "512")
        x0, y0, x1, y1 = marks.mark_box(w, h)
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h


def test_awkward_prompts_do_not_break_the_caption():
    for prompt in ("", "café — “quoted” 日本語 ✨", "word " * 500, "x" * 3000):
        out = render(prompt, model=FLASH31, image_size="512")
        assert out.images and out.finish_reason == "STOP"
