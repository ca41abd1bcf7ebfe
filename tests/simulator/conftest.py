"""Photos shared as fixtures by the toolkit.simulator tests (built once per module)."""

from __future__ import annotations

import pytest
from PIL import Image
from sim_helpers import photo


@pytest.fixture(scope="module")
def chelsea() -> Image.Image:
    return photo("chelsea.png")


@pytest.fixture(scope="module")
def camera() -> Image.Image:
    return photo("camera.png")
