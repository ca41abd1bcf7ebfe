"""The room: one SQLite file holding the seats (token hashes, caps), the ledger, the settings and the cache
index; cached reply bodies are files in ``<room>.cache/`` beside it (0700 folder, 0600 files, named by request
key), so a megabyte reply never sits in the database's write path.

Every change of money is one ``BEGIN IMMEDIATE`` transaction, so concurrent calls (and several gateway
processes on one file) can never pass a cap together. What a seat has reserved is derived from the ledger's
``sent`` rows, never a counter that could drift. The file is made 0600 (its WAL files too), and holds no
token, only hashes, and never the upstream key.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .. import registry
from ..errors import ConfigError, StorageError
from ..store import FILE_MODE, private_dir, private_sqlite, restrict
from .tokens import INSTRUCTOR_PREFIX, SEAT_PREFIX, matches, new_token, token_hash

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seats (
    seat TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, cap_usd REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, seat TEXT NOT NULL, model TEXT NOT NULL,
    action TEXT NOT NULL, status TEXT NOT NULL, http_status INTEGER, estimate_usd REAL NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0, saved_usd REAL NOT NULL DEFAULT 0, input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0, latency_s REAL, cached INTEGER NOT NULL DEFAULT 0,
    request_key TEXT, message TEXT);
CREATE INDEX IF NOT EXISTS calls_seat_status ON calls (seat, status);
CREATE TABLE IF NOT EXISTS cache (
    request_key TEXT PRIMARY KEY, model TEXT NOT NULL, content_type TEXT NOT NULL, size INTEGER NOT NULL,
    cost_usd REAL NOT NULL, created REAL NOT NULL);
"""

#: Ledger statuses: ``sent`` (in flight, its estimate reserved), ``ok``, ``error`` (upstream or transport),
#: ``refused`` (by the gateway, nothing sent), ``interrupted`` (left ``sent`` by a gateway that stopped).
STATUSES = ("sent", "ok", "error", "refused", "interrupted")
LEDGER_COLUMNS = ("id", "ts", "seat", "model", "action", "status", "http_status", "estimate_usd", "cost_usd",
                  "saved_usd", "input_tokens", "output_tokens", "latency_s", "cached", "message")
WHO_TO_ASK = "Ask your instructor"


def check_cap(value: object, what: str) -> float:
    """A cap in USD: a finite number >= 0, else ConfigError naming the fix."""
    try:
        cap = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{what}={value!r} is not a number of US dollars; pass e.g. 0.50.") from None
    if not math.isfinite(cap) or cap < 0:
        raise ConfigError(f"{what}={value!r}: a cap must be a finite amount of US dollars >= 0, e.g. 0.50.")
    return cap


@dataclass(frozen=True)
class Seat:
    """A seat as the gateway sees it (never its token)."""

    name: str
    cap_usd: float
    revoked: bool


@dataclass(frozen=True)
class Refusal:
    """Why the gateway will not send a call: Google's error shape (code, status, message)."""

    code: int
    status: str
    message: str
    retry_after_s: float | None = None


