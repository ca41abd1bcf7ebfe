"""How far to trust a judge: agreement between the humans, the model judge, and the judge with itself.

``study.agreement()`` (:func:`agreement_table`) returns one row per figure, each with its count and a bootstrap
interval:

* **human vs judge**, on the pairs both judged: the agreement rate, Cohen's kappa (chance-corrected agreement
  on "first wins / second wins / tie") and Kendall's tau between the two Bradley–Terry rankings of the arms;
* **human vs human** (several people in a workshop): Krippendorff's alpha (nominal; missing judgements
  allowed) and, when every pair was judged by the same number of people, Fleiss' kappa;
* **judge vs itself**: the same pair asked in both orders (agreement and kappa), and rubric scores across
  samples (Krippendorff's alpha, ordinal).

The statistics come from maintained libraries: ``statsmodels`` (Cohen's and Fleiss' kappa), ``scipy``
(Kendall's tau) and ``krippendorff`` (alpha). Intervals are percentile bootstraps over the judged units (pairs
or cells). A figure with fewer than :data:`MIN_UNITS` units or an interval wider than :data:`MAX_CI_WIDTH` is
marked "too uncertain to mean anything".

What these figures prove: how consistently two raters (or one rater twice) sort the same items. What they do
not prove: that either rater is right. Two judges can agree perfectly and both be wrong, and offline the
simulated judge and the scripted stand-in read the same evidence, so their agreement is built in.
"""

from __future__ import annotations

import random
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from .ratings import JUDGE_PREFIX, Judgement, fit_bradley_terry

#: Fewer units than this and a figure is flagged as too uncertain.
MIN_UNITS = 10
#: A 95% interval wider than this and a figure is flagged as too uncertain.
MAX_CI_WIDTH = 0.5
LABELS = ("first", "second", "tie")
COLUMNS = ["comparison", "measure", "value", "n", "ci_low", "ci_high", "note"]


# -- the statistics (maintained libraries) --------------------------------------------------------------------
def cohen_kappa(a: Sequence[Any], b: Sequence[Any], categories: Sequence[Any] | None = None) -> float:
    """Cohen's kappa of two raters' labels on the same units (``statsmodels.stats.inter_rater.cohens_kappa``).

    NaN when it is undefined (no units, or both raters always gave one and the same label).

    >>> round(cohen_kappa(["x", "x", "y", "y"], ["x", "y", "y", "y"]), 3)
    0.5
    """
    from statsmodels.stats.inter_rater import cohens_kappa

    if len(a) != len(b):
        raise ValueError(f"the two raters labelled {len(a)} and {len(b)} units; kappa needs the same units.")
    if not a:
        return float("nan")
    cats = list(categories) if categories is not None else sorted(set(a) | set(b), key=str)
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(cats), len(cats)))
    for x, y in zip(a, b, strict=True):
        table[index[x], index[y]] += 1
    expected = (table.sum(axis=1) @ table.sum(axis=0)) / table.sum() ** 2
    if expected >= 1 - 1e-12:  # everyone said the same thing: chance agreement is total, kappa undefined
        return float("nan")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return float(cohens_kappa(table, return_results=False))


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b of two scorings of the same items (``scipy.stats.kendalltau``); NaN if undefined.

    >>> round(kendall_tau([1, 2, 3], [1, 3, 2]), 3)
    0.333
    """
    from scipy.stats import kendalltau

    if len(x) < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(kendalltau(x, y).statistic)


def krippendorff_alpha(data: Sequence[Sequence[float]] | np.ndarray,
                       level: Literal["nominal", "ordinal", "interval", "ratio"] = "nominal") -> float:
    """Krippendorff's alpha of a raters x units table (NaN = not rated) (``krippendorff.alpha``); NaN if
    undefined (fewer than two values in the data, or no unit rated twice)."""
    import krippendorff

    arr = np.asarray(data, dtype=float)
    if arr.ndim != 2 or arr.shape[0] < 2 or (np.sum(~np.isnan(arr), axis=0) >= 2).sum() == 0:
        return float("nan")
    if len(set(arr[~np.isnan(arr)].tolist())) < 2:
        return float("nan")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return float(krippendorff.alpha(reliability_data=arr, level_of_measurement=level))


def fleiss_kappa(counts: Sequence[Sequence[int]] | np.ndarray) -> float:
    """Fleiss' kappa of a units x categories table of counts, the same number of raters per unit
    (``statsmodels.stats.inter_rater.fleiss_kappa``); NaN if undefined."""
    from statsmodels.stats.inter_rater import fleiss_kappa as fk

    table = np.asarray(counts, dtype=float)
    if table.size == 0 or len(set(table.sum(axis=1).tolist())) != 1 or table.sum(axis=1)[0] < 2:
        return float("nan")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return float(fk(table))


def bootstrap(units: Sequence[Any], statistic: Callable[[list[Any]], float], *, n: int = 400, seed: int = 0,
              confidence: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over ``units`` resampled with replacement (NaN, NaN when
    fewer than two units or no resample gives a defined value)."""
    if len(units) < 2:
        return float("nan"), float("nan")
    rng = random.Random(seed)
    values = [statistic([units[rng.randrange(len(units))] for _ in units]) for _ in range(n)]
    finite = np.array([v for v in values if np.isfinite(v)])
    if len(finite) < n // 2:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(finite, [tail, 100 - tail])
    return round(float(lo), 3), round(float(hi), 3)


