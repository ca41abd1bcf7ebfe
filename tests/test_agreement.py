"""Agreement figures (toolkit.agreement) against hand-computed values and independent reference formulas."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from toolkit import agreement
from toolkit.ratings import Judgement


def _hand_kappa(a, b):
    """Cohen's kappa from its definition: (p_o - p_e) / (1 - p_e)."""
    cats = sorted(set(a) | set(b))
    n = len(a)
    p_o = sum(x == y for x, y in zip(a, b, strict=True)) / n
    p_e = sum((a.count(c) / n) * (b.count(c) / n) for c in cats)
    return (p_o - p_e) / (1 - p_e)


def _hand_fleiss(counts):
    """Fleiss' kappa from its definition (Fleiss 1971)."""
    counts = np.asarray(counts, dtype=float)
    n = counts.sum(axis=1)[0]
    p_j = counts.sum(axis=0) / counts.sum()
    p_i = ((counts ** 2).sum(axis=1) - n) / (n * (n - 1))
    p_bar, p_e = p_i.mean(), (p_j ** 2).sum()
    return (p_bar - p_e) / (1 - p_e)


def test_cohen_kappa_hand_computed():
    # p_o = 3/4; rater a says x half the time, b a quarter: p_e = 1/2, so kappa = (3/4 - 1/2) / (1/2) = 1/2
    assert agreement.cohen_kappa(["x", "x", "y", "y"], ["x", "y", "y", "y"]) == pytest.approx(0.5)
    # perfect agreement is 1, systematic disagreement below 0
    assert agreement.cohen_kappa(["a", "b", "a", "b"], ["a", "b", "a", "b"]) == pytest.approx(1.0)
    assert agreement.cohen_kappa(["a", "b", "a", "b"], ["b", "a", "b", "a"]) == pytest.approx(-1.0)
    assert math.isnan(agreement.cohen_kappa(["t", "t"], ["t", "t"]))  # chance agreement is total: undefined


def test_cohen_kappa_matches_the_definition_on_random_labels():
    rng = np.random.default_rng(3)
    for _ in range(20):
        a = list(rng.choice(["first", "second", "tie"], 30))
        b = [x if rng.random() < 0.6 else str(rng.choice(["first", "second", "tie"])) for x in a]
        assert agreement.cohen_kappa(a, b) == pytest.approx(_hand_kappa(a, b))


