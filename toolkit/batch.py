"""Batch mode for comparison studies: the provider's Batch API at half price, collected later.

>>> study = studio.compare("A {animal} at {time}", animal=["cat", "owl"], time=["noon", "night"],
...                        mode="batch")                                  # doctest: +SKIP
>>> study.jobs                  # {'batches/...': 'JOB_STATE_PENDING'}     # doctest: +SKIP
>>> study.refresh().done        # poll; finished jobs are collected       # doctest: +SKIP
>>> studio.resume("batches/...")  # later: another Studio, session or process on the same home   # doctest: +SKIP

The flow
--------
**Submit** (``studio.compare(..., mode="batch")``, i.e. :func:`submit`). The plan is priced at the batch
rate (``pricing.list_cost(..., tier="batch")``, 50% of list) and refused above the budget before anything
is sent. Cells already in the cache replay at once, exactly as in a synchronous study. The other requests
are grouped per model (the Batch API runs one model per job), identical requests are sent once, and each
group goes as one job through the backend's ``submit_batch`` (:class:`~toolkit.backends.base.BatchBackend`;
the Gemini backend chooses inline requests or an uploaded JSONL file by size). Every job is recorded at
once in the home's ``batches`` table (store migration 2) with what rebuilds its cells later: prompt,
operation, model, options, variant, input count, the turns with input images by hash (the inputs are
kept in the image store), and the study's axes and cells. The estimate is held against the home's
budget until the job is collected.

**Refresh** (``study.refresh()``, :func:`refresh`). Every job with cells still pending is polled. A
finished job is claimed in the store (only one Studio wins) and each answer goes through the normal
finishing path, :meth:`Engine.finish <toolkit.engine.Engine.finish>`: images are stored, ``ok`` answers are cached under the SAME request
keys (so a later synchronous run replays them at $0), and each cell gets exactly one ledger row with
``tier="batch"``, ``cost_usd`` at the batch price (``list_cost_usd`` stays the list price),
``group_id`` = the job name and ``latency_s`` = the job's turnaround (the provider's create-to-end time).
A request the provider failed becomes a failed cell carrying the provider's error (and an ``error`` row);
a job that failed, was cancelled or expired as a whole fails its unanswered cells with the state as the
reason. A job the provider no longer knows (404: deleted, or a simulated offline job of another
process) ends as ``JOB_STATE_NOT_FOUND``.

**Resume** (``studio.resume(job_name)``, :func:`resume`). Rebuilds the whole study the job belongs to
from the store (every job of that study, and the cells that were cache hits at submission), then
refreshes it. Decision on jobs already collected: they are never collected again. Their cells are
rebuilt from the cache (images) and from the ledger rows written at collection (status, reason, cost,
latency), and no new ledger row is written; cache hits of the submission are replayed without rows too
(they had theirs). So ``refresh()`` and ``resume()`` are idempotent: calling them again adds no rows.

Collection is crash-tolerant rather than transactional: the ledger rows of a job (``group_id`` = job
name, ``tier`` = batch) are the record of which cells were collected. A collector that fails half way
releases its claim; one that dies leaves a claim another Studio may take over after
:data:`STALE_CLAIM_S`, and the new collector skips cells that already have their row.

Notes
-----
* ``Result.request`` of a resumed study is rebuilt from the store; if an input image file was removed
  from the home, that part keeps its hash and MIME type (enough for the cache key) with empty bytes.
* A similarity ``reference=`` image is not stored, so a resumed study has no ``sim_*`` columns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from . import registry
from .backends.base import BatchStatus, Reply
from .compare import Cell, Plan, Study
from .engine import Engine
from .errors import ConfigError, OptionError, ProviderError
from .records import BatchJobRow
from .request import Options, Request, Turn
from .result import Result
from .runner import run, with_retries
from .secrets import scrub

#: The ledger tier of every row written for a batch answer (and the pricing tier).
TIER = "batch"
#: A collection claim older than this (seconds) on a job never completed may be taken over.
STALE_CLAIM_S = 600.0

_USAGE_COLUMNS = ("input_tokens", "input_image_tokens", "output_tokens", "output_image_tokens", "thought_tokens")


def _now() -> str:
    return _iso(time.time())


def _iso(t: float) -> str:
    # the same format as Studio's timestamps, so stored times compare as strings
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="milliseconds")


def _age_s(created: str) -> float:
    try:
        return max(0.0, time.time() - dt.datetime.fromisoformat(created).timestamp())
    except (TypeError, ValueError):
        return 0.0


# -- submit -----------------------------------------------------------------------------------------------
def estimate_usd(engine: Engine, cells: list[Cell]) -> float:
    """What sending ``cells`` as batch jobs would spend: batch price per distinct request (0 offline)."""
    if not engine.spends_money:
        return 0.0
    seen: dict[str, Cell] = {}
    for c in cells:
        seen.setdefault(c.request.key, c)
    return sum(engine.estimate_one(c.request, c.model, tier=TIER) for c in seen.values())


def submit(plan: Plan, *, refresh: bool = False, display_name: str | None = None) -> Study:
    """Submit a plan's uncached cells as batch jobs (one per model); returns the pending :class:`Study`.

    Parameters
    ----------
    plan : Plan
        From :meth:`Studio.plan`.
    refresh : bool
        Skip the cache: every cell is sent.
    display_name : str, optional
        The jobs' display name; default ``"flash-image-toolkit <study id> <model>"``.

    Raises
    ------
    ConfigError
        The backend has no batch mode.
    OptionError
        A cell sets ``service_tier``: batch mode is its own tier (half price), not combinable with one.
    BudgetExceededError
        The batch-price estimate would take the Studio past its budget (nothing is sent or recorded).
    """
    engine = plan.engine
    if not engine.spec.batch:
        raise ConfigError(f"The {engine.backend.kind!r} backend has no batch mode; use mode='sync'.")
    tiered = [c for c in plan.cells if c.request.options.service_tier is not None]
    if tiered:
        raise OptionError(f"service_tier={tiered[0].request.options.service_tier!r} cannot be combined with batch "
                          f"mode, which is its own tier (half the standard price): drop service_tier from the plan, "
                          f"or use mode='sync' for a flex or priority study.")
    cached = set() if refresh else {c.request.key for c in plan.cells if engine.is_cached(c.request)}
    engine.budget.check(estimate_usd(engine, [c for c in plan.cells if c.request.key not in cached]))
    study = Study(plan, study_id=f"study-{uuid.uuid4().hex[:12]}", collector=COLLECTOR)
    replayed: dict[str, dict[str, Any]] = {}
    to_send: list[Cell] = []
    for cell in plan.cells:
        hit = engine.replay(cell.request, cell.model) if cell.request.key in cached else None
        if hit is None:  # a damaged cache entry is a miss here too
            to_send.append(cell)
            continue
        study.results[cell.index] = hit
        replayed.setdefault(cell.request.key, _spec(engine, cell.request, []))["cells"].append(cell.index)
    groups: dict[str, dict[str, list[Cell]]] = {}
    for cell in to_send:
        groups.setdefault(cell.request.model, {}).setdefault(cell.request.key, []).append(cell)
    for model, by_key in groups.items():
        _submit_job(study, model, by_key, display_name, replayed)
    if study.job_states:  # every job row gets the final picture (submission failures of later models included)
        engine.store.batch_update_study(study.study_id or "", _study_json(study, replayed))
    return study


class _Ambiguous(Exception):
    """A submission that got no answer: the job may exist, so it is not sent again."""

    def __init__(self, error: ProviderError) -> None:
        super().__init__(str(error))
        self.error = error


async def _submit_once(call: Callable[[], Awaitable[str]]) -> str:
    try:
        return await call()
    except ProviderError as e:
        if e.code is None:  # timeout or dropped connection: retrying could create (and bill) a second job
            raise _Ambiguous(e) from None
        raise  # the server answered with an error, so no job exists: safe to retry 429/5xx


def _submit_job(study: Study, model: str, by_key: dict[str, list[Cell]], display_name: str | None,
                replayed: dict[str, dict[str, Any]]) -> None:
    engine = study.plan.engine
    backend: Any = engine.backend
    requests = [cells[0].request for cells in by_key.values()]
    name = display_name or f"flash-image-toolkit {study.study_id} {model}"
    specs = {key: _spec(engine, cells[0].request, [c.index for c in cells]) for key, cells in by_key.items()}
    try:
        job, _ = run(with_retries(lambda: _submit_once(lambda: backend.submit_batch(requests, name)), engine.retry))
    except (ProviderError, _Ambiguous) as e:
        err = e.error if isinstance(e, _Ambiguous) else e
        message = scrub(str(err)) or ""
        if isinstance(e, _Ambiguous):
            message += ("\nNo answer came back, so the job may exist anyway; it was not sent again to avoid paying "
                        "twice. Check the provider's batch list (client.batches.list()) before running this again.")
        for cells in by_key.values():
            for c in cells:
                engine.record_failure(c.request, c.model, error=message, attempts=err.attempts, tier=TIER)
                study.failures[c.index] = message
        return
    now = _now()
    engine.store.batch_add(BatchJobRow(
        name=job, backend=engine.backend.kind, model=model, created=now, updated=now, state="JOB_STATE_PENDING",
        display_name=name, study_id=study.study_id, session=engine.session, request_count=len(requests),
        cells=specs, study=_study_json(study, replayed),  # recorded with the job: a crash right after loses nothing
    ))
    engine.budget.hold(job, estimate_usd(engine, [cells[0] for cells in by_key.values()]))
    for cells in by_key.values():
        for c in cells:
            study.pending[c.index] = job
    study.job_states[job] = "JOB_STATE_PENDING"


def _spec(engine: Engine, req: Request, indices: list[int]) -> dict[str, Any]:
    """What rebuilds ``req`` (and its ledger row) later; input images are kept in the image store."""
    turns = []
    for turn in req.turns:
        # images go to the content-addressed store: a shared input is written once
        turns.append({"role": turn.role, "parts": [engine.parts.dump(p) for p in turn.parts]})
    return {
        "backend": req.backend, "model": req.model, "operation": req.operation, "prompt": req.prompt,
        "options": req.options.as_dict(), "variant": req.variant, "n_inputs": len(req.input_images),
        "turns": turns, "cells": list(indices),
    }


def _jsonable(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def _study_json(study: Study, replayed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    plan = study.plan
    return {
        "id": study.study_id,
        "axes": {k: [_jsonable(v) for v in vs] for k, vs in plan.axes.items()},
        "cells": [{"index": c.index, "axes": {k: _jsonable(v) for k, v in c.axes.items()}, "prompt": c.prompt,
                   "key": c.request.key, "labels": list(c.image_labels)} for c in plan.cells],
        "cached": replayed,
        "failed": {str(i): m for i, m in study.failures.items()},
        "cached_count": plan.cached, "estimate_usd": plan.estimate_usd, "list_estimate_usd": plan.list_estimate_usd,
        "expected_text": plan.expected_text,
    }


# -- refresh and collect ----------------------------------------------------------------------------------
def refresh(study: Study) -> Study:
    """Poll the study's jobs that still have pending cells and collect the finished ones; returns ``study``.

    Raises
    ------
    ProviderError
        A poll failed after retries (nothing changes; refresh again later). A 404 is not raised: the job
        ends as ``JOB_STATE_NOT_FOUND`` and its cells fail.
    """
    for job in list(dict.fromkeys(study.pending.values())):
        _refresh_job(study, job)
    return study


def wait(study: Study, *, timeout_s: float | None = None, interval_s: float = 30.0) -> Study:
    """Refresh every ``interval_s`` seconds until the study is done or ``timeout_s`` has passed."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        refresh(study)
        if study.done:
            return study
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return study
        time.sleep(interval_s if left is None else min(interval_s, left))


