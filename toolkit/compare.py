"""Prompt comparison studies: X/Y/Z plans over axes, run concurrently, as a grid, a gallery and a DataFrame.

>>> study = studio.compare("A {animal} in a {place}", animal=["cat", "dog"], place=["kitchen", "forest"],
...                        model=["gemini-3.1-flash-image", "gemini-3-pro-image"])        # doctest: +SKIP
>>> study.df                  # one row per cell: axes, status, cost, latency, metrics, path   # doctest: +SKIP
>>> study.grid(rows="animal", cols="model")                                              # doctest: +SKIP

Axes
----
* ``prompt``: one prompt or a list. ``{name}`` placeholders are filled from keyword axes of that name
  (a template axis), and ``replace={"cat": ["cat", "dog"]}`` makes a search/replace axis.
* Options: ``model``, ``aspect_ratio``, ``image_size``, ``seed``, ``temperature``: a value or a list.
* ``images``: the input images of every cell, or a dict ``{label: images}`` to make them an axis.

A plan is made first (:meth:`Studio.plan`): the cells, the number of calls, what is already cached, the
estimated cost, and a refusal above the budget, all before anything is sent. Running it sends the cells
concurrently (bounded by the Studio's concurrency and rate limits) with a progress bar, expensive axes
(model, image size) in the outer loop, and failed cells kept as placeholders.

``studio.compare(..., mode="batch")`` (:func:`toolkit.batch.submit`) submits through the provider's Batch API at
half price instead and returns at once; ``Study.refresh()`` collects the results (see :mod:`toolkit.batch`).
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import itertools
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from . import judge, metrics, ratings, registry
from .engine import Engine
from .errors import OptionError, ToolkitError
from .images import load_image
from .options import AXIS_NAMES
from .request import Request
from .result import NO_MATH, Result, thumbnail_data_uri
from .runner import run
from .secrets import scrub

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Option axes a study can vary (derived from :class:`toolkit.options.Options`), ``model`` first.
OPTION_AXES = AXIS_NAMES
# Costlier axes first, so one model's cells run together and a budget stop leaves whole slices.
_OUTER_FIRST = ("backend", "model", "image_size", "images", "aspect_ratio")


@dataclass(frozen=True)
class Cell:
    """One point of the plan: its axis values and the request it sends."""

    index: int
    axes: Mapping[str, Any]
    prompt: str
    request: Request
    model: registry.ModelInfo
    image_labels: tuple[str, ...] = ()
    engine: Engine | None = None  # set on a ``backends=[...]`` axis: the Engine that sends this cell


@dataclass
class Plan(judge.PlanJudging):
    """What a study will do, before anything is sent. ``run()`` executes it."""

    engine: Engine
    axes: dict[str, list[Any]]
    cells: list[Cell]
    cached: int
    estimate_usd: float
    list_estimate_usd: float
    reference: Any = None
    expected_text: str | None = None

    @property
    def calls(self) -> int:
        return len(self.cells)

    def __repr__(self) -> str:
        shape = " x ".join(f"{k}[{len(v)}]" for k, v in self.axes.items()) or "1 cell"
        return (f"Plan({shape} = {self.calls} calls, {self.cached} cached, would spend ${self.estimate_usd:.4f}, "
                f"list ${self.list_estimate_usd:.4f})")

    def run(self, *, progress: bool = True, refresh: bool = False, mode: str = "sync") -> Study:
        """Send the cells concurrently (cached ones replay at $0) and return the :class:`Study`.

        Batch mode is :func:`toolkit.batch.submit` (``studio.compare(..., mode="batch")`` calls it).
        """
        if mode != "sync":
            raise OptionError(f"Plan.run(mode={mode!r}): a plan runs synchronously here; for the Batch API use "
                              f"studio.compare(..., mode='batch') or toolkit.batch.submit(plan).")
        self.engine.budget.check(self.estimate_usd)
        return run(_run(self, progress=progress, refresh=refresh))


class BatchCollector(Protocol):
    """What collects a batch-mode study's jobs (:mod:`toolkit.batch` sets it on the studies it submits)."""

    def refresh(self, study: Study) -> Study: ...

    def wait(self, study: Study, *, timeout_s: float | None = None, interval_s: float = 30.0) -> Study: ...

    def cancel(self, study: Study) -> Study: ...