def note_for(value: float, n: int, lo: float, hi: float) -> str:
    """"too uncertain to mean anything (...)" when the figure cannot carry weight, else ""."""
    if not np.isfinite(value):
        return "undefined: too few units or no variation in the labels"
    why = []
    if n < MIN_UNITS:
        why.append(f"only {n} units (< {MIN_UNITS})")
    if not (np.isfinite(lo) and np.isfinite(hi)):
        why.append("no interval")
    elif hi - lo > MAX_CI_WIDTH:
        why.append(f"95% interval {hi - lo:.2f} wide")
    return f"too uncertain to mean anything ({'; '.join(why)})" if why else ""


# -- judgements as labels per pair ----------------------------------------------------------------------------
def label(j: Judgement) -> tuple[tuple[str, str], str]:
    """(pair, label): the pair as its two keys sorted, and which of them won (``first``/``second``/``tie``)."""
    pair = (min(j.key_a, j.key_b), max(j.key_a, j.key_b))
    if j.outcome == "tie":
        return pair, "tie"
    winner = j.key_a if j.outcome == "a" else j.key_b
    return pair, "first" if winner == pair[0] else "second"


def _consensus(labels: Iterable[str]) -> str:
    """The majority label; a split with no majority is a tie."""
    counts = Counter(labels).most_common()
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return "tie"
    return counts[0][0]


def _per_pair(judgements: Iterable[Judgement]) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for j in judgements:
        pair, lab = label(j)
        out.setdefault(pair, []).append(lab)
    return out


def _row(comparison: str, measure: str, value: float, n: int, ci: tuple[float, float]) -> dict[str, Any]:
    v = round(value, 3) if np.isfinite(value) else float("nan")
    return {"comparison": comparison, "measure": measure, "value": v, "n": n, "ci_low": ci[0], "ci_high": ci[1],
            "note": note_for(value, n, *ci)}


def _agree(units: list[tuple[str, str]]) -> float:
    return float(np.mean([x == y for x, y in units])) if units else float("nan")


def _kappa(units: list[tuple[str, str]]) -> float:
    return cohen_kappa([u[0] for u in units], [u[1] for u in units], LABELS)


def _tau(units: list[tuple[tuple[str, str], str, str]], arm_of: Mapping[str, str]) -> float:
    arms = sorted(set(arm_of.values()))
    index = {a: i for i, a in enumerate(arms)}
    fits = []
    for side in (1, 2):
        comps = []
        for (k1, k2), *labs in units:
            a, b = arm_of.get(k1), arm_of.get(k2)
            if a is None or b is None or a == b:
                continue
            comps.append((index[a], index[b], {"first": 1.0, "second": 0.0, "tie": 0.5}[labs[side - 1]]))
        fits.append(fit_bradley_terry(comps, len(arms)))
    return kendall_tau(list(fits[0]), list(fits[1])) if len(arms) > 1 else float("nan")


def human_vs_judge(judgements: Sequence[Judgement], arm_of: Mapping[str, str], *, boot: int = 400
                   ) -> list[dict[str, Any]]:
    """Rows comparing the people's consensus with each model judge's, on the pairs both judged."""
    humans = _per_pair(j for j in judgements if not j.judge.startswith(JUDGE_PREFIX))
    rows = []
    for judge in sorted({j.judge for j in judgements if j.judge.startswith(JUDGE_PREFIX)}):
        model = _per_pair(j for j in judgements if j.judge == judge)
        both = sorted(set(humans) & set(model))
        units = [(p, _consensus(humans[p]), _consensus(model[p])) for p in both]
        pairs = [(h, m) for _, h, m in units]
        name = f"human vs {judge.removeprefix(JUDGE_PREFIX)}"
        rows.append(_row(name, "agreement rate", _agree(pairs), len(pairs), bootstrap(pairs, _agree, n=boot)))
        rows.append(_row(name, "Cohen's kappa", _kappa(pairs), len(pairs), bootstrap(pairs, _kappa, n=boot)))
        n_arms = len({arm_of[k] for p in both for k in p if k in arm_of})
        tau_ci = bootstrap(units, lambda u: _tau(u, arm_of), n=min(boot, 200))
        rows.append(_row(name, "Kendall's tau (arm rankings)", _tau(units, arm_of), n_arms, tau_ci))
    return rows


