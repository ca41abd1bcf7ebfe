"""Batch mode: compare(..., mode="batch"), Study.refresh, Studio.resume, through the real SDK and the fake.

One fake per module answering with a small static PNG (fast); each test gets a fresh home, a reset fake and
the fake's default batch timing (a job finishes on its second poll).
"""

from __future__ import annotations

import http.client
import io
import json
import sqlite3

import matplotlib
import pytest
from PIL import Image

matplotlib.use("Agg")

import toolkit as tk
from toolkit import batch
from toolkit.backends import offline
from toolkit.backends.gemini import GeminiBackend
from toolkit.records import BatchJobRow
from toolkit.runner import run
from toolkit.store import MIGRATIONS, Store
from toolkit.testing import FakeGeminiServer

KEY = "test-key-batch-7f3a9c"
M3 = "gemini-3.1-flash-image"
PRO = "gemini-3-pro-image"
XS = ["cat", "dog", "owl"]


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (30, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def fake():
    with FakeGeminiServer(api_key=KEY, static_image=_png()) as server:
        yield server


@pytest.fixture()
def server(fake):
    fake.reset()
    fake.batch_polls_until_done, fake.batch_seconds_until_done = 2, None
    fake.batch_inline_limit_bytes = 20 * 1024 * 1024
    yield fake
    fake.reset()


def make(server: FakeGeminiServer, home, **kw) -> tk.Studio:
    return tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home,
                     retry=tk.RetryPolicy(attempts=2, initial_delay_s=0.01, max_delay_s=0.02), **kw)


def study_of(studio: tk.Studio, mode: str = "batch", xs=XS, **kw):
    return studio.compare("a {x}", x=list(xs), image_size="512", mode=mode, progress=False, **kw)


def collect(study, polls: int = 5):
    for _ in range(polls):
        if study.refresh().done:
            return study
    raise AssertionError(f"still pending after {polls} refreshes: {study.jobs}")


# -- the main path ----------------------------------------------------------------------------------------
def test_inline_batch_pending_then_collected_into_cache_and_ledger_at_half_price(server, home):
    studio = make(server, home)
    study = study_of(studio)
    (job,) = study.jobs
    assert study.jobs == {job: "JOB_STATE_PENDING"} and not study.done
    assert (study.df["status"] == "pending").all() and study.df["reason"].str.contains(job).all()
    assert "3 pending in 1 batch job(s)" in repr(study)
    (fake_job,) = server.batches
    assert fake_job.name == job and fake_job.source == "inline" and fake_job.model == M3
    assert set(fake_job.keys) == {c.request.key for c in study.cells}  # answers map back to cache keys
    assert server.call_count == 0 and len(studio.ledger) == 0  # nothing answered, nothing recorded yet
    assert "pending" in study.to_html(home / "pending.html").read_text()
    assert not [ax for ax in study.grid().axes if ax.images]  # grey placeholders until collected

    assert study.refresh().jobs == {job: "JOB_STATE_RUNNING"} and not study.done
    assert study.refresh().done and study.jobs == {job: "JOB_STATE_SUCCEEDED"}
    df = study.df
    assert (df["status"] == "ok").all() and not df["cached"].any() and df["path"].notna().all()
    assert study.result(x="owl").image.size == (32, 32)

    ledger = studio.ledger.df
    assert len(ledger) == 3 and (ledger["tier"] == "batch").all() and (ledger["group_id"] == job).all()
    assert (ledger["status"] == "ok").all() and not ledger["cached"].any()
    assert ledger["cost_usd"].to_numpy() == pytest.approx(0.5 * ledger["list_cost_usd"].to_numpy())
    assert ledger["list_cost_usd"].iloc[0] == pytest.approx(0.0453, abs=0.002)  # 747 image tokens at $60/M
    assert study.spent_usd == pytest.approx(ledger["cost_usd"].sum()) == pytest.approx(studio.spent_usd)
    assert studio.budget.held == pytest.approx(0.0) == studio.budget.reserved  # the hold on the budget is released on collection

    for _ in range(3):  # idempotent: no second collection, no duplicate rows
        study.refresh()
    assert len(studio.ledger) == 3 and study.done

    # the same study in sync mode replays entirely from the cache: no server call, $0
    again = study_of(studio, mode="sync")
    assert server.call_count == 0 and again.df["cached"].all() and again.spent_usd == 0
    assert len(studio.ledger) == 6
    batch_paths = sorted(df["path"])
    assert sorted(again.df["path"]) == batch_paths


