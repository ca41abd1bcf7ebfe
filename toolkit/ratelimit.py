"""Client-side rate limiting per model, shared by every kernel that uses the same home.

A workshop sharing one key should not hammer the provider into 429s. Each model gets a limiter that
spaces request *starts* at least ``60 / rpm`` seconds apart and caps how many are in flight. A 429
slows it down: the effective rate halves (down to ``min_rpm``) and every sender pauses for the server's
``retryDelay`` (or ``cooldown_s``); each success then wins back 10% of the configured rate. The limiter
applies to every attempt, retries included.

The state lives in ``ratelimit.sqlite`` in the home (a separate file from the ledger: it is coordination,
not a record), so thirty kernels on one machine share one budget of starts and one pause after a 429.
Start slots are claimed in a short ``BEGIN IMMEDIATE`` transaction; in-flight requests hold leases that
expire on their own (``lease_s``), so a killed kernel cannot block the others for long.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .errors import ConfigError, StorageError
from .store import private_sqlite, restrict_sqlite

T = TypeVar("T")


@dataclass(frozen=True)
class RateLimit:
    """Limits for one model.

    Parameters
    ----------
    rpm : float or None
        Request starts per minute, across every kernel sharing the home; None for no spacing (429s
        still pause senders).
    concurrent : int or None
        Requests in flight at once for this model, across kernels; None for no cap (the Studio's
        ``concurrency`` still applies per Studio).
    min_rpm : float
        The floor that repeated 429s can push the rate down to.
    cooldown_s : float
        Pause after a 429 that carries no ``retryDelay``.
    lease_s : float
        How long an in-flight slot is held at most (covers kernels killed mid-request).

    Examples
    --------
    >>> tk.Studio(rate_limit=tk.RateLimit(rpm=10, concurrent=2))   # doctest: +SKIP
    """

    rpm: float | None = None
    concurrent: int | None = None
    min_rpm: float = 1.0
    cooldown_s: float = 5.0
    lease_s: float = 600.0

    def __post_init__(self) -> None:
        if self.rpm is not None and (isinstance(self.rpm, bool) or not self.rpm > 0):
            raise ConfigError(f"RateLimit(rpm={self.rpm!r}) must be a positive number of requests per minute, or None.")
        if self.concurrent is not None and (not isinstance(self.concurrent, int) or self.concurrent < 1):
            raise ConfigError(f"RateLimit(concurrent={self.concurrent!r}) must be a whole number >= 1, or None.")


_SCHEMA = """
CREATE TABLE IF NOT EXISTS state (model TEXT PRIMARY KEY, next_start REAL NOT NULL DEFAULT 0,
                                  paused_until REAL NOT NULL DEFAULT 0, rpm REAL);
CREATE TABLE IF NOT EXISTS leases (id TEXT PRIMARY KEY, model TEXT NOT NULL, expires REAL NOT NULL);
"""


class _Db:
    """One connection per process to the shared state file (or to memory when there is no home).

    The file is checked when it is opened (``PRAGMA quick_check``): a damaged one is refused with a
    :class:`~toolkit.errors.ConfigError` naming it, before anything is sent. It holds only pacing state, so
    deleting it is always safe. It is created 0600 like the ledger (:func:`toolkit.store.private_sqlite`).
    """

    def __init__(self, path: Path | None) -> None:
        self.lock = threading.Lock()
        self.path = path
        try:
            if path is not None:
                private_sqlite(path)
        except OSError as e:
            raise ConfigError(f"Cannot create the rate-limit state {str(path)!r}: {e.strerror or e}. Free disk "
                              f"space or fix the home's permissions.") from None
        try:
            self.conn = sqlite3.connect(str(path) if path else ":memory:", timeout=30, check_same_thread=False,
                                        isolation_level=None)
            self.conn.execute("PRAGMA busy_timeout=30000")
            if path:
                self.conn.execute("PRAGMA journal_mode=WAL")
                # coordination, not a record: a power cut may lose the last claim, never the file
                self.conn.execute("PRAGMA synchronous=NORMAL")
            check = self.conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check}")
            self.conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as e:
            raise ConfigError(
                f"The rate-limit state {str(path)!r} is damaged or not a SQLite file ({e}). Nothing was sent. "
                f"Delete that file and run again: it holds only the pacing of requests (no calls, no money), "
                f"and a new one is created."
            ) from None
        if path is not None:
            restrict_sqlite(path)  # its -wal and -shm exist now; tightens files an older version left 0644

    def tx(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one ``BEGIN IMMEDIATE`` transaction; a storage failure is a StorageError naming the file.

        When the rollback fails too, the original error is the one raised.
        """
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    out = fn(self.conn)
                    self.conn.execute("COMMIT")
                    return out
                except BaseException:
                    with suppress(sqlite3.Error):  # keep fn's (or COMMIT's) error, not a failed rollback's
                        self.conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as e:
                raise self.error(e) from e

    def read(self, sql: str, params: tuple[object, ...]) -> tuple | None:
        """The first row of a read-only query, outside a transaction."""
        with self.lock:
            try:
                return self.conn.execute(sql, params).fetchone()
            except sqlite3.Error as e:
                raise self.error(e) from e

    def error(self, e: sqlite3.Error) -> StorageError:
        return StorageError(
            f"The rate-limit state {str(self.path)!r} could not be used ({type(e).__name__}: {e}). Free disk "
            f"space; if the file is damaged, delete it (it holds only the pacing of requests)."
        )


