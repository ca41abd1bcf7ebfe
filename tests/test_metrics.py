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
