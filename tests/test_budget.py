"""One Budget per home: shared caps, write-ahead rows, recovery of interrupted calls, and every bypass closed.

Paid calls go to the loopback Gemini fake through the real google-genai SDK.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

import toolkit as tk
from toolkit.budget import Budget, owner_alive, process_owner

KEY = "budget-test-key-000000"


def gemini(server, home, **kw):
    return tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home, **kw)


@pytest.fixture()
def server():
    with tk.FakeGeminiServer() as s:
        yield s


# -- the Budget itself ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("cap", [math.nan, math.inf, -1.0, "lots", True])
def test_nonsense_caps_are_refused_with_the_fix(home, cap):
    with pytest.raises(tk.ConfigError, match=r"budget_usd=.*(finite, non-negative|not a number)"):
        tk.Studio(backend="offline", home=home, budget_usd=cap)


def test_env_cap_nan_is_refused(home, monkeypatch):
    monkeypatch.setenv("TOOLKIT_BUDGET_USD", "nan")
    with pytest.raises(tk.ConfigError, match="TOOLKIT_BUDGET_USD"):
        tk.Studio(backend="offline", home=home)


def test_budget_is_public_and_shows_cap_spent_reserved_remaining(home):
    studio = tk.Studio(backend="offline", home=home, budget_usd=2.0)
    state = studio.budget.state()
    assert (state.cap, state.spent, state.reserved, state.held, state.remaining) == (2.0, 0.0, 0.0, 0.0, 2.0)
    assert "remaining=$2.0000" in repr(studio.budget)
    studio.budget.cap = 3.0
    assert tk.Studio(backend="offline", home=home).budget_usd == 3.0  # the home's cap, not the object's


def test_seats_have_their_own_caps_inside_one_home(home):
    a = Budget(tk.Store(home), "seat-01", 0.5)
    b = Budget(tk.Store(home), "seat-02", 0.7)
    assert (a.cap, b.cap, Budget(tk.Store(home)).cap) == (0.5, 0.7, None)
    a.hold("job-1", 0.4)
    assert a.held == pytest.approx(0.4) and b.held == 0.0
    with pytest.raises(tk.BudgetExceededError, match="seat 'seat-01'"):
        a.check(0.2)
    assert a.release("job-1") == pytest.approx(0.4) and a.held == 0.0


# -- the bypasses of the issue, each closed ----------------------------------------------------------------
def test_replay_fall_through_is_priced_counted_and_capped(server, tmp_path):
    recorder = gemini(server, tmp_path / "instructor")
    recorder.generate("A lighthouse at dusk", image_size="512")
    pack = tmp_path / "w.pack"
    recorder.export_pack(pack)
    sent_before = server.call_count

    seat = gemini(server, tmp_path / "seat", replay=pack, budget_usd=0.05)
    assert seat.generate("A lighthouse at dusk", image_size="512").cost_usd == 0.0  # replayed
    assert server.call_count == sent_before
    first = seat.generate("A new prompt, not in the pack", image_size="512")  # falls through: paid
    assert first.cost_usd > 0 and seat.budget.spent == pytest.approx(first.cost_usd)
    assert server.call_count == sent_before + 1
    with pytest.raises(tk.BudgetExceededError):
        for i in range(5):
            seat.generate(f"Another new prompt {i}", image_size="512")
    assert seat.budget.spent <= 0.05 + 1e-9
    rows = seat.ledger.df
    assert "refused" in set(rows["status"]) and rows["cost_usd"].sum() == pytest.approx(seat.budget.spent)


def test_sibling_studios_of_a_cross_backend_study_share_one_cap(server, home):
    studio = gemini(server, home, budget_usd=10.0)
    with tk.FakeOpenRouterServer() as openrouter:
        os.environ["OPENROUTER_API_KEY"] = "sk-or-test-000000"
        os.environ["OPENROUTER_BASE_URL"] = openrouter.base_url
        try:
            study = studio.compare("A {animal}", animal=["cat", "owl"], backends=["gemini", "openrouter"],
                                   image_size="1K", progress=False)
        finally:
            del os.environ["OPENROUTER_API_KEY"], os.environ["OPENROUTER_BASE_URL"]
    assert study.spent_usd > 0 and len({c.axes["backend"] for c in study.cells}) == 2
    assert studio.budget.spent == pytest.approx(study.spent_usd)  # every sibling's spend, one Budget
    assert studio.ledger.df["cost_usd"].sum() == pytest.approx(study.spent_usd)


def test_three_studios_on_one_home_stay_within_the_env_cap(server, home, monkeypatch):
    monkeypatch.setenv("TOOLKIT_BUDGET_USD", "0.10")
    studios = [gemini(server, home) for _ in range(3)]
    spent = 0.0
    for i in range(6):
        with contextlib.suppress(tk.BudgetExceededError):
            spent += studios[i % 3].generate(f"prompt {i}", image_size="512").cost_usd
    budget = studios[0].budget
    assert 0 < budget.spent <= 0.10 + 1e-9 and budget.spent == pytest.approx(spent)


CHILD = textwrap.dedent("""
    import sys, toolkit as tk
    studio = tk.Studio(backend="gemini", api_key="budget-test-key-000000", base_url=sys.argv[1], home=sys.argv[2])
    spent = 0.0
    for i in range(8):
        try:
            spent += studio.generate(f"{sys.argv[3]} prompt {i}", image_size="512").cost_usd
        except tk.BudgetExceededError:
            pass
    print(spent)
