"""CharacterSheet: one generate per scene with the reference, similarity scores, readable failures."""

from __future__ import annotations

import math

import pytest

import toolkit as tk
from toolkit.widgets import CharacterSheet
from toolkit.widgets.logic import CHARACTER_TEMPLATE, DEFAULT_SCENES, SCORE_COLUMNS


@pytest.fixture()
def cs(studio):
    return CharacterSheet(studio, reference=tk.sample("astronaut"), scenes=["at night", "in the rain", "playing the violin"],
                          image_size="512")


def test_one_generate_per_scene_with_scores_in_range(cs, studio, text):
    cs.scenes.value = "at night\nin the rain\nplaying the violin [sim:no_image]"
    cs.run_button.click()
    df = cs.scores
    assert list(df.columns) == list(SCORE_COLUMNS)
    assert df["scene"].tolist() == ["at night", "in the rain", "playing the violin [sim:no_image]"]
    ok = df[df["status"] == "ok"]
    assert len(ok) == 2  # the third scene is scripted to come back without an image: NaN scores
    assert ok["phash"].between(0, 1).all() and ok["ssim"].between(-1, 1).all() and ok["histogram"].between(0, 1).all()
    kitchen = df.iloc[2]
    assert kitchen["status"] == "no_image" and math.isnan(kitchen["phash"])
    ledger = studio.session_ledger.df
    assert len(ledger) == 3 and (ledger["n_inputs"] == 1).all() and (ledger["operation"] == "generate").all()
    assert ledger["prompt"].tolist()[0] == CHARACTER_TEMPLATE.replace("{scene}", "at night")
    cards = cs.gallery.children
    assert len(cards) == 3 and "<img" in cards[0].value and "phash " in text(cards[0])
    assert "no scores (no image)" in text(cards[2]) and "no_image" in text(cards[2])
    assert "playing the violin [sim:no_image]: No image came back" in text(cs.message) and len(cs.notices) == 1
    assert (cs.progress.value, cs.progress.max) == (3, 3)
    assert len(cs.results) == 3 and "<table" in cs.scores_view.value
    assert cs.meter.stats.calls == 3


def test_scenes_with_the_same_problem_share_one_message(cs, text):
    cs.scenes.value = "juggling fire [sim:no_image]\nat night\nplaying the violin [sim:no_image]"
    cs.run_button.click()
    assert [n.title for n in cs.notices] == ['juggling fire [sim:no_image], playing the violin [sim:no_image]: No image '
                                             'came back (status "no_image")']


def test_scenes_and_template_are_editable(cs, studio):
    cs.scenes.value = "- at sunset on a beach\n\n"
    cs.template.value = "Show the same person {scene}."
    cs.run_button.click()
    assert cs.scores["scene"].tolist() == ["at sunset on a beach"]
    assert studio.session_ledger.df.iloc[-1]["prompt"] == "Show the same person at sunset on a beach."


def test_defaults_and_caveat(studio, text):
    cs = CharacterSheet(studio)
    assert cs.scenes.value.splitlines() == list(DEFAULT_SCENES)
    assert "compare pixels, not identity" in text(cs.caveat)
    cs.run_button.click()  # no reference yet
    assert "Add a reference image" in text(cs.message) and len(studio.session_ledger.df) == 0


def test_empty_scenes_is_a_message(cs, studio, text):
    cs.scenes.value = "  \n "
    cs.run_button.click()
    assert "at least one scene" in text(cs.message) and len(studio.session_ledger.df) == 0


def test_upload_replaces_the_references(cs, cat_upload, bad_upload, text):
    cs.upload.value = bad_upload
    assert "That image cannot be used" in text(cs.message) and cs.references[0].source != "x.png"
    cs.upload.value = cat_upload
    assert [r.source for r in cs.references] == ["chelsea.png"] and len(cs.reference_view.children) == 1
    assert "reference (scored against)" in text(cs.reference_view.children[0].children[1])


def test_budget_refusal_stops_the_run_and_keeps_one_row_per_scene(capped, text):
    cs = CharacterSheet(capped, reference=tk.sample("astronaut"), scenes=["at night", "in the rain"],
                        image_size="512")
    cs.run_button.click()
    assert "Budget cap reached" in text(cs.message)
    assert cs.scores["status"].tolist() == ["refused", "skipped"]
    assert not cs.run_button.disabled and cs.gallery.children == ()
