"""Tests for the embedded offline image engine (toolkit.simulator).

Most checks decode the bytes the simulator returns and measure them, so they fail if an operation stops
doing what its vocabulary entry says. Real photos come from scikit-image's bundled data. Sizes are kept
small (512-class outputs, ~150 px edit inputs) so the file runs in a few seconds.
"""

from __future__ import annotations

import importlib.resources
import io
import math

import numpy as np
import pytest
from PIL import Image, ImageOps

from toolkit.errors import OptionError
from toolkit.registry import MODELS, closest_aspect_ratio, lookup
from toolkit.simulator import EDIT_VOCABULARY, SimOutput, marks, render, scene
from toolkit.simulator import edits as sim_edits
from toolkit.simulator.core import fit, input_image_tokens, text_tokens

FLASH25 = lookup("gemini-2.5-flash-image")
FLASH31 = lookup("gemini-3.1-flash-image")
PRO = lookup("gemini-3-pro-image")
LITE = lookup("gemini-3.1-flash-lite-image")
assert FLASH25 and FLASH31 and PRO and LITE

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


# ------------------------------------------------------------------------------------------- helpers

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


def outside_mark(shape: tuple[int, ...], model_id: str) -> np.ndarray:
    h, w = shape[:2]
    x0, y0, x1, y1 = marks.mark_box(w, h, model_id)
    keep = np.ones((h, w), dtype=bool)
    keep[max(0, y0 - 16): y1 + 16, max(0, x0 - 16): x1 + 16] = False  # JPEG blocks ring around it
    return keep


@pytest.fixture(scope="module")
def chelsea() -> Image.Image:
    return photo("chelsea.png")


@pytest.fixture(scope="module")
def camera() -> Image.Image:
    return photo("camera.png")


# --------------------------------------------------------------------------------------- determinism

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


# ------------------------------------------------------------------------------ sizes, MIME and usage