def test_kendall_tau_hand_computed():
    # (1,2) and (1,3) concordant, (2,3) discordant: tau = (2 - 1) / 3
    assert agreement.kendall_tau([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)
    assert agreement.kendall_tau([0.1, 0.5, 0.9, 2.0], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(agreement.kendall_tau([1.0], [2.0]))


def test_krippendorff_alpha_hand_computed():
    # units (0,0) (0,1) (1,1) (1,1): coincidences o00=2, o01=o10=1, o11=4; n0=3, n1=5, n=8
    # D_o = 2/8, D_e = 2*3*5 / (8*7), alpha = 1 - D_o/D_e = 1 - 0.25 / (30/56) = 0.5333...
    alpha = agreement.krippendorff_alpha([[0, 0, 1, 1], [0, 1, 1, 1]])
    assert alpha == pytest.approx(1 - 0.25 / (30 / 56))
    # a missing judgement (NaN) leaves its unit out when no one else rated it
    assert agreement.krippendorff_alpha([[0, 0, 1, 1, np.nan], [0, 1, 1, 1, 1]]) == pytest.approx(alpha)
    assert math.isnan(agreement.krippendorff_alpha([[1, 1], [1, 1]]))


def test_fleiss_kappa_hand_computed_and_against_the_definition():
    # P_i = 1, 1, 0 -> P_bar = 2/3; p_j = 1/2, 1/2, 0 -> P_e = 1/2; kappa = (2/3 - 1/2) / (1/2) = 1/3
    assert agreement.fleiss_kappa([[2, 0, 0], [0, 2, 0], [1, 1, 0]]) == pytest.approx(1 / 3)
    table = [[3, 1, 0], [0, 4, 0], [2, 1, 1], [1, 1, 2], [4, 0, 0]]
    assert agreement.fleiss_kappa(table) == pytest.approx(_hand_fleiss(table))
    assert math.isnan(agreement.fleiss_kappa([[2, 0], [1, 2]]))  # raters per unit differ


def test_bootstrap_interval_brackets_the_estimate_and_is_reproducible():
    units = [(x, x if i % 4 else "tie") for i, x in enumerate(["first", "second"] * 20)]
    lo, hi = agreement.bootstrap(units, lambda u: float(np.mean([a == b for a, b in u])), n=300, seed=1)
    assert lo <= 0.75 <= hi and hi - lo < 0.5
    assert (lo, hi) == agreement.bootstrap(units, lambda u: float(np.mean([a == b for a, b in u])), n=300, seed=1)
    assert all(math.isnan(v) for v in agreement.bootstrap([1], lambda u: 1.0))


def test_too_uncertain_flags():
    assert agreement.note_for(0.5, 4, 0.1, 0.9).startswith("too uncertain")
    assert "interval" in agreement.note_for(0.5, 50, 0.0, 0.9)
    assert agreement.note_for(0.5, 50, 0.4, 0.6) == ""
    assert agreement.note_for(float("nan"), 50, 0.4, 0.6).startswith("undefined")


def _pairs(n):
    """n pairs of request keys: arm 'x' outputs x0.. against arm 'y' outputs y0.."""
    return [(f"x{i}", f"y{i}") for i in range(n)], {**{f"x{i}": "x" for i in range(n)},
                                                    **{f"y{i}": "y" for i in range(n)}}


def test_agreement_table_on_a_small_set_of_judgements_by_hand():
    pairs, arm_of = _pairs(4)
    human = ["a", "a", "b", "tie"]          # labels on (sorted) pairs: first, first, second, tie
    judge = ["a", "b", "b", "tie"]          # first, second, second, tie
    judgements = [Judgement(a, b, h, study="s", judge="ana") for (a, b), h in zip(pairs, human, strict=True)]
    for (a, b), j in zip(pairs, judge, strict=True):     # the judge is asked in both orders and answers consistently
        judgements.append(Judgement(a, b, j, study="s", judge="judge:m"))
        judgements.append(Judgement(b, a, {"a": "b", "b": "a", "tie": "tie"}[j], study="s", judge="judge:m"))
    table = agreement.agreement_table(judgements, arm_of, boot=100).set_index(["comparison", "measure"])
    rate = table.loc[("human vs m", "agreement rate")]
    assert rate["value"] == pytest.approx(0.75) and rate["n"] == 4
    assert rate["note"].startswith("too uncertain")
    kappa = table.loc[("human vs m", "Cohen's kappa")]["value"]
    h = ["first", "first", "second", "tie"]
    j = ["first", "second", "second", "tie"]
    assert kappa == pytest.approx(_hand_kappa(h, j), abs=1e-3)  # p_o = 3/4, p_e = 5/16: kappa = 7/11
    assert kappa == pytest.approx(7 / 11, abs=1e-3)
    # both rank arm x above y? humans: x won 2, lost 1; judge: 1-2 -> opposite rankings, tau = -1
    assert table.loc[("human vs m", "Kendall's tau (arm rankings)")]["value"] == pytest.approx(-1.0)
    itself = table.loc[("m vs itself (both orders)", "agreement rate")]
    assert itself["value"] == pytest.approx(1.0) and itself["n"] == 4
    assert table.loc[("human vs human", "Krippendorff's alpha (nominal)")]["note"].startswith("needs two")


def test_human_vs_human_alpha_and_fleiss_match_hand_values():
    pairs, arm_of = _pairs(4)
    ana = ["a", "a", "b", "b"]
    ben = ["a", "b", "b", "b"]
    judgements = [Judgement(a, b, o, study="s", judge=who) for who, outs in (("ana", ana), ("ben", ben))
                  for (a, b), o in zip(pairs, outs, strict=True)]
    table = agreement.agreement_table(judgements, arm_of, boot=100).set_index(["comparison", "measure"])
    # codes first=0, second=1: the same data as the hand example above
    assert table.loc[("human vs human", "Krippendorff's alpha (nominal)")]["value"] == \
        pytest.approx(1 - 0.25 / (30 / 56), abs=1e-3)
    counts = [[2, 0, 0], [1, 1, 0], [0, 2, 0], [0, 2, 0]]
    assert table.loc[("human vs human", "Fleiss' kappa")]["value"] == pytest.approx(_hand_fleiss(counts), abs=1e-3)


def test_judge_vs_itself_across_samples_uses_ordinal_alpha():
    scores = {"framing": {0: [5, 5], 1: [3, 3], 2: [1, 2], 3: [4, 4]}}
    rows = agreement.judge_vs_itself([], scores, boot=50)
    assert len(rows) == 1 and rows[0]["n"] == 4
    assert rows[0]["value"] == pytest.approx(agreement.krippendorff_alpha(
        np.array([[5, 3, 1, 4], [5, 3, 2, 4]], dtype=float), "ordinal"), abs=1e-3)
    assert 0.8 < rows[0]["value"] <= 1


def test_label_orients_each_pair_the_same_way_whatever_the_order_shown():
    for a, b, out in itertools.product(["k1", "k2"], ["k1", "k2"], ["a", "b"]):
        if a == b:
            continue
        pair, lab = agreement.label(Judgement(a, b, out))
        winner = a if out == "a" else b
        assert pair == ("k1", "k2") and lab == ("first" if winner == "k1" else "second")