class Room:
    """A room file: open it with ``Room(path)`` (it must exist; :meth:`create` makes one).

    Parameters
    ----------
    path : path
        The room's SQLite file (``room.db``).
    """

    def __init__(self, path: str | os.PathLike[str], *, _create: bool = False) -> None:
        self.path = Path(path)
        if not _create and not self.path.is_file():
            raise ConfigError(f"no room at {self.path}: create one with `flash-image classroom init {self.path} "
                              f"--seats 30 --budget-per-seat 0.50`.")
        self._lock = threading.RLock()
        try:
            private_sqlite(self.path)
            restrict(self.path, FILE_MODE)
            self._conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(SCHEMA)
        except sqlite3.Error as e:
            raise StorageError(f"cannot open the room file {self.path}: {e}. Check the path and its permissions.") \
                from e
        for suffix in ("-wal", "-shm"):
            restrict(Path(f"{self.path}{suffix}"), FILE_MODE)

    # -- creation ------------------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | os.PathLike[str], *, seats: int | Iterable[str], budget_per_seat: float,
               models: Iterable[str], room_cap: float | None = None) -> tuple[Room, str, dict[str, str]]:
        """A new room: returns ``(room, instructor_token, {seat: token})``; the tokens exist nowhere else."""
        path = Path(path)
        if path.exists():
            raise ConfigError(f"{path} exists already: choose another file, or use `classroom reissue` for a "
                              f"new seat token.")
        names = [f"seat-{i:02d}" for i in range(1, seats + 1)] if isinstance(seats, int) else list(seats)
        if not names or len(set(names)) != len(names):
            raise ConfigError("a room needs at least one seat, each with a distinct name (--seats 30).")
        cap = check_cap(budget_per_seat, "budget_per_seat")
        allowed = sorted({registry.resolve(m, warn=False).id for m in models})
        if not allowed:
            raise ConfigError("a room needs at least one model: --models nano-banana-2,...")
        room = cls(path, _create=True)
        instructor = new_token(INSTRUCTOR_PREFIX)
        tokens = {name: new_token(SEAT_PREFIX) for name in names}

        def write(c: sqlite3.Connection) -> None:
            c.executemany("INSERT INTO settings VALUES (?, ?)", [
                ("instructor_hash", json.dumps(token_hash(instructor))), ("models", json.dumps(allowed)),
                ("room_cap_usd", json.dumps(None if room_cap is None else check_cap(room_cap, "room_cap"))),
                ("paused", "false"), ("created", json.dumps(time.time()))])
            c.executemany("INSERT INTO seats (seat, token_hash, cap_usd) VALUES (?, ?, ?)",
                          [(n, token_hash(t), cap) for n, t in tokens.items()])
        room.tx(write)
        return room, instructor, tokens

    def reissue(self, seat: str) -> str:
        """A new token for ``seat``; the old one stops working at once (and a revoked seat is restored)."""
        token = new_token(SEAT_PREFIX)

        def write(c: sqlite3.Connection) -> None:
            if c.execute("UPDATE seats SET token_hash=?, revoked=0 WHERE seat=?", (token_hash(token), seat)) \
                    .rowcount != 1:
                raise ConfigError(f"no seat {seat!r} in this room; seats are {', '.join(self.seat_names())}.")
        self.tx(write)
        return token

    # -- plumbing ------------------------------------------------------------------------------------------
    def tx(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one ``BEGIN IMMEDIATE`` transaction."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    out = fn(self._conn)
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
                return out
            except sqlite3.Error as e:
                raise StorageError(f"the room file {self.path} could not be written: {e}. Check the disk.") from e

    def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only query."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._conn.close()

    def setting(self, name: str) -> Any:
        rows = self.read("SELECT value FROM settings WHERE name=?", (name,))
        return json.loads(rows[0][0]) if rows else None

    def set_setting(self, name: str, value: Any) -> None:
        self.tx(lambda c: c.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (name, json.dumps(value))))

    # -- who is calling ------------------------------------------------------------------------------------
    @property
    def models(self) -> list[str]:
        """The model ids the room allows."""
        return list(self.setting("models") or [])

    def seat_names(self) -> list[str]:
        return [r[0] for r in self.read("SELECT seat FROM seats ORDER BY seat")]

    def seat_for(self, token: str | None) -> Seat | None:
        """The seat whose token this is (revoked seats included: the caller refuses them), else None."""
        if not token:
            return None
        wanted = token_hash(token)
        rows = self.read("SELECT seat, token_hash, cap_usd, revoked FROM seats WHERE token_hash=?", (wanted,))
        if not rows or not matches(token, rows[0][1]):
            return None
        return Seat(rows[0][0], float(rows[0][2]), bool(rows[0][3]))

    def is_instructor(self, token: str | None) -> bool:
        return matches(token, self.setting("instructor_hash"))

    # -- instructor controls -------------------------------------------------------------------------------
    def set_cap(self, seat: str, cap: float) -> None:
        """Change a seat's cap live (``"*"``: every seat)."""
        value = check_cap(cap, "cap")

        def write(c: sqlite3.Connection) -> None:
            cur = c.execute("UPDATE seats SET cap_usd=?" + ("" if seat == "*" else " WHERE seat=?"),
                            (value,) if seat == "*" else (value, seat))
            if cur.rowcount < 1:
                raise ConfigError(f"no seat {seat!r} in this room.")
        self.tx(write)

    def revoke(self, seat: str, revoked: bool = True) -> None:
        """Refuse (or with ``revoked=False`` allow again) every call from ``seat``."""
        if self.tx(lambda c: c.execute("UPDATE seats SET revoked=? WHERE seat=?", (int(revoked), seat)).rowcount) != 1:
            raise ConfigError(f"no seat {seat!r} in this room.")

    @property
    def room_cap(self) -> float | None:
        cap = self.setting("room_cap_usd")
        return None if cap is None else float(cap)

    @room_cap.setter
    def room_cap(self, value: float | None) -> None:
        self.set_setting("room_cap_usd", None if value is None else check_cap(value, "room_cap"))

    @property
    def paused(self) -> bool:
        return bool(self.setting("paused"))

    @paused.setter
    def paused(self, value: bool) -> None:
        self.set_setting("paused", bool(value))

    # -- money ---------------------------------------------------------------------------------------------
    def reserve(self, seat: str, model: str, action: str, estimate: float, request_key: str | None) -> int | Refusal:
        """Check the seat's and the room's caps and write the call as ``sent`` with its estimate reserved, in
        one transaction; a refusal is written as a ``refused`` row and returned."""
        def check(c: sqlite3.Connection) -> int | Refusal:
            refusal = self._refusal(c, seat, estimate)
            status, message = ("refused", refusal.message) if refusal else ("sent", None)
            cur = c.execute(
                "INSERT INTO calls (ts, seat, model, action, status, http_status, estimate_usd, request_key, message)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), seat, model, action, status, refusal.code if refusal else None, estimate, request_key,
                 message))
            return refusal if refusal else int(cur.lastrowid or 0)
        return self.tx(check)

    def _refusal(self, c: sqlite3.Connection, seat: str, estimate: float) -> Refusal | None:
        paused = c.execute("SELECT value FROM settings WHERE name='paused'").fetchone()
        if paused and json.loads(paused[0]):
            return Refusal(403, "PERMISSION_DENIED", "classroom gateway: the instructor has paused the room; "
                           "nothing was sent and nothing was charged. Wait for the instructor to resume it.")
        row = c.execute("SELECT cap_usd, revoked FROM seats WHERE seat=?", (seat,)).fetchone()
        if row is None or row[1]:
            return Refusal(403, "PERMISSION_DENIED", f"classroom gateway: seat {seat} has been revoked. "
                           f"{WHO_TO_ASK} for a new seat token.")
        cap = float(row[0])
        spent, reserved = _money(c, "seat=?", (seat,))
        if spent + reserved + estimate > cap + 1e-12:
            return Refusal(403, "PERMISSION_DENIED", (
                f"classroom gateway: seat {seat} would pass its budget. Spent ${spent:.4f}"
                f"{f' (+ ${reserved:.4f} in flight)' if reserved else ''}, this call's estimate ${estimate:.4f}, "
                f"cap ${cap:.2f}. Nothing was sent. {WHO_TO_ASK} to raise your cap, or use a cheaper setting "
                f"(a smaller image_size)."))
        room_cap_row = c.execute("SELECT value FROM settings WHERE name='room_cap_usd'").fetchone()
        room_cap = json.loads(room_cap_row[0]) if room_cap_row else None
        if room_cap is not None:
            r_spent, r_reserved = _money(c, "1", ())
            if r_spent + r_reserved + estimate > float(room_cap) + 1e-12:
                return Refusal(403, "PERMISSION_DENIED", (
                    f"classroom gateway: the room's budget is used up (room spent ${r_spent:.4f}, cap "
                    f"${float(room_cap):.2f}; this call's estimate ${estimate:.4f}). Nothing was sent. "
                    f"{WHO_TO_ASK} to raise the room cap."))
        return None

    def finish(self, call_id: int, *, status: str, http_status: int | None, cost: float, input_tokens: int = 0,
               output_tokens: int = 0, latency_s: float | None = None, message: str | None = None) -> None:
        """Complete a ``sent`` row: the actual cost replaces the reserved estimate."""
        self.tx(lambda c: c.execute(
            "UPDATE calls SET status=?, http_status=?, cost_usd=?, input_tokens=?, output_tokens=?, latency_s=?, "
            "message=? WHERE id=? AND status='sent'",
            (status, http_status, cost, input_tokens, output_tokens, latency_s, message, call_id)))

    def record(self, seat: str, model: str, action: str, *, status: str, http_status: int | None,
               cost: float = 0.0, saved: float = 0.0, cached: bool = False, latency_s: float | None = None,
               input_tokens: int = 0, output_tokens: int = 0, message: str | None = None,
               request_key: str | None = None) -> None:
        """One finished row written at once (cache hits, refusals made before any reservation)."""
        self.tx(lambda c: c.execute(
            "INSERT INTO calls (ts, seat, model, action, status, http_status, cost_usd, saved_usd, cached, latency_s,"
            " input_tokens, output_tokens, message, request_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (time.time(), seat, model, action, status, http_status, cost, saved, int(cached), latency_s,
             input_tokens, output_tokens, message, request_key)))

    def recover(self) -> int:
        """Mark rows left ``sent`` by a gateway that stopped as ``interrupted``; their estimate counts as spent."""
        return self.tx(lambda c: c.execute(
            "UPDATE calls SET status='interrupted', cost_usd=estimate_usd, message='the gateway stopped while this "
            "call was in flight; its estimate counts as spent' WHERE status='sent'").rowcount)

    # -- cache ---------------------------------------------------------------------------------------------
    @property
    def cache_dir(self) -> Path:
        return self.path.with_name(self.path.name + ".cache")

    def cached(self, request_key: str) -> tuple[str, bytes, float] | None:
        """``(content_type, body, original cost)`` of a cached answer."""
        rows = self.read("SELECT content_type, size, cost_usd FROM cache WHERE request_key=?", (request_key,))
        if not rows:
            return None
        try:
            body = (self.cache_dir / request_key).read_bytes()
        except OSError:
            return None
        return (rows[0][0], body, float(rows[0][2])) if len(body) == rows[0][1] else None

    def put_cache(self, request_key: str, model: str, content_type: str, body: bytes, cost: float) -> None:
        """Keep an ``ok`` answer: its body as a private file, then its index row (so a row always has a file)."""
        if not all(ch in "0123456789abcdef" for ch in request_key):
            raise ValueError("a request key is a hex digest")
        private_dir(self.cache_dir)
        target = self.cache_dir / request_key
        if not target.exists():
            tmp = self.cache_dir / f".{request_key}.{os.getpid()}.{threading.get_ident()}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            with os.fdopen(fd, "wb") as f:
                f.write(body)
            os.replace(tmp, target)
        self.tx(lambda c: c.execute("INSERT OR IGNORE INTO cache VALUES (?, ?, ?, ?, ?, ?)",
                                    (request_key, model, content_type, len(body), cost, time.time())))

    # -- reports -------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The dashboard's data: each seat's spend against its cap, calls, errors and savings, and the room's."""
        per_seat = {r[0]: r[1:] for r in self.read(
            "SELECT seat, SUM(CASE WHEN status!='sent' THEN cost_usd ELSE 0 END),"
            " SUM(CASE WHEN status='sent' THEN estimate_usd ELSE 0 END), COUNT(*),"
            " SUM(status IN ('error','refused','interrupted')), SUM(cached), SUM(saved_usd)"
            " FROM calls GROUP BY seat")}
        seats = []
        for name, cap, revoked in self.read("SELECT seat, cap_usd, revoked FROM seats ORDER BY seat"):
            spent, reserved, calls, errors, hits, saved = per_seat.get(name, (0, 0, 0, 0, 0, 0))
            seats.append({"seat": name, "cap_usd": cap, "spent_usd": round(spent or 0, 6),
                          "reserved_usd": round(reserved or 0, 6), "calls": calls or 0, "errors": errors or 0,
                          "cache_hits": hits or 0, "saved_usd": round(saved or 0, 6), "revoked": bool(revoked)})
        total = {k: sum(s[k] for s in seats) for k in ("spent_usd", "reserved_usd", "calls", "errors",
                                                         "cache_hits", "saved_usd")}
        total = {k: round(v, 6) if isinstance(v, float) else v for k, v in total.items()}
        return {"room": {**total, "cap_usd": self.room_cap, "paused": self.paused, "models": self.models,
                         "seats": len(seats)}, "seats": seats}

    def ledger_rows(self, since_id: int = 0) -> list[dict[str, Any]]:
        """Every ledger row after ``since_id``, oldest first."""
        rows = self.read(f"SELECT {', '.join(LEDGER_COLUMNS)} FROM calls WHERE id>? ORDER BY id", (since_id,))
        return [dict(zip(LEDGER_COLUMNS, r, strict=True)) for r in rows]


def _money(c: sqlite3.Connection, where: str, params: tuple[Any, ...]) -> tuple[float, float]:
    row = c.execute(f"SELECT SUM(CASE WHEN status!='sent' THEN cost_usd ELSE 0 END),"
                    f" SUM(CASE WHEN status='sent' THEN estimate_usd ELSE 0 END) FROM calls WHERE {where}",
                    params).fetchone()
    return float(row[0] or 0.0), float(row[1] or 0.0)


def write_seats_csv(path: str | os.PathLike[str], tokens: dict[str, str]) -> Path:
    """``seat,token`` rows for printing cards, in a file created 0600 (it holds live tokens)."""
    target = Path(path)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    with os.fdopen(fd, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["seat", "token"])
        writer.writerows(sorted(tokens.items()))
    return target
