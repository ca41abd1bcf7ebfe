"""The blind arena, driven without a browser, and ratings from its stored judgements."""

from __future__ import annotations

import toolkit as tk
from toolkit import ratings as rt
from toolkit.widgets.arena import Arena


def _study(studio):
    return studio.compare("A {thing} at noon", thing=["cat", "boat", "house"],
                          model=["gemini-3.1-flash-image", "gemini-3-pro-image"], image_size="1K", progress=False)


def test_pairs_are_same_cell_different_arm(studio):
    study = _study(studio)
    pairs = rt.arena_pairs(study, "model", seed=1)
    assert len(pairs) == 3
    by_key = {r.key: (c.axes["thing"], c.axes["model"]) for c in study.cells if (r := study.results[c.index])}
    for a, b in pairs:
        assert by_key[a][0] == by_key[b][0] and by_key[a][1] != by_key[b][1]


def test_judging_stores_and_rates(studio):
    study = _study(studio)
    arena = Arena(study, seed=3, judge="tester")
    assert arena.arm == "model" and arena.current is not None
    prefer = "gemini-3-pro-image"
    arm_of = rt.arm_map(study, "model")
    while arena.current is not None:
        left, _right = arena.current
        arena.choose("left" if arm_of[left] == prefer else "right")
    assert arena.left_button.disabled and "All pairs judged" in arena.context.value
    stored = rt.load_judgements(studio.store.home)
    assert len(stored) == 3 and {j.judge for j in stored} == {"tester"}
    table = study.ratings()
    assert table.index[0] == prefer and table.loc[prefer, "wins"] == 3
    assert "<table" in arena.ratings_view.value
    # a second judge in a new Studio on the same home adds to the same study's ratings
    again = tk.Studio(backend="offline", home=studio.store.home)
    second = Arena(_study(again), seed=4, judge="second")
    second.choose("tie")
    assert _study(again).ratings()["comparisons"].sum() == 8


def test_clicks_and_skip(studio):
    arena = Arena(_study(studio), seed=0)
    arena.skip_button.click()
    arena.tie_button.click()
    assert arena.position == 2 and len(arena.judged) == 1 and arena.judged[0].outcome == "tie"
    assert arena.message.value == ""


def test_study_without_pairs(studio):
    study = studio.compare("a {x}", x=["cat"], seed=[1, 2], image_size="512", progress=False)
    arena = Arena(study, arm="x")
    assert arena.current is None  # one arm only: nothing to compare
    assert "No pairs" in arena.context.value
