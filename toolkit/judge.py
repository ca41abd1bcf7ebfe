"""Studies that judge themselves: a vision-model judge scores each cell on a rubric, or picks the better of two.

>>> study.judge(["follows the prompt", "the text is legible"])      # doctest: +SKIP
>>> study.df.filter(like="judge_")                                    # doctest: +SKIP
>>> study.judge_pairs(arm="model", criterion="overall quality")      # doctest: +SKIP
>>> study.ratings(by="judge"), study.agreement()                      # doctest: +SKIP

Every judge call is a :class:`~toolkit.request.Request` with ``operation="judge"`` sent by the study's Engine
(:meth:`Engine.execute` with a judge transport from :mod:`toolkit.backends.judges`), so it is:

* **cached**: same image(s) + instruction + rubric + model + sample index = same verdict, replayed at $0;
* **estimated and budget-checked before anything is sent** (``dry_run=True`` or :func:`estimate_plan` on a plan
  shows the estimate only), and written ahead to the ledger like any paid call;
* **recorded**: one ledger row per call, ``operation="judge"``, failures included;
* **never fatal**: a refusal, an answer cut short or JSON that does not fit the schema is a failed judge cell
  (its row says why) and the other cells keep their verdicts.

Offline, the judge is the **simulated judge** (:mod:`toolkit.simulator.judge`): deterministic, labelled in every
row, and scoring only from what the simulator can know. Its figures show the mechanics, never quality.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import agreement, ratings, text_models
from .backends.gemini_judge import GeminiJudge
from .backends.judges import (
    JudgeTask,
    JudgeTransport,
    SimulatedJudge,
    check_verdict,
    pair_schema,
    rubric_schema,
    slug,
)
from .backends.openrouter_judge import OpenRouterJudge, judge_model_info
from .engine import Engine
from .errors import OptionError, ToolkitError
from .images import load_image
from .options import Options
from .registry import ModelInfo
from .request import ImagePart, Request, TextPart, Turn
from .runner import run
from .simulator.judge import LABEL as SIMULATED_LABEL

#: Longest side of an image sent to the judge: enough to judge, and a fixed token cost per image.
JUDGE_MAX_SIDE = 1024
#: Judgement ids of model judges start with this; anything else in ``judgements.jsonl`` is a person.
JUDGE_PREFIX = ratings.JUDGE_PREFIX
MAX_SAMPLES = 10


@dataclass(frozen=True)
class JudgeEstimate:
    """What judging would cost, before anything is sent."""

    model: str
    judge: str
    calls: int
    cached_calls: int
    list_cost_usd: float
    cost_usd: float

    def __repr__(self) -> str:
        cached = f", {self.cached_calls} cached" if self.cached_calls else ""
        return (f"JudgeEstimate({self.judge} on {self.model}: {self.calls} call(s){cached}, list "
                f"${self.list_cost_usd:.4f}, would spend ${self.cost_usd:.4f})")


@dataclass
class PairwiseRun:
    """The verdicts of one :func:`judge_pairs` run: one row per pair and order, and the position bias.

    ``first_shown_share`` is the share of decided verdicts (not ties) that chose the image shown first: 0.5 is
    no position bias. ``consistent_share`` is the share of pairs whose two orders gave the same answer.
    """

    df: pd.DataFrame
    judge: str
    first_shown_share: float | None
    consistent_share: float | None
    pairs: int
    failed: int
    spent_usd: float = 0.0

    def __repr__(self) -> str:
        bias = "n/a" if self.first_shown_share is None else f"{self.first_shown_share:.0%} picked the first image shown"
        same = "n/a" if self.consistent_share is None else f"{self.consistent_share:.0%} of pairs gave the same " \
                                                           f"answer in both orders"
        return (f"PairwiseRun({self.judge}: {self.pairs} pairs x 2 orders, {self.failed} failed; position bias: "
                f"{bias}; consistency: {same}; spent ${self.spent_usd:.4f})")


@dataclass
class JudgeSetup:
    """A transport and the label every verdict row carries ("simulated judge" offline, else the model id)."""

    transport: JudgeTransport
    label: str
    simulated: bool = False


def transport_for(backend: Any, model_id: str) -> JudgeSetup:
    """The judge transport for a study's backend: the simulated judge offline, Gemini structured output on the
    Gemini API, any vision model's structured output on OpenRouter; any other backend is refused, naming the fix."""
    kind = getattr(backend, "kind", "")
    if kind == "offline":
        return JudgeSetup(SimulatedJudge(), SIMULATED_LABEL, simulated=True)
    client = getattr(backend, "client", None)
    if kind == "gemini" and client is not None:
        return JudgeSetup(GeminiJudge(client, provider_error=getattr(backend, "provider_error", None)), model_id)
    if kind == "openrouter" and client is not None:
        return JudgeSetup(OpenRouterJudge(backend), model_id)
    raise OptionError(f"The {kind or type(backend).__name__!r} backend has no judge here. Judge with "
                      f"backend='gemini' (a Gemini API key), backend='openrouter' (an OpenRouter key) or "
                      f"backend='offline' (the simulated judge), e.g. study.judge(rubric, backend='gemini').")


