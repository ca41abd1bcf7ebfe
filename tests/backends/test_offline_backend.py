"""The offline backend's answers: honest "not simulated" markers, artwork credits, the vocabulary table."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest

import toolkit as tk
from toolkit import simulator
from toolkit.backends.offline import OfflineBackend

TUTOR = [
    "Here is a student's homework: a right triangle with two sides labelled. What is the length of the side "
    "marked with a question mark? Answer in two short sentences a 12-year-old can follow.",
    "Change her pose so that she waves at the viewer with her right hand.",
    "Translate the text of this infographic into Spanish.",
]


@pytest.mark.parametrize("instruction", TUTOR)
def test_instructions_it_cannot_do_answer_with_a_marked_image(studio, instruction):
    r = studio.edit(tk.sample("astronaut"), instruction, image_size="512")
    assert r.status == "ok" and r.image is not None
    assert r.reason and r.reason.startswith(simulator.NOT_SIMULATED_PREFIX)
    # one short sentence that points at the vocabulary, not the vocabulary itself
    assert "tk.simulator_vocabulary()" in r.text and r.text.count(". ") == 0 and len(r.text) < 260
    assert "black and white, sepia" not in (r.text + r.reason)


def test_studies_can_filter_not_simulated_cells(studio):
    study = studio.compare("A {animal} at noon", animal=["owl", "quokka"], progress=False)
    reasons = {c.axes["animal"]: study.results[c.index].reason for c in study.cells}
    assert reasons["owl"] is None
    assert reasons["quokka"].startswith(simulator.NOT_SIMULATED_PREFIX) and "quokka" in reasons["quokka"]


def test_the_reply_carries_the_marker_and_the_artwork_credit(studio):
    def reply(prompt: str, images=()):
        req = studio.engine.requests("edit" if images else "generate", prompt, images, options={"image_size": "512"})
        return asyncio.run(OfflineBackend().generate(req[0][0]))

    fox = reply("A fox at dusk")
    assert fox.status == "ok" and fox.extra.get("artwork") == simulator.ARTWORK_CREDIT
    assert "simulated" not in fox.extra and fox.reason is None
    cat = reply("A cat at dusk")  # hand-drawn only: nothing to credit
    assert "artwork" not in cat.extra
    pose = reply("Change her pose", [tk.sample("astronaut")])
    assert pose.status == "ok" and pose.images and pose.extra.get("simulated") == "not_simulated"
    assert pose.reason == "not simulated: 'Change her pose' is outside the offline vocabulary"


def test_simulator_vocabulary_is_a_table():
    table = simulator.simulator_vocabulary()
    df = pd.DataFrame(table)
    assert list(df.columns) == ["kind", "phrase", "what it does"]
    kinds = set(df["kind"])
    assert {"edit", "local edit", "noun: hand-drawn", "noun: emoji", "noun: stand-in", "test trigger"} <= kinds
    assert {"owl", "fox", "horse", "red panda", "cat"} <= set(df["phrase"])
    assert len(pd.DataFrame(simulator.simulator_vocabulary(nouns=False))) < 50


def test_thinking_is_simulated_and_labelled_grounding_and_tiers_refused(studio):
    from toolkit.backends.offline import SIMULATED_THOUGHT

    r = studio.generate("a paper boat", thinking_level="high", include_thoughts=True)
    assert r.status == "ok" and r.thoughts.startswith(SIMULATED_THOUGHT)
    assert len(r.thought_images) == 1 and len(r.images) == 1
    assert max(r.thought_images[0].size) <= 256 < max(r.image.size)  # a small draft, never the answer
    quiet = studio.generate("a paper boat", thinking_level="high")
    assert quiet.thoughts == "" and quiet.thought_images == []  # thoughts only when asked for
    for option, value in (("grounding", "web"), ("service_tier", "flex")):
        with pytest.raises(tk.OptionError, match="Offline simulator has no such setting"):
            studio.generate("a paper boat", **{option: value})