def test_jsonl_file_path_when_over_the_inline_threshold(server, home):
    studio = make(server, home)
    studio.backend.batch_inline_limit_bytes = 1  # force the Files API path
    study = study_of(studio)
    (fake_job,) = server.batches
    assert fake_job.source == "file" and fake_job.input_file in server.files
    uploaded = server.files[fake_job.input_file]
    assert uploaded.mime_type == "application/jsonl" and uploaded.data.count(b"\n") == 3
    assert KEY.encode() not in uploaded.data
    collect(study)
    assert (study.df["status"] == "ok").all()
    actions = [r.action for r in server.requests]
    assert actions[:3] == ["files.create", "files.upload", "batchGenerateContent"]
    assert "files.download" in actions  # the responses came back as a JSONL file
    assert (studio.ledger.df["tier"] == "batch").all() and len(studio.ledger) == 3


def test_mixed_outcomes_per_request(server, home):
    studio = make(server, home)
    server.enqueue("ok", "image_safety", "503", "text_only")
    study = study_of(studio, xs=["a", "b", "c", "d"])
    collect(study)
    df = study.df
    assert df["status"].tolist() == ["ok", "blocked", "failed", "no_image"]
    blocked = study.result(x="b")
    # wire JSON keeps finishMessage (the SDK's typed objects drop it)
    assert blocked.reason.startswith("IMAGE_SAFETY: Unable to show the generated image")
    assert "503 UNAVAILABLE" in df.loc[2, "error"] and "not retried" in df.loc[2, "error"]
    ledger = studio.ledger.df
    assert ledger["status"].tolist() == ["ok", "blocked", "error", "no_image"]
    assert (ledger["tier"] == "batch").all() and ledger.loc[ledger["status"] == "error", "cost_usd"].sum() == 0
    # only ok answers were cached: a sync rerun sends exactly the three others
    again = study_of(studio, mode="sync", xs=["a", "b", "c", "d"])
    assert server.call_count == 3 and again.df["cached"].tolist() == [True, False, False, False]


def test_thought_signatures_survive_the_batch_path(home):
    with FakeGeminiServer(api_key=KEY, batch_polls_until_done=1) as sim:  # the simulator: signed parts
        studio = make(sim, home)
        study = collect(studio.compare("a lighthouse", image_size="512", mode="batch", progress=False))
        r = study.results[0]
        assert r.ok and r.model_turn is not None
        signed = [p for p in r.model_turn.parts if p.thought_signature and not p.thought]
        assert signed  # the final image (and first text part) keep their signature for a chat
        replay = studio.generate("a lighthouse", image_size="512")
        assert replay.cached and replay.model_turn == r.model_turn


def test_cells_already_cached_replay_at_submission(server, home):
    studio = make(server, home)
    study_of(studio, mode="sync", xs=["cat", "dog"])
    calls = server.call_count
    study = study_of(studio, xs=["cat", "dog", "owl", "emu"])
    assert server.call_count == calls
    df = study.df
    assert df["status"].tolist() == ["ok", "ok", "pending", "pending"] and df["cached"].tolist()[:2] == [True, True]
    assert len(server.batches[0].keys) == 2
    collect(study)
    assert (study.df["status"] == "ok").all() and len(studio.ledger) == 2 + 2 + 2


def test_identical_cells_are_sent_once(server, home):
    studio = make(server, home)
    study = studio.compare("a {x}", x=["cat", "cat"], image_size="512", mode="batch", progress=False)
    assert len(server.batches[0].keys) == 1
    collect(study)
    assert (study.df["status"] == "ok").all()
    ledger = studio.ledger.df
    assert len(ledger) == 2 and ledger["cost_usd"].gt(0).sum() == 1  # one paid answer, one replay


