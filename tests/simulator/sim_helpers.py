"""Models, photos and measurements shared by the toolkit.simulator tests.

Imported by name (``from sim_helpers import ...``): tests/simulator has no ``__init__``. Real photos come from
scikit-image's bundled data; sizes are kept small (512-class outputs, ~150 px edit inputs) so the tests run
in a few seconds.
"""

from __future__ import annotations

import importlib.resources
import io

import numpy as np
from PIL import Image

from toolkit.registry import lookup
from toolkit.simulator import SimOutput, marks
from toolkit.simulator import edits as sim_edits

FLASH25 = lookup("gemini-2.5-flash-image")
FLASH31 = lookup("gemini-3.1-flash-image")
PRO = lookup("gemini-3-pro-image")
LITE = lookup("gemini-3.1-flash-lite-image")
assert FLASH25 and FLASH31 and PRO and LITE

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


def photo(name: str, width: int | None = 150) -> Image.Image:
    """A bundled scikit-image photo, optionally shrunk (aspect kept) so tests stay fast."""
    with (importlib.resources.files("skimage") / "data" / name).open("rb") as f:
        img = Image.open(f)
        img.load()
    if width is not None:
        img = img.resize((width, round(img.height * width / img.width)), Image.LANCZOS)
    return img


def decode(out: SimOutput, k: int = 0) -> Image.Image:
    img = Image.open(io.BytesIO(out.images[k].data))
    img.load()
    return img


def arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"), dtype=np.float32)


def lum(a: np.ndarray) -> np.ndarray:
    return a[..., 0] * 0.299 + a[..., 1] * 0.587 + a[..., 2] * 0.114


def hf_energy(a: np.ndarray) -> float:
    """Mean absolute Laplacian of the luminance: high for sharp or noisy images."""
    g = lum(a)
    lap = 4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]
    return float(np.abs(lap).mean())


def chroma(a: np.ndarray) -> float:
    return float((a.max(axis=-1) - a.min(axis=-1)).mean())


def apply(img: Image.Image, instruction: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Run the edit vocabulary directly (no resize, no mark): returns before, after and the labels."""
    parsed = sim_edits.parse_instruction(instruction)
    assert parsed.ops, f"nothing in the vocabulary matched {instruction!r}"
    src = img.convert("RGB")
    out, labels = sim_edits.apply_edits(src, parsed.ops, np.random.default_rng(seed))
    return arr(src), arr(out), labels


def outside_mark(shape: tuple[int, ...]) -> np.ndarray:
    h, w = shape[:2]
    x0, y0, x1, y1 = marks.mark_box(w, h)
    keep = np.ones((h, w), dtype=bool)
    keep[max(0, y0 - 16): y1 + 16, max(0, x0 - 16): x1 + 16] = False  # JPEG blocks ring around it
    return keep
