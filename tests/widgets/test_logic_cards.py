"""Gallery cards and estimates (toolkit/widgets/logic/cards.py)."""

from __future__ import annotations

import re

from toolkit.pricing import Estimate
from toolkit.result import Result
from toolkit.widgets.logic import cards


def test_card_html_for_an_image_result(studio):
    r = studio.generate("a red car", image_size="512", n=2)
    h = cards.card_html(r, 1, thumb_side=128)
    assert '<img src="data:image/jpeg;base64,' in h and "max-width:128px" in h
    lines = cards.card_caption(r, 1)
    assert lines[0] == "ok" and re.match(r"\$0\.0000 \(list \$0\.\d{4}\) · \d+\.\d\d s", lines[1])
    assert "offline simulator" in lines[2] and lines[3] == "image 2 of 2"
    assert "a red car" in h
    first = cards.card_html(r, 0)
    assert "[offline simulator]" in first and "[offline simulator]" not in cards.card_html(r, 0, show_text=False)


def test_card_html_for_a_blocked_result_shows_status_and_reason():
    r = Result(status="blocked", model="m", backend="gemini", prompt="<x>", reason="PROHIBITED_CONTENT: nope")
    h = cards.card_html(r)
    assert "<img" not in h and "<b>blocked</b>" in h and "PROHIBITED_CONTENT: nope" in h and "&lt;x&gt;" in h
    assert cards.card_caption(r)[0] == "blocked · PROHIBITED_CONTENT: nope"
    assert "cached" in cards.card_caption(Result(status="ok", model="m", backend="offline", cached=True))[1]


def test_estimate_html():
    assert cards.estimate_html(Estimate("m", 1, 0, 5, 1120, 0.067, 0.067), "gemini") == (
        '<span class="tex2jax_ignore mathjax_ignore">Estimate: 1 image(s) · list $0.0670 · you pay $0.0670</span>')