def cancel(study: Study) -> Study:
    """Cancel the study's unfinished jobs, then refresh: their unanswered cells fail as cancelled."""
    engine = study.plan.engine
    backend: Any = engine.backend
    for job in list(dict.fromkeys(study.pending.values())):
        try:
            run(with_retries(lambda job=job: backend.cancel_batch(job), engine.retry))  # type: ignore[misc]
        except ProviderError as e:
            if e.code not in (400, 404, 409):  # already finished or gone: the refresh below says which
                raise
    return refresh(study)


def _refresh_job(study: Study, job: str) -> None:
    engine = study.plan.engine
    backend: Any = engine.backend
    row = engine.store.batch_get(job)
    if row is None:
        raise ConfigError(f"Batch job {job!r} is not recorded in {str(engine.store.home)!r}.")
    if row["completed"] is not None or (row["collected"] is not None and row["collected"] >= _stale_before()):
        _load_collected(study, row)  # collected already, or being collected by another Studio right now
        return
    try:
        status, _ = run(with_retries(lambda: backend.poll_batch(job), engine.retry))
    except ProviderError as e:
        if e.code != 404:
            raise
        status = BatchStatus(job, "JOB_STATE_NOT_FOUND", True, error=e.message)
    try:
        study.job_states[job] = status.state
        engine.store.batch_update(job, state=status.state, updated=_now())
        if not status.done:
            return
        if not engine.store.batch_claim(job, _now(), _stale_before()):
            _load_collected(study, engine.store.batch_get(job) or row)
            return
        try:
            _collect(study, row, status)
        except BaseException:
            engine.store.batch_update(job, collected=None)  # let the next refresh try again
            raise
        engine.store.batch_update(job, completed=_now(), error=status.error)
        engine.budget.release(job)
    finally:
        _close(status.results)


