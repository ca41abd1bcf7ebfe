"""Bundled sample photos: real images that ship with scikit-image, so demos work offline.

The files are read straight from scikit-image's package data directory. ``skimage.data`` itself is not
imported: it is slow to import and its loaders may try to download the larger datasets.

Credits and licences below are quoted from the docstrings of ``skimage/data/_fetchers.py``
(scikit-image 0.26); ``skimage/data/README.txt`` carries none.
"""

from __future__ import annotations

import difflib
import importlib.resources
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .errors import ImageInputError

__all__ = ["sample", "sample_path", "samples"]


@dataclass(frozen=True)
class _Sample:
    file: str
    description: str


_SAMPLES: dict[str, _Sample] = {
    "cat": _Sample(
        "chelsea.png",
        "Chelsea the cat, 451x300 RGB. CC0 by the photographer (Stefan van der Walt).",
    ),
    "coffee": _Sample(
        "coffee.png",
        "A cup of coffee on a wooden table, 600x400 RGB; courtesy of Pikolo Espresso Bar. "
        "CC0 by the photographer (Rachel Michetti).",
    ),
    "astronaut": _Sample(
        "astronaut.png",
        "Astronaut Eileen Collins, 512x512 RGB; from the NASA Great Images database. "
        "No known copyright restrictions, released into the public domain.",
    ),
    "rocket": _Sample(
        "rocket.jpg",
        "Launch of DSCOVR on a Falcon 9, 640x427 RGB; captured by SpaceX and released in the public domain.",
    ),
    "camera": _Sample(
        "camera.png",
        "A photographer with a camera on a tripod, 512x512 grayscale (good for colourisation). "
        "No copyright restrictions, CC0 by the photographer (Lav Varshney).",
    ),
    "brick": _Sample(
        "brick.png",
        "A section of a brick wall, 512x512 grayscale texture; from CC0Textures (Bricks25), "
        "Creative Commons CC0.",
    ),
    "grass": _Sample(
        "grass.png",
        "Grass, 512x512 grayscale texture; from DeviantArt (linolafett, Grass 01), Creative Commons CC0.",
    ),
    "gravel": _Sample(
        "gravel.png",
        "Gravel, 512x512 grayscale texture; from CC0Textures (Gravel04), Creative Commons CC0.",
    ),
    "hubble": _Sample(
        "hubble_deep_field.jpg",
        "Hubble eXtreme Deep Field, 1000x872 RGB; captured by NASA, may be freely used in the public domain.",
    ),
    "coins": _Sample(
        "coins.png",
        "Greek coins from Pompeii, 384x303 grayscale; from the Brooklyn Museum Collection. "
        "No known copyright restrictions.",
    ),
    "horse": _Sample(
        "horse.png",
        "Black and white silhouette of a horse, 400x328 RGBA; from openclipart. "
        "No copyright restrictions, CC0 given by owner (Andreas Preuss, marauder).",
    ),
    "motorcycle": _Sample(
        "motorcycle_left.png",
        "Left view of a motorcycle, 741x500 RGB; Middlebury 2014 stereo dataset (Scharstein et al., "
        "GCPR 2014). scikit-image states no licence for it: check the Middlebury site before redistributing.",
    ),
}

_ALIASES: dict[str, str] = {
    "chelsea": "cat",
    "photographer": "camera",
    "cameraman": "camera",
    "hubble_deep_field": "hubble",
    "motorcycle_left": "motorcycle",
}


def samples() -> dict[str, str]:
    """List the sample images.

    Returns
    -------
    dict of str to str
        Canonical name -> one-line description with credit and licence.

    Examples
    --------
    >>> samples()["cat"]
    'Chelsea the cat, 451x300 RGB. CC0 by the photographer (Stefan van der Walt).'
    """
    return {name: s.description for name, s in _SAMPLES.items()}


def _canonical(name: str) -> str:
    if not isinstance(name, str):
        raise ImageInputError(f"Sample names are strings, not {type(name).__name__}. Try sample('cat').")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = _ALIASES.get(key, key)
    if key in _SAMPLES:
        return key
    known = sorted([*_SAMPLES, *_ALIASES])
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ImageInputError(f"No sample named {name!r}.{hint} Available: {', '.join(_SAMPLES)}.")


def sample_path(name: str) -> Path:
    """Path of a sample image file inside scikit-image's data directory.

    Parameters
    ----------
    name : str
        A name from :func:`samples` or an alias (``"chelsea"``, ``"photographer"``, ...).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ImageInputError
        For an unknown name (with a suggestion), or when scikit-image or the file is missing.

    Examples
    --------
    >>> sample_path("chelsea").name
    'chelsea.png'
    """
    key = _canonical(name)
    try:
        root = importlib.resources.files("skimage") / "data"
    except ModuleNotFoundError:
        raise ImageInputError(
            "The sample images come with scikit-image, which is not installed. Install it: "
            "pip install scikit-image."
        ) from None
    path = root / _SAMPLES[key].file
    if not isinstance(path, Path) or not path.is_file():
        raise ImageInputError(
            f"Sample {key!r} should be at {str(path)!r}, but the file is missing. Reinstall scikit-image: "
            f"pip install --force-reinstall scikit-image."
        )
    return path


def sample(name: str) -> Image.Image:
    """Open a bundled sample photo.

    Parameters
    ----------
    name : str
        A name from :func:`samples` (``"cat"``, ``"coffee"``, ``"astronaut"``, ``"rocket"``,
        ``"camera"``, ...) or an alias such as ``"chelsea"``.

    Returns
    -------
    PIL.Image.Image
        Fully loaded, in the file's own mode (RGB, L for the grayscale ones, RGBA for ``"horse"``), with
        ``info["sample"]`` set to the canonical name and ``info["toolkit_source"]`` to ``"sample:<name>"``,
        which :func:`toolkit.images.load_image` uses as the input's ``source``. Each call returns a new
        image, so editing it is safe.

    Raises
    ------
    ImageInputError
        For an unknown name; the message lists the names and suggests the closest one.

    Examples
    --------
    >>> cat = sample("cat")
    >>> cat.size, cat.info["toolkit_source"]
    ((451, 300), 'sample:cat')
    """
    key = _canonical(name)
    img = Image.open(sample_path(key))
    img.load()  # reads the pixels and closes the file: nothing lazy is left behind
    img.info["sample"] = key
    img.info["toolkit_source"] = f"sample:{key}"
    return img
