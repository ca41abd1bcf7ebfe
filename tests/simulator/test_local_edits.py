"""Local edits at a place: remove (inpaint) and recolour at the Editor's hotspot or in a region."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image
from sim_helpers import FLASH31, arr, decode

from toolkit.samples import sample
from toolkit.simulator import local, marks, render
from toolkit.simulator.core import fit
from toolkit.widgets.logic.edits import edit_prompt

CENTRE, RADIUS = (535, 95), 40


def _stained(photo: Image.Image) -> tuple[Image.Image, np.ndarray]:
    """``photo`` (600 x 400) with a translucent brown stain on the table; returns the image and the stain mask."""
    a = arr(photo)
    yy, xx = np.mgrid[: a.shape[0], : a.shape[1]]
    stain = (xx - CENTRE[0]) ** 2 + (yy - CENTRE[1]) ** 2 < RADIUS ** 2
    a[stain] = a[stain] * np.array([0.5, 0.3, 0.15], dtype=np.float32)
    return Image.fromarray(a.clip(0, 255).astype(np.uint8)), stain


@pytest.fixture(scope="module")
def coffee() -> Image.Image:
    return sample("coffee").convert("RGB")


def _out(out) -> np.ndarray:
    assert out.images, out.text
    return arr(decode(out))


def test_the_editor_hotspot_phrase_is_read_as_a_place():
    text = edit_prompt("Remove the stain", (535, 95), (600, 400))
    place, span = local.find_place(text)
    assert place is not None and place.point == pytest.approx((535 / 600, 95 / 400))
    assert span is not None and "the point" in text[span[0]:span[1]] and "fractions" in text[span[0]:span[1]]
    assert local.find_place("remove it at pixel (300, 200)", (600, 400))[0] == local.Place(point=(0.5, 0.5))
    assert local.find_place("remove it in the region (0.1, 0.2, 0.3, 0.4)")[0] == local.Place(box=(0.1, 0.2, 0.3, 0.4))
    assert local.find_place("remove it")[0] is None


def test_remove_a_stain_at_the_hotspot(coffee):
    stained, stain = _stained(coffee)
    out = render(edit_prompt("Remove the brown coffee stain", CENTRE, stained.size), [stained], model=FLASH31,
                 image_size="1K")
    assert out.not_simulated is None and "remove the object" in out.text and "inpainted" in out.text
    got = _out(out)
    clean = arr(fit(coffee, (got.shape[1], got.shape[0])))
    dirty = arr(fit(stained, (got.shape[1], got.shape[0])))
    big = np.asarray(Image.fromarray(stain).resize((got.shape[1], got.shape[0]), Image.Resampling.NEAREST))
    err_after = np.abs(got - clean)[big].mean()
    err_before = np.abs(dirty - clean)[big].mean()
    assert err_after < 0.35 * err_before, (err_after, err_before)  # the stain is gone, the wood is back
    # far from the stain the photo is untouched (only the round trip through resizing and JPEG)
    yy, xx = np.mgrid[: got.shape[0], : got.shape[1]]
    sx, sy = got.shape[1] / 600, got.shape[0] / 400
    far = (xx - CENTRE[0] * sx) ** 2 + (yy - CENTRE[1] * sy) ** 2 > (2.2 * RADIUS * sx) ** 2
    mx0, _, _, my1 = marks.mark_box(got.shape[1], got.shape[0])
    far[: my1 + 10, mx0 - 10:] = False
    assert np.abs(got - dirty)[far].mean() < 2.0


def test_recolour_at_the_hotspot(coffee):
    # the saucer is red; at a click on it, "change the colour ... to blue" turns it blue and leaves the table
    text = edit_prompt("Change the colour of the saucer to blue", (150, 330), coffee.size)
    out = render(text, [coffee], model=FLASH31, image_size="512")
    assert out.not_simulated is None and "recolour" in out.text and "blue" in out.text
    got = _out(out)
    h, w = got.shape[:2]
    spot = got[round(330 / 400 * h) - 4: round(330 / 400 * h) + 4, round(150 / 600 * w) - 4: round(150 / 600 * w) + 4]
    assert spot[..., 2].mean() > spot[..., 0].mean() + 40


def test_a_region_is_removed_whole(coffee):
    stained, _ = _stained(coffee)
    x0, y0, x1, y1 = (CENTRE[0] - 50) / 600, (CENTRE[1] - 50) / 400, (CENTRE[0] + 50) / 600, (CENTRE[1] + 50) / 400
    out = render(f"erase the stain in the region ({x0:.3f}, {y0:.3f}, {x1:.3f}, {y1:.3f})", [stained], model=FLASH31,
                 image_size="512")
    assert out.not_simulated is None and "in the region" in out.text


def test_local_edits_without_a_place_are_marked_not_simulated(coffee):
    out = render("Remove the stain from the table", [coffee], model=FLASH31, image_size="512")
    assert out.images and out.finish_reason == "STOP"
    assert out.not_simulated == "'remove' needs a place: click the image or name a region"
    assert "tk.simulator_vocabulary()" in out.text
    partly = render("Make it sepia and remove the cup", [coffee], model=FLASH31, image_size="512")
    assert "sepia" in partly.text and partly.not_simulated and "remove" in partly.not_simulated


def test_remove_on_a_megapixel_image_is_fast_and_deterministic(coffee):
    big = coffee.resize((1024, 1024))
    text = edit_prompt("Remove the stain", (900, 240), big.size)
    render(text, [big], model=FLASH31, image_size="1K")  # warm-up (imports, font caches)
    t = time.perf_counter()
    first = render(text, [big], model=FLASH31, image_size="1K")
    elapsed = time.perf_counter() - t
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    assert render(text, [big], model=FLASH31, image_size="1K").images[0].data == first.images[0].data


def test_add_at_the_hotspot_puts_the_noun_there(coffee):
    out = render(edit_prompt("Add a star", (100, 300), coffee.size), [coffee], model=FLASH31, image_size="512")
    before = arr(fit(coffee, decode(out).size))
    changed = np.abs(_out(out) - before).max(axis=-1) > 60
    ys, xs = np.nonzero(changed[:, : changed.shape[1] * 3 // 4])  # leave the mark out
    h, w = changed.shape
    assert abs(xs.mean() / w - 100 / 600) < 0.08 and abs(ys.mean() / h - 300 / 400) < 0.15
