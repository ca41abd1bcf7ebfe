"""Tests for toolkit.simulator.scene: generated scenes: what the reply names, time of day, named colours."""

from __future__ import annotations

import numpy as np
from sim_helpers import FLASH31, arr, decode, lum

from toolkit.simulator import render


def test_reply_text_names_what_was_drawn():
    out = render("A photo of my cat eating a nano-banana in a fancy restaurant", model=FLASH31,
                 aspect_ratio="16:9", image_size="512")
    assert out.text.startswith("[offline simulator]")
    for word in ("16:9", "cat", "banana", "restaurant"):
        assert word in out.text


def test_night_is_darker_and_bluer_than_day():
    day = arr(decode(render("a house on a hill during the day", model=FLASH31, image_size="512", seed=3)))
    night = arr(decode(render("a house on a hill at night", model=FLASH31, image_size="512", seed=3)))
    sky_day, sky_night = day[: day.shape[0] // 3], night[: night.shape[0] // 3]
    assert lum(sky_night).mean() < lum(sky_day).mean() - 60
    assert sky_night[..., 2].mean() > sky_night[..., 0].mean()


def test_named_colour_shows_up():
    plain = arr(decode(render("a car", model=FLASH31, image_size="512", seed=4)))
    red = arr(decode(render("a red car", model=FLASH31, image_size="512", seed=4)))

    def reddish(a: np.ndarray) -> float:
        return float(((a[..., 0] > 150) & (a[..., 1] < 90) & (a[..., 2] < 90)).mean())

    assert reddish(red) > reddish(plain) + 0.005


def test_scene_still_exposes_the_plan_names_callers_use():
    from toolkit.simulator import plan, scene, shapes
    from toolkit.simulator.palette import COLOURS

    assert scene.parse_prompt is plan.parse_prompt and scene.Plan is plan.Plan
    assert scene.COLOURS is COLOURS and scene.shapes is shapes
    assert callable(scene.render_scene)
