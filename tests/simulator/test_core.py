"""Tests for toolkit.simulator.core, the render contract.

Determinism, pixel sizes, MIME types, billed tokens, option errors, input modes, the test triggers, reframing
(fit) and placing a subject into a named scene.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image
from sim_helpers import FLASH25, FLASH31, JPEG_MAGIC, LITE, PNG_MAGIC, PRO, arr, decode, lum, photo

from toolkit.errors import OptionError
from toolkit.registry import MODELS, closest_aspect_ratio, lookup
from toolkit.simulator import render
from toolkit.simulator.core import fit, input_image_tokens, text_tokens


def test_same_arguments_give_identical_bytes(chelsea):
    coffee = photo("coffee.png")
    for prompt, images in (("A red car and a cat at sunset", []), ("make it sepia", [chelsea]),
                           ("Put the cup next to the cat", [chelsea, coffee])):
        a = render(prompt, images, model=FLASH31, image_size="512", seed=7)
        b = render(prompt, images, model=FLASH31, image_size="512", seed=7)
        assert a.images[0].data == b.images[0].data
        assert a.text == b.text


def test_concurrent_renders_match_sequential_ones():
    from concurrent.futures import ThreadPoolExecutor

    prompts = [f"{n} balloons over a castle at sunset" for n in ("one", "two", "three", "four")]
    solo = [render(p, model=FLASH31, image_size="512").images[0].data for p in prompts]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda p: render(p, model=FLASH31, image_size="512").images[0].data, prompts))
    assert together == solo


def test_different_seeds_give_visibly_different_scenes():
    prompt = "A cat, a dog and a house under a tree"
    a = render(prompt, model=FLASH31, image_size="512", seed=1)
    b = render(prompt, model=FLASH31, image_size="512", seed=2)
    assert a.images[0].data != b.images[0].data
    diff = np.abs(arr(decode(a)) - arr(decode(b))).mean()
    assert diff > 8, f"layouts barely differ (mean abs diff {diff:.1f})"


@pytest.mark.parametrize(("model", "aspect_ratio", "image_size"), [
    (FLASH25, "16:9", None), (FLASH25, "9:16", None), (FLASH31, "21:9", "512"), (FLASH31, "8:1", "512"),
    (FLASH31, "1:8", "512"), (FLASH31, "4:3", "1K"), (PRO, "3:2", "1K"), (LITE, "9:16", "1K"),
])
def test_generated_pixel_size_matches_the_registry(model, aspect_ratio, image_size):
    out = render("a lighthouse and a boat", model=model, aspect_ratio=aspect_ratio, image_size=image_size)
    img = decode(out)
    assert img.size == model.pixel_size(aspect_ratio, image_size)
    assert (out.images[0].width, out.images[0].height) == img.size
    assert out.operation == "generate" and out.finish_reason == "STOP"


def test_default_aspect_ratio_is_square_without_input_and_follows_the_input_otherwise(chelsea):
    gen = decode(render("a star", model=FLASH31, image_size="512"))
    assert gen.size == FLASH31.pixel_size("1:1", "512")
    tall = chelsea.transpose(Image.Transpose.ROTATE_90)
    edit = decode(render("sharpen", [tall], model=FLASH31, image_size="512"))
    assert edit.size == FLASH31.pixel_size(closest_aspect_ratio(FLASH31, *tall.size), "512")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_mime_type_matches_the_model_and_the_magic_bytes(model):
    size = "512" if "512" in model.image_sizes else None
    out = render("a heart", model=model, image_size=size)
    assert out.images[0].mime == model.output_mime
    magic = {"image/png": PNG_MAGIC, "image/jpeg": JPEG_MAGIC}[model.output_mime]
    assert out.images[0].data.startswith(magic)


@pytest.mark.parametrize(("model", "image_size"), [
    (FLASH25, None), (FLASH31, "512"), (FLASH31, "1K"), (FLASH31, "2K"), (PRO, "1K"), (LITE, "1K"),
])
def test_output_image_tokens_follow_the_registry(model, image_size):
    out = render("a flower", model=model, image_size=image_size)
    assert out.output_image_tokens == model.output_image_tokens(image_size)


def test_output_image_tokens_differ_by_size_on_flash_31():
    counts = {s: render("a cloud", model=FLASH31, image_size=s).output_image_tokens for s in ("512", "1K")}
    assert counts["512"] < counts["1K"]


def test_input_image_tokens_tile_rule_for_25():
    small = [Image.new("RGB", (384, 384)), Image.new("RGB", (100, 384))]
    assert input_image_tokens(FLASH25, small) == 2 * 258  # one tile each: both sides <= 384
    assert input_image_tokens(FLASH25, [Image.new("RGB", (385, 100))]) == 258  # 1 x 1 tiles of 768
    assert input_image_tokens(FLASH25, [Image.new("RGB", (1024, 800))]) == 258 * 4  # 2 x 2 tiles
    assert input_image_tokens(FLASH25, [Image.new("RGB", (1536, 768))]) == 258 * 2  # 2 x 1 tiles
    preview = lookup("gemini-2.5-flash-image-preview")
    assert input_image_tokens(preview, [Image.new("RGB", (1024, 800))]) == 258 * 4


def test_input_image_tokens_for_later_models_are_per_image():
    imgs = [Image.new("RGB", (2000, 2000)), Image.new("RGB", (10, 10))]
    for model in (FLASH31, PRO, LITE):
        assert input_image_tokens(model, imgs) == 2 * model.input_image_tokens


def test_render_reports_input_and_text_tokens(chelsea):
    prompt = "make it black and white, please"
    out = render(prompt, [chelsea], model=FLASH25)
    assert out.input_image_tokens == input_image_tokens(FLASH25, [chelsea])
    assert out.input_text_tokens == math.ceil(len(prompt) / 4)
    assert out.output_text_tokens == math.ceil(len(out.text) / 4) > 0
    assert text_tokens("") == 0 and text_tokens("abc") == 1


def test_four_k_and_wide_renders_work():
    out = render("a castle at night", model=FLASH31, aspect_ratio="1:1", image_size="4K")
    assert decode(out).size == FLASH31.pixel_size("1:1", "4K") == (4096, 4096)
    wide = render("a train of clouds", model=FLASH31, aspect_ratio="4:1", image_size="4K")
    assert decode(wide).size == (8192, 2048)


def test_bad_options_raise_option_error():
    with pytest.raises(OptionError):
        render("a cat", model=PRO, image_size="512")
    with pytest.raises(OptionError):
        render("a cat", model=PRO, aspect_ratio="8:1")
    with pytest.raises(OptionError):  # options are checked before any trigger, like the API's 400
        render("a cat [sim:blocked]", model=FLASH25, aspect_ratio="8:1")
    # 2.5 ignores image_size (the real API accepts it and renders ~1 MP): not an error
    assert decode(render("a cat", model=FLASH25, image_size="1K")).size == FLASH25.pixel_size()


def test_unusual_input_modes_are_converted(camera):
    sixteen = Image.fromarray(np.asarray(camera, dtype=np.uint16) * 257)
    assert sixteen.mode.startswith("I")
    rgba = Image.new("RGBA", (120, 80), (255, 0, 0, 0))
    palette = camera.convert("P")
    for img in (sixteen, rgba, palette):
        out = render("sharpen", [img], model=FLASH31, image_size="512")
        assert out.images and out.finish_reason == "STOP"
    white = arr(decode(render("sharpen", [rgba], model=FLASH31, image_size="512")))
    assert lum(white[white.shape[0] // 2:]).mean() > 245  # transparent pixels became white


def test_blocked_trigger():
    out = render("a cat [sim:blocked]", model=FLASH31)
    assert out.images == () and out.text == "" and out.block_reason == "PROHIBITED_CONTENT"
    assert out.finish_reason == "" and out.output_image_tokens == 0 and out.output_text_tokens == 0
    assert out.input_text_tokens > 0


@pytest.mark.parametrize(("trigger", "finish"), [("[sim:image_safety]", "IMAGE_SAFETY"), ("[sim:no_image]", "NO_IMAGE")])
def test_refusal_triggers(trigger, finish, chelsea):
    for images in ([], [chelsea]):
        out = render(f"A dog {trigger.upper()}", images, model=FLASH31)
        assert out.images == () and out.finish_reason == finish and out.block_reason is None
        assert out.message and out.output_image_tokens == 0


def test_text_only_trigger():
    out = render("a sunny beach [sim:text_only]", model=FLASH31)
    assert out.images == () and out.finish_reason == "STOP" and out.text and out.message
    assert out.output_text_tokens == math.ceil(len(out.text) / 4) and out.output_image_tokens == 0


def test_fit_never_crops_outside_the_source():
    from PIL import Image


    for src, dst in [((423, 634), (424, 632)), ((600, 900), (424, 632)), ((1, 1000), (512, 512))]:
        assert fit(Image.new("RGB", src), dst).size == dst


def test_unknown_instruction_that_names_a_scene_places_the_subject():

    from PIL import Image

    from toolkit.registry import lookup
    from toolkit.samples import sample
    from toolkit.simulator import render

    ref = sample("astronaut")
    out = render("Place the character from the reference image in this scene: in a busy kitchen.", [ref],
                 model=lookup("gemini-3.1-flash-image"), image_size="512", aspect_ratio="1:1")
    assert out.finish_reason == "STOP" and out.images and "kitchen" in out.text
    assert Image.open(io.BytesIO(out.images[0].data)).size == (512, 512)
    refused = render("Make the cat play the violin", [ref], model=lookup("gemini-3.1-flash-image"))
    assert refused.finish_reason == "STOP" and refused.images and refused.not_simulated