def _close(results: Any) -> None:
    """Release what a poll's answers hold (a results file on disk, for the Gemini backend's file jobs)."""
    close = getattr(results, "close", None)
    if callable(close):
        close()


def _stale_before() -> str:
    return _iso(time.time() - STALE_CLAIM_S)


def _cells_of(study: Study, spec: dict[str, Any]) -> list[Cell]:
    by_index = {c.index: c for c in study.cells}
    return [by_index[i] for i in spec.get("cells", []) if i in by_index]


def _collect(study: Study, row: dict[str, Any], status: BatchStatus) -> None:
    """Feed each answer of a finished job through the Studio's finishing path (one ledger row per cell).

    One answer at a time: each is looked up (a results file's line read and parsed only then), finished
    (its image stored) and dropped before the next, so memory stays flat whatever the job's size.
    """
    engine = study.plan.engine
    job = row["name"]
    recorded = {r["key"]: r for r in engine.store.batch_calls(job)}
    latency = status.elapsed_s if status.elapsed_s is not None else _age_s(row["created"])
    for position, (key, spec) in enumerate(row["cells"].items()):  # submission order (JSON keeps it)
        cells = _cells_of(study, spec)
        if not cells:
            continue
        if key in recorded:  # collected by an earlier collection that was interrupted
            _from_row(study, cells, recorded[key], job)
            continue
        first = cells[0]
        answer = status.results.get(key)
        if answer is None:
            answer = status.results.get(f"#{position}")
        if isinstance(answer, Reply):
            result = engine.finish(first.request, first.model, answer, latency_s=latency, group=job, tier=TIER)
            _assign(study, cells, result=result)
            continue
        if isinstance(answer, ProviderError):
            message = scrub(str(answer)) or ""
        elif status.succeeded:
            message = f"batch job {job} returned no answer for this request"
            unreadable = getattr(status.results, "unreadable", 0)
            if unreadable:
                message += (f" ({unreadable} line(s) of its results file could not be read, so their requests are "
                            f"unknown; run the study again to send only the cells that failed)")
        else:
            message = f"batch job {job} ended {status.state}" + (f": {status.error}" if status.error else "")
        engine.record_failure(first.request, first.model, error=message, group=job, latency_s=latency, tier=TIER)
        _assign(study, cells, failure=message)


