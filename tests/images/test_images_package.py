"""Tests for toolkit.images (the package): every name other code imports is re-exported, and one path works."""

from __future__ import annotations

import importlib

import toolkit.images as images
from toolkit.images import (
    DEFAULT_MAX_SIDE,
    MAX_PIXELS,
    METADATA_KEY,
    MIN_SIDE,
    InputImage,
    embed_metadata,
    load_image,
    read_metadata,
    sniff_mime,
    strip_metadata,
)


def test_public_names_are_re_exported_from_their_modules():
    for name in images.__all__:
        value = getattr(images, name)
        owner = getattr(value, "__module__", None)
        if owner is not None:  # functions and classes: defined in a submodule, the same object here
            assert owner.startswith("toolkit.images."), (name, owner)
            assert getattr(importlib.import_module(owner), name) is value
    assert (DEFAULT_MAX_SIDE, MIN_SIDE, METADATA_KEY) == (3072, 8, "flash-image-toolkit")
    assert MAX_PIXELS == 2 * 89_478_485


def test_a_round_trip_through_the_package_names(tmp_path):
    from toolkit.samples import sample_path

    img = load_image(sample_path("cat"))
    assert isinstance(img, InputImage) and sniff_mime(img.data) == img.mime == "image/png"
    tagged = embed_metadata(img.data, img.mime, {"seed": 1})
    assert read_metadata(tagged) == {"seed": 1}
    assert strip_metadata(tagged, img.mime) == img.data