class PlanJudging:
    """What judging a plan would cost, mixed into :class:`toolkit.compare.Plan`."""

    def judge(self, rubric: Sequence[str] | Mapping[str, str], **kwargs: Any) -> JudgeEstimate:
        """What judging this plan's cells on ``rubric`` would cost once run (:func:`estimate_plan`); nothing is
        sent."""
        return estimate_plan(self, rubric, **kwargs)


class Judging:
    """The judging verbs of a study, mixed into :class:`toolkit.compare.Study` (which keeps its data)."""

    plan: Any
    judge_scores: dict[str, dict[int, list[int]]]

    @property
    def study_key(self) -> str:
        raise NotImplementedError  # the Study's: the id its judgements are filed under

    def judgements(self) -> list[ratings.Judgement]:
        """Every pairwise judgement filed for this study in the home (people's and model judges')."""
        return ratings.load_judgements(self.plan.engine.store.home, study=self.study_key)

    def judge(self, rubric: Sequence[str] | Mapping[str, str], **kwargs: Any) -> Any:
        """Score every ok cell on ``rubric`` with a vision-model judge (:func:`judge_study`)."""
        return judge_study(self, rubric, **kwargs)

    def judge_pairs(self, arm: str | None = None, criterion: str = "overall quality and fit to the prompt",
                    **kwargs: Any) -> Any:
        """Ask the judge which arm's image is better, pair by pair, in both orders (:func:`judge_pairs`)."""
        return judge_pairs(self, arm, criterion, **kwargs)

    def agreement(self, arm: str | None = None, *, boot: int = 400) -> pd.DataFrame:
        """Human vs judge, human vs human, judge vs itself, with counts and bootstrap intervals
        (:func:`toolkit.agreement.agreement_table`)."""
        return agreement.agreement_table(self.judgements(), ratings.arm_map(self, arm),  # type: ignore[arg-type]
                                         self.judge_scores, boot=boot)


# -- rubric ---------------------------------------------------------------------------------------------------
def parse_rubric(rubric: Sequence[str] | Mapping[str, str] | str) -> dict[str, tuple[str, str]]:
    """slug -> (criterion, description) from a list of criteria or a dict of criterion -> description.

    >>> parse_rubric(["follows the prompt"])
    {'follows_the_prompt': ('follows the prompt', 'follows the prompt')}
    """
    if isinstance(rubric, str):
        rubric = [rubric]
    items = list(rubric.items()) if isinstance(rubric, Mapping) else [(c, c) for c in rubric]
    if not items:
        raise OptionError("The rubric is empty: pass criteria, e.g. ['follows the prompt', 'the text is legible'].")
    out: dict[str, tuple[str, str]] = {}
    for name, description in items:
        if not isinstance(name, str) or not isinstance(description, str):
            raise OptionError(f"rubric entry {name!r}: criteria and their descriptions must be strings.")
        key = slug(name)
        if key in out:
            raise OptionError(f"rubric criteria {out[key][0]!r} and {name!r} both become column judge_{key}; "
                              f"name them differently.")
        out[key] = (name, description)
    return out


