"""The :class:`InputImage`: one input image, encoded and ready to send."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image

__all__ = ["InputImage"]


@dataclass(frozen=True)
class InputImage:
    """One input image, ready to send.

    Attributes
    ----------
    data : bytes
        The encoded bytes to send: the original file's bytes when they could pass unchanged, otherwise a
        deterministic re-encoding (same input, same bytes).
    mime : str
        ``"image/png"``, ``"image/jpeg"`` or ``"image/webp"``.
    sha256 : str
        Hex SHA-256 of ``data``; a stable cache key for the image.
    width, height : int
        Pixel size of ``data`` (after EXIF rotation and any downscaling).
    source : str
        Short human name: a file name, ``"PIL image"``, ``"bytes"``, ``"numpy array"``, ``"sample:cat"``.
    notes : tuple of str
        What normalisation did, in plain words (empty when the bytes passed unchanged).

    Examples
    --------
    >>> from toolkit.samples import sample_path
    >>> img = tk.load_image(sample_path("cat"))
    >>> img
    InputImage(source='chelsea.png', 451x300 image/png, 240.5 kB, sha256=596aa1e7…)
    >>> img.to_pil().size
    (451, 300)
    """

    data: bytes
    mime: str
    sha256: str
    width: int
    height: int
    source: str
    notes: tuple[str, ...] = ()

    def to_pil(self) -> Image.Image:
        """Decode ``data`` to an RGB or RGBA PIL image.

        The first call decodes; later calls return a copy of the cached result, so editing the
        returned image in place never changes what a later call sees.

        Returns
        -------
        PIL.Image.Image
            Mode ``"RGB"`` or ``"RGBA"``; ``info["toolkit_source"]`` is set to :attr:`source`.
        """
        # The decoded pixels live in the instance __dict__, outside the dataclass fields (so they stay out
        # of eq, hash, repr and asdict) and are freed with the InputImage, unlike a global cache.
        im = self.__dict__.get("_pil_cache")
        if im is None:
            im = _decode_rgb(self.data)
            im.info["toolkit_source"] = self.source
            object.__setattr__(self, "_pil_cache", im)
        return im.copy()

    def __repr__(self) -> str:
        return (
            f"InputImage(source={self.source!r}, {self.width}x{self.height} {self.mime}, "
            f"{_human_bytes(len(self.data))}, sha256={self.sha256[:8]}…)"
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_pil_cache", None)
        return state

    # IPython/Jupyter display hooks: show the image itself rather than the repr.
    def _repr_png_(self) -> bytes | None:
        return self.data if self.mime == "image/png" else None

    def _repr_jpeg_(self) -> bytes | None:
        return self.data if self.mime == "image/jpeg" else None


def _human_bytes(n: int) -> str:
    if n < 1000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"


def _decode_rgb(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        if im.mode in ("RGB", "RGBA"):
            return im.copy()
        return im.convert("RGBA" if im.has_transparency_data else "RGB")
