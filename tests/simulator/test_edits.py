"""Tests for toolkit.simulator.edits: the vocabulary, matching instructions, and edits through render."""

from __future__ import annotations

import numpy as np
from PIL import ImageOps
from sim_helpers import FLASH31, arr, decode, lum, outside_mark

from toolkit.registry import closest_aspect_ratio
from toolkit.simulator import EDIT_VOCABULARY, render
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
    keep = outside_mark(got.shape, FLASH31.id) & outside_mark(got.shape, FLASH31.id)[:, ::-1]
    assert np.abs(got - expected)[keep].mean() < 3


def test_edit_keeps_the_input_content(chelsea):
    out = decode(render("warmer", [chelsea], model=FLASH31, image_size="512"))
    ref = arr(fit(chelsea.convert("RGB"), out.size))
    got = arr(out)
    keep = outside_mark(got.shape, FLASH31.id)
    assert np.corrcoef(lum(ref)[keep], lum(got)[keep])[0, 1] > 0.95


def test_unknown_instruction_gives_no_image_and_lists_the_vocabulary(chelsea):
    out = render("Translate this poem into French", [chelsea], model=FLASH31, image_size="512")
    assert out.images == () and out.finish_reason == "NO_IMAGE" and out.operation == "edit"
    assert out.text and out.output_image_tokens == 0
    assert out.message and out.message.startswith("The offline simulator understands:")
    for phrase, _ in EDIT_VOCABULARY[:-1]:
        assert phrase in out.message


def test_adding_something_it_cannot_draw_says_so(chelsea):
    out = render("add a dragon", [chelsea], model=FLASH31, image_size="512")
    assert out.finish_reason == "NO_IMAGE" and "dragon" in out.text
    ok = render("add a dragon and make it sepia", [chelsea], model=FLASH31, image_size="512")
    assert ok.images and "sepia" in ok.text and "dragon" in ok.text
