"""numpy arrays as input images: shapes and dtypes accepted, and their conversion to 8-bit PIL images."""

from __future__ import annotations

from typing import Any

from PIL import Image

from .checks import MIN_SIDE, Origin, check_dimensions

__all__ = ["array_to_pil", "scale_16_to_8"]


def array_to_pil(arr: Any, origin: Origin, notes: list[str]) -> Image.Image:
    """An 8-bit L, RGB or RGBA PIL image from a numpy array, noting any conversion in ``notes``.

    Accepts ``HxW``, ``HxWx1``, ``HxWx3`` and ``HxWx4`` arrays of ``uint8``, ``bool``, ``uint16`` or
    floats in [0, 1]; anything else raises an :class:`~toolkit.errors.ImageInputError` that says how to
    fix the array (channels-first, a batch of one, 0-255 floats, ...).

    Examples
    --------
    >>> import numpy as np
    >>> from toolkit.images.checks import origin_for
    >>> notes = []
    >>> array_to_pil(np.ones((10, 20), bool), origin_for("mask"), notes).mode, notes
    ('L', ['converted a boolean mask to black (False) and white (True)'])
    """
    import numpy as np

    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        hint = ""
        if arr.ndim == 3 and arr.shape[0] in (1, 3, 4):
            hint = " It looks channels-first: use np.moveaxis(arr, 0, -1)."
        elif arr.ndim == 4 and arr.shape[0] == 1:
            hint = " It looks like a batch of one: use arr[0]."
        raise origin.error(f"has shape {arr.shape}; expected HxW (gray), HxWx3 (RGB) or HxWx4 (RGBA).{hint}")
    if arr.shape[0] < MIN_SIDE or arr.shape[1] < MIN_SIDE:
        check_dimensions(arr.shape[1], arr.shape[0], origin)
    # kind/itemsize rather than == np.uint16, so big-endian arrays (from FITS, TIFF readers) count too.
    kind, size = arr.dtype.kind, arr.dtype.itemsize
    if kind == "u" and size == 1:
        out = arr
    elif kind == "b":
        out = arr.astype(np.uint8) * 255
        notes.append("converted a boolean mask to black (False) and white (True)")
    elif kind == "u" and size == 2:
        out = scale_16_to_8(arr)
        notes.append("scaled uint16 values (0-65535) to 8-bit")
    elif kind == "f":
        lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
        if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0.0 or hi > 1.0:
            raise origin.error(
                f"is a float array with values in [{lo:g}, {hi:g}]; float images must be in [0, 1] "
                f"without NaN. Divide 0-255 data by 255, or use np.clip(arr, 0, 1)."
            )
        out = np.rint(arr.astype(np.float64) * 255.0).astype(np.uint8)
        notes.append("scaled float values in [0, 1] to 8-bit")
    else:
        raise origin.error(
            f"has dtype {arr.dtype}; supported dtypes are uint8, bool, uint16 and float in [0, 1]. If the "
            f"values are 0-255, use arr.astype(np.uint8)."
        )
    return Image.fromarray(np.ascontiguousarray(out))  # uint8 HxW / HxWx3 / HxWx4 -> L / RGB / RGBA


def scale_16_to_8(a: Any) -> Any:
    """16-bit values (a numpy array) to ``uint8`` by rounding ``v * 255 / 65535``, never clipping.

    Examples
    --------
    >>> import numpy as np
    >>> scale_16_to_8(np.array([0, 128, 32768, 65535], np.uint16)).tolist()
    [0, 0, 128, 255]
    """
    import numpy as np

    # Round(v * 255 / 65535) in integers: 65535 -> 255, 32768 -> 128, 0 -> 0. Never clip.
    return ((a.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
