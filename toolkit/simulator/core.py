"""Contract of the simulator, request dispatch, output sizing, encoding and usage.

The drawing lives elsewhere: :mod:`.scene` (text-to-image), :mod:`.edits` (the edit vocabulary),
:mod:`.fuse` (compositing) and :mod:`.marks` (the visible mark and the caption).

Test triggers (a prompt containing one of these gets that outcome, whatever else it says):

========================  ===================================================================
``[sim:blocked]``         prompt blocked: no images, no text, ``block_reason="PROHIBITED_CONTENT"``,
                          ``finish_reason=""`` (the real API sends no candidate, so there is no
                          finish reason), no output tokens
``[sim:image_safety]``    ``finish_reason="IMAGE_SAFETY"`` with a finishMessage-style ``message``
``[sim:no_image]``        ``finish_reason="NO_IMAGE"``
``[sim:text_only]``       ``finish_reason="STOP"``, a text answer, no image, and a ``message`` saying so
========================  ===================================================================
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageOps

from ..errors import OptionError
from ..registry import ModelInfo, closest_aspect_ratio
from . import edits, fuse, marks, scene, shapes
from .edits import EDIT_VOCABULARY
from .openmoji import ARTWORK_CREDIT

__all__ = ["EDIT_VOCABULARY", "NOT_SIMULATED_PREFIX", "SimImage", "SimOutput", "input_image_tokens", "render",
           "text_tokens"]

NOT_SIMULATED_PREFIX = "not simulated:"
"""How the offline backend's reason starts when part of a request was not simulated (the image says so too)."""

#: Longest side budget for drawing: bigger outputs are drawn at about this many pixels and upscaled,
#: which keeps 4K requests well under a second (the mark and caption are drawn at full size).
WORK_MAX_PIXELS = 1_200_000

TRIGGERS = ("[sim:blocked]", "[sim:image_safety]", "[sim:no_image]", "[sim:text_only]")

_IMAGE_SAFETY_MESSAGE = (
    "Unable to show the generated image. The generated image may violate Google's Generative AI Prohibited "
    "Use policy. Try rephrasing the prompt. (Simulated by the [sim:image_safety] trigger.)"
)
_NO_IMAGE_MESSAGE = "The model was expected to generate an image, but didn't. (Simulated by the [sim:no_image] trigger.)"
_BLOCKED_MESSAGE = "The prompt was blocked (PROHIBITED_CONTENT). (Simulated by the [sim:blocked] trigger.)"


@dataclass(frozen=True)
class SimImage:
    """One encoded output image."""

    data: bytes
    mime: str
    width: int
    height: int


@dataclass(frozen=True)
class SimOutput:
    """What the simulator answers, shaped like a provider reply.

    ``finish_reason`` uses the Gemini vocabulary ("STOP", "NO_IMAGE", "IMAGE_SAFETY", ...);
    ``block_reason`` is set (e.g. "PROHIBITED_CONTENT") when the *prompt* was blocked, in which case
    there are no images and no text. Token counts are what the real model would bill.
    """

    images: tuple[SimImage, ...]
    text: str
    finish_reason: str
    block_reason: str | None
    message: str | None
    input_text_tokens: int
    input_image_tokens: int
    output_text_tokens: int
    output_image_tokens: int
    operation: str  # "generate" | "edit" | "fuse"
    not_simulated: str | None = None  # what was asked but not done (the image carries a NOT SIMULATED banner)
    credits: tuple[str, ...] = ()  # attributions the image's artwork needs (OpenMoji's, when a glyph was drawn)


@dataclass(frozen=True)
class _Drawn:
    sim: SimImage
    text: str
    not_simulated: str | None = None
    credits: tuple[str, ...] = ()


def text_tokens(text: str) -> int:
    """Billed tokens for ``text`` by the simulator's rule: one per four characters, at least one.

    Empty text bills nothing (an answer without text has no text tokens).
    """
    return max(1, math.ceil(len(text) / 4)) if text else 0