def test_one_job_per_model(server, home):
    studio = make(server, home)
    study = studio.compare("a {x}", x=["cat", "dog"], model=[M3, PRO], image_size="1K", mode="batch",
                           progress=False)
    assert len(study.jobs) == 2 and {b.model for b in server.batches} == {M3, PRO}
    study.wait(timeout_s=5, interval_s=0.01)
    assert study.done
    assert (study.df["status"] == "ok").all() and len(studio.ledger) == 4
    assert set(studio.batches()["model"]) == {M3, PRO}


# -- resume -----------------------------------------------------------------------------------------------
def test_resume_from_a_new_studio_collects_once(server, home):
    first = make(server, home)
    study = study_of(first)
    (job,) = study.jobs
    del first  # a new session, as in a new process: only the home is shared

    second = make(server, home)
    resumed = second.resume(job)  # poll 1: running
    assert not resumed.done and (resumed.df["status"] == "pending").all()
    assert [c.prompt for c in resumed.cells] == [f"a {x}" for x in XS]
    assert resumed.axes == {"x": XS}
    resumed.refresh()
    assert resumed.done and (resumed.df["status"] == "ok").all()
    rows = second.ledger.df
    assert len(rows) == 3 and (rows["session"] == second.session).all() and (rows["tier"] == "batch").all()
    assert [c.request.key for c in resumed.cells] == [c.request.key for c in study.cells]

    # the original study, refreshed later, sees the job collected elsewhere: no new rows, same answers
    study.refresh()
    assert study.done and (study.df["status"] == "ok").all() and len(second.ledger) == 3
    assert study.df["cost_usd"].tolist() == resumed.df["cost_usd"].tolist()

    # resuming a collected job again rebuilds it from the cache and the ledger, writing nothing
    third = make(server, home)
    polls = server.batches[0].polls
    again = third.resume(job)
    assert again.done and len(third.ledger) == 3 and server.batches[0].polls == polls
    assert again.df[["status", "cost_usd", "cached"]].equals(resumed.df[["status", "cost_usd", "cached"]])
    # the grid and gallery work on a rebuilt study
    assert again.grid() is not None

    db = (home / "ledger.sqlite").read_bytes()
    assert KEY.encode() not in db  # the key is never stored, batches table included


def test_resume_rebuilds_requests_with_their_input_images(server, home):
    studio = make(server, home)
    studio.backend.batch_inline_limit_bytes = 1  # the JSONL path carries the images too
    cat = tk.sample("cat")
    study = studio.compare("make it {style}", style=["sepia", "blurry"], images=[cat], image_size="512",
                           mode="batch", progress=False)
    resumed = make(server, home).resume(next(iter(study.jobs)))
    for old, new in zip(study.cells, resumed.cells, strict=True):
        assert new.request.key == old.request.key and new.request.operation == "compare"
        assert new.request.input_images[0].data == old.request.input_images[0].data
    collect(resumed)
    assert (resumed.df["status"] == "ok").all()
    assert (studio.ledger.df["n_inputs"] == 1).all()


def test_resume_mistakes_are_explained(server, home):
    studio = make(server, home)
    with pytest.raises(tk.ConfigError, match="No batch job"):
        studio.resume("batches/nope")
    study = study_of(studio)
    with pytest.raises(tk.ConfigError, match="gemini"):
        tk.Studio(backend="offline", home=home).resume(next(iter(study.jobs)))


def test_resume_includes_cells_that_were_cache_hits_at_submission(server, home):
    studio = make(server, home)
    study_of(studio, mode="sync", xs=["cat"])
    study = study_of(studio, xs=["cat", "dog"])
    rows = len(studio.ledger)
    resumed = make(server, home).resume(next(iter(study.jobs)))
    assert [c.index for c in resumed.cells] == [0, 1] and resumed.df.loc[0, "cached"]
    collect(resumed)
    assert (resumed.df["status"] == "ok").all() and len(studio.ledger) == rows + 1


