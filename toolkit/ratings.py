"""Blind pairwise judgements and Bradley–Terry ratings.

A judgement says which of two outputs (identified by their request keys) a person preferred: ``"a"``,
``"b"`` or ``"tie"``. Ratings fit the Bradley–Terry model, P(i beats j) = s_i / (s_i + s_j), by the
minorisation–maximisation algorithm (Hunter 2004), counting a tie as half a win for each side and adding a
small prior (``prior`` pseudo-ties between every pair) so that an arm that never lost still gets a finite
score. Scores are reported as centred log-strengths (0 = average arm; +0.69 means twice the odds of
winning against an average arm), with percentile bootstrap confidence intervals over judgements.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

OUTCOMES = ("a", "b", "tie")
#: Judgements whose ``judge`` starts with this were made by a model judge (:mod:`toolkit.judge`); others by people.
JUDGE_PREFIX = "judge:"
#: What ``study.ratings(by=...)`` may select.
JUDGED_BY = ("all", "human", "judge")


class _ResultLike(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def key(self) -> str: ...


class _CellLike(Protocol):
    @property
    def index(self) -> int: ...
    @property
    def axes(self) -> Mapping[str, Any]: ...


class StudyLike(Protocol):
    """What the study helpers read from a :class:`toolkit.compare.Study`: its axes, cells and results."""

    @property
    def axes(self) -> Mapping[str, Sequence[Any]]: ...
    @property
    def cells(self) -> Sequence[_CellLike]: ...
    @property
    def results(self) -> Mapping[int, _ResultLike]: ...


@dataclass(frozen=True)
class Judgement:
    """One blind comparison: the request keys shown as A and B, and the choice."""

    key_a: str
    key_b: str
    outcome: str  # "a" | "b" | "tie"
    study: str = ""
    judge: str = ""
    ts: str = ""

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome={self.outcome!r} must be one of {OUTCOMES}.")


def _wins(pairs: Sequence[tuple[int, int, float]], n: int, prior: float) -> tuple[np.ndarray, np.ndarray]:
    wins = np.zeros((n, n))
    for i, j, w in pairs:  # w: 1 = i won, 0 = j won, 0.5 = tie
        wins[i, j] += w
        wins[j, i] += 1 - w
    wins += prior * 0.5 * (1 - np.eye(n))
    return wins, wins + wins.T


def fit_bradley_terry(pairs: Sequence[tuple[int, int, float]], n: int, *, prior: float = 0.5,
                      iterations: int = 500, tol: float = 1e-10) -> np.ndarray:
    """Centred log-strengths for ``n`` arms from (i, j, w) comparisons (w = 1 i won, 0 j won, 0.5 tie).

    Examples
    --------
    >>> fit_bradley_terry([(0, 1, 1.0), (0, 1, 1.0), (0, 1, 0.0)], 2).round(3).tolist()
    [0.294, -0.294]
    """
    if n == 0:
        return np.zeros(0)
    wins, games = _wins(pairs, n, prior)
    total_wins = wins.sum(axis=1)
    s = np.ones(n)
    for _ in range(iterations):
        denom = (games / (s[:, None] + s[None, :])).sum(axis=1)
        new = np.where(denom > 0, total_wins / np.where(denom > 0, denom, 1), s)
        new = new / np.exp(np.mean(np.log(new)))
        if np.max(np.abs(new - s)) < tol:
            s = new
            break
        s = new
    log_s = np.log(s)
    return log_s - log_s.mean()


def ratings(judgements: Iterable[Judgement], arm_of: Mapping[str, str], *, bootstrap: int = 300,
            confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """A table of arms with score, confidence interval, wins, losses, ties and comparisons.

    ``arm_of`` maps a request key to its arm (a model, a prompt variant, ...). Judgements whose keys are
    not both known, or whose two outputs belong to the same arm, are ignored.

    Examples
    --------
    >>> judged = [Judgement("k1", "k2", "a"), Judgement("k1", "k2", "a"), Judgement("k2", "k1", "tie")]
    >>> table = ratings(judged, {"k1": "flash", "k2": "pro"}, bootstrap=0)
    >>> table.index.tolist(), table["wins"].tolist(), table["ties"].tolist()
    (['flash', 'pro'], [2, 0], [1, 1])
    """
    arms = sorted(set(arm_of.values()))
    index = {a: i for i, a in enumerate(arms)}
    pairs: list[tuple[int, int, float]] = []
    for judgement in judgements:
        a, b = arm_of.get(judgement.key_a), arm_of.get(judgement.key_b)
        if a is None or b is None or a == b:
            continue
        pairs.append((index[a], index[b], {"a": 1.0, "b": 0.0, "tie": 0.5}[judgement.outcome]))
    scores = fit_bradley_terry(pairs, len(arms))
    lo = hi = np.full(len(arms), np.nan)
    if pairs and bootstrap:
        rng = random.Random(seed)
        samples = np.array([
            fit_bradley_terry([pairs[rng.randrange(len(pairs))] for _ in pairs], len(arms))
            for _ in range(bootstrap)
        ])
        tail = (1 - confidence) / 2 * 100
        lo, hi = np.percentile(samples, [tail, 100 - tail], axis=0)
    wins = np.zeros(len(arms))
    losses = np.zeros(len(arms))
    ties = np.zeros(len(arms))
    for i, j, w in pairs:
        if w == 0.5:
            ties[i] += 1
            ties[j] += 1
        elif w == 1.0:
            wins[i] += 1
            losses[j] += 1
        else:
            wins[j] += 1
            losses[i] += 1
    df = pd.DataFrame({
        "arm": arms, "score": np.round(scores, 3), "ci_low": np.round(lo, 3), "ci_high": np.round(hi, 3),
        "wins": wins.astype(int), "losses": losses.astype(int), "ties": ties.astype(int),
    })
    df["comparisons"] = df["wins"] + df["losses"] + df["ties"]
    return df.sort_values("score", ascending=False).set_index("arm")


def by_judge(judgements: Iterable[Judgement], by: str = "all") -> list[Judgement]:
    """The judgements of people (``"human"``), of model judges (``"judge"``, or one judge's id) or ``"all"``.

    >>> people = by_judge([Judgement("k1", "k2", "a", judge="ana"), Judgement("k1", "k2", "b", judge="judge:x")],
    ...                   "human")
    >>> [j.judge for j in people]
    ['ana']
    """
    if by == "all":
        return list(judgements)
    if by == "human":
        return [j for j in judgements if not j.judge.startswith(JUDGE_PREFIX)]
    if by == "judge":
        return [j for j in judgements if j.judge.startswith(JUDGE_PREFIX)]
    if by.startswith(JUDGE_PREFIX):
        return [j for j in judgements if j.judge == by]
    raise ValueError(f"by={by!r} must be one of {', '.join(JUDGED_BY)} or a judge id starting {JUDGE_PREFIX!r}.")


# -- studies ----------------------------------------------------------------------------------------------
def default_arm(axes: Mapping[str, Sequence[Any]]) -> str:
    """The axis to rate by default: ``model`` when it varies, else the first axis."""
    if "model" in axes:
        return "model"
    if not axes:
        raise ValueError("This study has no axes, so there are no arms to compare.")
    return next(iter(axes))


def arena_pairs(study: StudyLike, arm: str | None = None, *, seed: int | None = None) -> list[tuple[str, str]]:
    """Pairs of request keys to judge: two ok outputs of the same cell (all other axes equal) from
    different arms, in random order and with random sides."""
    arm = arm or default_arm(study.axes)
    if arm not in study.axes:
        raise ValueError(f"{arm!r} is not an axis of this study; the axes are {list(study.axes)}.")
    groups: dict[tuple[tuple[str, str], ...], list[tuple[str, str]]] = {}
    for cell in study.cells:
        r = study.results.get(cell.index)
        if r is None or r.status != "ok":
            continue
        rest = tuple((k, str(v)) for k, v in cell.axes.items() if k != arm)
        groups.setdefault(rest, []).append((str(cell.axes[arm]), r.key))
    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    for members in groups.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                if members[x][0] != members[y][0]:
                    a, b = members[x][1], members[y][1]
                    pairs.append((a, b) if rng.random() < 0.5 else (b, a))
    rng.shuffle(pairs)
    return pairs


def arm_map(study: StudyLike, arm: str | None = None) -> dict[str, str]:
    """Request key -> arm label for every ok cell of a study."""
    arm = arm or default_arm(study.axes)
    return {r.key: str(cell.axes[arm]) for cell in study.cells
            if (r := study.results.get(cell.index)) is not None and r.status == "ok"}


# -- storage: one JSON line per judgement in the home (appends are atomic for lines this small) -----------
JUDGEMENTS_FILE = "judgements.jsonl"


def record_judgement(home: str | os.PathLike[str], judgement: Judgement) -> None:
    """Append a judgement to ``<home>/judgements.jsonl``."""
    line = json.dumps(dataclasses.asdict(judgement), sort_keys=True) + "\n"
    fd = os.open(Path(home) / JUDGEMENTS_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def load_judgements(home: str | os.PathLike[str], *, study: str | None = None) -> list[Judgement]:
    """Every judgement recorded in the home (optionally one study's); unreadable lines are skipped."""
    path = Path(home) / JUDGEMENTS_FILE
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            j = Judgement(**json.loads(line))
        except (ValueError, TypeError):
            continue  # a line cut short by a crash
        if study is None or j.study == study:
            out.append(j)
    return out
