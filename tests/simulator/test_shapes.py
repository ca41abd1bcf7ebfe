"""Tests for toolkit.simulator.shapes: the drawable nouns."""

from __future__ import annotations

import numpy as np

from toolkit.simulator import shapes


def test_at_least_twenty_nouns_are_drawable_and_each_renders():
    assert len(shapes.NOUNS) >= 20
    rng = np.random.default_rng(0)
    for name in shapes.NOUNS:
        tile, _, _ = shapes.render_noun(name, 40, None, rng, shapes.Ctx())
        alpha = np.asarray(tile)[..., 3]
        assert (alpha > 0).mean() > 0.05, f"{name} drew (almost) nothing"
