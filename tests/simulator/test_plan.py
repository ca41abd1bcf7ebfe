"""Tests for toolkit.simulator.plan: reading a prompt into subjects, counts, colours, a setting and a time."""

from __future__ import annotations

from toolkit.simulator.palette import COLOURS
from toolkit.simulator.plan import parse_prompt


def test_prompt_parsing_finds_subjects_setting_colours_and_counts():
    plan = parse_prompt("A photo of my cat eating a nano-banana in a fancy restaurant")
    assert [s.noun for s in plan.subjects] == ["cat", "banana"]
    assert plan.setting == "restaurant"
    plan = parse_prompt("Two red balloons and a blue car on the beach at golden hour")
    by = {s.noun: s for s in plan.subjects}
    assert by["balloon"].count == 2 and by["balloon"].colours == (COLOURS["red"],)
    assert by["car"].colours == (COLOURS["blue"],)
    assert plan.time == "golden hour" and plan.setting == "beach"
    assert COLOURS["gold"] not in plan.colours  # "golden hour" is a time, not a colour
