"""Tests for toolkit.samples: bundled photos from scikit-image's data directory, no downloads."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest
from PIL import Image

from toolkit.errors import ImageInputError
from toolkit.images import load_image
from toolkit.samples import sample, sample_path, samples

EXPECTED_FILES = {
    "cat": "chelsea.png",
    "coffee": "coffee.png",
    "astronaut": "astronaut.png",
    "rocket": "rocket.jpg",
    "camera": "camera.png",
    "brick": "brick.png",
    "grass": "grass.png",
    "gravel": "gravel.png",
    "hubble": "hubble_deep_field.jpg",
    "coins": "coins.png",
    "horse": "horse.png",
    "motorcycle": "motorcycle_left.png",
}


def test_catalogue_lists_every_bundled_file():
    assert set(samples()) == set(EXPECTED_FILES)
    for name, file in EXPECTED_FILES.items():
        path = sample_path(name)
        assert path.name == file and path.is_file()
        assert path.parent.name == "data" and path.parent.parent.name == "skimage"


@pytest.mark.parametrize("name", sorted(EXPECTED_FILES))
def test_sample_matches_its_description(name):
    img = sample(name)
    assert isinstance(img, Image.Image)
    assert img.info["sample"] == name and img.info["toolkit_source"] == f"sample:{name}"
    description = samples()[name]
    assert "\n" not in description
    # The size and colour kind written in the description are the file's real ones.
    w, h = map(int, re.search(r"(\d+)x(\d+)", description).groups())
    assert img.size == (w, h)
    kind = {"L": "grayscale", "RGB": "RGB", "RGBA": "RGBA"}[img.mode]
    assert kind in description
    assert re.search(r"CC0|public domain|copyright|licen[cs]e", description), description


def test_sample_is_loaded_not_lazy():
    img = sample("coffee")
    assert img.im is not None  # pixels decoded
    assert getattr(img, "fp", None) is None  # and the file closed


def test_aliases_and_spelling_variants():
    assert sample("chelsea").info["sample"] == "cat"
    assert sample("photographer").info["sample"] == "camera"
    assert sample(" Hubble Deep Field ").info["sample"] == "hubble"
    assert sample("motorcycle-left").info["sample"] == "motorcycle"
    assert sample_path("CAT") == sample_path("cat")


def test_each_call_returns_a_new_image():
    first = sample("cat")
    first.paste((0, 0, 0), (0, 0, 50, 50))
    assert sample("cat").getpixel((10, 10)) != (0, 0, 0)


def test_unknown_name_suggests_and_lists():
    with pytest.raises(ValueError) as exc:
        sample("kat")
    message = str(exc.value)
    assert isinstance(exc.value, ImageInputError)
    assert "'kat'" in message and "Did you mean 'cat'?" in message
    assert all(name in message for name in EXPECTED_FILES)
    with pytest.raises(ImageInputError, match="Available"):
        sample_path("zzzzzz")


def test_load_image_records_the_sample_as_source():
    img = load_image(sample("cat"))
    assert img.source == "sample:cat" and img.mime == "image/png"
    with Image.open(sample_path("cat")) as original:
        assert np.array_equal(np.asarray(img.to_pil()), np.asarray(original.convert("RGB")))
    assert load_image(sample("camera")).source == "sample:camera"


def test_does_not_need_skimage_data(monkeypatch):
    # A None entry makes any `import skimage.data` fail: sample() must not depend on it.
    monkeypatch.setitem(sys.modules, "skimage.data", None)
    assert sample("rocket").size == (640, 427)