def human_vs_human(judgements: Sequence[Judgement], *, boot: int = 400) -> list[dict[str, Any]]:
    """Rows on the people's agreement with each other: Krippendorff's alpha, and Fleiss' kappa when every
    pair was judged by the same number of people."""
    people = sorted({j.judge for j in judgements if not j.judge.startswith(JUDGE_PREFIX)})
    if len(people) < 2:
        return [_row("human vs human", "Krippendorff's alpha (nominal)", float("nan"), 0, (float("nan"),) * 2)
                | {"note": f"needs two or more people; {len(people)} judged this study"}]
    by_person: dict[str, dict[tuple[str, str], str]] = {p: {} for p in people}
    for j in judgements:
        if j.judge in by_person:
            pair, lab = label(j)
            by_person[j.judge][pair] = lab
    pairs = sorted({p for d in by_person.values() for p in d})
    code = {lab: float(i) for i, lab in enumerate(LABELS)}
    columns = [[code[by_person[who][p]] if p in by_person[who] else np.nan for who in people] for p in pairs]
    shared = [c for c in columns if np.sum(~np.isnan(c)) >= 2]

    def alpha(units: list[list[float]]) -> float:
        return krippendorff_alpha(np.array(units).T, "nominal") if units else float("nan")

    rows = [_row("human vs human", "Krippendorff's alpha (nominal)", alpha(shared), len(shared),
                 bootstrap(shared, alpha, n=boot))]
    counts = [[sum(1 for v in c if v == code[lab]) for lab in LABELS] for c in shared]
    if counts and len({sum(c) for c in counts}) == 1:
        rows.append(_row("human vs human", "Fleiss' kappa", fleiss_kappa(counts), len(counts),
                         bootstrap(counts, fleiss_kappa, n=boot)))
    return rows


def judge_vs_itself(judgements: Sequence[Judgement], scores: Mapping[str, Mapping[int, Sequence[int]]], *,
                    boot: int = 400) -> list[dict[str, Any]]:
    """Rows on each model judge's consistency: a pair asked in both orders, and rubric scores across samples."""
    rows = []
    for judge in sorted({j.judge for j in judgements if j.judge.startswith(JUDGE_PREFIX)}):
        per_pair = _per_pair(j for j in judgements if j.judge == judge)
        units = [(v[0], v[1]) for v in per_pair.values() if len(v) >= 2]
        name = f"{judge.removeprefix(JUDGE_PREFIX)} vs itself (both orders)"
        rows.append(_row(name, "agreement rate", _agree(units), len(units), bootstrap(units, _agree, n=boot)))
        rows.append(_row(name, "Cohen's kappa", _kappa(units), len(units), bootstrap(units, _kappa, n=boot)))
    for criterion, cells in scores.items():
        repeated = [list(v) for v in cells.values() if len(v) >= 2]
        if not repeated:
            continue
        width = max(len(v) for v in repeated)
        table = [v + [np.nan] * (width - len(v)) for v in repeated]

        def alpha(units: list[list[float]]) -> float:
            return krippendorff_alpha(np.array(units, dtype=float).T, "ordinal")

        rows.append(_row(f"judge vs itself (samples): {criterion}", "Krippendorff's alpha (ordinal)",
                         alpha(table), len(table), bootstrap(table, alpha, n=boot)))
    return rows


def agreement_table(judgements: Sequence[Judgement], arm_of: Mapping[str, str],
                    scores: Mapping[str, Mapping[int, Sequence[int]]] | None = None, *, boot: int = 400
                    ) -> pd.DataFrame:
    """Every agreement figure for one study's judgements (see the module docstring), one row each."""
    known = [j for j in judgements if j.key_a in arm_of and j.key_b in arm_of]
    rows = human_vs_judge(known, arm_of, boot=boot) + human_vs_human(known, boot=boot)
    rows += judge_vs_itself(known, scores or {}, boot=boot)
    return pd.DataFrame(rows, columns=COLUMNS)
