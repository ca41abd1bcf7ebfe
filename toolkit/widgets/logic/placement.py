"""FusionBoard: named placements, the fuse prompt derived from position and scale, and a local preview."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw

POSITIONS: dict[str, tuple[float, float]] = {
    "bottom centre": (0.5, 0.75),
    "centre": (0.5, 0.5),
    "left": (0.22, 0.6),
    "right": (0.78, 0.6),
    "top": (0.5, 0.25),
    "bottom left": (0.22, 0.75),
    "bottom right": (0.78, 0.75),
    "top left": (0.22, 0.25),
    "top right": (0.78, 0.25),
}
"""Named placements -> (x, y) of the object's centre, as fractions of the scene's width and height."""

CUSTOM_POSITION = "custom (x/y sliders)"

_WHERE = {
    "bottom centre": "at the bottom centre", "centre": "in the centre", "left": "on the left side",
    "right": "on the right side", "top": "at the top", "bottom left": "at the bottom left",
    "bottom right": "at the bottom right", "top left": "at the top left", "top right": "at the top right",
}


def _images_phrase(n_objects: int) -> str:
    if n_objects <= 1:
        return "the object from image 2"
    idx = [str(i) for i in range(2, n_objects + 2)]
    return f"the objects from images {', '.join(idx[:-1])} and {idx[-1]}"


def fusion_prompt(n_images: int, position: str, x: float, y: float, scale: float, extra: str = "") -> str:
    """The fuse prompt derived from the placement controls.

    Parameters
    ----------
    n_images : int
        How many images (the first is the scene, the others objects); fewer than 2 is treated as 2.
    position : str
        A key of :data:`POSITIONS` or :data:`CUSTOM_POSITION`.
    x, y : float
        The object's centre as fractions (0..1) of the scene's width and height.
    scale : float
        The object's height as a fraction of the scene's height.
    extra : str
        Free text appended as is ("make it look like evening").

    Examples
    --------
    >>> p = fusion_prompt(2, "left", 0.22, 0.6, 0.3)
    >>> p.startswith("Place the object from image 2 into the scene from image 1, on the left side of the scene")
    True
    >>> "about 30% of the scene's height" in p
    True
    """
    n_objects = max(1, n_images - 1)
    where = _WHERE.get(position)
    coords = f"centred about {x:.0%} of the way across and {y:.0%} of the way down the scene"
    place = f"{where} of the scene ({coords})" if where else coords
    size = "each about" if n_objects > 1 else "about"
    text = (f"Place {_images_phrase(n_objects)} into the scene from image 1, {place}, scaled so that it is "
            f"{size} {scale:.0%} of the scene's height. Match the scene's lighting, perspective and shadows, "
            f"and keep everything else in the scene unchanged.")
    extra = " ".join(extra.split())
    if extra:
        text += f" {extra if extra.endswith(('.', '!', '?')) else extra + '.'}"
    return text


def placement_preview(scene: Image.Image, objects: Sequence[Image.Image], x: float, y: float, scale: float,
                      max_side: int = 360) -> Image.Image:
    """A quick mock-up of where the objects will go: thumbnails pasted on the scene inside outlined boxes.

    This is a local sketch to check the placement; the model decides the final composition.

    Examples
    --------
    >>> from PIL import Image
    >>> placement_preview(Image.new("RGB", (400, 200)), [Image.new("RGB", (10, 10), "red")], 0.5, 0.5, 0.5).size
    (360, 180)
    """
    base = scene.convert("RGB")
    base.thumbnail((max_side, max_side))
    if base.width < max_side and base.height < max_side:
        k = max_side / max(base.size)
        base = base.resize((round(base.width * k), round(base.height * k)))
    W, H = base.size
    draw = ImageDraw.Draw(base)
    target_h = max(4, round(scale * H))
    boxes = []
    for obj in objects:
        ow, oh = obj.size
        h = target_h
        w = max(4, round(ow * h / max(1, oh)))
        boxes.append((obj, w, h))
    total_w = sum(w for _, w, _ in boxes) + 4 * max(0, len(boxes) - 1)
    left = round(x * W - total_w / 2)
    for obj, w, h in boxes:
        top = round(y * H - h / 2)
        thumb = obj.convert("RGB").resize((w, h))
        base.paste(thumb, (left, top))
        # Two outlines (white under red) stay visible on light and dark scenes alike.
        draw.rectangle((left - 2, top - 2, left + w + 1, top + h + 1), outline="white", width=3)
        draw.rectangle((left - 1, top - 1, left + w, top + h), outline="#e0102f", width=1)
        left += w + 4
    return base

