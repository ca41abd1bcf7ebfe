"""The blind arena, driven without a browser, and ratings from its stored judgements."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import toolkit as tk
from toolkit import ratings as rt
from toolkit.registry import lookup
from toolkit.simulator import marks, render
from toolkit.widgets.arena import Arena


def _study(studio):
    return studio.compare("A {thing} at noon", thing=["cat", "boat", "house"],
                          model=["gemini-3.1-flash-image", "gemini-3-pro-image"], image_size="1K", progress=False)


def test_pairs_are_same_cell_different_arm(studio):
    study = _study(studio)
    pairs = rt.arena_pairs(study, "model", seed=1)
    assert len(pairs) == 3
    by_key = {r.key: (c.axes["thing"], c.axes["model"]) for c in study.cells if (r := study.results[c.index])}
    for a, b in pairs:
        assert by_key[a][0] == by_key[b][0] and by_key[a][1] != by_key[b][1]


def test_judging_stores_and_rates(studio):
    study = _study(studio)
    arena = Arena(study, seed=3, judge="tester")
    assert arena.arm == "model" and arena.current is not None
    prefer = "gemini-3-pro-image"
    arm_of = rt.arm_map(study, "model")
    while arena.current is not None:
        left, _right = arena.current
        arena.choose("left" if arm_of[left] == prefer else "right")
    assert arena.left_button.disabled and "All pairs judged" in arena.context.value
    stored = rt.load_judgements(studio.store.home)
    assert len(stored) == 3 and {j.judge for j in stored} == {"tester"}
    table = study.ratings()
    assert table.index[0] == prefer and table.loc[prefer, "wins"] == 3
    assert "<table" in arena.ratings_view.value
    # a second judge in a new Studio on the same home adds to the same study's ratings
    again = tk.Studio(backend="offline", home=studio.store.home)
    second = Arena(_study(again), seed=4, judge="second")
    second.choose("tie")
    assert _study(again).ratings()["comparisons"].sum() == 8


def test_clicks_and_skip(studio):
    arena = Arena(_study(studio), seed=0)
    arena.skip_button.click()
    arena.tie_button.click()
    assert arena.position == 2 and len(arena.judged) == 1 and arena.judged[0].outcome == "tie"
    assert arena.message.value == ""


def test_study_without_pairs(studio):
    study = studio.compare("a {x}", x=["cat"], seed=[1, 2], image_size="512", progress=False)
    arena = Arena(study, arm="x")
    assert arena.current is None  # one arm only: nothing to compare
    assert "No pairs" in arena.context.value


def _shown(view) -> Image.Image:
    img = Image.open(io.BytesIO(view.value))
    img.load()
    return img


def _text_mask(img: Image.Image) -> np.ndarray:
    """The light text pixels of the offline simulator's mark (OCR-free: compared pixel by pixel)."""
    x0, y0, x1, y1 = marks.mark_box(*img.size)
    return np.asarray(img.convert("L").crop((x0, y0, x1, y1))) > 170


@pytest.mark.filterwarnings("ignore:gemini-2.5-flash-image")
def test_nothing_on_screen_reveals_the_arm(studio):
    # 16:9 at 1K: gemini-2.5-flash-image draws 1344 x 768 (PNG), gemini-3.1-flash-image 1376 x 768 (JPEG)
    models = ["gemini-2.5-flash-image", "gemini-3.1-flash-image"]
    study = studio.compare("A {animal} at noon", animal=["owl", "fox"], model=models, aspect_ratio="16:9",
                           progress=False)
    assert {r.image.size for r in study.results.values()} == {(1344, 768), (1376, 768)}
    arena = Arena(study, seed=0)
    while arena.current is not None:
        left, right = _shown(arena.left_image), _shown(arena.right_image)
        assert left.size == right.size and left.format == right.format  # one size, one encoding
        on_screen = " ".join([arena.context.value, arena.progress.value, arena.children[0].value,
                              arena.left_image.layout.width or "", arena.right_image.layout.width or ""]).lower()
        for tell in (*models, "2.5", "3.1", "flash", "png", "jpeg", ".jpg"):
            assert tell not in on_screen, tell
        assert "animal = " in arena.context.value
        arena.skip()


def test_the_stamps_of_two_arms_are_identical():
    # same pixel size for both models at 1:1 1K: the stamps must carry the same text (no model id)
    flash = render("A cat at noon", model=lookup("gemini-3.1-flash-image"), aspect_ratio="1:1", image_size="1K")
    pro = render("A cat at noon", model=lookup("gemini-3-pro-image"), aspect_ratio="1:1", image_size="1K")
    a, b = (Image.open(io.BytesIO(o.images[0].data)) for o in (flash, pro))
    assert a.size == b.size
    ma, mb = _text_mask(a), _text_mask(b)
    assert ma.mean() > 0.02  # there is text
    assert (ma != mb).mean() < 0.01  # the same text, pixel for pixel (up to JPEG noise)


def test_prompt_arms_show_no_prompt_and_images_share_a_size(studio):
    study = studio.compare(["a cat", "a fox"], aspect_ratio=["1:1", "16:9"], progress=False)
    arena = Arena(study, arm="prompt", seed=1)
    assert arena.current is not None
    assert "a cat" not in arena.context.value and "a fox" not in arena.context.value
    assert _shown(arena.left_image).size == _shown(arena.right_image).size
