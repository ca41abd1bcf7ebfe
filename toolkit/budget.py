"""One Budget per home (or per named seat in it): the cap, what was spent, what is in flight, what is held.

The state lives in the home's SQLite (``budgets``, ``budget_holds`` and the ``sent`` rows of ``calls``) and
every change is one ``BEGIN IMMEDIATE`` transaction, so every Studio, kernel and process on a home shares one
cap: sibling Studios of a cross-backend study, the Playground's backend switch and a second notebook alike.

Write-ahead money
-----------------
Before a paid request leaves, :meth:`Budget.open` checks the cap and writes the call's ledger row as ``sent``
with its estimate in ``reserved_usd`` and this process in ``owner``, in one transaction. When the answer is
back, :meth:`Budget.close` completes the row and moves its actual cost into ``spent``. If the write-ahead row
cannot be written (disk full, damaged ledger), nothing is sent. A process that dies between the two leaves
``sent`` rows; the next Budget opened on the home finds them (:meth:`recover`: their owner's lock is free),
marks them ``interrupted`` and counts their estimate as possibly spent.

What is reserved is derived (the sum of ``reserved_usd`` over ``sent`` rows), never a counter that could
drift; ``spent`` counts since the budget was created or :meth:`Budget.reset`.

>>> budget = studio.budget
>>> budget.cap = 1.5
>>> budget.state()
BudgetState(seat='home', cap=$1.5000, spent=$0.0000, reserved=$0.0000, held=$0.0000, remaining=$1.5000)
>>> budget.cap = None
"""

from __future__ import annotations

import atexit
import datetime as dt
import math
import os
import socket
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import BudgetExceededError, ConfigError, StorageError
from .records import CALL_COLUMNS, CallRow
from .store import Store

DEFAULT_SEAT = "home"
_EPS = 1e-12


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def check_cap(cap: Any, what: str = "budget_usd") -> float | None:
    """A cap in dollars, or None for no cap; NaN, infinite, negative and non-numbers are refused."""
    if cap is None:
        return None
    if isinstance(cap, str):
        try:
            cap = float(cap)
        except ValueError:
            raise ConfigError(f"{what}={cap!r} is not a number of dollars; set it like {what}=2.50, or unset "
                              f"it for no cap.") from None
    if isinstance(cap, bool) or not isinstance(cap, int | float) or not math.isfinite(cap) or cap < 0:
        raise ConfigError(f"{what}={cap!r} must be a finite, non-negative number of dollars (like 2.50), or None "
                          f"for no cap.")
    return float(cap)


@dataclass(frozen=True)
class BudgetState:
    """A snapshot of a budget: the cap (None = no cap), spent, reserved for calls in flight, held for batch jobs."""

    seat: str
    cap: float | None
    spent: float
    reserved: float
    held: float

    @property
    def committed(self) -> float:
        """Spent plus reserved plus held: what a new call's estimate is added to."""
        return self.spent + self.reserved + self.held

    @property
    def remaining(self) -> float | None:
        """What may still be committed under the cap (None without a cap)."""
        return None if self.cap is None else max(0.0, self.cap - self.committed)

    @property
    def fraction(self) -> float | None:
        """Share of the cap committed (None without a cap; 1.0 for a zero cap)."""
        if self.cap is None:
            return None
        return 1.0 if self.cap <= 0 else min(1.0, self.committed / self.cap)

    def __repr__(self) -> str:
        def usd(v: float | None) -> str:
            return "none" if v is None else f"${v:.4f}"

        return (f"BudgetState(seat={self.seat!r}, cap={usd(self.cap)}, spent={usd(self.spent)}, "
                f"reserved={usd(self.reserved)}, held={usd(self.held)}, remaining={usd(self.remaining)})")


