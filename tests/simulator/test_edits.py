"""Tests for toolkit.simulator.edits: the vocabulary, matching instructions, and edits through render."""

from __future__ import annotations

import numpy as np
from PIL import ImageOps
from sim_helpers import FLASH31, arr, decode, lum, outside_mark

from toolkit.registry import closest_aspect_ratio
from toolkit.simulator import EDIT_VOCABULARY, marks, render
from toolkit.simulator import edits as sim_edits
from toolkit.simulator.core import fit


def test_vocabulary_is_documented_and_big_enough():
    assert len(EDIT_VOCABULARY) >= 12
    assert all(isinstance(p, str) and isinstance(d, str) and p and d for p, d in EDIT_VOCABULARY)
    phrases = [p for p, _ in EDIT_VOCABULARY]
    for must in ("black and white", "sepia", "blur the background", "blur", "sharpen", "brighter", "darker",
                 "more contrast", "colorize", "warmer", "cooler", "mirror", "flip vertically", "pixelate",
                 "posterize", "cartoon", "night time", "sunset", "invert", "vignette", "sketch"):
        assert must in phrases


def test_specific_phrases_win_over_general_ones():
    keys = lambda text: [op.edit.key for op in sim_edits.parse_instruction(text).ops]  # noqa: E731
    assert keys("blur the background") == ["blur the background"]
    assert keys("darken the edges") == ["vignette"]
    assert keys("flip it vertically") == ["flip vertically"]
    assert keys("golden hour sunset") == ["sunset"]
    assert keys("add more contrast") == ["more contrast"]
    assert keys("rotate it upside down") == ["rotate"]
    assert keys("Colorize this old black and white photo") == ["colorize"]
    assert keys("make it look like an old photo") == ["sepia"]


def test_edit_output_follows_rotation_and_crop_through_render(chelsea):
    rotated = decode(render("rotate 90", [chelsea], model=FLASH31, image_size="512"))
    assert rotated.size == FLASH31.pixel_size(closest_aspect_ratio(FLASH31, chelsea.height, chelsea.width), "512")
    assert rotated.height > rotated.width
    cropped = decode(render("crop to 16:9", [chelsea], model=FLASH31, image_size="512"))
    assert cropped.size == FLASH31.pixel_size("16:9", "512")


def test_mirror_through_render_equals_mirrored_previous_output(chelsea):
    first = decode(render("brighter", [chelsea], model=FLASH31, image_size="512"))
    second = decode(render("mirror", [first], model=FLASH31, image_size="512"))
    assert second.size == first.size
    expected = arr(ImageOps.mirror(first))
    got = arr(second)
    keep = outside_mark(got.shape) & outside_mark(got.shape)[:, ::-1]
    assert np.abs(got - expected)[keep].mean() < 3


def test_edit_keeps_the_input_content(chelsea):
    out = decode(render("warmer", [chelsea], model=FLASH31, image_size="512"))
    ref = arr(fit(chelsea.convert("RGB"), out.size))
    got = arr(out)
    keep = outside_mark(got.shape)
    assert np.corrcoef(lum(ref)[keep], lum(got)[keep])[0, 1] > 0.95


def test_unknown_instruction_returns_the_input_marked_not_simulated(chelsea):
    out = render("Translate this poem into French", [chelsea], model=FLASH31, image_size="512")
    assert out.images and out.finish_reason == "STOP" and out.operation == "edit"
    assert out.not_simulated and "outside the offline vocabulary" in out.not_simulated
    # one short sentence pointing at the vocabulary, not the vocabulary itself
    assert out.text.count(". ") == 0 and "tk.simulator_vocabulary()" in out.text and len(out.text) < 260
    assert "black and white" not in out.text and out.message is None
    got = arr(decode(out))
    ref = arr(fit(chelsea.convert("RGB"), (got.shape[1], got.shape[0])))
    keep = outside_mark(got.shape)
    x0, y0, x1, y1 = marks.banner_box(got.shape[1], got.shape[0])
    keep[y0:y1 + 16] = False
    assert np.corrcoef(lum(ref)[keep], lum(got)[keep])[0, 1] > 0.98  # the input, unchanged, under the banner
    band = got[y0:y1, x0:x1]
    assert band[..., 0].mean() > band[..., 2].mean() + 60  # the red banner


def test_adding_something_it_cannot_draw_says_so(chelsea):
    out = render("add a zorblax", [chelsea], model=FLASH31, image_size="512")
    assert out.images and out.not_simulated == "cannot draw 'zorblax'" and "zorblax" in out.text
    drawn = render("add a dragon", [chelsea], model=FLASH31, image_size="512")  # an emoji: drawn now
    assert drawn.images and drawn.not_simulated is None and "add dragon" in drawn.text
    ok = render("add a zorblax and make it sepia", [chelsea], model=FLASH31, image_size="512")
    assert ok.images and "sepia" in ok.text and "zorblax" in ok.text and ok.not_simulated == "cannot draw 'zorblax'"
