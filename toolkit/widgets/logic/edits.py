"""Editor: preset instructions, click-to-target edits, the target marker, the download link and the
undo/redo history of edit steps."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from PIL import Image, ImageDraw

from ...records import IMAGE_EXTENSIONS

_Step = TypeVar("_Step")

PRESETS: dict[str, str] = {
    "Blur background": "Blur the background",
    "Enhance": "Enhance the photo: sharpen the details and add a little more contrast",
    "Warmer light": "Make the light warmer",
    "Black and white": "Make it black and white",
    "Remove background": "Remove the background",
    "Night time": "Make it night time",
    "Sunset": "Turn the light into a golden sunset",
    "Cartoon": "Turn it into a cartoon",
    "Vintage": "Give it a vintage sepia look with film grain",
}
"""Editor preset buttons: label -> instruction. Each instruction is one the offline simulator understands."""


def click_to_pixels(event: Mapping[str, Any], shown_size: tuple[int, int],
                    image_size: tuple[int, int]) -> tuple[int, int]:
    """Map an ipyevents click on a displayed thumbnail to pixel coordinates of the full image.

    ipyevents reports ``dataX``/``dataY`` in the displayed image's own pixels (for an ``Image``
    widget); when they are missing, ``relativeX``/``relativeY`` against the bounding box are used.

    Parameters
    ----------
    event : mapping
        The ipyevents event dict.
    shown_size : (int, int)
        Pixel size of the image shown in the widget (the thumbnail).
    image_size : (int, int)
        Pixel size of the full image.

    Returns
    -------
    (int, int)
        ``(x, y)`` in full-image pixels, clamped to the image.

    Examples
    --------
    >>> click_to_pixels({"dataX": 100, "dataY": 50}, (200, 100), (400, 200))
    (200, 100)
    """
    sw, sh = shown_size
    iw, ih = image_size
    if event.get("dataX") is not None and event.get("dataY") is not None:
        fx, fy = float(event["dataX"]) / sw, float(event["dataY"]) / sh
    elif event.get("relativeX") is not None and event.get("boundingRectWidth"):
        fx = float(event["relativeX"]) / float(event["boundingRectWidth"])
        fy = float(event["relativeY"]) / float(event["boundingRectHeight"])
    else:
        raise ValueError(f"The click event has no position (keys: {sorted(event)}).")
    x = min(iw - 1, max(0, math.floor(fx * iw)))
    y = min(ih - 1, max(0, math.floor(fy * ih)))
    return x, y


def hotspot_phrase(x: int, y: int, size: tuple[int, int]) -> str:
    """Words that place an edit at a pixel, in pixels and as fractions of the width and height.

    Examples
    --------
    >>> hotspot_phrase(120, 80, (451, 300))
    'at the point (x=120, y=80) of the 451x300 image, i.e. at (0.27, 0.27) as fractions of its width and height from the top-left corner'
    """
    w, h = size
    return (f"at the point (x={x}, y={y}) of the {w}x{h} image, i.e. at ({x / w:.2f}, {y / h:.2f}) "
            f"as fractions of its width and height from the top-left corner")


def edit_prompt(instruction: str, hotspot: tuple[int, int] | None = None,
                size: tuple[int, int] | None = None) -> str:
    """The instruction sent to ``studio.edit``: the user's words, plus the clicked point if any.

    Examples
    --------
    >>> edit_prompt("Add a hat.", (120, 80), (451, 300)).startswith("Add a hat at the point (x=120, y=80)")
    True
    >>> edit_prompt("  Make it warmer ")
    'Make it warmer'
    """
    text = " ".join(instruction.split())
    if hotspot is None or size is None or not text:
        return text
    return f"{text.rstrip('.')} {hotspot_phrase(*hotspot, size)}."


def mark_point(img: Image.Image, xy: tuple[float, float], radius: int | None = None) -> Image.Image:
    """A copy of ``img`` with a visible target marker (ring and cross) at ``xy``.

    Examples
    --------
    >>> from PIL import Image
    >>> mark_point(Image.new("RGB", (50, 50), "white"), (25, 25)).getpixel((25, 25)) != (255, 255, 255)
    True
    """
    out = img.convert("RGB")
    draw = ImageDraw.Draw(out)
    r = radius or max(6, round(min(out.size) * 0.03))
    x, y = xy
    for colour, width in (("white", max(3, r // 2)), ("#e0102f", max(1, r // 4))):
        draw.ellipse((x - r, y - r, x + r, y + r), outline=colour, width=width)
        draw.line((x - 2 * r, y, x + 2 * r, y), fill=colour, width=max(1, width // 2))
        draw.line((x, y - 2 * r, x, y + 2 * r), fill=colour, width=max(1, width // 2))
    return out


_IMAGE_MIME_TYPES = frozenset(IMAGE_EXTENSIONS)


def download_link_html(data: bytes, mime: str, filename: str, label: str = "Download") -> str:
    """An HTML link that downloads ``data`` (a data URI with the ``download`` attribute).

    Examples
    --------
    >>> download_link_html(b"x", "image/png", "a.png").startswith('<a download="a.png"')
    True
    >>> 'onmouseover' in download_link_html(b"x", 'image/png" onmouseover="alert(1)', "a.png")
    False
    """
    # only a known image type goes into the URI; anything else (a provider's or a pack's odd value) is
    # downloaded as plain bytes, and every attribute is escaped
    kind = mime if mime in _IMAGE_MIME_TYPES else "application/octet-stream"
    uri = html.escape(f"data:{kind};base64,{base64.b64encode(data).decode()}", quote=True)
    kb = len(data) / 1024
    return (f'<a download="{html.escape(filename)}" href="{uri}" style="font-size:13px">⬇ {html.escape(label)} '
            f"{html.escape(filename)}</a> <span style=\"color:#777;font-size:11px\">({kb:.0f} kB)</span>")


class EditHistory(Generic[_Step]):
    """The Editor's steps with a cursor: the first step is the original, the cursor is the current one.

    :meth:`push` adds a step after the current one and drops the steps undone before it; :meth:`undo`
    and :meth:`redo` move the cursor. Empty until :meth:`reset` gives it a first step.

    Examples
    --------
    >>> h = EditHistory[str]()
    >>> h.current, h.can_undo
    (None, False)
    >>> h.reset("original"); h.push("sepia"); h.push("hat")
    >>> h.undo(), h.current, h.position, h.can_redo
    (True, 'sepia', 1, True)
    >>> h.push("moon"); h.applied, h.can_redo, len(h)
    (['sepia', 'moon'], False, 3)
    """

    def __init__(self) -> None:
        self._steps: list[_Step] = []
        self._position = 0

    def __len__(self) -> int:
        return len(self._steps)

    def __getitem__(self, index: int) -> _Step:
        return self._steps[index]

    @property
    def position(self) -> int:
        """Index of the current step (0: the original)."""
        return self._position

    @property
    def current(self) -> _Step | None:
        """The current step (None while empty)."""
        return self._steps[self._position] if self._steps else None

    @property
    def original(self) -> _Step | None:
        """The first step (None while empty)."""
        return self._steps[0] if self._steps else None

    @property
    def applied(self) -> list[_Step]:
        """The steps after the original up to the current one (undone steps excluded)."""
        return self._steps[1 : self._position + 1]

    @property
    def can_undo(self) -> bool:
        return self._position > 0

    @property
    def can_redo(self) -> bool:
        return self._position < len(self._steps) - 1

    def reset(self, first: _Step) -> None:
        """Start over with ``first`` as the only step."""
        self._steps = [first]
        self._position = 0

    def push(self, step: _Step) -> None:
        """Add ``step`` after the current one (the undone steps after it are dropped) and make it current."""
        if not self._steps:
            raise ValueError("The history is empty: reset() it with the original first.")
        self._steps = [*self._steps[: self._position + 1], step]
        self._position += 1

    def undo(self) -> bool:
        """Go back one step; False (and no change) at the original."""
        if not self.can_undo:
            return False
        self._position -= 1
        return True

    def redo(self) -> bool:
        """Go forward one undone step; False (and no change) when there is none."""
        if not self.can_redo:
            return False
        self._position += 1
        return True