# -- jobs that end badly ----------------------------------------------------------------------------------
def test_cancelled_job_fails_its_cells(server, home):
    server.batch_polls_until_done = 100
    studio = make(server, home)
    study = study_of(studio)
    (job,) = study.jobs
    study.cancel()
    assert study.done and study.jobs == {job: "JOB_STATE_CANCELLED"} and server.batches[0].state == (
        "BATCH_STATE_CANCELLED")
    df = study.df
    assert (df["status"] == "failed").all() and df["error"].str.contains("ended JOB_STATE_CANCELLED").all()
    ledger = studio.ledger.df
    assert len(ledger) == 3 and (ledger["status"] == "error").all() and ledger["cost_usd"].sum() == 0
    assert studio.budget.held == pytest.approx(0.0)
    study.refresh()
    assert len(studio.ledger) == 3


@pytest.mark.parametrize(("state", "message", "expected"), [
    ("EXPIRED", None, "ended JOB_STATE_EXPIRED"),
    ("FAILED", "quota exhausted for batch", "ended JOB_STATE_FAILED: quota exhausted for batch"),
])
def test_failed_or_expired_job(server, home, state, message, expected):
    studio = make(server, home)
    study = study_of(studio, xs=["cat"])
    server.set_batch_state(next(iter(study.jobs)), state, message)
    study.refresh()
    assert study.done and expected in study.df.loc[0, "error"]
    assert studio.ledger.df["status"].tolist() == ["error"]


def test_a_job_the_provider_forgot_ends_not_found(server, home):
    studio = make(server, home)
    study = study_of(studio, xs=["cat"])
    server.reset()  # the provider deleted the job
    study.refresh()
    assert study.done and study.jobs == {next(iter(study.jobs)): "JOB_STATE_NOT_FOUND"}
    assert "JOB_STATE_NOT_FOUND" in study.df.loc[0, "error"]


def test_a_refused_submission_fails_the_cells_with_the_reason(server, home):
    server.batch_inline_limit_bytes = 100  # the provider refuses the body; we still think it fits inline
    studio = make(server, home)
    study = study_of(studio)
    assert study.done and study.jobs == {} and server.batches == []
    assert study.df["error"].str.contains("payload size exceeds").all()
    ledger = studio.ledger.df
    assert (ledger["status"] == "error").all() and (ledger["tier"] == "batch").all()


def test_typed_sdk_fallback_parses_answers_but_loses_finish_message(server, home):
    studio = make(server, home)
    assert isinstance(studio.backend, GeminiBackend)
    studio.backend.raw_batch_json = False
    server.enqueue("ok", "image_safety")
    study = collect(study_of(studio, xs=["a", "b"]))
    assert study.df["status"].tolist() == ["ok", "blocked"]
    assert study.result(x="b").reason == "IMAGE_SAFETY"  # the refusal text is gone on this path
    ok = study.result(x="a")
    assert ok.image is not None and any(p.thought_signature for p in ok.model_turn.parts if not p.thought)


# -- budget -----------------------------------------------------------------------------------------------
def test_budget_refusal_uses_batch_prices(server, home):
    xs = list("abcdef")  # 6 x $0.067 at 1K: $0.40 at list price, $0.20 in a batch
    sync = make(server, home, budget_usd=0.25)
    with pytest.raises(tk.BudgetExceededError):
        sync.compare("a {x}", x=xs, progress=False)
    too_small = make(server, home, budget_usd=0.15)
    with pytest.raises(tk.BudgetExceededError, match=r"estimated at \$0\.20"):
        too_small.compare("a {x}", x=xs, mode="batch", progress=False)
    assert server.batches == [] and len(too_small.ledger) == 0

    studio = make(server, home, budget_usd=0.25)
    study = studio.compare("a {x}", x=xs, mode="batch", progress=False)
    assert len(study.jobs) == 1 and studio.budget.held == pytest.approx(0.20, abs=0.01)
    with pytest.raises(tk.BudgetExceededError):  # the pending job holds its estimate against the cap
        studio.generate("one more", image_size="1K")
    collect(study)
    assert studio.budget.held == pytest.approx(0.0) and 0.19 < studio.spent_usd < 0.21