@dataclass
class Study(judge.Judging):
    """The outcome of a plan: one Result (or failure) per cell (judging verbs: :class:`toolkit.judge.Judging`)."""

    plan: Plan
    results: dict[int, Result] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)
    # batch mode: cell index -> the batch job it waits for; each job's last known state; the study's id
    pending: dict[int, str] = field(default_factory=dict)
    job_states: dict[str, str] = field(default_factory=dict)
    study_id: str | None = None
    collector: BatchCollector | None = field(default=None, repr=False)
    # the judge's columns per cell, and its scores per criterion, cell and sample (:mod:`toolkit.judge`)
    judged: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)
    judge_scores: dict[str, dict[int, list[int]]] = field(default_factory=dict, repr=False)

    @property
    def cells(self) -> list[Cell]:
        return self.plan.cells

    # -- batch mode -----------------------------------------------------------------------------------------
    @property
    def jobs(self) -> dict[str, str]:
        """Batch jobs of this study -> last known state (``JOB_STATE_*``); empty for a synchronous study."""
        return dict(self.job_states)

    @property
    def done(self) -> bool:
        """True when no cell is waiting for a batch job."""
        return not self.pending

    def refresh(self) -> Study:
        """Poll this study's batch jobs and collect the finished ones; returns ``self``.

        Idempotent: collected cells are never collected twice, and a finished study is left as it is.
        """
        if not self.pending or self.collector is None:
            return self
        return self.collector.refresh(self)

    def wait(self, timeout_s: float | None = None, interval_s: float = 30.0) -> Study:
        """Refresh every ``interval_s`` seconds until done (or ``timeout_s`` passes); returns ``self``."""
        if self.collector is None:
            return self
        return self.collector.wait(self, timeout_s=timeout_s, interval_s=interval_s)

    def cancel(self) -> Study:
        """Cancel this study's unfinished batch jobs and collect them (their cells fail as cancelled)."""
        if self.collector is None:
            return self
        return self.collector.cancel(self)

    def _placeholder(self, index: int) -> tuple[str, str]:
        """(status, reason) of a cell without a Result: pending on a batch job, or failed."""
        if index in self.pending:
            job = self.pending[index]
            return "pending", f"batch job {job}: {self.job_states.get(job, 'JOB_STATE_PENDING')}"
        return "failed", self.failures.get(index) or ""

    @property
    def axes(self) -> dict[str, list[Any]]:
        return self.plan.axes

    def result(self, **axes: Any) -> Result | None:
        """The Result of the cell with these axis values (None for a failed cell)."""
        for cell in self.cells:
            if all(cell.axes.get(k) == v for k, v in axes.items()):
                return self.results.get(cell.index)
        raise KeyError(f"no cell has {axes}")

    @property
    def df(self) -> pd.DataFrame:
        """One row per cell: axes, prompt, status, reason, cost, latency, cached, metrics, path, n_images, error."""
        rows = []
        for cell in self.cells:
            r = self.results.get(cell.index)
            row: dict[str, Any] = {"cell": cell.index, **{k: _label(v) for k, v in cell.axes.items()},
                                   "prompt": cell.prompt}
            if r is None and cell.index in self.pending:
                row.update(status="pending", reason=self._placeholder(cell.index)[1], cost_usd=0.0,
                           list_cost_usd=0.0, latency_s=None, cached=False, key=cell.request.key, path=None,
                           n_images=0, error=None)
            elif r is None:
                row.update(status="failed", reason=None, cost_usd=0.0, list_cost_usd=0.0, latency_s=None, cached=False,
                           key=cell.request.key, path=None, n_images=0, error=self.failures.get(cell.index))
            else:
                # one cell at a time, nothing kept: pixels are decoded only when a metric needs them
                image, unreadable = r.peek(pixels=self.plan.reference is not None or bool(self.plan.expected_text))
                row.update(status=r.status, reason=r.reason, cost_usd=r.cost_usd, list_cost_usd=r.list_cost_usd,
                           latency_s=r.latency_s, cached=r.cached, key=r.key,
                           path=r.paths[0] if r.paths else None, n_images=len(r.outputs),  # the first kept
                           error="; ".join(r.errors + unreadable) or None)
                row.update(self._metrics(cell, image))
                del image
            rows.append(row | self.judged.get(cell.index, {}))
        return pd.DataFrame(rows).set_index("cell")

    def _metrics(self, cell: Cell, image: Any) -> dict[str, Any]:
        try:
            return self._measure(cell, image)
        except Exception:  # an image the metrics cannot read: the cell's row simply has no metrics
            return {}

    def _measure(self, cell: Cell, image: Any) -> dict[str, Any]:
        if image is None:
            return {}
        out: dict[str, Any] = {}
        ar = cell.request.options.aspect_ratio
        if ar:
            out["ar_error"] = round(metrics.aspect_ratio_error(image, ar), 4)
        if self.plan.reference is not None:
            for k, v in metrics.similarity(image, self.plan.reference).items():
                out[f"sim_{k}"] = v
        if self.plan.expected_text:
            score = metrics.text_accuracy(image, self.plan.expected_text)
            if score is not None:
                out["text_accuracy"] = score
        return out

    def summary(self, by: str | list[str] | None = None) -> pd.DataFrame:
        """Cells, ok share, spend and mean latency by an axis (default: the first axis)."""
        df = self.df
        by = by or (next(iter(self.axes)) if self.axes else "status")
        g = df.groupby(by, dropna=False)
        return pd.DataFrame({
            "cells": g.size(), "ok": g["status"].apply(lambda s: int((s == "ok").sum())),
            "spent_usd": g["cost_usd"].sum().round(4), "list_usd": g["list_cost_usd"].sum().round(4),
            "mean_latency_s": g["latency_s"].mean().round(3),
        })

    def grid(self, rows: str | None = None, cols: str | None = None, *, cell_size: float = 2.6,
             max_side: int = 384) -> Figure:
        """A matplotlib figure: one image per (row, col) with axis legends; failed cells are grey placeholders.

        Axes not used as rows or columns must have one value, or are shown in each cell's title.
        """
        import matplotlib.pyplot as plt

        names = list(self.axes)
        rows = rows if rows is not None else (names[0] if names else None)
        cols = cols if cols is not None else (names[1] if len(names) > 1 else None)
        for name in (rows, cols):
            if name is not None and name not in self.axes:
                raise OptionError(f"{name!r} is not an axis of this study; the axes are {names}.")
        row_vals = self.axes[rows] if rows else [None]
        col_vals = self.axes[cols] if cols else [None]
        rest = [n for n in names if n not in (rows, cols)]
        by_pos: dict[tuple[int, int], list[Cell]] = {}
        for cell in self.cells:
            i = _index(row_vals, cell.axes.get(rows)) if rows else 0
            j = _index(col_vals, cell.axes.get(cols)) if cols else 0
            by_pos.setdefault((i, j), []).append(cell)
        depth = max(len(v) for v in by_pos.values()) if by_pos else 1
        # size cells to the images' shape, so wide or tall thumbnails are not shrunk into letterboxes
        shape = next((r.image.size for r in self.results.values() if r.image is not None), (1, 1))
        cell_h = cell_size * shape[1] / shape[0]
        ncols = len(col_vals) * depth
        fig, axs = plt.subplots(len(row_vals), ncols, squeeze=False,
                                figsize=(cell_size * ncols + 0.6, (cell_h + 0.55) * len(row_vals) + 1.0))
        for (i, j), cells in by_pos.items():
            for k, cell in enumerate(cells):
                ax = axs[i][j * depth + k]
                r = self.results.get(cell.index)
                if r is not None and r.image is not None and _show(ax, r.image, max_side):
                    sub = f"${r.list_cost_usd:.3f} · {r.latency_s:.1f}s" + (" · cached" if r.cached else "")
                else:
                    ax.set_facecolor("#dddddd")
                    status, reason = _status_of(r) if r is not None else self._placeholder(cell.index)
                    ax.text(0.5, 0.5, f"{status}\n{_wrap(reason, 28, 3)}", ha="center", va="center",
                            fontsize=7, transform=ax.transAxes, color="#700")
                    sub = status
                extra = ", ".join(f"{n}={_label(cell.axes[n])}" for n in rest if len(self.axes[n]) > 1)
                ax.set_title((extra + "\n" if extra else "") + sub, fontsize=7)
        for i, rv in enumerate(row_vals):
            axs[i][0].set_ylabel(_wrap(_label(rv), 22, 4) if rows else "", fontsize=8)
        for ax in axs.flat:
            ax.set_xticks([])
            ax.set_yticks([])
        top = 1 - 0.75 / fig.get_figheight()  # room for the title and the column headers
        fig.tight_layout(h_pad=1.2, rect=(0, 0, 1, top))
        fig.suptitle(f"{rows or ''}{' × ' + cols if cols else ''}  ({len(self.cells)} cells)", fontsize=10,
                     y=1 - 0.15 / fig.get_figheight())
        if cols:
            # headers placed after layout, centred over each group of sub-columns (annotations on the axes
            # would make tight_layout shrink the images to make room for them)
            for j, cv in enumerate(col_vals):
                first, last = axs[0][j * depth].get_position(), axs[0][j * depth + depth - 1].get_position()
                fig.text((first.x0 + last.x1) / 2, top + 0.2 / fig.get_figheight(), _wrap(_label(cv), 40, 1),
                         ha="center", va="bottom", fontsize=9, weight="bold")
        return fig

    def to_html(self, path: str | Path, *, title: str = "Prompt comparison study", max_side: int = 320) -> Path:
        """Write a self-contained gallery page (thumbnails as data URIs, captions, the table)."""
        cards = []
        for cell in self.cells:
            r = self.results.get(cell.index)
            caption = "<br>".join(f"<b>{html.escape(k)}</b>: {html.escape(_label(v))}" for k, v in cell.axes.items())
            uri = _data_uri(r.image, max_side) if r is not None and r.image is not None else None
            if r is not None and uri is not None:
                body = f'<img src="{uri}" alt="cell {cell.index}">'
                caption += f"<br><code>{html.escape(r.caption())}</code>"
            else:
                status, reason = _status_of(r) if r is not None else self._placeholder(cell.index)
                body = f'<div class="ph"><b>{html.escape(status)}</b><br>{html.escape(reason[:300])}</div>'
            cards.append(f'<figure>{body}<figcaption>{caption}<br><small>{html.escape(cell.prompt)}'
                         f"</small></figcaption></figure>")
        table = self.df.drop(columns=["key"], errors="ignore").to_html(classes="t", na_rep="", float_format="%.4g")
        page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1.5em}} .g{{display:flex;flex-wrap:wrap;gap:12px}}