class Budget:
    """The money of one home, or of one named seat in it. Get it as ``studio.budget``.

    Parameters
    ----------
    store : Store
        The home.
    seat : str, optional
        A named seat with its own cap inside the home (a workshop seat); default the whole home.
    cap : float, optional
        Set the cap (dollars). None leaves the recorded cap as it is.
    """

    def __init__(self, store: Store, seat: str | None = None, cap: float | None = None) -> None:
        self.store = store
        if seat is not None and (not isinstance(seat, str) or not seat.strip() or len(seat) > 100):
            raise ConfigError(f"seat={seat!r} must be a short non-empty name, like seat='seat-07'.")
        self.seat = seat.strip() if seat else DEFAULT_SEAT
        self.owner = process_owner()
        cap = check_cap(cap)
        with store.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO budgets (seat, cap, spent, created) VALUES (?, NULL, 0, ?)",
                         (self.seat, _now()))
            if cap is not None:
                conn.execute("UPDATE budgets SET cap = ? WHERE seat = ?", (cap, self.seat))

    # -- reading --------------------------------------------------------------------------------------
    def state(self) -> BudgetState:
        """The cap, spent, reserved and held, read now (shared by every process on the home)."""
        return self._state(None)

    def _state(self, conn: sqlite3.Connection | None) -> BudgetState:
        sql = ("SELECT b.cap, b.spent, "
               "(SELECT COALESCE(SUM(reserved_usd), 0) FROM calls WHERE status = 'sent' AND seat = b.seat), "
               "(SELECT COALESCE(SUM(amount), 0) FROM budget_holds WHERE seat = b.seat) "
               "FROM budgets b WHERE b.seat = ?")
        row = conn.execute(sql, (self.seat,)).fetchone() if conn is not None else self.store.query(sql, (self.seat,))[0]
        cap, spent, reserved, held = row
        return BudgetState(self.seat, None if cap is None else float(cap), float(spent), float(reserved), float(held))

    @property
    def cap(self) -> float | None:
        """The cap in dollars (None: no cap). Setting it changes it for every Studio on the home or seat."""
        return self.state().cap

    @cap.setter
    def cap(self, value: float | None) -> None:
        value = check_cap(value, "cap")
        with self.store.transaction() as conn:
            conn.execute("UPDATE budgets SET cap = ? WHERE seat = ?", (value, self.seat))

    @property
    def spent(self) -> float:
        """Spent since the budget was created or reset (interrupted calls count at their estimate)."""
        return self.state().spent

    @property
    def reserved(self) -> float:
        """Estimates of paid calls in flight (``sent`` rows)."""
        return self.state().reserved

    @property
    def held(self) -> float:
        """Estimates held for batch jobs not yet collected."""
        return self.state().held

    @property
    def remaining(self) -> float | None:
        """What may still be committed under the cap (None without a cap)."""
        return self.state().remaining

    def check(self, estimate_usd: float) -> None:
        """Raise :class:`BudgetExceededError` if ``estimate_usd`` more would pass the cap (writes nothing)."""
        self._refusal(self.state(), estimate_usd, raise_it=True)

    def _refusal(self, state: BudgetState, estimate: float, *, raise_it: bool = False) -> BudgetExceededError | None:
        if state.cap is None or estimate <= 0 or state.committed + estimate <= state.cap + _EPS:
            return None
        err = BudgetExceededError(state.committed, estimate, state.cap, self.seat)
        if raise_it:
            raise err
        return err

    # -- writing --------------------------------------------------------------------------------------
    def open(self, rows: Sequence[CallRow], estimates: Sequence[float]) -> list[int]:
        """Write-ahead: check the cap for all ``rows`` at once and write them as ``sent``; returns their ids.

        Refused (the estimates would pass the cap): the rows are written as ``refused`` and
        :class:`BudgetExceededError` is raised. A storage failure raises :class:`~toolkit.errors.StorageError`;
        either way nothing may be sent.
        """
        refused: BudgetExceededError | None = None
        ids: list[int] = []
        with self.store.transaction() as conn:
            refused = self._refusal(self._state(conn), float(sum(estimates)))
            for row, estimate in zip(rows, estimates, strict=True):
                if refused is not None:
                    done = replace(row, status="refused", error=str(refused), attempts=0, seat=self.seat)
                else:
                    done = replace(row, status="sent", reserved_usd=estimate, owner=self.owner, seat=self.seat)
                ids.append(self.store.insert_call(conn, done))
        if refused is not None:
            raise refused
        return ids

    def close(self, conn: sqlite3.Connection, row_id: int, row: CallRow) -> None:
        """Complete a ``sent`` row with its outcome inside ``conn``'s transaction; its cost becomes spent."""
        fields = {name: getattr(row, name) for name in CALL_COLUMNS if name not in ("reserved_usd", "owner", "seat")}
        self.store.update_call(conn, row_id, **fields)  # encoded there (once: paths as a JSON list)
        self._spend(conn, row.cost_usd)

    def add(self, conn: sqlite3.Connection, row: CallRow) -> int:
        """Write a complete row (no reservation: a cache hit, a free backend, a collected batch answer)."""
        row_id = self.store.insert_call(conn, replace(row, seat=self.seat))
        self._spend(conn, row.cost_usd)
        return row_id

    def record(self, row: CallRow) -> int:
        """:meth:`add` in its own transaction."""
        with self.store.transaction() as conn:
            return self.add(conn, row)

    def _spend(self, conn: sqlite3.Connection, cost: float) -> None:
        if cost:
            conn.execute("UPDATE budgets SET spent = spent + ? WHERE seat = ?", (cost, self.seat))

    def hold(self, job: str, amount: float) -> None:
        """Hold ``amount`` against the cap until :meth:`release` (a submitted batch job's estimate)."""
        with self.store.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO budget_holds (job, seat, amount, created) VALUES (?, ?, ?, ?)",
                         (job, self.seat, float(amount), _now()))

    def release(self, job: str) -> float:
        """Drop the hold of ``job`` (collected, cancelled or gone); returns what was held (0 if nothing)."""
        with self.store.transaction() as conn:
            row = conn.execute("SELECT amount FROM budget_holds WHERE job = ?", (job,)).fetchone()
            conn.execute("DELETE FROM budget_holds WHERE job = ?", (job,))
        return float(row[0]) if row else 0.0

    def reset(self) -> None:
        """Start counting spend from $0 again (the ledger keeps every row; the cap is unchanged)."""
        with self.store.transaction() as conn:
            conn.execute("UPDATE budgets SET spent = 0, reset = ? WHERE seat = ?", (_now(), self.seat))

    def withdraw(self, row_id: int) -> None:
        """Remove a ``sent`` row whose request the provider answered without carrying out or billing it."""
        with suppress(StorageError), self.store.transaction() as conn:
            conn.execute("DELETE FROM calls WHERE id = ? AND status = 'sent'", (row_id,))

    def interrupt(self, row_id: int, why: str) -> None:
        """Mark one ``sent`` row ``interrupted`` (cancelled in flight): its estimate counts as possibly spent.

        A storage failure here is swallowed: the row stays ``sent`` and the next Budget on the home recovers it.
        """
        with suppress(StorageError), self.store.transaction() as conn:
            self._interrupt(conn, "id = ?", (row_id,), why)

    def recover(self) -> int:
        """Mark ``sent`` rows of processes that died as ``interrupted``; returns how many.

        Their estimate is counted as possibly spent (the provider may have billed them), and the row says so.
        """
        owners = [r[0] for r in self.store.query("SELECT DISTINCT owner FROM calls WHERE status = 'sent'")]
        dead = [o for o in owners if o and o != self.owner and not owner_alive(o)]
        count = 0
        for owner in dead:
            with self.store.transaction() as conn:
                count += self._interrupt(conn, "owner = ?", (owner,),
                                         "interrupted: the process that sent this request ended before its answer "
                                         "was recorded; the provider may have billed it, so its estimate counts "
                                         "as spent")
            _forget_owner(owner)
        return count

    @staticmethod
    def _interrupt(conn: sqlite3.Connection, where: str, params: tuple[Any, ...], why: str) -> int:
        rows = conn.execute(f"SELECT id, seat, reserved_usd FROM calls WHERE status = 'sent' AND {where}",
                            params).fetchall()
        for row_id, seat, reserved in rows:
            conn.execute("UPDATE calls SET status = 'interrupted', cost_usd = ?, error = ? WHERE id = ?",
                         (reserved, why, row_id))
            conn.execute("UPDATE budgets SET spent = spent + ? WHERE seat = ?", (reserved, seat))
        return len(rows)

    def __repr__(self) -> str:
        return f"Budget({self.state()!r})"