# -- offline ----------------------------------------------------------------------------------------------
def test_offline_batch_flow(studio):
    study = studio.compare("a {x} at noon", x=["cat", "boat"], image_size="512", mode="batch", progress=False)
    (job,) = study.jobs
    assert job.startswith("offline-batches/") and (study.df["status"] == "pending").all()
    study.refresh()  # the simulated job completes on its first poll
    assert study.done and study.jobs[job] == "JOB_STATE_SUCCEEDED" and (study.df["status"] == "ok").all()
    ledger = studio.ledger.df
    assert (ledger["tier"] == "batch").all() and ledger["cost_usd"].sum() == 0 and ledger["list_cost_usd"].gt(0).all()
    again = tk.Studio(backend="offline", home=studio.store.home).resume(job)
    assert again.done and len(studio.ledger) == 2
    sync = studio.compare("a {x} at noon", x=["cat", "boat"], image_size="512", progress=False)
    assert sync.df["cached"].all()


def test_offline_job_of_another_process_is_not_found(studio):
    study = studio.compare("a {x}", x=["cat"], image_size="512", mode="batch", progress=False)
    (job,) = study.jobs
    offline.forget_batch_job(job)  # as if this were another process
    resumed = tk.Studio(backend="offline", home=studio.store.home).resume(job)
    assert resumed.done and "JOB_STATE_NOT_FOUND" in resumed.df.loc[0, "error"]


def test_cancel_and_mode_mistakes_offline(studio):
    study = studio.compare("a {x}", x=["cat", "dog"], image_size="512", mode="batch", progress=False)
    study.cancel()
    assert study.done and (study.df["status"] == "failed").all()
    with pytest.raises(tk.OptionError, match="mode="):
        studio.compare("a cat", mode="later")
    sync = studio.compare("a cat", image_size="512", progress=False)
    assert sync.done and sync.jobs == {} and sync.refresh() is sync


# -- store ------------------------------------------------------------------------------------------------
def test_migration_2_upgrades_a_version_1_home(tmp_path):
    db = tmp_path / "ledger.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript(MIGRATIONS[0] + "; PRAGMA user_version=1;")
    conn.execute("INSERT INTO calls (ts, status, tier) VALUES ('2026-01-01T00:00:00+00:00', 'ok', 'standard')")
    conn.commit()
    conn.close()
    store = Store(tmp_path)
    assert store.schema_version == len(MIGRATIONS) >= 2  # later migrations may follow
    assert len(store.calls()) == 1 and store.batch_list() == []
    store.batch_add(BatchJobRow(name="batches/x", backend="gemini", model=M3, created="t", cells={"k": {}}))
    assert store.batch_get("batches/x")["cells"] == {"k": {}}
    assert store.batch_claim("batches/x", "t2", "t0") and not store.batch_claim("batches/x", "t3", "t0")
    assert batch.TIER == "batch"


def test_answers_without_an_echoed_key_map_by_position(server):
    body = {"batch": {"inputConfig": {"requests": {"requests": [
        {"request": {"contents": [{"parts": [{"text": "a cat"}]}]}}]}}}}  # no metadata.key
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    conn.request("POST", f"/v1beta/models/{M3}:batchGenerateContent", json.dumps(body),
                 {"x-goog-api-key": KEY, "Content-Type": "application/json"})
    name = json.loads(conn.getresponse().read())["name"]
    conn.close()
    server.batch_polls_until_done = 1
    status = run(GeminiBackend(KEY, base_url=server.base_url).poll_batch(name))
    assert status.done and status.succeeded and list(status.results) == ["#0"]
    assert status.results["#0"].status == "ok" and status.elapsed_s is not None


def test_a_service_tier_is_refused_in_batch_mode_before_anything_is_sent(server, home):
    studio = make(server, home)
    with pytest.raises(tk.OptionError, match="service_tier='flex' cannot be combined with batch mode"):
        study_of(studio, service_tier="flex")
    assert server.batches == [] and server.requests == [] and len(studio.ledger) == 0