figure{{margin:0;width:{max_side}px;font-size:12px}} img{{max-width:100%;border-radius:4px}}
.ph{{height:{max_side * 2 // 3}px;background:#eee;color:#700;padding:8px;border-radius:4px;overflow:hidden}}
table.t{{border-collapse:collapse;font-size:12px;margin-top:1.5em}} .t td,.t th{{border:1px solid #ddd;padding:2px 6px}}
</style></head><body><h1>{html.escape(title)}</h1><p>{html.escape(repr(self))}</p>
<div class="g">{''.join(cards)}</div>{table}</body></html>"""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
        return path

    def ratings(self, arm: str | None = None, *, by: str = "all") -> pd.DataFrame:
        """Bradley–Terry scores of the arms (default: ``model``, else the first axis) from the blind
        judgements recorded for this study in the home (see :meth:`arena`), with bootstrap 95% intervals.
        ``by="human"`` uses people's judgements only, ``"judge"`` the model judge's (:meth:`judge_pairs`)."""
        return ratings.ratings(ratings.by_judge(self.judgements(), by), ratings.arm_map(self, arm))

    @property
    def study_key(self) -> str:
        """A stable id for this study's cells (a hash of their request keys): judgements are filed under it."""
        return hashlib.sha256("".join(sorted(c.request.key for c in self.cells)).encode()).hexdigest()[:16]

    def arena(self, arm: str | None = None, **kwargs: Any) -> Any:
        """The blind pairwise judging app for this study (:class:`toolkit.widgets.arena.Arena`).

        A thin entry point: the app lives with the widgets, which the study itself never imports.
        """
        from .widgets.arena import Arena  # the one allowed upward import (see the README's layers)

        return Arena(self, arm, **kwargs)

    @property
    def spent_usd(self) -> float:
        return sum(r.cost_usd for r in self.results.values())

    def __repr__(self) -> str:
        ok = sum(1 for r in self.results.values() if r.status == "ok")
        cached = sum(1 for r in self.results.values() if r.cached)
        pending = f", {len(self.pending)} pending in {len(set(self.pending.values()))} batch job(s)" if self.pending else ""
        return (f"Study({len(self.cells)} cells: {ok} ok, {len(self.cells) - ok - len(self.pending)} not ok{pending}, "
                f"{cached} from cache; spent ${self.spent_usd:.4f}, "
                f"list ${sum(r.list_cost_usd for r in self.results.values()):.4f})")

    def _repr_html_(self) -> str:
        df = self.df
        shown = df if len(df) <= 20 else pd.concat([df.head(10), df.tail(10)])
        # like pandas: long text clipped to one short line, and a note of the rows left out
        shown = shown.map(lambda v: v if not isinstance(v, str) or len(v) <= 60 else v[:59] + "…")
        more = f"<p><i>{len(df) - 20} more cells not shown; study.df has them all.</i></p>" if len(df) > 20 else ""
        return (f'<div class="{NO_MATH}"><pre>{html.escape(repr(self))}</pre>'
                f'{shown.to_html(na_rep="")}{more}</div>')


# -- planning -------------------------------------------------------------------------------------------------
def _listify(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def build_plan(
    engine: Engine,
    prompt: str | Sequence[str],
    *,
    images: Any = None,
    replace: Mapping[str, Sequence[str]] | None = None,
    reference: Any = None,
    expected_text: str | None = None,
    refresh: bool = False,
    backends: Sequence[Any] | None = None,
    **axes: Any,
) -> Plan:
    """Expand axes into cells and price them. See the module docstring.

    ``backends=["offline", "gemini", "openrouter", studio_b, ...]`` adds a ``backend`` axis: names get an
    Engine of that backend on the same home, Budget and session (:meth:`Engine.sibling`); Studios (or
    Engines) are used as they are. Each cell is sent by its own backend; the budget check covers the plan.
    """
    prompts = _listify(prompt)
    if not prompts or not all(isinstance(p, str) for p in prompts):
        raise OptionError("prompt must be a string or a list of strings.")
    fields = {f for p in prompts for _, f, _, _ in string.Formatter().parse(p) if f}
    template_axes = {k: _listify(axes.pop(k)) for k in list(axes) if k in fields}
    missing = fields - set(template_axes)
    if missing:
        raise OptionError(f"The prompt has placeholders {sorted(missing)} with no axis: pass them as keyword "
                          f"lists, e.g. {sorted(missing)[0]}=['...', '...'].")
    unknown = set(axes) - set(OPTION_AXES)
    if unknown:
        raise OptionError(f"Unknown axis {sorted(unknown)}: axes are prompt placeholders, replace=..., images=..., "
                          f"and {', '.join(OPTION_AXES)}.")
    all_axes: dict[str, list[Any]] = {}
    if len(prompts) > 1:
        all_axes["prompt"] = prompts
    all_axes.update(template_axes)
    for search, values in (replace or {}).items():
        if not any(search in p for p in prompts):
            raise OptionError(f"replace: {search!r} does not occur in the prompt.")
        all_axes[f"replace:{search}"] = _listify(values)
    image_sets: dict[str, list[Any]]
    if isinstance(images, Mapping):
        image_sets = {str(k): _listify(v) for k, v in images.items()}
        all_axes["images"] = list(image_sets)
    else:
        image_sets = {"": _listify(images) if images is not None else []}
    engines_by_label: dict[str, Engine] = {}
    if backends is not None:
        engines_by_label = _backend_engines(engine, backends)
        all_axes["backend"] = list(engines_by_label)
    # each image set is loaded once for the whole plan, not once per cell
    loaded_sets = {label: engine.load_images(imgs) for label, imgs in image_sets.items()}
    option_values = {k: _listify(axes[k]) for k in OPTION_AXES if k in axes}
    for k, v in option_values.items():
        if not v:
            raise OptionError(f"Axis {k!r} has no values.")
        if len(v) > 1:
            all_axes[k] = v
    for name, values in all_axes.items():
        if not values:
            raise OptionError(f"Axis {name!r} has no values.")
    order = sorted(all_axes, key=lambda n: _OUTER_FIRST.index(n) if n in _OUTER_FIRST else len(_OUTER_FIRST))
    cells: list[Cell] = []
    combos = itertools.product(*(all_axes[n] for n in order))
    for idx, combo in enumerate(combos):
        point = dict(zip(order, combo, strict=True))
        text = point.get("prompt", prompts[0])
        if template_axes:
            text = text.format(**{k: point[k] for k in template_axes if k in point}) if fields else text
        for search in replace or {}:
            text = text.replace(search, str(point[f"replace:{search}"]))
        opts = {k: (point[k] if k in point else (option_values[k][0] if k in option_values else None))
                for k in OPTION_AXES}
        label = point.get("images", "")
        sender = engines_by_label.get(point.get("backend", ""))
        model = opts.pop("model")
        requests, info = (sender or engine).requests("compare", text, loaded_sets[label], options=opts, model=model)
        cells.append(Cell(idx, {n: point[n] for n in all_axes}, text, requests[0], info,
                          (label,) if label else (), sender))
    cached = 0 if refresh else sum(1 for c in cells if engine.is_cached(c.request))
    list_total, spend = 0.0, 0.0
    for c in cells:
        one = (c.engine or engine).estimate_one(c.request, c.model)
        list_total += one
        if (c.engine or engine).spends_money and (refresh or not engine.is_cached(c.request)):
            spend += one
    ref = _reference_image(reference) if reference is not None else None
    return Plan(engine, {n: all_axes[n] for n in all_axes}, cells, cached, spend, list_total, ref, expected_text)


async def _run(plan: Plan, *, progress: bool, refresh: bool) -> Study:
    """Send every cell; a failed cell (whatever failed) is recorded in ``study.failures`` and the others go on.

    If the study itself is stopped (the notebook's stop button cancels it), every cell still in flight is
    cancelled and awaited before this returns, so nothing is sent after ``compare()`` has raised.
    """
    from tqdm.auto import tqdm

    engine = plan.engine
    study = Study(plan)
    bar = tqdm(total=plan.calls, desc="study", unit="cell", disable=not progress, leave=True)
    spent = 0.0  # a running total: re-summing every result after each cell made a 10k study slow down

    async def one(cell: Cell) -> None:
        nonlocal spent
        try:
            result = await (cell.engine or engine).execute([cell.request], cell.model, refresh=refresh)
            study.results[cell.index] = result
            spent += result.cost_usd
        except Exception as e:  # a failed cell is a failed cell: the study completes and returns
            study.failures[cell.index] = failure_text(e)
        bar.update(1)
        bar.set_postfix_str(f"spent ${spent:.3f}, failed {len(study.failures)}", refresh=False)

    tasks = [asyncio.ensure_future(one(c)) for c in plan.cells]
    try:
        await asyncio.gather(*tasks)
    except BaseException:  # cancelled (Ctrl-C) or worse: stop the siblings before giving up
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    finally:
        bar.close()
    return study


def failure_text(e: BaseException) -> str:
    """How a failed cell's exception is recorded: the toolkit's own message, else its type and message."""
    if isinstance(e, ToolkitError):
        return str(e)
    return f"{type(e).__name__}: {scrub(str(e)) or 'no message'}"


def _backend_engines(engine: Engine, backends: Sequence[Any]) -> dict[str, Engine]:
    """Label -> Engine for a ``backends=[...]`` axis (labels are backend kinds, numbered when repeated)."""
    out: dict[str, Engine] = {}
    for item in _listify(backends):
        if isinstance(item, str):
            sibling = engine.sibling(item)
        elif isinstance(item, Engine):
            sibling = item
        elif isinstance(getattr(item, "engine", None), Engine):  # a Studio
            sibling = item.engine
        else:
            raise OptionError(f"backends: {item!r} is neither a backend name nor a Studio.")
        label = sibling.backend.kind
        n = 2
        while label in out:
            label = f"{sibling.backend.kind} #{n}"
            n += 1
        out[label] = sibling
    if not out:
        raise OptionError("backends=[] has no values; pass backend names like ['offline', 'gemini'] or Studios.")
    return out


def _reference_image(reference: Any) -> Any:
    """The similarity reference as a PIL image, loaded once per plan (a Result gives its first image)."""
    from PIL import Image

    if isinstance(reference, Image.Image):
        return reference
    if isinstance(getattr(reference, "image", None), Image.Image):
        return reference.image
    return load_image(reference).to_pil()


def _status_of(r: Result) -> tuple[str, str]:
    """(status, reason) shown for a cell with a Result but no picture to show."""
    if r.outputs:  # it has images, but none can be shown
        return r.status, "unreadable image" + (f": {r.unreadable[0]}" if r.unreadable else "")
    return r.status, r.reason or ""


def _show(ax: Any, image: Any, max_side: int) -> bool:
    """Draw a thumbnail on a matplotlib axis; False (nothing drawn) when the image cannot be shown."""
    try:
        thumb = image.copy()
        thumb.thumbnail((max_side, max_side))
        ax.imshow(thumb)
    except Exception:
        return False
    return True


def _data_uri(image: Any, max_side: int) -> str | None:
    try:
        return thumbnail_data_uri(image, max_side)
    except Exception:
        return None


def _label(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _index(values: list[Any], value: Any) -> int:
    for i, v in enumerate(values):
        if v == value:
            return i
    return 0


def _wrap(text: str, width: int, lines: int) -> str:
    import textwrap

    out = textwrap.wrap(text, width)[:lines]
    return "\n".join(out)