def _assign(study: Study, cells: list[Cell], *, result: Result | None = None, failure: str | None = None) -> None:
    """Give the answer to the first cell; identical requests in other cells (sent once) share it."""
    engine = study.plan.engine
    for i, cell in enumerate(cells):
        study.pending.pop(cell.index, None)
        if i == 0:
            if result is not None:
                study.results[cell.index] = result
            else:
                study.failures[cell.index] = failure or "failed"
            continue
        if result is not None:
            dup = engine.replay(cell.request, cell.model) if result.ok else None
            if dup is None:
                dup = dataclasses.replace(result, cost_usd=0.0)
                engine.budget.record(engine.row(cell.request, result=dup, tier=TIER))
            study.results[cell.index] = dup
        else:
            engine.record_failure(cell.request, cell.model, error=failure or "failed", tier=TIER)
            study.failures[cell.index] = failure or "failed"


def _load_collected(study: Study, row: dict[str, Any]) -> None:
    """Cells of a job collected earlier, from the cache and their ledger rows; writes no row."""
    engine = study.plan.engine
    job = row["name"]
    recorded = {r["key"]: r for r in engine.store.batch_calls(job)}
    study.job_states[job] = row["state"]
    for key, spec in row["cells"].items():
        cells = _cells_of(study, spec)
        if key in recorded:
            _from_row(study, cells, recorded[key], job)
        elif row["completed"] is not None:  # completed, yet this cell has no row: the ledger was edited
            for c in cells:
                study.pending.pop(c.index, None)
                study.failures[c.index] = f"batch job {job} was collected, but this cell has no ledger row"
        # else: another Studio is collecting it right now; the cell stays pending
    if not any(j == job for j in study.pending.values()):
        engine.budget.release(job)


