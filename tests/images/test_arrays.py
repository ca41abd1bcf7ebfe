"""Tests for toolkit.images.arrays: numpy arrays as inputs, accepted shapes and dtypes, and the refusals."""

from __future__ import annotations

import io

import numpy as np
import pytest
from image_helpers import pattern
from PIL import Image

from toolkit.errors import ImageInputError
from toolkit.images import load_image


@pytest.mark.parametrize(
    ("array", "mode", "expected"),
    [
        (pattern(), "RGB", pattern()),
        (np.dstack([pattern(), np.full((48, 64), 200, np.uint8)]), "RGBA", None),
        (pattern()[:, :, 0], "L", pattern()[:, :, 0]),
        (pattern()[:, :, :1], "L", pattern()[:, :, 0]),
        (np.eye(16, dtype=bool), "L", np.eye(16, dtype=np.uint8) * 255),
        (
            np.array([[0, 32768, 65535, 257]] * 8, np.uint16).repeat(2, 1),
            "L",
            np.array([[0, 128, 255, 1]] * 8, np.uint8).repeat(2, 1),
        ),
        (np.full((8, 8, 3), 0.5, np.float32), "RGB", np.full((8, 8, 3), 128, np.uint8)),
        (np.full((8, 8), 65535, ">u2"), "L", np.full((8, 8), 255, np.uint8)),  # big-endian
        (
            np.linspace(0, 1, 64, dtype=np.float64).reshape(8, 8),
            "L",
            np.rint(np.linspace(0, 1, 64).reshape(8, 8) * 255).astype(np.uint8),
        ),
    ],
)
def test_numpy_inputs(array, mode, expected):
    img = load_image(array)
    assert img.source == "numpy array" and img.mime == "image/png"
    assert (img.width, img.height) == (array.shape[1], array.shape[0])
    with Image.open(io.BytesIO(img.data)) as decoded:
        assert decoded.mode == mode
        if expected is not None:
            assert np.array_equal(np.asarray(decoded), expected)


@pytest.mark.parametrize(
    ("array", "words"),
    [
        (np.zeros((16, 16), np.int64), "astype(np.uint8)"),
        (np.full((16, 16), 2.0), "[0, 1]"),
        (np.full((16, 16), np.nan), "without NaN"),
        (np.zeros((3, 16, 16), np.uint8), "np.moveaxis"),
        (np.zeros((16, 16, 2), np.uint8), "HxWx3"),
    ],
)
def test_bad_numpy_inputs(array, words):
    with pytest.raises(ImageInputError) as exc:
        load_image(array)
    assert "numpy array" in str(exc.value) and words in str(exc.value)
