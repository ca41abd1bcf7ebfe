import pytest
from PIL import Image, ImageFilter, ImageOps

import toolkit as tk
from toolkit import metrics


@pytest.fixture(scope="module")
def cat():
    return tk.sample("cat").convert("RGB")


def test_identical_images_score_one(cat):
    s = metrics.similarity(cat, cat.copy())
    assert s == {"phash": 1.0, "ssim": 1.0, "histogram": 1.0}


def test_scores_fall_with_difference(cat):
    blurred = cat.filter(ImageFilter.GaussianBlur(2))
    other = tk.sample("coffee").convert("RGB").resize(cat.size)
    near, far = metrics.similarity(cat, blurred), metrics.similarity(cat, other)
    for k in ("phash", "ssim", "histogram"):
        assert near[k] > far[k], k


def test_what_each_metric_ignores(cat):
    # histogram ignores position: a mirror image has the same palette but a different layout
    mirrored = ImageOps.mirror(cat)
    assert metrics.histogram_similarity(cat, mirrored) > 0.99
    assert metrics.ssim(cat, mirrored) < 0.6
    # phash survives resizing
    assert metrics.phash_similarity(cat, cat.resize((cat.width // 3, cat.height // 3))) > 0.9


def test_edit_locality(cat):
    edited = cat.copy()
    edited.paste((255, 0, 0), (0, 0, cat.width // 4, cat.height // 4))
    assert metrics.edit_locality(cat, edited, (0, 0, 0.25, 0.25)) > 0.95
    assert metrics.edit_locality(cat, edited, (0.5, 0.5, 1, 1)) < 0.05
    assert metrics.edit_locality(cat, cat, (0, 0, 1, 1)) == 1.0


def test_aspect_ratio_error():
    assert metrics.aspect_ratio_error(Image.new("RGB", (1376, 768)), "16:9") < 0.01
    assert metrics.aspect_ratio_error(Image.new("RGB", (100, 100)), "16:9") > 0.4


def test_accepts_results(studio):
    r = studio.generate("a red kite")
    assert metrics.similarity(r, r.image)["ssim"] == 1.0


def test_edit_locality_rates_a_simulated_local_inpaint_as_local(studio):
    # A stain removed at the Editor's hotspot: the only change is inside the box, but the answer comes back
    # resized (600 x 400 -> 632 x 424), JPEG-encoded and stamped OFFLINE SIMULATOR in the corner.
    from toolkit.widgets.logic.edits import edit_prompt

    coffee = tk.sample("coffee").convert("RGB")
    stained = coffee.copy()
    stained.paste((90, 50, 25), (505, 65, 565, 125))
    r = studio.edit(stained, edit_prompt("Remove the stain", (535, 95), stained.size), image_size="1K")
    assert r.status == "ok" and r.image.size != stained.size
    box = (485 / 600, 45 / 400, 585 / 600, 145 / 400)
    assert metrics.edit_locality(stained, r.image, box) > 0.9
    assert metrics.edit_locality(stained, r.image, box, threshold=0, blur=0, ignore_mark=False) < 0.5  # the old measure
    # a global edit through the same round trip still scores about the box's share of the frame
    sepia = studio.edit(stained, "sepia", image_size="1K")
    assert metrics.edit_locality(stained, sepia.image, box) < 0.2


def test_edit_locality_ignores_the_mark_and_small_noise(cat):
    import numpy as np

    from toolkit.simulator import marks

    stamped = marks.add_mark(cat.copy())
    assert marks.find_mark(stamped) is not None and marks.find_mark(cat) is None
    noisy = np.asarray(cat, dtype=np.int16) + np.random.default_rng(0).integers(-6, 7, (cat.height, cat.width, 3))
    noisy_img = Image.fromarray(noisy.clip(0, 255).astype("uint8"))
    edited = noisy_img.copy()
    edited.paste((0, 0, 0), (0, cat.height - 60, 80, cat.height))
    stamped_edit = marks.add_mark(edited)
    assert metrics.edit_locality(cat, stamped_edit, (0, 0.75, 0.25, 1)) > 0.95
    assert metrics.edit_locality(cat, marks.add_mark(noisy_img), (0, 0, 0.1, 0.1)) == 1.0  # nothing changed