class ModelLimiter:
    """The limiter of one model: start spacing, an in-flight cap and 429 pauses, in shared state."""

    def __init__(self, model: str, limit: RateLimit, db: _Db, clock=time.time) -> None:
        self.model = model
        self.limit = limit
        self._db = db
        self.clock = clock
        self.throttled = 0  # 429s seen by this process

        def init(c: sqlite3.Connection) -> None:
            c.execute("INSERT OR IGNORE INTO state (model, rpm) VALUES (?, ?)", (model, limit.rpm))
            # a rate lowered by 429s keeps recovering; a new configuration replaces a higher or missing one
            c.execute("UPDATE state SET rpm = ? WHERE model = ? AND (? IS NULL OR rpm IS NULL OR rpm > ?)",
                      (limit.rpm, model, limit.rpm, limit.rpm))

        db.tx(init)

    @property
    def rpm(self) -> float | None:
        """The effective rate now (lowered by 429s, recovering on success)."""
        row = self._db.tx(lambda c: c.execute("SELECT rpm FROM state WHERE model = ?", (self.model,)).fetchone())
        return row[0] if row else self.limit.rpm

    def _claim(self, lease: str) -> float | None:
        """Claim the next start time and an in-flight lease; None when the in-flight cap is reached."""
        if not self.limit.concurrent and not self.limit.rpm:
            # nothing to claim: only another kernel's 429 pause matters, and a plain read sees it
            row = self._db.read("SELECT paused_until FROM state WHERE model = ?", (self.model,))
            return max(self.clock(), row[0] if row else 0.0)

        def claim(c: sqlite3.Connection) -> float | None:
            now = self.clock()
            if self.limit.concurrent:
                c.execute("DELETE FROM leases WHERE expires < ?", (now,))
                busy = c.execute("SELECT COUNT(*) FROM leases WHERE model = ?", (self.model,)).fetchone()[0]
                if busy >= self.limit.concurrent:
                    return None
            next_start, paused_until, rpm = c.execute(
                "SELECT next_start, paused_until, rpm FROM state WHERE model = ?", (self.model,)).fetchone()
            start = max(now, next_start, paused_until)
            if rpm:
                c.execute("UPDATE state SET next_start = ? WHERE model = ?", (start + 60.0 / rpm, self.model))
            if self.limit.concurrent:
                c.execute("INSERT INTO leases VALUES (?, ?, ?)", (lease, self.model, start + self.limit.lease_s))
            return start

        return self._db.tx(claim)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for an in-flight slot and the next start time; hold the slot while the request runs."""
        lease = uuid.uuid4().hex
        while (start := self._claim(lease)) is None:
            await asyncio.sleep(0.05)  # another kernel's request will finish soon
        try:
            wait = start - self.clock()
            if wait > 0:
                await asyncio.sleep(wait)
            yield
        finally:
            if self.limit.concurrent:
                self._db.tx(lambda c: c.execute("DELETE FROM leases WHERE id = ?", (lease,)))

    def on_throttled(self, retry_after_s: float | None) -> None:
        """A 429 came back: halve the rate and pause every sender (in every kernel)."""
        self.throttled += 1
        pause_until = self.clock() + (retry_after_s if retry_after_s is not None else self.limit.cooldown_s)
        min_rpm = self.limit.min_rpm
        self._db.tx(lambda c: c.execute(
            "UPDATE state SET paused_until = MAX(paused_until, ?), "
            "rpm = CASE WHEN rpm IS NULL THEN NULL ELSE MAX(?, rpm / 2) END WHERE model = ?",
            (pause_until, min_rpm, self.model)))

    def on_success(self) -> None:
        if self.limit.rpm:
            step, cap = self.limit.rpm * 0.1, self.limit.rpm
            self._db.tx(lambda c: c.execute(
                "UPDATE state SET rpm = MIN(?, rpm + ?) WHERE model = ? AND rpm < ?", (cap, step, self.model, cap)))


class RateLimiter:
    """One :class:`ModelLimiter` per model id, created on first use; shared through ``home`` when given."""

    def __init__(self, limit: RateLimit | None = None, per_model: dict[str, RateLimit] | None = None,
                 home: str | os.PathLike | None = None) -> None:
        self.default = limit or RateLimit()
        self.per_model = dict(per_model or {})
        self._db = _Db(Path(home) / "ratelimit.sqlite" if home is not None else None)
        self._limiters: dict[str, ModelLimiter] = {}

    def for_model(self, model: str) -> ModelLimiter:
        lim = self._limiters.get(model)
        if lim is None:
            lim = self._limiters[model] = ModelLimiter(model, self.per_model.get(model, self.default), self._db)
        return lim
