"""FusionBoard: the derived prompt follows the placement controls; Fuse sends it with the images."""

from __future__ import annotations

import pytest

import toolkit as tk
from toolkit.widgets import FusionBoard
from toolkit.widgets.logic import CUSTOM_POSITION, POSITIONS


@pytest.fixture()
def fb(studio):
    return FusionBoard(studio, images=[tk.sample("coffee"), tk.sample("cat")], image_size="512")


def test_derived_prompt_is_read_only_and_follows_position_scale_and_extra(fb):
    assert fb.derived_prompt.disabled
    start = fb.derived_prompt.value
    assert "at the bottom centre of the scene" in start and "about 35% of the scene's height" in start
    fb.position.value = "left"
    assert (fb.x.value, fb.y.value) == POSITIONS["left"]
    left = fb.derived_prompt.value
    assert left != start and "on the left side of the scene (centred about 22% of the way across" in left
    assert fb.position.value == "left"  # moving the sliders to the named place did not flip it to custom
    fb.scale.value = 0.6
    assert "about 60% of the scene's height" in fb.derived_prompt.value
    fb.extra.value = "make it look like evening"
    assert fb.derived_prompt.value.endswith(" make it look like evening.")


def test_moving_a_slider_switches_to_custom(fb):
    fb.x.value = 0.1
    assert fb.position.value == CUSTOM_POSITION
    assert "centred about 10% of the way across" in fb.derived_prompt.value
    fb.y.value = 0.3
    assert "30% of the way down" in fb.derived_prompt.value
    fb.position.value = "top right"
    assert (fb.x.value, fb.y.value) == POSITIONS["top right"] and "at the top right" in fb.derived_prompt.value


def test_fuse_gives_an_image_and_sends_the_derived_prompt(fb, studio, text):
    fb.position.value = "right"
    fb.fuse_button.click()
    assert fb.result.status == "ok" and fb.result.image is not None
    assert "<img" in fb.result_view.value
    row = studio.session_ledger.df.iloc[-1]
    assert row["operation"] == "fuse" and row["n_inputs"] == 2 and row["prompt"] == fb.derived_prompt.value
    assert "Offline simulator" in text(fb.message)
    assert fb.meter.stats.calls == 1 and not fb.fuse_button.disabled


def test_preview_and_images(fb, studio, cat_upload, bad_upload, text):
    assert fb.preview.value[:2] == b"\xff\xd8"
    labels = [text(v.children[1]) for v in fb.images_view.children]
    assert labels[0].startswith("scene (image 1)") and labels[1].startswith("object (image 2)")
    fb.upload.value = cat_upload
    assert len(fb.images) == 3 and "objects from images 2 and 3" in fb.derived_prompt.value
    fb.upload.value = bad_upload
    assert "That image cannot be used" in text(fb.message) and len(fb.images) == 3
    fb.clear_button.click()
    assert fb.images == [] and fb.preview.value == b""


def test_fusing_one_image_is_a_message(studio, text):
    fb = FusionBoard(studio, images=[tk.sample("coffee")])
    fb.fuse_button.click()
    assert "at least two images" in text(fb.message) and len(studio.session_ledger.df) == 0
    assert fb.result is None