@pytest.mark.parametrize(("model", "aspect_ratio", "image_size"), [
    (FLASH25, "16:9", None), (FLASH25, "9:16", None), (FLASH31, "21:9", "512"), (FLASH31, "8:1", "512"),
    (FLASH31, "1:8", "512"), (FLASH31, "4:3", "1K"), (PRO, "3:2", "1K"), (LITE, "9:16", "512"),
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
    (FLASH25, None), (FLASH31, "512"), (FLASH31, "1K"), (FLASH31, "2K"), (PRO, "1K"), (LITE, "512"),
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
        render("a cat", model=FLASH25, image_size="2K")
    with pytest.raises(OptionError):
        render("a cat", model=PRO, aspect_ratio="8:1")
    with pytest.raises(OptionError):  # options are checked before any trigger, like the API's 400
        render("a cat [sim:blocked]", model=FLASH25, image_size="1K")


# ------------------------------------------------------------------------------------------- the mark

def test_mark_is_drawn_in_the_top_right_corner():
    flat = Image.new("RGB", (400, 400), (128, 128, 128))
    out = render("sharpen", [flat], model=FLASH31, image_size="512")  # sharpening a flat image changes nothing
    a = arr(decode(out))
    keep = outside_mark(a.shape, FLASH31.id)
    assert np.abs(a[keep] - 128).max() < 12, "something besides the mark changed the flat image"
    x0, y0, x1, y1 = marks.mark_box(a.shape[1], a.shape[0], FLASH31.id)
    assert x0 > a.shape[1] / 2 and y1 < a.shape[0] / 2
    region = lum(a[y0:y1, x0:x1])
    assert (region > 200).mean() > 0.03, "no light text pixels in the mark"
    assert (region < 60).mean() > 0.3, "no dark band behind the mark text"


def test_generated_images_carry_the_mark_text_band():
    out = render("a sunny meadow with flowers", model=FLASH31, image_size="512")
    a = arr(decode(out))
    x0, y0, x1, y1 = marks.mark_box(a.shape[1], a.shape[0], FLASH31.id)
    region = lum(a[y0:y1, x0:x1])
    assert (region > 200).mean() > 0.03 and (region < 80).mean() > 0.3


def test_mark_fits_narrow_images():
    for ar in ("1:8", "8:1"):
        w, h = FLASH31.pixel_size(ar, "512")
        x0, y0, x1, y1 = marks.mark_box(w, h, FLASH31.id)
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h


# --------------------------------------------------------------------------------------- generation

def test_prompt_parsing_finds_subjects_setting_colours_and_counts():
    plan = scene.parse_prompt("A photo of my cat eating a nano-banana in a fancy restaurant")
    assert [s.noun for s in plan.subjects] == ["cat", "banana"]
    assert plan.setting == "restaurant"
    plan = scene.parse_prompt("Two red balloons and a blue car on the beach at golden hour")
    by = {s.noun: s for s in plan.subjects}
    assert by["balloon"].count == 2 and by["balloon"].colours == (scene.COLOURS["red"],)
    assert by["car"].colours == (scene.COLOURS["blue"],)
    assert plan.time == "golden hour" and plan.setting == "beach"
    assert scene.COLOURS["gold"] not in plan.colours  # "golden hour" is a time, not a colour


def test_at_least_twenty_nouns_are_drawable_and_each_renders():
    assert len(scene.shapes.NOUNS) >= 20
    rng = np.random.default_rng(0)
    for name in scene.shapes.NOUNS:
        tile, _, _ = scene.shapes.render_noun(name, 40, None, rng, scene.shapes.Ctx())
        alpha = np.asarray(tile)[..., 3]
        assert (alpha > 0).mean() > 0.05, f"{name} drew (almost) nothing"


def test_reply_text_names_what_was_drawn():
    out = render("A photo of my cat eating a nano-banana in a fancy restaurant", model=FLASH31,
                 aspect_ratio="16:9", image_size="512")
    assert out.text.startswith("[offline simulator]")
    for word in ("16:9", "cat", "banana", "restaurant"):
        assert word in out.text


def test_night_is_darker_and_bluer_than_day():
    day = arr(decode(render("a house on a hill during the day", model=FLASH31, image_size="512", seed=3)))
    night = arr(decode(render("a house on a hill at night", model=FLASH31, image_size="512", seed=3)))
    sky_day, sky_night = day[: day.shape[0] // 3], night[: night.shape[0] // 3]
    assert lum(sky_night).mean() < lum(sky_day).mean() - 60
    assert sky_night[..., 2].mean() > sky_night[..., 0].mean()


def test_named_colour_shows_up():
    plain = arr(decode(render("a car", model=FLASH31, image_size="512", seed=4)))
    red = arr(decode(render("a red car", model=FLASH31, image_size="512", seed=4)))

    def reddish(a: np.ndarray) -> float:
        return float(((a[..., 0] > 150) & (a[..., 1] < 90) & (a[..., 2] < 90)).mean())

    assert reddish(red) > reddish(plain) + 0.005


def test_awkward_prompts_do_not_break_the_caption():
    for prompt in ("", "café — “quoted” 日本語 ✨", "word " * 500, "x" * 3000):
        out = render(prompt, model=FLASH31, image_size="512")
        assert out.images and out.finish_reason == "STOP"


# -------------------------------------------------------------------------------------------- edits

def test_vocabulary_is_documented_and_big_enough():
    assert len(EDIT_VOCABULARY) >= 12
    assert all(isinstance(p, str) and isinstance(d, str) and p and d for p, d in EDIT_VOCABULARY)
    phrases = [p for p, _ in EDIT_VOCABULARY]
    for must in ("black and white", "sepia", "blur the background", "blur", "sharpen", "brighter", "darker",
                 "more contrast", "colorize", "warmer", "cooler", "mirror", "flip vertically", "pixelate",
                 "posterize", "cartoon", "night time", "sunset", "invert", "vignette", "sketch"):
        assert must in phrases


def _corner_centre(a: np.ndarray) -> tuple[float, float]:
    h, w = a.shape[:2]
    k = max(2, min(h, w) // 8)
    corners = np.concatenate([lum(a[:k, :k]).ravel(), lum(a[:k, -k:]).ravel(), lum(a[-k:, :k]).ravel(),
                              lum(a[-k:, -k:]).ravel()])
    centre = lum(a[h // 2 - k: h // 2 + k, w // 2 - k: w // 2 + k])
    return float(corners.mean()), float(centre.mean())


def _check(phrase: str, a: np.ndarray, b: np.ndarray) -> None:
    if phrase == "black and white":
        assert np.abs(b[..., 0] - b[..., 1]).max() <= 1 and np.abs(b[..., 1] - b[..., 2]).max() <= 1
    elif phrase == "sepia":
        assert b[..., 0].mean() > b[..., 1].mean() > b[..., 2].mean() and (b[..., 0] - b[..., 2]).mean() > 20
    elif phrase == "blur the background":
        d = np.abs(b - a).mean(axis=-1)
        h, w = d.shape
        centre = d[h // 3: 2 * h // 3, w // 3: 2 * w // 3].mean()
        border = np.concatenate([d[: h // 8].ravel(), d[-h // 8:].ravel(), d[:, : w // 8].ravel(), d[:, -w // 8:].ravel()])
        assert centre < 0.5 * border.mean()
    elif phrase == "blur":
        assert hf_energy(b) < 0.7 * hf_energy(a)
    elif phrase == "sharpen":
        assert hf_energy(b) > 1.2 * hf_energy(a)
    elif phrase == "brighter":
        assert lum(b).mean() > lum(a).mean() + 10
    elif phrase == "darker":
        assert lum(b).mean() < lum(a).mean() - 10
    elif phrase == "more contrast":
        assert lum(b).std() > 1.1 * lum(a).std()
    elif phrase == "less contrast":
        assert lum(b).std() < 0.8 * lum(a).std()
    elif phrase == "colorize":
        assert chroma(a) < 1 and chroma(b) > 15
    elif phrase == "more saturated":
        assert chroma(b) > 1.15 * chroma(a)
    elif phrase == "warmer":
        assert (b[..., 0] - b[..., 2]).mean() > (a[..., 0] - a[..., 2]).mean() + 8
    elif phrase == "cooler":
        assert (b[..., 2] - b[..., 0]).mean() > (a[..., 2] - a[..., 0]).mean() + 8
    elif phrase.startswith("rotate"):
        np.testing.assert_array_equal(b, np.rot90(a, -1))  # "rotate 90": clockwise
    elif phrase == "flip vertically":
        np.testing.assert_array_equal(b, a[::-1])
    elif phrase == "mirror":
        np.testing.assert_array_equal(b, a[:, ::-1])
    elif phrase.startswith("crop"):
        assert abs(b.shape[1] / b.shape[0] - 16 / 9) < 0.02
    elif phrase == "zoom in":
        assert b.shape == a.shape
        assert hf_energy(b) < hf_energy(a)  # magnified: the same detail spread over more pixels
    elif phrase == "pixelate":
        assert (np.abs(np.diff(b, axis=1)).sum(axis=-1) == 0).mean() > 0.7
    elif phrase == "posterize":
        assert all(len(np.unique(b[..., c])) <= 4 for c in range(3))
    elif phrase == "cartoon":
        colours = lambda x: len(np.unique(x.reshape(-1, 3), axis=0))  # noqa: E731
        assert colours(b) < 0.7 * colours(a)
        assert (lum(b) < 40).mean() > (lum(a) < 40).mean()  # dark outlines
    elif phrase == "painting":
        small = lambda x: np.asarray(Image.fromarray(x.astype(np.uint8)).reduce(3), dtype=np.float32)  # noqa: E731
        assert hf_energy(small(b)) < 0.8 * hf_energy(small(a))  # detail merged into dabs of colour
    elif phrase == "sketch":
        assert np.abs(b[..., 0] - b[..., 2]).max() <= 1 and lum(b).mean() > max(170, lum(a).mean())
    elif phrase == "night time":
        assert lum(b).mean() < 0.6 * lum(a).mean() and b[..., 2].mean() > b[..., 0].mean()
    elif phrase == "sunset":
        assert (b[..., 0] - b[..., 2]).mean() > (a[..., 0] - a[..., 2]).mean() + 5
    elif phrase == "invert":
        np.testing.assert_array_equal(b, 255 - a)
    elif phrase == "vignette":
        (ca, ma), (cb, mb) = _corner_centre(a), _corner_centre(b)
        assert cb < 0.75 * ca and mb > 0.95 * ma
    elif phrase == "remove the background":
        h, w = b.shape[:2]
        assert lum(b[: h // 10, : w // 10]).mean() > 245  # corner became white
        np.testing.assert_allclose(b[h // 2, w // 2], a[h // 2, w // 2], atol=2)  # subject kept
    elif phrase == "film grain":
        assert hf_energy(b) > 1.5 * hf_energy(a) and abs(lum(b).mean() - lum(a).mean()) < 4
    elif phrase == "denoise":
        assert hf_energy(b) < 0.8 * hf_energy(a)
    elif phrase == "snow":
        assert (lum(b) > 235).mean() > (lum(a) > 235).mean() + 0.01
    elif phrase == "rain":
        assert (b[..., 2] - b[..., 0]).mean() > (a[..., 2] - a[..., 0]).mean() + 5
    elif phrase == "fog":
        assert lum(b).std() < 0.7 * lum(a).std() and abs(lum(b).mean() - 224) < abs(lum(a).mean() - 224)
    elif phrase == "add a <noun>":
        changed = (np.abs(b - a).max(axis=-1) > 30).mean()
        assert 0.005 < changed < 0.4
    else:
        raise AssertionError(f"no check for vocabulary entry {phrase!r}: add one")


#: Instruction used to exercise each vocabulary entry, and the input that suits the check.
EXAMPLES = {
    "black and white": "Make it black and white",
    "sepia": "give it an old photo look",
    "blur the background": "Blur the background",
    "blur": "blur it a little",
    "sharpen": "Sharpen",
    "brighter": "make it brighter",
    "darker": "Darker please",
    "more contrast": "more contrast",
    "less contrast": "less contrast",
    "colorize": "colourise",
    "more saturated": "make the colours more vibrant",
    "warmer": "warmer",
    "cooler": "cooler tones",
    "rotate 90 / 180 / 270 / left / right": "rotate 90 degrees",
    "flip vertically": "flip it vertically",
    "mirror": "Mirror the image",
    "crop to 16:9 / square crop": "crop to 16:9",
    "zoom in": "zoom in",
    "pixelate": "pixelate",
    "posterize": "posterize",
    "cartoon": "make it a cartoon",
    "painting": "turn it into an oil painting",
    "sketch": "pencil sketch",
    "night time": "make it night time",
    "sunset": "golden hour",
    "invert": "invert the colours",
    "vignette": "add a vignette",
    "remove the background": "remove the background",
    "film grain": "add film grain",
    "denoise": "denoise",
    "snow": "make it snowy",
    "rain": "add rain",
    "fog": "add fog",
    "add a <noun>": "now add a red balloon",
}


def _input_for(phrase: str, chelsea: Image.Image, camera: Image.Image) -> Image.Image:
    if phrase == "colorize":
        return camera
    if phrase == "remove the background":
        # A red disc on a light, slightly noisy backdrop: the border-colour key must find the disc.
        rng = np.random.default_rng(0)
        a = np.full((120, 160, 3), (200, 215, 235), dtype=np.float32) + rng.normal(0, 4, (120, 160, 1))
        yy, xx = np.mgrid[:120, :160]
        a[((yy - 60) / 35) ** 2 + ((xx - 80) / 45) ** 2 < 1] = (200, 30, 40)
        return Image.fromarray(a.clip(0, 255).astype(np.uint8))
    if phrase == "denoise":
        noisy = arr(chelsea) + np.random.default_rng(1).normal(0, 25, arr(chelsea).shape)
        return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))
    if phrase == "fog":
        return photo("rocket.jpg")
    if phrase == "painting":
        return photo("chelsea.png", 300)
    return chelsea


@pytest.mark.parametrize(("phrase", "description"), EDIT_VOCABULARY, ids=[p for p, _ in EDIT_VOCABULARY])
def test_each_vocabulary_entry_changes_the_image_in_its_direction(phrase, description, chelsea, camera):
    instruction = EXAMPLES[phrase]
    a, b, labels = apply(_input_for(phrase, chelsea, camera), instruction)
    assert len(labels) == 1, f"{instruction!r} matched {labels}"
    _check(phrase, a, b)


def test_example_table_covers_the_whole_vocabulary():
    assert set(EXAMPLES) == {p for p, _ in EDIT_VOCABULARY}


def test_instructions_are_matched_case_insensitively_and_combine_in_order(chelsea):
    a, b, labels = apply(chelsea, "Make it BLACK AND WHITE and add a Vignette")
    assert labels == ["black and white", "vignette"]
    _check("black and white", a, b)
    (ca, _), (cb, _) = _corner_centre(a), _corner_centre(b)
    assert cb < 0.8 * ca


def test_specific_phrases_win_over_general_ones():
    keys = lambda text: [op.edit.key for op in sim_edits.parse_instruction(text).ops]  # noqa: E731
    assert keys("blur the background") == ["blur the background"]
    assert keys("darken the edges") == ["vignette"]
    assert keys("flip it vertically") == ["flip vertically"]
    assert keys("golden hour sunset") == ["sunset"]
    assert keys("add more contrast") == ["more contrast"]
    assert keys("rotate it upside down") == ["rotate"]
    assert keys("Colorize this old black and white photo") == ["colorize"]
    assert keys("make it look like an old photo") == ["sepia"]


def test_rotate_directions(chelsea):
    a, b, labels = apply(chelsea, "rotate left")
    np.testing.assert_array_equal(b, np.rot90(a, 1))
    assert "counter-clockwise" in labels[0]
    a, b, _ = apply(chelsea, "rotate 180")
    np.testing.assert_array_equal(b, np.rot90(a, 2))


def test_square_crop(chelsea):
    _, b, labels = apply(chelsea, "square crop")
    assert b.shape[0] == b.shape[1] and labels[0].startswith("crop to") and "1:1" in labels[0]


def test_colourise_keeps_luminance_and_adds_colour(camera):
    a, b, _ = apply(camera, "colorize this photo")
    assert chroma(a) < 1 and chroma(b) > 15
    assert np.corrcoef(lum(a).ravel(), lum(b).ravel())[0, 1] > 0.97


def test_edit_output_follows_rotation_and_crop_through_render(chelsea):
    rotated = decode(render("rotate 90", [chelsea], model=FLASH31, image_size="512"))
    assert rotated.size == FLASH31.pixel_size(closest_aspect_ratio(FLASH31, chelsea.height, chelsea.width), "512")
    assert rotated.height > rotated.width
    cropped = decode(render("crop to 16:9", [chelsea], model=FLASH31, image_size="512"))
    assert cropped.size == FLASH31.pixel_size("16:9", "512")


def test_mirror_through_render_equals_mirrored_previous_output(chelsea):
    first = decode(render("brighter", [chelsea], model=FLASH31, image_size="512"))
    second = decode(render("mirror", [first], model=FLASH31, image_size="512"))
    assert second.size == first.size
    expected = arr(ImageOps.mirror(first))
    got = arr(second)
    keep = outside_mark(got.shape, FLASH31.id) & outside_mark(got.shape, FLASH31.id)[:, ::-1]
    assert np.abs(got - expected)[keep].mean() < 3


def test_edit_keeps_the_input_content(chelsea):
    out = decode(render("warmer", [chelsea], model=FLASH31, image_size="512"))
    ref = arr(fit(chelsea.convert("RGB"), out.size))
    got = arr(out)
    keep = outside_mark(got.shape, FLASH31.id)
    assert np.corrcoef(lum(ref)[keep], lum(got)[keep])[0, 1] > 0.95


def test_unknown_instruction_gives_no_image_and_lists_the_vocabulary(chelsea):
    out = render("Translate this poem into French", [chelsea], model=FLASH31, image_size="512")
    assert out.images == () and out.finish_reason == "NO_IMAGE" and out.operation == "edit"
    assert out.text and out.output_image_tokens == 0
    assert out.message and out.message.startswith("The offline simulator understands:")
    for phrase, _ in EDIT_VOCABULARY[:-1]:
        assert phrase in out.message


def test_adding_something_it_cannot_draw_says_so(chelsea):
    out = render("add a dragon", [chelsea], model=FLASH31, image_size="512")
    assert out.finish_reason == "NO_IMAGE" and "dragon" in out.text
    ok = render("add a dragon and make it sepia", [chelsea], model=FLASH31, image_size="512")
    assert ok.images and "sepia" in ok.text and "dragon" in ok.text


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


# ------------------------------------------------------------------------------------------- fusion

def test_fusion_pastes_the_object_and_leaves_far_corners_alone(chelsea):
    coffee = photo("coffee.png", 200)
    out = render("Put the cup next to the cat", [chelsea, coffee], model=FLASH31, image_size="512", seed=3)
    assert out.operation == "fuse" and out.finish_reason == "STOP"
    assert out.input_image_tokens == 2 * FLASH31.input_image_tokens
    got = arr(decode(out))
    base = arr(fit(chelsea.convert("RGB"), (got.shape[1], got.shape[0])))
    d = np.abs(got - base).max(axis=-1)
    h, w = d.shape
    assert d[: h // 6, : w // 6].mean() < 6, "the far top-left corner changed"
    lower = d[h // 2:]
    assert (lower > 40).mean() > 0.08, "no object landed in the lower half"
    assert (d[: h // 3, : w // 2] > 40).mean() < 0.05  # the right half holds the mark


def test_fusion_uses_the_alpha_channel_of_cut_outs(chelsea):
    cut = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    cut.paste((20, 200, 40, 255), (30, 10, 70, 90))  # a green bar; the rest is transparent
    out = render("add this", [chelsea, cut], model=FLASH31, image_size="512")
    assert "alpha channel" in out.text
    a = arr(decode(out))
    green = (a[..., 1] > 150) & (a[..., 0] < 90) & (a[..., 2] < 90)
    assert green.mean() > 0.03
    ys, xs = np.nonzero(green)
    assert (xs.max() - xs.min()) < 0.6 * (ys.max() - ys.min())  # only the bar, not its transparent square


def test_fusion_of_three_spreads_objects(chelsea):
    cup = photo("coffee.png", 120)
    out = render("combine these", [chelsea, cup, cup], model=FLASH31, image_size="512")
    got = arr(decode(out))
    base = arr(fit(chelsea.convert("RGB"), (got.shape[1], got.shape[0])))
    d = np.abs(got - base).max(axis=-1)[got.shape[0] // 2:]
    w = d.shape[1]
    left, right = (d[:, : w // 2] > 40).mean(), (d[:, w // 2:] > 40).mean()
    assert left > 0.03 and right > 0.03
    assert "images 2-3" in out.text


def test_fusion_applies_look_words_from_the_prompt(chelsea):
    out = render("put the cup in front and make it black and white", [chelsea, photo("coffee.png", 120)],
                 model=FLASH25)
    a = arr(decode(out))
    keep = outside_mark(a.shape, FLASH25.id)
    assert np.abs(a[..., 0] - a[..., 2])[keep].max() <= 1  # PNG output: exactly grey outside the mark
    assert "black and white" in out.text


# ------------------------------------------------------------------------------------------ triggers

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

    from toolkit.simulator.core import fit

    for src, dst in [((423, 634), (424, 632)), ((600, 900), (424, 632)), ((1, 1000), (512, 512))]:
        assert fit(Image.new("RGB", src), dst).size == dst


def test_unknown_instruction_that_names_a_scene_places_the_subject():
    import io

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
    assert refused.finish_reason == "NO_IMAGE"
