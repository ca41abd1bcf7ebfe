"""CharacterSheet logic: scenes, prompts, notices per scene, scores (toolkit/widgets/logic/scenes.py)."""

from __future__ import annotations

import math

import toolkit as tk
from toolkit.widgets.logic import scenes
from toolkit.widgets.logic.notices import Notice


def test_parse_scenes_and_character_prompt():
    assert scenes.parse_scenes("  on the moon \n\n- in a kitchen\n3. at night\n* on the moon\n") == [
        "on the moon", "in a kitchen", "at night"]
    assert scenes.character_prompt("on the moon") == (
        "Place the character from the reference image in this scene: on the moon. "
        "Keep their face, clothing and colours exactly the same.")
    assert scenes.character_prompt("at night", "Draw them {scene}, same outfit.") == "Draw them at night, same outfit."
    assert scenes.character_prompt("at night", "Same person.") == "Same person. Scene: at night."


def test_merge_scene_notices_groups_identical_problems():
    a = Notice("warning", "No image", "vocab")
    b = Notice("warning", "Blocked", "SAFETY")
    merged = scenes.merge_scene_notices([("moon", a), ("kitchen", b), ("beach", a)])
    assert [(m.title, m.detail) for m in merged] == [("moon, beach: No image", "vocab"), ("kitchen: Blocked", "SAFETY")]
    assert scenes.merge_scene_notices([]) == []


def test_score_row_and_frame(studio):
    ref = tk.sample("astronaut")
    r = studio.generate(scenes.character_prompt("at night"), images=[ref], image_size="512")
    row = scenes.score_row("at night", r, ref)
    assert row["status"] == "ok" and 0 <= row["phash"] <= 1 and -1 <= row["ssim"] <= 1 and 0 <= row["histogram"] <= 1
    none = scenes.score_row("x", None, ref, status="refused")
    assert none["status"] == "refused" and math.isnan(none["phash"])
    df = scenes.scores_frame([row, none])
    assert list(df.columns) == list(scenes.SCORE_COLUMNS) and len(df) == 2 and df["phash"].dtype == float
    assert scenes.scores_line(row).startswith("phash ") and scenes.scores_line(none) == "no scores (no image)"
    assert "not identity" in scenes.SCORE_CAVEAT