def _from_row(study: Study, cells: list[Cell], row: dict[str, Any], job: str) -> None:
    engine = study.plan.engine
    if not cells:
        return
    first = cells[0]
    result: Result | None = None
    if row["status"] == "ok":
        hit = engine.replay(first.request, first.model, record=False)
        if hit is not None:  # as collected: what was paid, not a cache hit
            result = dataclasses.replace(hit, cost_usd=row["cost_usd"] or 0.0, cached=False,
                                         latency_s=row["latency_s"] or 0.0, attempts=row["attempts"] or 1,
                                         created=row["ts"])
    elif row["status"] != "error":
        req = first.request
        result = Result(
            status=row["status"], model=req.model, backend=req.backend, operation=req.operation, prompt=req.prompt,
            reason=row["reason"], usage={k: int(row[k] or 0) for k in _USAGE_COLUMNS},
            cost_usd=row["cost_usd"] or 0.0, list_cost_usd=row["list_cost_usd"] or 0.0,
            latency_s=row["latency_s"] or 0.0, key=req.key, response_id=row["response_id"], request=req,
            attempts=row["attempts"] or 1, created=row["ts"],
        )
    for c in cells:
        study.pending.pop(c.index, None)
        if result is not None:
            study.results[c.index] = result
        elif row["status"] == "error":
            study.failures[c.index] = row["error"] or f"failed in batch job {job}"
        else:
            study.failures[c.index] = (f"collected from batch job {job}, but its cached answer is no longer in "
                                       f"{str(engine.store.home)!r}")


