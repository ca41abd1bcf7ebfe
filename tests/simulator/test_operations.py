"""Tests for toolkit.simulator.operations: each edit moves the image in its documented direction.

Measured on real photos from scikit-image's bundled data.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from sim_helpers import apply, arr, chroma, hf_energy, lum, photo

from toolkit.simulator import EDIT_VOCABULARY


def _corner_centre(a: np.ndarray) -> tuple[float, float]:
    h, w = a.shape[:2]
    k = max(2, min(h, w) // 8)
    corners = np.concatenate([lum(a[:k, :k]).ravel(), lum(a[:k, -k:]).ravel(), lum(a[-k:, :k]).ravel(),
                              lum(a[-k:, -k:]).ravel()])
    centre = lum(a[h // 2 - k: h // 2 + k, w // 2 - k: w // 2 + k])
    return float(corners.mean()), float(centre.mean())


def _check(phrase: str, a: np.ndarray, b: np.ndarray) -> None:
    if phrase == "black and white":
        assert np.abs(b[..., 0] - b[..., 1]).max() <= 1 and np.abs(b[..., 1] - b[..., 2]).max() <= 1
    elif phrase == "sepia":
        assert b[..., 0].mean() > b[..., 1].mean() > b[..., 2].mean() and (b[..., 0] - b[..., 2]).mean() > 20
    elif phrase == "blur the background":
        d = np.abs(b - a).mean(axis=-1)
        h, w = d.shape
        centre = d[h // 3: 2 * h // 3, w // 3: 2 * w // 3].mean()
        border = np.concatenate([d[: h // 8].ravel(), d[-h // 8:].ravel(), d[:, : w // 8].ravel(), d[:, -w // 8:].ravel()])
        assert centre < 0.5 * border.mean()
    elif phrase == "blur":
        assert hf_energy(b) < 0.7 * hf_energy(a)
    elif phrase == "sharpen":
        assert hf_energy(b) > 1.2 * hf_energy(a)
    elif phrase == "brighter":
        assert lum(b).mean() > lum(a).mean() + 10
    elif phrase == "darker":
        assert lum(b).mean() < lum(a).mean() - 10
    elif phrase == "more contrast":
        assert lum(b).std() > 1.1 * lum(a).std()
    elif phrase == "less contrast":
        assert lum(b).std() < 0.8 * lum(a).std()
    elif phrase == "colorize":
        assert chroma(a) < 1 and chroma(b) > 15
    elif phrase == "more saturated":
        assert chroma(b) > 1.15 * chroma(a)
    elif phrase == "warmer":
        assert (b[..., 0] - b[..., 2]).mean() > (a[..., 0] - a[..., 2]).mean() + 8
    elif phrase == "cooler":
        assert (b[..., 2] - b[..., 0]).mean() > (a[..., 2] - a[..., 0]).mean() + 8
    elif phrase.startswith("rotate"):
        np.testing.assert_array_equal(b, np.rot90(a, -1))  # "rotate 90": clockwise
    elif phrase == "flip vertically":
        np.testing.assert_array_equal(b, a[::-1])
    elif phrase == "mirror":
        np.testing.assert_array_equal(b, a[:, ::-1])
    elif phrase.startswith("crop"):
        assert abs(b.shape[1] / b.shape[0] - 16 / 9) < 0.02
    elif phrase == "zoom in":
        assert b.shape == a.shape
        assert hf_energy(b) < hf_energy(a)  # magnified: the same detail spread over more pixels
    elif phrase == "pixelate":
        assert (np.abs(np.diff(b, axis=1)).sum(axis=-1) == 0).mean() > 0.7
    elif phrase == "posterize":
        assert all(len(np.unique(b[..., c])) <= 4 for c in range(3))
    elif phrase == "cartoon":
        colours = lambda x: len(np.unique(x.reshape(-1, 3), axis=0))  # noqa: E731
        assert colours(b) < 0.7 * colours(a)
        assert (lum(b) < 40).mean() > (lum(a) < 40).mean()  # dark outlines
    elif phrase == "painting":
        small = lambda x: np.asarray(Image.fromarray(x.astype(np.uint8)).reduce(3), dtype=np.float32)  # noqa: E731
        assert hf_energy(small(b)) < 0.8 * hf_energy(small(a))  # detail merged into dabs of colour
    elif phrase == "sketch":
        assert np.abs(b[..., 0] - b[..., 2]).max() <= 1 and lum(b).mean() > max(170, lum(a).mean())
    elif phrase == "night time":
        assert lum(b).mean() < 0.6 * lum(a).mean() and b[..., 2].mean() > b[..., 0].mean()
    elif phrase == "sunset":
        assert (b[..., 0] - b[..., 2]).mean() > (a[..., 0] - a[..., 2]).mean() + 5
    elif phrase == "invert":
        np.testing.assert_array_equal(b, 255 - a)
    elif phrase == "vignette":
        (ca, ma), (cb, mb) = _corner_centre(a), _corner_centre(b)
        assert cb < 0.75 * ca and mb > 0.95 * ma
    elif phrase == "remove the background":
        h, w = b.shape[:2]
        assert lum(b[: h // 10, : w // 10]).mean() > 245  # corner became white
        np.testing.assert_allclose(b[h // 2, w // 2], a[h // 2, w // 2], atol=2)  # subject kept
    elif phrase == "film grain":
        assert hf_energy(b) > 1.5 * hf_energy(a) and abs(lum(b).mean() - lum(a).mean()) < 4
    elif phrase == "denoise":
        assert hf_energy(b) < 0.8 * hf_energy(a)
    elif phrase == "snow":
        assert (lum(b) > 235).mean() > (lum(a) > 235).mean() + 0.01
    elif phrase == "rain":
        assert (b[..., 2] - b[..., 0]).mean() > (a[..., 2] - a[..., 0]).mean() + 5
    elif phrase == "fog":
        assert lum(b).std() < 0.7 * lum(a).std() and abs(lum(b).mean() - 224) < abs(lum(a).mean() - 224)
    elif phrase.startswith("remove <thing>"):
        spot = _SPOT_MASK
        before_red = (a[..., 0] - a[..., 2])[spot].mean()
        assert (b[..., 0] - b[..., 2])[spot].mean() < before_red - 60  # the red spot is gone
        far = ~ndimage.binary_dilation(spot, iterations=12)
        assert np.abs(b - a)[far].max() == 0  # nothing away from it changed
    elif phrase.startswith("change the colour"):
        spot = _SPOT_MASK
        assert (b[..., 2] - b[..., 0])[spot].mean() > 60  # red became blue
        far = ~ndimage.binary_dilation(spot, iterations=12)
        assert np.abs(b - a)[far].max() == 0
    elif phrase == "add a <noun>":
        changed = (np.abs(b - a).max(axis=-1) > 30).mean()
        assert 0.005 < changed < 0.4
    else:
        raise AssertionError(f"no check for vocabulary entry {phrase!r}: add one")


EXAMPLES = {
    "black and white": "Make it black and white",
    "sepia": "give it an old photo look",
    "blur the background": "Blur the background",
    "blur": "blur it a little",
    "sharpen": "Sharpen",
    "brighter": "make it brighter",
    "darker": "Darker please",
    "more contrast": "more contrast",
    "less contrast": "less contrast",
    "colorize": "colourise",
    "more saturated": "make the colours more vibrant",
    "warmer": "warmer",
    "cooler": "cooler tones",
    "rotate 90 / 180 / 270 / left / right": "rotate 90 degrees",
    "flip vertically": "flip it vertically",
    "mirror": "Mirror the image",
    "crop to 16:9 / square crop": "crop to 16:9",
    "zoom in": "zoom in",
    "pixelate": "pixelate",
    "posterize": "posterize",
    "cartoon": "make it a cartoon",
    "painting": "turn it into an oil painting",
    "sketch": "pencil sketch",
    "night time": "make it night time",
    "sunset": "golden hour",
    "invert": "invert the colours",
    "vignette": "add a vignette",
    "remove the background": "remove the background",
    "film grain": "add film grain",
    "denoise": "denoise",
    "snow": "make it snowy",
    "rain": "add rain",
    "fog": "add fog",
    "add a <noun>": "now add a red balloon",
    "remove <thing> at a hotspot or region": "Remove the red spot at the point (x=60, y=40) of the 150x100 image.",
    "change the colour of <thing> to <colour> at a hotspot or region":
        "Change the colour of this to blue at the point (x=60, y=40) of the 150x100 image.",
}

# A red spot painted on chelsea (150 x 100) for the local edits above.
_SPOT_MASK = (np.mgrid[:100, :150][0] - 40) ** 2 + (np.mgrid[:100, :150][1] - 60) ** 2 < 7 ** 2


def _spotted(chelsea: Image.Image) -> Image.Image:
    a = arr(chelsea).copy()
    a[_SPOT_MASK] = (220, 20, 30)
    return Image.fromarray(a.astype(np.uint8))


def _input_for(phrase: str, chelsea: Image.Image, camera: Image.Image) -> Image.Image:
    if phrase == "colorize":
        return camera
    if phrase == "remove the background":
        # A red disc on a light, slightly noisy backdrop: the border-colour key must find the disc.
        rng = np.random.default_rng(0)
        a = np.full((120, 160, 3), (200, 215, 235), dtype=np.float32) + rng.normal(0, 4, (120, 160, 1))
        yy, xx = np.mgrid[:120, :160]
        a[((yy - 60) / 35) ** 2 + ((xx - 80) / 45) ** 2 < 1] = (200, 30, 40)
        return Image.fromarray(a.clip(0, 255).astype(np.uint8))
    if phrase == "denoise":
        noisy = arr(chelsea) + np.random.default_rng(1).normal(0, 25, arr(chelsea).shape)
        return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))
    if phrase == "fog":
        return photo("rocket.jpg")
    if phrase == "painting":
        return photo("chelsea.png", 300)
    if phrase.startswith(("remove <thing>", "change the colour")):
        return _spotted(chelsea)
    return chelsea


@pytest.mark.parametrize(("phrase", "description"), EDIT_VOCABULARY, ids=[p for p, _ in EDIT_VOCABULARY])
def test_each_vocabulary_entry_changes_the_image_in_its_direction(phrase, description, chelsea, camera):
    instruction = EXAMPLES[phrase]
    a, b, labels = apply(_input_for(phrase, chelsea, camera), instruction)
    assert len(labels) == 1, f"{instruction!r} matched {labels}"
    _check(phrase, a, b)


def test_example_table_covers_the_whole_vocabulary():
    assert set(EXAMPLES) == {p for p, _ in EDIT_VOCABULARY}


def test_instructions_are_matched_case_insensitively_and_combine_in_order(chelsea):
    a, b, labels = apply(chelsea, "Make it BLACK AND WHITE and add a Vignette")
    assert labels == ["black and white", "vignette"]
    _check("black and white", a, b)
    (ca, _), (cb, _) = _corner_centre(a), _corner_centre(b)
    assert cb < 0.8 * ca


def test_rotate_directions(chelsea):
    a, b, labels = apply(chelsea, "rotate left")
    np.testing.assert_array_equal(b, np.rot90(a, 1))
    assert "counter-clockwise" in labels[0]
    a, b, _ = apply(chelsea, "rotate 180")
    np.testing.assert_array_equal(b, np.rot90(a, 2))


def test_square_crop(chelsea):
    _, b, labels = apply(chelsea, "square crop")
    assert b.shape[0] == b.shape[1] and labels[0].startswith("crop to") and "1:1" in labels[0]


def test_colourise_keeps_luminance_and_adds_colour(camera):
    a, b, _ = apply(camera, "colorize this photo")
    assert chroma(a) < 1 and chroma(b) > 15
    assert np.corrcoef(lum(a).ravel(), lum(b).ravel())[0, 1] > 0.97