# -- which process owns a sent row ----------------------------------------------------------------------------
# Each process holds an exclusive lock on <tmp>/flash-image-toolkit-owners/<owner>.lock for as long as it lives;
# the OS drops the lock when the process dies (SIGKILL included), so "the lock can be taken" means "the owner is
# gone", with no pid-reuse guesswork. One file per process, whatever the number of homes. Where there is no
# fcntl (Windows), or for another host sharing the folder, owners are treated as alive: nothing is marked
# interrupted automatically there.
_OWNER: tuple[int, str, Any] | None = None
_OWNER_LOCK = threading.Lock()


def _owners_dir() -> Path:
    return Path(tempfile.gettempdir()) / "flash-image-toolkit-owners"


def process_owner() -> str:
    """This process's owner token (created, and its lock taken, on first use; renewed after a fork)."""
    global _OWNER
    with _OWNER_LOCK:
        if _OWNER is not None and _OWNER[0] == os.getpid():
            return _OWNER[1]
        token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        fd: int | None = None
        try:
            import fcntl

            _owners_dir().mkdir(mode=0o1777, parents=True, exist_ok=True)
            # a raw descriptor, held (with its lock) for the life of the process
            fd = os.open(_owners_dir() / f"{_safe(token)}.lock", os.O_WRONLY | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            atexit.register(_forget_owner, token)  # a clean exit leaves no lock file behind
        except (ImportError, OSError):
            pass
        _OWNER = (os.getpid(), token, fd)
        return token


def owner_alive(owner: str) -> bool:
    """False when ``owner``'s process is known to have ended (its lock on this host can be taken)."""
    if owner.split(":")[0] != socket.gethostname():
        return True  # another machine sharing the folder: we cannot tell
    try:
        import fcntl
    except ImportError:
        return True
    path = _owners_dir() / f"{_safe(owner)}.lock"
    if not path.exists():
        return False
    try:
        with open(path, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(f, fcntl.LOCK_UN)
    except OSError:
        return True
    return False


def _forget_owner(owner: str) -> None:
    with suppress(OSError):
        (_owners_dir() / f"{_safe(owner)}.lock").unlink()


def _safe(token: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in token)