def input_image_tokens(model: ModelInfo, images: Sequence[Image.Image]) -> int:
    """Input tokens the real model bills for ``images``.

    Gemini 2.5 Flash Image tiles its inputs: 258 tokens when both sides are at most 384 px, else 258
    per 768 x 768 tile. Later models bill a flat ``model.input_image_tokens`` per image.

    Examples
    --------
    >>> from toolkit.registry import lookup
    >>> input_image_tokens(lookup("gemini-2.5-flash-image"), [Image.new("RGB", (1024, 800))])
    1032
    """
    if model.id.startswith("gemini-2.5-flash-image"):
        total = 0
        for im in images:
            w, h = im.size
            total += 258 if (w <= 384 and h <= 384) else 258 * math.ceil(w / 768) * math.ceil(h / 768)
        return total
    return model.input_image_tokens * len(images)


def _rng(seed: int, prompt: str, salt: str) -> np.random.Generator:
    # Seeded from the request only (never global state or time), so answers are reproducible.
    digest = hashlib.sha256(f"{salt}\x00{int(seed)}\x00{prompt}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


def _upright(img: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(img) or img
    except Exception:  # a damaged EXIF block should not cost the user their image
        return img


def _to_rgb(img: Image.Image) -> Image.Image:
    img = _upright(img)
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float32)
        lo, hi = float(arr.min()), float(arr.max())
        scaled = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr)
        return Image.fromarray(scaled.astype(np.uint8), "L").convert("RGB")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        # Transparent areas become white, as they would look on a page.
        rgba = img.convert("RGBA")
        out = Image.new("RGB", rgba.size, (255, 255, 255))
        out.paste(rgba, (0, 0), rgba)
        return out
    return img.convert("RGB")


def _alpha_mask(img: Image.Image) -> Image.Image | None:
    """The alpha channel of a cut-out (transparent) image, upright like :func:`_to_rgb`'s output, else None."""
    if not (img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)):
        return None
    alpha = _upright(img).convert("RGBA").getchannel("A")
    lo = alpha.getextrema()[0]  # a single band: (min, max) as numbers
    return alpha if isinstance(lo, int | float) and lo < 250 else None


def _work_size(size: tuple[int, int]) -> tuple[int, int]:
    w, h = size
    k = min(1.0, math.sqrt(WORK_MAX_PIXELS / (w * h)))
    return max(1, round(w * k)), max(1, round(h * k))


def _pixel_size(model: ModelInfo, aspect_ratio: str, image_size: str | None) -> tuple[int, int]:
    try:
        return model.pixel_size(aspect_ratio, image_size)
    except KeyError:
        raise OptionError(
            f"{model.id} has no output size for aspect_ratio={aspect_ratio!r}, image_size={image_size!r}. "
            f"Use one of its aspect ratios ({', '.join(model.aspect_ratios)})"
            + (f" and sizes ({', '.join(model.image_sizes)})." if model.image_sizes else " and no image_size.")
        ) from None


