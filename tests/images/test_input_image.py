"""Tests for toolkit.images.input_image: the repr, decoding to PIL, the decode cache and pickling."""

from __future__ import annotations

import pickle

from image_helpers import png_bytes

from toolkit.images import load_image


def test_input_image_repr_to_pil_and_pickle():
    img = load_image(png_bytes(mode="L"), name="gray.png")
    text = repr(img)
    assert text.startswith("InputImage(source='gray.png', 64x48 image/png, ")
    assert img.sha256[:8] in text and "b'" not in text
    first = img.to_pil()
    assert first.mode == "RGB" and first.info["toolkit_source"] == "gray.png"
    first.paste((1, 2, 3), (0, 0, 64, 48))
    assert img.to_pil().getpixel((0, 0)) != (1, 2, 3)  # the cache is not the caller's copy
    clone = pickle.loads(pickle.dumps(img))
    assert clone == img and "_pil_cache" not in clone.__dict__ and "_pil_cache" in img.__dict__
    assert img._repr_png_() == img.data and img._repr_jpeg_() is None
