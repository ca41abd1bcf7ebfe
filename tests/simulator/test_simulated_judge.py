"""The simulated judge (toolkit.simulator.judge): deterministic scores from what the simulator can know."""

from __future__ import annotations

from PIL import Image

from toolkit.simulator import judge as sj


def _ev(prompt="a cat in a kitchen", size=(1376, 768), ar="16:9", said="", sim=None):
    return sj.Evidence(prompt, size, ar, said, sim)


def test_criteria_map_to_the_evidence_they_are_judged_on():
    assert sj.criterion_kind("follows the prompt") == "prompt"
    assert sj.criterion_kind("Same character as the reference") == "reference"
    assert sj.criterion_kind("the text is legible") == "text"
    assert sj.criterion_kind("framing and aspect ratio") == "framing"
    assert sj.criterion_kind("sharpness and detail") == "quality"
    assert sj.criterion_kind("vibes") == "generic"


def test_prompt_following_scores_what_was_drawn():
    drawn, why = sj.score("follows the prompt", _ev("a cat in a kitchen"))
    partly, why_partly = sj.score("follows the prompt", _ev("a cat and a zorblax in a kitchen"))
    assert drawn > partly and "zorblax" in why_partly and why.startswith("simulated judge")
    # the image model's own record ("Not simulated") counts against the image
    noted, _ = sj.score("follows the prompt", _ev("a cat in a kitchen", said="... Not simulated: the hat"))
    assert noted < drawn


def test_framing_scores_the_aspect_ratio_error():
    exact, _ = sj.score("framing", _ev(size=(1600, 900), ar="16:9"))
    off, why = sj.score("framing", _ev(size=(1000, 900), ar="16:9"))
    assert exact == 5 and off == 1 and "aspect-ratio error" in why
    assert sj.score("framing", _ev(ar=None))[0] == 3  # nothing asked: neutral, and it says so


def test_reference_likeness_uses_thumbnail_similarity():
    img = Image.new("RGB", (64, 64), "white")
    img.paste((0, 0, 0), (0, 0, 32, 64))
    flipped = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    assert sj.similarity(img, img) == 1.0
    assert sj.similarity(img, flipped) < 0.1
    same, _ = sj.score("same character as the reference", _ev(sim=sj.similarity(img, img)))
    other, _ = sj.score("same character as the reference", _ev(sim=sj.similarity(img, flipped)))
    assert same == 5 and other == 1
    assert "no reference image" in sj.score("same character as the reference", _ev())[1]


def test_text_it_cannot_read_is_neutral_and_honest():
    value, why = sj.score("the text is legible", _ev('a sign that says "OPEN"'))
    assert value == 3 and "cannot read" in why and "OPEN" in why


def test_scores_are_deterministic_and_samples_wobble_sometimes():
    ev = _ev()
    assert sj.score("framing", ev, sample=2, salt="abc") == sj.score("framing", ev, sample=2, salt="abc")
    moved = [sj.score("framing", ev, sample=s, salt=f"img{i}")[0] != 5 for i in range(40) for s in (1, 2)]
    assert 0 < sum(moved) < len(moved)  # some, not all, samples move by one point
    assert all(sj.score("framing", ev, sample=0, salt=f"img{i}")[0] == 5 for i in range(40))


def test_pairwise_preference_and_simulated_position_bias():
    good, bad = _ev(size=(1600, 900)), _ev(size=(1000, 900))
    assert sj.prefer("framing", good, bad)[0] == "A"
    assert sj.prefer("framing", bad, good)[0] == "B"
    ties = [sj.prefer("framing", good, good, salt=f"pair{i}")[0] for i in range(60)]
    assert set(ties) == {"A", "tie"}  # on no difference it leans to the first image shown, sometimes
    assert 0.15 < ties.count("A") / len(ties) < 0.55