def _instruction(prompt: str, reply_text: str, aspect_ratio: str | None, lines: list[str], *,
                 pair: bool, reference: bool) -> str:
    said = f"\nThe image model also answered in text: {reply_text.strip()[:500]}" if reply_text.strip() else ""
    ratio = f"\nThe image was asked for at aspect ratio {aspect_ratio}." if aspect_ratio else ""
    ref = "\nThe last image is the reference image, for criteria that compare with it." if reference else ""
    if pair:
        ask = ("Two images (A, then B) were made for the same prompt. Which is better on this criterion? Answer "
               "\"A\", \"B\" or \"tie\", with one short sentence of reason.\n" + "\n".join(lines))
    else:
        ask = ("Score the image on each criterion from 1 (poor) to 5 (excellent), with one short sentence of "
               "reason each:\n" + "\n".join(lines))
    return (f"You are a careful judge of images made by an image model for this prompt:\n<prompt>\n{prompt}\n"
            f"</prompt>{said}{ratio}\n\n{ask}{ref}\nAnswer only with JSON that fits the response schema.")


# -- the judge's Engine and model -----------------------------------------------------------------------------
def judge_engine(engine: Engine, backend: Any = None) -> Engine:
    """The Engine judge calls go through: the study's (``engine``), another backend's on the same home and
    Budget, or a Studio's / Engine's as given."""
    if backend is None:
        return engine
    if isinstance(backend, str):
        return engine.sibling(backend)
    if isinstance(backend, Engine):
        return backend
    if isinstance(getattr(backend, "engine", None), Engine):
        return backend.engine
    raise OptionError(f"backend={backend!r} is neither a backend name nor a Studio; use e.g. backend='gemini'.")


def _setup(engine: Engine, model: str | None) -> tuple[ModelInfo, JudgeSetup]:
    # on OpenRouter the judge is any vision model by its OpenRouter id; elsewhere a Gemini text model
    openrouter = getattr(engine.backend, "kind", "") == "openrouter"
    info = judge_model_info(model) if openrouter else text_models.model_info(model)
    return info, transport_for(engine.backend, info.id)


def _judge_id(setup: JudgeSetup, info: ModelInfo) -> str:
    return f"{JUDGE_PREFIX}{setup.label} ({info.id})" if setup.simulated else f"{JUDGE_PREFIX}{info.id}"


def _image(result: Any) -> Any:
    """The first output of a cell, as the judge sees it (at most JUDGE_MAX_SIDE on its longest side)."""
    src = result.paths[0] if result.paths else result.image
    return load_image(src, max_side=JUDGE_MAX_SIDE)


def _request(engine: Engine, info: ModelInfo, text: str, images: list[tuple[str, Any]], variant: int) -> Request:
    parts: list[TextPart | ImagePart] = [TextPart(text)]
    for label, im in images:
        parts += [TextPart(label), ImagePart(im.data, im.mime, im.sha256)]
    return Request(engine.backend.kind, info.id, (Turn("user", tuple(parts)),), Options(), variant=variant,
                   operation="judge")


async def _send_all(engine: Engine, info: ModelInfo, setup: JudgeSetup, requests: list[Request], refresh: bool
                    ) -> list[Any]:
    async def one(req: Request) -> Any:
        try:
            return await engine.execute([req], info, refresh=refresh, transport=setup.transport)
        except ToolkitError as e:  # refused by the budget, failed after retries, ...: a failed judge cell
            return e

    return list(await asyncio.gather(*(one(r) for r in requests)))


def _estimate(engine: Engine, info: ModelInfo, setup: JudgeSetup, requests: list[Request], refresh: bool
              ) -> JudgeEstimate:
    if not requests:
        return JudgeEstimate(info.id, setup.label, 0, 0, 0.0, 0.0)
    cached = 0 if refresh else sum(1 for r in requests if engine.is_cached(r))
    each = [engine.estimate_one(r, info) for r in requests]
    spend = 0.0
    if engine.spends_money:
        spend = sum(c for r, c in zip(requests, each, strict=True) if refresh or not engine.is_cached(r))
    return JudgeEstimate(info.id, setup.label, len(requests), cached, round(sum(each), 6), round(spend, 6))


