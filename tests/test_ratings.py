import random

import numpy as np
import pytest

from toolkit.ratings import Judgement, fit_bradley_terry, ratings


def simulate(strengths, n, seed=0):
    rng = random.Random(seed)
    arms = list(strengths)
    out = []
    for k in range(n):
        a, b = rng.sample(arms, 2)
        p = strengths[a] / (strengths[a] + strengths[b])
        r = rng.random()
        outcome = "tie" if abs(r - p) < 0.03 else ("a" if r < p else "b")
        out.append(Judgement(f"{a}-{k}-x", f"{b}-{k}-y", outcome))
    keys = {j.key_a: j.key_a.split("-")[0] for j in out} | {j.key_b: j.key_b.split("-")[0] for j in out}
    return out, keys


def test_recovers_the_true_order_and_odds():
    truth = {"pro": 4.0, "flash": 2.0, "lite": 1.0}
    judgements, arm_of = simulate(truth, 1500)
    df = ratings(judgements, arm_of, bootstrap=100)
    assert list(df.index) == ["pro", "flash", "lite"]
    # log-odds between pro and lite is log 4
    assert df.loc["pro", "score"] - df.loc["lite", "score"] == pytest.approx(np.log(4), abs=0.25)
    for arm in truth:
        assert df.loc[arm, "ci_low"] <= df.loc[arm, "score"] <= df.loc[arm, "ci_high"]
    assert df["comparisons"].sum() == 2 * 1500


def test_undefeated_arm_stays_finite_and_intervals_narrow_with_data():
    few, arm_of_few = simulate({"a": 9.0, "b": 1.0}, 10, seed=1)
    many, arm_of_many = simulate({"a": 9.0, "b": 1.0}, 400, seed=1)
    small = ratings(few, arm_of_few, bootstrap=100)
    big = ratings(many, arm_of_many, bootstrap=100)
    assert np.isfinite(small["score"]).all()
    width = lambda df: (df["ci_high"] - df["ci_low"]).mean()  # noqa: E731
    assert width(big) < width(small)


def test_ties_and_unknown_keys():
    js = [Judgement("k1", "k2", "tie"), Judgement("k1", "zz", "a"), Judgement("k1", "k3", "a")]
    df = ratings(js, {"k1": "x", "k2": "y", "k3": "x"}, bootstrap=0)
    assert df.loc["x", "ties"] == 1 and df.loc["y", "ties"] == 1
    assert df["comparisons"].sum() == 2  # unknown key and same-arm pair ignored
    assert df.loc["x", "score"] == pytest.approx(df.loc["y", "score"])


def test_bad_outcome_is_refused():
    with pytest.raises(ValueError, match="outcome"):
        Judgement("a", "b", "left")


def test_fit_with_no_data():
    assert fit_bradley_terry([], 3).tolist() == [0.0, 0.0, 0.0]
