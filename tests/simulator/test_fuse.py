"""Tests for toolkit.simulator.fuse: compositing the later images' subjects onto the first."""

from __future__ import annotations

import numpy as np
from PIL import Image
from sim_helpers import FLASH25, FLASH31, arr, decode, outside_mark, photo

from toolkit.simulator import render
from toolkit.simulator.core import fit


def test_fusion_pastes_the_object_and_leaves_far_corners_alone(chelsea):
    coffee = photo("coffee.png", 200)
    out = render("Put the cup next to the cat", [chelsea, coffee], model=FLASH31, image_size="512", seed=3)
    assert out.operation == "fuse" and out.finish_reason == "STOP"
    assert out.input_image_tokens == 2 * FLASH31.input_image_tokens
    got = arr(decode(out))
    base = arr(fit(chelsea.convert("RGB"), (got.shape[1], got.shape[0])))
    d = np.abs(got - base).max(axis=-1)
    h, w = d.shape
    assert d[: h // 6, : w // 6].mean() < 6, "the far top-left corner changed"
    lower = d[h // 2:]
    assert (lower > 40).mean() > 0.08, "no object landed in the lower half"
    assert (d[: h // 3, : w // 2] > 40).mean() < 0.05  # the right half holds the mark


def test_fusion_uses_the_alpha_channel_of_cut_outs(chelsea):
    cut = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    cut.paste((20, 200, 40, 255), (30, 10, 70, 90))  # a green bar; the rest is transparent
    out = render("add this", [chelsea, cut], model=FLASH31, image_size="512")
    assert "alpha channel" in out.text
    a = arr(decode(out))
    green = (a[..., 1] > 150) & (a[..., 0] < 90) & (a[..., 2] < 90)
    assert green.mean() > 0.03
    ys, xs = np.nonzero(green)
    assert (xs.max() - xs.min()) < 0.6 * (ys.max() - ys.min())  # only the bar, not its transparent square


def test_fusion_of_three_spreads_objects(chelsea):
    cup = photo("coffee.png", 120)
    out = render("combine these", [chelsea, cup, cup], model=FLASH31, image_size="512")
    got = arr(decode(out))
    base = arr(fit(chelsea.convert("RGB"), (got.shape[1], got.shape[0])))
    d = np.abs(got - base).max(axis=-1)[got.shape[0] // 2:]
    w = d.shape[1]
    left, right = (d[:, : w // 2] > 40).mean(), (d[:, w // 2:] > 40).mean()
    assert left > 0.03 and right > 0.03
    assert "images 2-3" in out.text


def test_fusion_applies_look_words_from_the_prompt(chelsea):
    out = render("put the cup in front and make it black and white", [chelsea, photo("coffee.png", 120)],
                 model=FLASH25)
    a = arr(decode(out))
    keep = outside_mark(a.shape)
    assert np.abs(a[..., 0] - a[..., 2])[keep].max() <= 1  # PNG output: exactly grey outside the mark
    assert "black and white" in out.text
