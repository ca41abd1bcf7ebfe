"""What a call's inputs must be before a request is built: the prompt, the images list, the variant count.

Checked before anything is sent; each refusal names the problem and the fix.

>>> as_images(None), len(as_images(["a.png", "b.png"]))
([], 2)
>>> check_prompt("   ")
Traceback (most recent call last):
...
toolkit.errors.InputError: The prompt is empty. Describe the image you want, or the edit to make.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from PIL import Image

from .errors import InputError
from .request import ImagePart

#: The most images one call asks for (each is its own request: the image models reject candidateCount > 1).
MAX_N = 16
MAX_PROMPT_CHARS = 100_000


def as_images(images: Any) -> list[Any]:
    """The input images of a call as a list: None, one image (path, bytes, PIL, array) or a sequence."""
    if images is None:
        return []
    if isinstance(images, list | tuple):
        return list(images)
    if isinstance(images, Iterable) and not isinstance(images, str | bytes | bytearray | memoryview) \
            and not hasattr(images, "shape") and not hasattr(images, "getpixel"):
        return list(images)
    return [images]


def check_prompt(prompt: Any) -> None:
    """Refuse a prompt that cannot be sent, naming the fix."""
    if not isinstance(prompt, str):
        raise InputError(f"The prompt must be text (str), got {type(prompt).__name__}.")
    if not prompt.strip():
        raise InputError("The prompt is empty. Describe the image you want, or the edit to make.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InputError(
            f"The prompt is {len(prompt):,} characters; the limit here is {MAX_PROMPT_CHARS:,} (about 25k tokens). "
            f"Shorten it: image models follow a focused paragraph better than a long document."
        )
    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InputError(f"The prompt contains text that is not valid Unicode at character {e.start} (a lone "
                         f"surrogate such as {prompt[e.start]!r}, often from a bad copy-paste); remove it.") from None


def image_dims(part: ImagePart) -> tuple[int, int]:
    """(width, height) of an image part, read from its header."""
    with Image.open(io.BytesIO(part.data)) as img:
        return img.size