def _resize(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    if img.size == size:
        return img
    if size[0] * size[1] >= img.size[0] * img.size[1]:
        method = Image.Resampling.BICUBIC if size[0] * size[1] <= 2_500_000 else Image.Resampling.BILINEAR
        return img.resize(size, method)
    return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def fit(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale and centre-crop ``img`` to exactly ``size`` (cover, like the real models' reframing)."""
    w, h = img.size
    tw, th = size
    if (w, h) == (tw, th):
        return img
    scale = max(tw / w, th / h)
    cw, ch = min(w, tw / scale), min(h, th / scale)  # float rounding may overshoot the source by a hair
    left, top = max(0.0, (w - cw) / 2), max(0.0, (h - ch) / 2)
    if scale < 1:
        method = Image.Resampling.LANCZOS
    else:
        method = Image.Resampling.BICUBIC if tw * th <= 2_500_000 else Image.Resampling.BILINEAR
    return img.resize(size, method, box=(left, top, left + cw, top + ch),
                      reducing_gap=2.0 if scale < 1 else None)


def _encode(img: Image.Image, mime: str) -> bytes:
    buf = io.BytesIO()
    if mime == "image/jpeg":
        img.save(buf, "JPEG", quality=90)
    elif mime == "image/webp":
        img.save(buf, "WEBP", quality=90, method=0)
    else:
        img.save(buf, "PNG", compress_level=1)  # fast: the simulator is on the hot path of notebooks
    return buf.getvalue()


def _finish(img: Image.Image, model: ModelInfo, caption: str | None, banner: str | None = None) -> SimImage:
    img = img.convert("RGB") if img.mode != "RGB" else img.copy()
    if caption:
        marks.add_caption(img, caption)
    img = marks.add_mark(img)
    if banner is not None:
        marks.add_banner(img, banner)
    return SimImage(_encode(img, model.output_mime), model.output_mime, img.width, img.height)


def _strip_triggers(prompt: str) -> str:
    low = prompt.lower()
    out = prompt
    for t in TRIGGERS:
        i = low.find(t)
        while i >= 0:
            out = out[:i] + " " * len(t) + out[i + len(t):]
            low = out.lower()
            i = low.find(t)
    return " ".join(out.split())


def render(
    prompt: str,
    images: Sequence[Image.Image] = (),
    *,
    model: ModelInfo,
    aspect_ratio: str | None = None,
    image_size: str | None = None,
    seed: int = 0,
) -> SimOutput:
    """Answer one request deterministically (same arguments -> same bytes).

    Parameters
    ----------
    prompt : str
        The instruction. With no images it is drawn as a scene; with one image it is read as edit
        instructions (see :data:`EDIT_VOCABULARY`); with several, the later images' subjects are
        composited onto the first.
    images : sequence of PIL.Image.Image
        Input images, any mode (16-bit, palette and transparent images are converted to RGB).
    model : ModelInfo
        Decides the pixel size table, the output MIME type and the billed tokens.
    aspect_ratio : str, optional
        "16:9" etc. Default: the input's nearest supported ratio (after any rotate or crop in an edit),
        or 1:1 without inputs.
    image_size : str, optional
        "512", "1K", "2K", "4K" for models with sizes; the model's default when None.
    seed : int
        Changes the layout and colours of generated scenes; the same seed gives identical bytes.

    Returns
    -------
    SimOutput
        At most one image, the reply text, finish/block reasons and the tokens the real model bills.

    Examples
    --------
    >>> from toolkit.registry import lookup
    >>> out = render("a red car at night", model=lookup("gemini-2.5-flash-image"), aspect_ratio="16:9")
    >>> (out.images[0].width, out.images[0].height, out.images[0].mime, out.output_image_tokens)
    (1344, 768, 'image/png', 1290)
    """
    images = list(images)
    operation = "generate" if not images else "edit" if len(images) == 1 else "fuse"
    _pixel_size(model, aspect_ratio or "1:1", image_size)  # bad options raise first, as the real API's 400 would
    in_text = text_tokens(prompt) or 1
    in_img = input_image_tokens(model, images)
    low = prompt.lower()

    def answer(sim: SimImage | None, text: str, finish: str = "STOP", message: str | None = None,
               block: str | None = None) -> SimOutput:
        out_img = model.output_image_tokens(image_size) if sim is not None else 0
        return SimOutput((sim,) if sim is not None else (), text, finish, block, message, in_text, in_img,
                         text_tokens(text), out_img, operation)

    def drawn(d: _Drawn) -> SimOutput:
        return replace(answer(d.sim, d.text), not_simulated=d.not_simulated, credits=d.credits)

    if "[sim:blocked]" in low:
        return answer(None, "", "", _BLOCKED_MESSAGE, block="PROHIBITED_CONTENT")
    if "[sim:image_safety]" in low:
        return answer(None, "", "IMAGE_SAFETY", _IMAGE_SAFETY_MESSAGE)
    if "[sim:no_image]" in low:
        return answer(None, "", "NO_IMAGE", _NO_IMAGE_MESSAGE)
    clean = _strip_triggers(prompt)
    if "[sim:text_only]" in low:
        seen = ", ".join(scene.parse_prompt(clean).summary()) or "nothing I can draw"
        text = (f"[offline simulator] Text-only answer (the [sim:text_only] trigger): I would draw {seen}, "
                f"but this reply has no image.")
        return answer(None, text, "STOP", "The model answered with text only, no image. (Simulated by the "
                                          "[sim:text_only] trigger.)")

    rng = _rng(seed, clean, operation)
    if operation == "generate":
        return drawn(_generate(clean, model, aspect_ratio, image_size, rng))
    if operation == "edit":
        parsed = edits.parse_instruction(clean, _upright(images[0]).size)
        if not parsed.ops:
            placed = _place(clean, images[0], model, aspect_ratio, image_size, rng)
            if placed is not None:  # "put the character in a kitchen": a new scene with the subject in it
                return drawn(placed)
        return drawn(_edit(parsed, clean, _to_rgb(images[0]), model, aspect_ratio, image_size, rng))
    return drawn(_fuse(clean, images, model, aspect_ratio, image_size, rng))


def _generate(prompt: str, model: ModelInfo, aspect_ratio: str | None, image_size: str | None,
              rng: np.random.Generator) -> _Drawn:
    ar = aspect_ratio or "1:1"
    size = _pixel_size(model, ar, image_size)
    plan = scene.parse_prompt(prompt)
    img = _resize(scene.render_scene(plan, _work_size(size), rng), size)
    items = plan.summary()
    when = f" {plan.time}" if plan.time else ""
    missing = ", ".join(plan.unknown)
    if plan.abstract:
        text = f"Generated a {ar} abstract composition in {', '.join(plan.colour_words) or 'a default palette'}."
    elif items:
        text = f"Generated a {ar}{when} scene with: {', '.join(items)}."
    elif missing:
        text = f"Generated a {ar}{when} landscape without its subject."
    else:
        text = f"Generated a {ar}{when} landscape; no drawable subject was recognised in the prompt."
    if plan.stand_ins():
        text += f" Stand-ins: {'; '.join(plan.stand_ins())}."
    if missing:
        text += f" Not simulated: {missing} (nothing draws it offline; marked on the image)."
    glyphs = any(shapes.noun(s.noun).glyph for s in plan.subjects)
    stand = [f"a {shapes.noun(s.noun).stand_in} for the {s.noun}" for s in plan.subjects if shapes.noun(s.noun).stand_in]
    caption = f"{prompt} (stand-in: {', '.join(stand)})" if stand else prompt
    return _Drawn(_finish(img, model, caption, missing or None), f"[offline simulator] {text}",
                  f"{missing} (no drawing offline)" if missing else None, (ARTWORK_CREDIT,) if glyphs else ())


def _edit(parsed: edits.Parsed, instruction: str, src: Image.Image, model: ModelInfo, aspect_ratio: str | None,
          image_size: str | None, rng: np.random.Generator) -> _Drawn:
    """Apply ``parsed.ops``; what could not be done is bannered on the image (all of it when nothing was)."""
    # Work no bigger than the output (or WORK_MAX_PIXELS): edits of a 24 MP photo stay fast.
    budget = _pixel_size(model, closest_aspect_ratio(model, *src.size), image_size)
    work = _shrink_to(src, min(WORK_MAX_PIXELS, budget[0] * budget[1]))
    work, applied = edits.apply_edits(work, parsed.ops, rng)
    # The output follows the *edited* shape, so "rotate 90" and "crop to 16:9" change the aspect ratio.
    ar = aspect_ratio or closest_aspect_ratio(model, *work.size)
    missing = None
    if not applied:
        missing = edits.not_simulated_reason(instruction, parsed)
        text = (f"[offline simulator] Not simulated: {missing}, so this is your image unchanged with a NOT SIMULATED "
                f"banner; see tk.simulator_vocabulary() for what works offline.")
    else:
        text = f"[offline simulator] Edited the image ({ar}): {', '.join(applied)}."
        if parsed.unknown_nouns or parsed.unplaced:
            missing = edits.not_simulated_reason(instruction, parsed)
            text += f" Not simulated: {missing} (marked on the image)."
    glyphs = any(op.edit.key == "add" and shapes.noun(op.args["noun"]).glyph for op in parsed.ops)
    return _Drawn(_finish(fit(work, _pixel_size(model, ar, image_size)), model, None, missing), text, missing,
                  (ARTWORK_CREDIT,) if glyphs else ())


_PLACEMENT_CUES = ("place ", "put ", "in this scene", "into a", "into the", "scene:", "in a new scene")


def _place(prompt: str, src: Image.Image, model: ModelInfo, aspect_ratio: str | None, image_size: str | None,
           rng: np.random.Generator) -> _Drawn | None:
    """Draw the scene the prompt names and composite the input's subject into it (character/product shots).

    Used only when the instruction is not an edit the vocabulary knows, and it names a setting or time of
    day, or asks to place the subject somewhere drawable. None when neither applies.
    """
    plan = scene.parse_prompt(prompt)
    low = prompt.lower()
    if not (plan.setting or plan.time or (plan.subjects and any(c in low for c in _PLACEMENT_CUES))):
        return None
    ar = aspect_ratio or "1:1"
    size = _pixel_size(model, ar, image_size)
    backdrop = scene.render_scene(plan, _work_size(size), rng)
    subject = _to_rgb(src)
    # A cut-out keeps its alpha; a photo gets a soft centred oval: a character reference is usually a
    # portrait, where colour keying from the border can lose the subject (a white suit on a white wall).
    mask = _alpha_mask(src) or _oval_mask(subject.size)
    fused, _ = fuse.fuse(backdrop, [subject], rng, [mask])
    where = ", ".join(plan.summary()) or "a landscape"
    text = (f"[offline simulator] Placed the subject of the input image into a generated {ar} scene ({where}). "
            f"The simulator cuts the subject out by colour; the real model redraws it in the scene.")
    glyphs = any(shapes.noun(s.noun).glyph for s in plan.subjects)
    return _Drawn(_finish(fit(fused, size), model, prompt), text, None, (ARTWORK_CREDIT,) if glyphs else ())


def _oval_mask(size: tuple[int, int]) -> Image.Image:
    from PIL import ImageDraw, ImageFilter

    w, h = size
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse((w * 0.12, h * 0.04, w * 0.88, h * 1.15), fill=255)
    return mask.filter(ImageFilter.GaussianBlur(max(2, min(w, h) // 40)))


def _fuse(prompt: str, images: list[Image.Image], model: ModelInfo, aspect_ratio: str | None,
          image_size: str | None, rng: np.random.Generator) -> _Drawn:
    src = _to_rgb(images[0])
    ar = aspect_ratio or closest_aspect_ratio(model, *src.size)
    base = fit(src, _work_size(_pixel_size(model, ar, image_size)))
    objects = [_to_rgb(im) for im in images[1:]]
    fused, where = fuse.fuse(base, objects, rng, [_alpha_mask(im) for im in images[1:]])
    # "Put the coffee next to the cat" names the inputs; only looks ("... in black and white") apply here.
    looks = tuple(op for op in edits.parse_instruction(prompt).ops if op.edit.key not in ("add", "remove", "recolour"))
    text = f"[offline simulator] Composited {where} onto image 1"
    if looks:
        fused, applied = edits.apply_edits(fused, looks, rng)
        ar = aspect_ratio or closest_aspect_ratio(model, *fused.size)
        text += f" ({ar}), with soft shadows. Then applied: {', '.join(applied)}."
    else:
        text += f" ({ar}), with soft shadows."
    return _Drawn(_finish(fit(fused, _pixel_size(model, ar, image_size)), model, None), text)


def _shrink_to(img: Image.Image, max_pixels: int) -> Image.Image:
    w, h = img.size
    if w * h <= max_pixels:
        return img
    k = math.sqrt(max_pixels / (w * h))
    return img.resize((max(1, round(w * k)), max(1, round(h * k))), Image.Resampling.LANCZOS, reducing_gap=2.0)