def estimate_plan(plan: Any, rubric: Sequence[str] | Mapping[str, str], *, model: str | None = None,
                  backend: Any = None, samples: int = 1) -> JudgeEstimate:
    """What judging a plan's cells would cost once it has run (nothing is sent, nothing is generated): one call
    per cell and sample, each with one image at most ``JUDGE_MAX_SIDE`` on its longest side (and the reference)."""
    _check_samples(samples)
    crit = parse_rubric(rubric)
    engine = judge_engine(plan.engine, backend)
    info, setup = _setup(engine, model)
    n_images = 1 + (plan.reference is not None)
    text_tokens = [len(_instruction(c.prompt, "", c.request.options.aspect_ratio,
                                    [f"- {k}: {d}" for k, (_, d) in crit.items()], pair=False,
                                    reference=n_images > 1)) // 4 for c in plan.cells]
    usage = [{"input_tokens": t + info.input_image_tokens * n_images,
              "input_image_tokens": info.input_image_tokens * n_images,
              "output_tokens": text_models.OUTPUT_ALLOWANCE_TOKENS} for t in text_tokens]
    one = [engine.list_cost(info, u) for u in usage]
    total = sum(one) * samples
    return JudgeEstimate(info.id, setup.label, len(plan.cells) * samples, 0, round(total, 6),
                         round(total if engine.spends_money else 0.0, 6))


def _check_samples(samples: int) -> None:
    if isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= MAX_SAMPLES:
        raise OptionError(f"samples={samples!r} must be a whole number from 1 to {MAX_SAMPLES} (how many times "
                          f"each image is judged).")


# -- rubric judging -------------------------------------------------------------------------------------------
def judge_study(study: Any, rubric: Sequence[str] | Mapping[str, str], *, model: str | None = None,
                backend: Any = None, samples: int = 1, refresh: bool = False, dry_run: bool = False,
                show: bool = True) -> pd.DataFrame | JudgeEstimate:
    """Score every ok cell of ``study`` on the rubric; the scores land in ``study.df`` (see the module docstring).

    Returns one row per cell and sample (status, cached, cost, each criterion's score and reason), or only the
    :class:`JudgeEstimate` with ``dry_run=True``. ``show`` prints the estimate before sending.

    Raises
    ------
    BudgetExceededError
        The estimate would pass the budget's cap; nothing is sent.
    """
    _check_samples(samples)
    crit = parse_rubric(rubric)
    engine = judge_engine(study.plan.engine, backend)
    info, setup = _setup(engine, model)
    schema = rubric_schema(list(crit))
    lines = [f"- {k}: {name}" + (f" ({d})" if d != name else "") for k, (name, d) in crit.items()]
    reference = load_image(study.plan.reference, max_side=JUDGE_MAX_SIDE) if study.plan.reference is not None \
        else None
    jobs: list[tuple[int, int, Request]] = []
    unreadable: list[dict[str, Any]] = []  # cells whose stored image cannot be read: failed, nothing sent
    for cell in study.cells:
        r = study.results.get(cell.index)
        if r is None or r.status != "ok" or not r.outputs:
            continue
        try:
            image = _image(r)
        except Exception as e:
            unreadable += [{"cell": cell.index, "sample": s, "judge": setup.label, "model": info.id,
                            "status": "failed", "cached": False, "cost_usd": 0.0,
                            "error": f"the cell's image could not be read ({type(e).__name__}); nothing was sent",
                            **{f"judge{p}_{k}": None for k in crit for p in ("", "_reason")}}
                           for s in range(samples)]
            continue
        ar = cell.request.options.aspect_ratio
        text = _instruction(cell.prompt, r.text or "", ar, lines, pair=False, reference=reference is not None)
        images = [("The image to judge:", image)] + ([("The reference image:", reference)] if reference else [])
        for s in range(samples):
            req = _request(engine, info, text, images, s)
            setup.transport.tasks[req.key] = JudgeTask(
                "rubric", {k: f"{name} {d}" for k, (name, d) in crit.items()}, schema, cell.prompt, ar,
                (r.text or "",), (image.sha256,), s, reference is not None)
            jobs.append((cell.index, s, req))
    estimate = _estimate(engine, info, setup, [j[2] for j in jobs], refresh)
    if dry_run:
        return estimate
    if show:
        print(estimate)
    engine.budget.check(estimate.cost_usd)  # before anything is sent
    outcomes = run(_send_all(engine, info, setup, [j[2] for j in jobs], refresh))
    rows = list(unreadable)
    for (cell_index, s, req), out in zip(jobs, outcomes, strict=True):
        row: dict[str, Any] = {"cell": cell_index, "sample": s, "judge": setup.label, "model": info.id}
        verdict = _verdict(out, setup, req)
        row.update(status=verdict[0], cached=bool(getattr(out, "cached", False)),
                   cost_usd=float(getattr(out, "cost_usd", 0.0)), error=verdict[2])
        for k in crit:
            got = (verdict[1] or {}).get(k)
            row[f"judge_{k}"] = got["score"] if got else None
            row[f"judge_reason_{k}"] = got["reason"] if got else None
        rows.append(row)
    table = pd.DataFrame(rows)
    _store_columns(study, table, list(crit), setup.label, samples)
    return table.set_index(["cell", "sample"]) if len(table) else table


def _verdict(out: Any, setup: JudgeSetup, req: Request) -> tuple[str, dict[str, Any] | None, str | None]:
    """(status, verdict, error) of one judge call's outcome."""
    if isinstance(out, BaseException):
        return "failed", None, str(out)
    if out.status != "ok":
        return "failed", None, f"{out.status}: {out.reason or 'no reason given'}"
    task = setup.transport.tasks[req.key]
    data, problem = check_verdict(out.text, task)
    return ("ok", data, None) if problem is None else ("failed", None, problem)


def _store_columns(study: Any, table: pd.DataFrame, keys: list[str], label: str, samples: int) -> None:
    """Per cell: ``judge_<c>`` (the mean over ok samples), ``judge_reason_<c>``, with samples>1 also
    ``judge_<c>_sd`` (the spread) and ``judge_<c>_n``; ``judge`` and ``judge_error``."""
    if table.empty:
        return
    for cell, group in table.groupby("cell"):
        ok = group[group["status"] == "ok"]
        cols: dict[str, Any] = {"judge": label}
        failed = group[group["status"] != "ok"]
        cols["judge_error"] = "; ".join(dict.fromkeys(failed["error"].astype(str))) if len(failed) else None
        for k in keys:
            scores = [int(v) for v in ok[f"judge_{k}"]]
            study.judge_scores.setdefault(k, {})[int(cell)] = scores
            cols[f"judge_{k}"] = (statistics.fmean(scores) if samples > 1 else scores[0]) if scores else None
            cols[f"judge_reason_{k}"] = ok[f"judge_reason_{k}"].iloc[0] if len(ok) else None
            if samples > 1:
                cols[f"judge_{k}_sd"] = round(statistics.stdev(scores), 3) if len(scores) > 1 else None
                cols[f"judge_{k}_n"] = len(scores)
        study.judged.setdefault(int(cell), {}).update(cols)


# -- pairwise judging -----------------------------------------------------------------------------------------
def judge_pairs(study: Any, arm: str | None = None, criterion: str = "overall quality and fit to the prompt", *,
                model: str | None = None, backend: Any = None, seed: int = 0, refresh: bool = False,
                dry_run: bool = False, show: bool = True) -> PairwiseRun | JudgeEstimate:
    """Ask the judge which of two outputs of the same cell (differing only in ``arm``) is better, in both orders.

    Pairs come from :func:`toolkit.ratings.arena_pairs` (random sides, random order). Every verdict is filed in
    the home as a :class:`~toolkit.ratings.Judgement` under the judge's own id (``judge:<model>``), so
    ``study.ratings(by="judge")`` fits Bradley–Terry on them apart from the people's; a pair already judged
    by this judge is not filed twice. Returns a :class:`PairwiseRun` (or the estimate with ``dry_run=True``).
    """
    if not isinstance(criterion, str) or not criterion.strip():
        raise OptionError("criterion must be a sentence, e.g. criterion='follows the prompt'.")
    engine = judge_engine(study.plan.engine, backend)
    info, setup = _setup(engine, model)
    judge_id = _judge_id(setup, info)
    by_key = {r.key: (cell, r) for cell in study.cells if (r := study.results.get(cell.index)) is not None}
    reference = load_image(study.plan.reference, max_side=JUDGE_MAX_SIDE) if study.plan.reference is not None \
        else None
    key = slug(criterion)
    schema = pair_schema()
    jobs: list[tuple[int, str, str, Request]] = []
    for n, (a, b) in enumerate(ratings.arena_pairs(study, arm, seed=seed)):
        cell_a, r_a = by_key[a]
        cell_b, r_b = by_key[b]
        img = {a: _image(r_a), b: _image(r_b)}
        ar = cell_a.request.options.aspect_ratio if cell_a.request.options.aspect_ratio == \
            cell_b.request.options.aspect_ratio else None
        prompt = cell_a.prompt if cell_a.prompt == cell_b.prompt else f"{cell_a.prompt}\n(or, for B: {cell_b.prompt})"
        for first, second in ((a, b), (b, a)):
            text = _instruction(prompt, "", ar, [f"- {criterion}"], pair=True, reference=reference is not None)
            images = [("Image A:", img[first]), ("Image B:", img[second])]
            images += [("The reference image:", reference)] if reference is not None else []
            req = _request(engine, info, text, images, 0)
            said = {a: r_a.text or "", b: r_b.text or ""}
            setup.transport.tasks[req.key] = JudgeTask(
                "pair", {key: criterion}, schema, prompt, ar, (said[first], said[second]),
                (first, second), 0, reference is not None)
            jobs.append((n, first, second, req))
    estimate = _estimate(engine, info, setup, [j[3] for j in jobs], refresh)
    if dry_run:
        return estimate
    if show:
        print(estimate)
    engine.budget.check(estimate.cost_usd)
    outcomes = run(_send_all(engine, info, setup, [j[3] for j in jobs], refresh))
    home = engine.store.home
    known = {(j.key_a, j.key_b) for j in ratings.load_judgements(home, study=study.study_key) if j.judge == judge_id}
    rows = []
    for (n, first, second, req), out in zip(jobs, outcomes, strict=True):
        status, data, error = _verdict(out, setup, req)
        better = data["better"] if data else None
        rows.append({"pair": n, "first_shown": first, "second_shown": second, "status": status, "better": better,
                     "winner": {"A": first, "B": second}.get(better or ""),
                     "reason": data["reason"] if data else None, "error": error, "judge": setup.label,
                     "cached": bool(getattr(out, "cached", False)), "cost_usd": float(getattr(out, "cost_usd", 0.0))})
        if better is not None and (first, second) not in known:
            outcome = {"A": "a", "B": "b", "tie": "tie"}[better]
            ratings.record_judgement(home, ratings.Judgement(
                first, second, outcome, study=study.study_key, judge=judge_id,
                ts=dt.datetime.now(dt.UTC).isoformat(timespec="seconds")))
            known.add((first, second))
    df = pd.DataFrame(rows)
    return _pair_summary(df, setup.label, len(jobs) // 2)


def _pair_summary(df: pd.DataFrame, label: str, pairs: int) -> PairwiseRun:
    if df.empty:
        return PairwiseRun(df, label, None, None, 0, 0)
    ok = df[df["status"] == "ok"]
    decided = ok[ok["better"] != "tie"]
    first = float((decided["better"] == "A").mean()) if len(decided) else None
    both = ok.groupby("pair").filter(lambda g: len(g) == 2)
    same = [len({(w if w is not None else "tie") for w in g["winner"]}) == 1 for _, g in both.groupby("pair")]
    consistent = sum(same) / len(same) if same else None
    return PairwiseRun(df, label, first, consistent, pairs, int((df["status"] != "ok").sum()),
                       float(df["cost_usd"].sum()))