""")


def test_two_processes_on_one_home_stay_within_the_cap(server, home):
    tk.Studio(backend="offline", home=home, budget_usd=0.12)
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, server.base_url, str(home), name], text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for name in ("a", "b")]
    outs = [p.communicate(timeout=240) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    total = sum(float(o[0].strip()) for o in outs)
    budget = Budget(tk.Store(home))
    assert 0 < budget.spent <= 0.12 + 1e-9 and budget.spent == pytest.approx(total)


FULL_DISK = textwrap.dedent("""
    import resource, signal, sqlite3, sys, toolkit as tk
    studio = tk.Studio(backend="gemini", api_key="budget-test-key-000000", base_url=sys.argv[1], home=sys.argv[2])
    con = sqlite3.connect(studio.store.db_path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # an empty WAL: the next write must grow a file
    con.close()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write that grows a file fails with EFBIG, like a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    try:
        studio.generate("a prompt that must not be sent", image_size="512")
    except tk.StorageError as e:
        print("StorageError:", e)
""")


def test_a_full_disk_sends_nothing(server, home):
    out = subprocess.run([sys.executable, "-c", FULL_DISK, server.base_url, str(home)],
                         capture_output=True, text=True, timeout=120)
    assert "StorageError:" in out.stdout, out.stdout + out.stderr[-2000:]
    assert "Nothing was sent" in out.stdout and "disk space" in out.stdout
    assert server.call_count == 0


def test_a_damaged_ledger_sends_nothing(server, home):
    tk.Studio(backend="offline", home=home).generate("fill the ledger a little")
    db = home / "ledger.sqlite"
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = bytearray(db.read_bytes())
    page = 4096
    data[page + 100: page * 2] = os.urandom(page - 100)  # a damaged b-tree page
    db.write_bytes(bytes(data))
    with pytest.raises(tk.ConfigError, match=r"(?s)damaged or not a SQLite file.*Nothing was sent"):
        gemini(server, home).generate("must not be sent", image_size="512")
    assert server.call_count == 0


KILLED = textwrap.dedent("""
    import sys, toolkit as tk
    studio = tk.Studio(backend="gemini", api_key="budget-test-key-000000", base_url=sys.argv[1], home=sys.argv[2],
                       concurrency=4)
    print("sending", flush=True)
    studio.generate("a slow answer", image_size="512", n=3)
""")


def test_sigkill_in_flight_leaves_sent_rows_the_next_studio_marks_interrupted(server, home):
    for _ in range(3):
        server.enqueue(tk.testing.Outcome.stall(30))
    proc = subprocess.Popen([sys.executable, "-c", KILLED, server.base_url, str(home)], stdout=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 60
    while server.call_count < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.call_count == 3
    rows = tk.Store(home).calls()
    assert [r["status"] for r in rows] == ["sent"] * 3 and all(r["reserved_usd"] > 0 for r in rows)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    later = tk.Studio(backend="offline", home=home)
    assert later.engine.interrupted == 3
    rows = later.ledger.df
    assert list(rows["status"]) == ["interrupted"] * 3
    assert rows["error"].str.contains("may have billed").all()
    assert later.budget.spent == pytest.approx(rows["cost_usd"].sum()) and later.budget.reserved == 0.0
    assert tk.Studio(backend="offline", home=home).engine.interrupted == 0  # once


def test_a_live_process_keeps_its_sent_rows():
    me = process_owner()
    assert owner_alive(me)
    assert not owner_alive(me.rsplit(":", 1)[0] + ":deadbeef")