# -- resume -----------------------------------------------------------------------------------------------
def resume(engine: Engine, job_name: str) -> Study:
    """Rebuild the study ``job_name`` belongs to from ``engine``'s home, then refresh it.

    Raises
    ------
    ConfigError
        The job is not recorded in this home, or was submitted with another backend kind.
    """
    row = engine.store.batch_get(job_name)
    if row is None:
        known = [j["name"] for j in engine.store.batch_list()][-5:]
        raise ConfigError(
            f"No batch job {job_name!r} is recorded in {str(engine.store.home)!r}: resume() works in the home "
            f"that submitted the job (Studio(home=...)). Recent jobs here: {known or 'none'}; studio.batches() "
            f"lists them all."
        )
    if row["backend"] != engine.backend.kind:
        raise ConfigError(
            f"Batch job {job_name!r} was submitted with the {row['backend']!r} backend, but this Studio uses "
            f"{engine.backend.kind!r}. Resume it from a Studio on the same backend (and key)."
        )
    jobs = engine.store.batch_list(study_id=row["study_id"]) if row["study_id"] else [row]
    info: dict[str, Any] = row["study"] or {}
    specs: dict[str, dict[str, Any]] = {}
    for j in jobs:
        specs.update(j["cells"])
    specs.update(info.get("cached") or {})
    recorded_cells = info.get("cells") or [
        {"index": i, "axes": {}, "prompt": spec["prompt"], "key": key, "labels": []}
        for key, spec in specs.items() for i in spec["cells"]
    ]
    cells = []
    for c in sorted(recorded_cells, key=lambda c: c["index"]):
        spec = specs.get(c["key"])
        if spec is None:
            continue
        req = _rebuild(engine, c["key"], spec)
        cells.append(Cell(c["index"], c["axes"], c["prompt"], req, registry.resolve(req.model, warn=False),
                          tuple(c.get("labels") or ())))
    plan = Plan(engine, {k: list(v) for k, v in (info.get("axes") or {}).items()}, cells,
                int(info.get("cached_count") or 0), float(info.get("estimate_usd") or 0.0),
                float(info.get("list_estimate_usd") or 0.0), None, info.get("expected_text"))
    study = Study(plan, study_id=row["study_id"], collector=COLLECTOR)
    for spec in (info.get("cached") or {}).values():  # cache hits at submission: they have their rows already
        for cell in _cells_of(study, spec):
            hit = engine.replay(cell.request, cell.model, record=False)
            if hit is not None:
                study.results[cell.index] = hit
            else:
                study.failures[cell.index] = "replayed from the cache at submission, but the cached answer is gone"
    for index, message in (info.get("failed") or {}).items():
        study.failures[int(index)] = message
    for j in jobs:
        study.job_states[j["name"]] = j["state"]
        for spec in j["cells"].values():
            for cell in _cells_of(study, spec):
                study.pending[cell.index] = j["name"]
    return refresh(study)


def _rebuild(engine: Engine, key: str, spec: dict[str, Any]) -> Request:
    turns = []
    for t in spec["turns"]:
        # an input image that is gone still rebuilds the key, which needs only its hash and MIME
        turns.append(Turn(t["role"], tuple(engine.parts.load(d, missing_ok=True) for d in t["parts"])))
    req = Request(spec["backend"], spec["model"], tuple(turns), Options(**spec["options"]), spec["variant"],
                  spec["operation"])
    if req.key != key:
        raise ConfigError(f"The recorded request {key[:12]}... no longer hashes to its key; the batches table "
                          f"in {str(engine.store.home)!r} was changed by hand.")
    return req


class _Collector:
    """Collects batch-mode studies: ``Study.refresh/wait/cancel`` call it (so the study never imports batch)."""

    def refresh(self, study: Study) -> Study:
        return refresh(study)

    def wait(self, study: Study, *, timeout_s: float | None = None, interval_s: float = 30.0) -> Study:
        return wait(study, timeout_s=timeout_s, interval_s=interval_s)

    def cancel(self, study: Study) -> Study:
        return cancel(study)


COLLECTOR = _Collector()

__all__ = ["STALE_CLAIM_S", "TIER", "cancel", "estimate_usd", "refresh", "resume", "submit", "wait"]
