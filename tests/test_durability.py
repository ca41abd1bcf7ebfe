"""Durability: many processes share one home without losing rows; a killed study resumes from the cache."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import toolkit as tk
from toolkit.store import Store


def _writer(home: str, worker: int, rows: int) -> None:
    import toolkit as tk
    from toolkit.records import CallRow

    store = tk.Store(home)
    for i in range(rows):
        store.add_call(CallRow(ts="2026-11-24T00:00:00", session=f"w{worker}", status="ok", prompt=str(i)))
    studio = tk.Studio(backend="offline", home=home)
    for i in range(2):
        studio.generate(f"shared prompt {i}", image_size="512")  # the same keys from every process


def test_eight_processes_times_200_writes_lose_nothing(home):
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(home), w, 200)) for w in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
    assert [p.exitcode for p in procs] == [0] * 8
    store = Store(home)
    rows = store.calls()
    assert len(rows) == 8 * 200 + 8 * 2
    for w in range(8):
        assert sorted(int(r["prompt"]) for r in rows if r["session"] == f"w{w}") == list(range(200))
    assert len(store.cache_keys()) == 2


STUDY = textwrap.dedent("""
    import sys, toolkit as tk
    studio = tk.Studio(backend="gemini", api_key="k-durable-000000", base_url=sys.argv[1], home=sys.argv[2])
    for i in range(12):
        r = studio.generate(f"study cell {i}", image_size="512")
        print("done", i, r.cached, flush=True)
""")


def test_killed_study_replays_finished_cells_and_pays_only_for_the_rest(home, tmp_path):
    script = tmp_path / "study.py"
    script.write_text(STUDY)
    with tk.FakeGeminiServer(latency_s=0.15) as server:
        proc = subprocess.Popen([sys.executable, str(script), server.base_url, str(home)],
                                stdout=subprocess.PIPE, text=True)
        finished = 0
        deadline = time.monotonic() + 120
        while finished < 5 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("done"):
                finished += 1
        os.kill(proc.pid, signal.SIGKILL)  # mid-run, possibly mid-write
        proc.wait(30)
        assert finished == 5
        first_run_calls = server.call_count
        rerun = subprocess.run([sys.executable, str(script), server.base_url, str(home)],
                               capture_output=True, text=True, timeout=180)
        assert rerun.returncode == 0, rerun.stderr
        second_run_calls = server.call_count - first_run_calls
    lines = [ln.split() for ln in rerun.stdout.splitlines() if ln.startswith("done")]
    assert len(lines) == 12
    replayed = sum(1 for ln in lines if ln[2] == "True")
    assert replayed >= 5  # every cell finished before the kill came back from the cache
    assert second_run_calls == 12 - replayed  # only the rest was paid for
    df = tk.Ledger(Store(home)).df
    assert df["cached"].sum() == replayed
    assert (df.loc[df["cached"], "cost_usd"] == 0).all()


def test_half_written_image_is_never_trusted(studio):
    r = studio.generate("a pier at dawn")
    path = r.paths[0]
    with open(path, "r+b") as f:  # what a crash mid-write (without our rename) would leave
        f.truncate(os.path.getsize(path) // 2)
    again = studio.generate("a pier at dawn")
    assert not again.cached and again.outputs[0].data == r.outputs[0].data
    assert studio.generate("a pier at dawn").cached  # the damaged file was replaced
