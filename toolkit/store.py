"""The home directory: a SQLite ledger and cache index beside content-addressed image files.

Layout of a home (``Studio(home=...)``, else ``$TOOLKIT_HOME``, else :func:`default_home`)::

    ledger.sqlite            calls (one row per call) + cache (request key -> answer) + batches (submitted
                             batch jobs, migration 2); WAL mode
    images/ab/abcdef....png  output images, named by the sha256 of the bytes the provider sent,
                             stored as received plus one metadata chunk (no decode/re-encode)

Several Studios, threads and processes may share one home: SQLite in WAL mode serialises writers
(with a generous busy timeout), image files are written to a temporary name and renamed into place
(atomic on POSIX and Windows), and a cache entry is written only after its images are in place, so a
reader never trusts a half-written file. Schema changes are numbered migrations (``PRAGMA user_version``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from .errors import ConfigError

EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "image/gif": ".gif"}

CALL_COLUMNS = (
    "ts", "session", "backend", "model", "operation", "prompt", "n_inputs", "n_images", "status", "reason",
    "input_tokens", "input_image_tokens", "output_tokens", "output_image_tokens", "thought_tokens",
    "cost_usd", "list_cost_usd", "latency_s", "cached", "key", "response_id", "paths", "error",
    "attempts", "group_id", "variant", "aspect_ratio", "image_size", "seed", "tier", "notebook",
)

MIGRATIONS: tuple[str, ...] = (
    # 1: the ledger and the cache index.
    """
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts TEXT NOT NULL, session TEXT, backend TEXT, model TEXT, operation TEXT, prompt TEXT,
        n_inputs INTEGER, n_images INTEGER, status TEXT, reason TEXT,
        input_tokens INTEGER, input_image_tokens INTEGER, output_tokens INTEGER, output_image_tokens INTEGER,
        thought_tokens INTEGER, cost_usd REAL, list_cost_usd REAL, latency_s REAL, cached INTEGER,
        key TEXT, response_id TEXT, paths TEXT, error TEXT, attempts INTEGER, group_id TEXT, variant INTEGER,
        aspect_ratio TEXT, image_size TEXT, seed INTEGER, tier TEXT
    );
    CREATE INDEX calls_ts ON calls(ts);
    CREATE INDEX calls_session ON calls(session);
    CREATE INDEX calls_key ON calls(key);
    CREATE TABLE cache (
        key TEXT PRIMARY KEY, created TEXT NOT NULL, backend TEXT, model TEXT, entry TEXT NOT NULL
    );
    """,
    # 2: batch jobs (toolkit.batch). One row per submitted job: `cells` maps each request key to what
    # rebuilds its Request, Result and ledger row later (prompt, operation, model, options, variant,
    # n_inputs, the turns with input images by hash, the study's cell indices); `study` holds the study's
    # axes and cells; `collected` is when a Studio claimed the job to collect it, `completed` when it
    # finished. Never a credential.
    """
    CREATE TABLE batches (
        name TEXT PRIMARY KEY, backend TEXT NOT NULL, model TEXT, created TEXT NOT NULL, updated TEXT,
        state TEXT, display_name TEXT, study_id TEXT, session TEXT, request_count INTEGER,
        cells TEXT NOT NULL, study TEXT, collected TEXT, completed TEXT, error TEXT
    );
    CREATE INDEX batches_study ON batches(study_id);
    """,
    # 3: the local record of chat turns (toolkit.chat), every branch and failure included. `parent` is the
    # turn it continued from; `inputs` (JSON list) and `output` (JSON or NULL) are {sha256, mime, path}
    # refs into images/; `interaction_id` is the Interactions API id (NULL on generate_content);
    # `restarted` marks a turn that re-seeded an expired conversation from the last saved image. Never a
    # credential.
    """
    CREATE TABLE chat_turns (
        chat_id TEXT NOT NULL, turn INTEGER NOT NULL, parent INTEGER, created TEXT NOT NULL, api TEXT,
        backend TEXT, model TEXT, prompt TEXT, inputs TEXT NOT NULL, output TEXT, text TEXT, options TEXT,
        status TEXT NOT NULL, reason TEXT, interaction_id TEXT, previous_interaction_id TEXT,
        restarted INTEGER NOT NULL DEFAULT 0, cached INTEGER NOT NULL DEFAULT 0, key TEXT, session TEXT,
        PRIMARY KEY (chat_id, turn)
    );
    CREATE INDEX chat_turns_interaction ON chat_turns(interaction_id);
    """,
    # 4: which notebook made the call (Jupyter's JPY_SESSION_NAME), so a replay pack can select by notebook.
    """
    ALTER TABLE calls ADD COLUMN notebook TEXT;
    CREATE INDEX calls_notebook ON calls(notebook);
    """,
)
BATCH_COLUMNS = (
    "name", "backend", "model", "created", "updated", "state", "display_name", "study_id", "session",
    "request_count", "cells", "study", "collected", "completed", "error",
)
_BATCH_JSON = ("cells", "study")
CHAT_TURN_COLUMNS = (
    "chat_id", "turn", "parent", "created", "api", "backend", "model", "prompt", "inputs", "output", "text",
    "options", "status", "reason", "interaction_id", "previous_interaction_id", "restarted", "cached", "key",
    "session",
)
_CHAT_JSON = ("inputs", "output", "options")


def default_home() -> Path:
    """``$TOOLKIT_HOME``, else ``$XDG_DATA_HOME/flash-image-toolkit``, else ``~/.local/share/flash-image-toolkit``.

    A data directory rather than a cache directory: the ledger is a record of money spent.
    """
    env = os.environ.get("TOOLKIT_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "flash-image-toolkit"


class Store:
    """Ledger rows, cache entries and image files in one home directory."""

    def __init__(self, home: str | os.PathLike | None = None) -> None:
        self.home = Path(home).expanduser() if home is not None else default_home()
        self.images_dir = self.home / "images"
        self.db_path = self.home / "ledger.sqlite"
        try:
            self.images_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(
                f"Cannot create the toolkit home {str(self.home)!r}: {e.strerror}. Pass a writable folder with "
                f"Studio(home=...) or set TOOLKIT_HOME."
            ) from None
        if not os.access(self.home, os.W_OK):
            raise ConfigError(
                f"The toolkit home {str(self.home)!r} is not writable. Pass a writable folder with "
                f"Studio(home=...) or set TOOLKIT_HOME."
            )
        self._lock = threading.Lock()
        self._verified: set[str] = set()  # image hashes this process wrote or checked
        self._conn = self._connect()

    # -- database -------------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.db_path, timeout=60, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=60000")
            self._migrate(conn)
        except sqlite3.DatabaseError as e:
            raise ConfigError(
                f"The ledger database {str(self.db_path)!r} cannot be opened ({e}). It may be corrupted or not a "
                f"SQLite file. Move it aside (the images beside it are safe) and a new ledger will be created, "
                f"or pass another home with Studio(home=...)."
            ) from None
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version >= len(MIGRATIONS):
            return
        conn.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see the new version
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version, len(MIGRATIONS)):
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version={number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @property
    def schema_version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def add_call(self, row: Mapping[str, Any]) -> int:
        """Append one ledger row; unknown keys are an error, missing ones are NULL."""
        extra = set(row) - set(CALL_COLUMNS)
        if extra:
            raise KeyError(f"unknown ledger columns: {sorted(extra)}")
        cols = [c for c in CALL_COLUMNS if c in row]
        values = [json.dumps(row[c]) if c == "paths" else row[c] for c in cols]
        sql = f"INSERT INTO calls ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        with self._tx() as conn:
            return conn.execute(sql, values).lastrowid

    def calls(self, session: str | None = None) -> list[dict[str, Any]]:
        """Ledger rows as dicts, oldest first (``paths`` decoded to a list)."""
        sql = "SELECT * FROM calls" + (" WHERE session = ?" if session else "") + " ORDER BY id"
        return self._call_rows(sql, (session,) if session else ())

    def _call_rows(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._conn.execute(sql, params)
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        for r in rows:
            r["paths"] = json.loads(r["paths"]) if r["paths"] else []
            r["cached"] = bool(r["cached"])
        return rows

    def spent(self, session: str) -> float:
        with self._lock:
            value = self._conn.execute(
                "SELECT COALESCE(SUM(cost_usd), 0) FROM calls WHERE session = ?", (session,)
            ).fetchone()[0]
        return float(value)

    # -- cache ----------------------------------------------------------------------------------------
    def cache_get(self, key: str) -> dict[str, Any] | None:
        """The cached answer for ``key``, or None (also when one of its image files is missing or short)."""
        with self._lock:
            row = self._conn.execute("SELECT entry FROM cache WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        entry = json.loads(row[0])
        # existence only: the replay verifies every image against its hash before trusting it
        if not all((self.home / f["path"]).is_file() for f in entry.get("files", [])):
            return None
        return entry

    def cache_put(self, key: str, backend: str, model: str, entry: Mapping[str, Any], created: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO cache (key, created, backend, model, entry) VALUES (?, ?, ?, ?, ?)",
                (key, created, backend, model, json.dumps(entry)),
            )

    def cache_row(self, key: str) -> dict[str, Any] | None:
        """The raw cache row (key, created, backend, model, entry as JSON text), or None."""
        with self._lock:
            row = self._conn.execute("SELECT key, created, backend, model, entry FROM cache WHERE key = ?",
                                     (key,)).fetchone()
        return None if row is None else dict(zip(("key", "created", "backend", "model", "entry"), row, strict=True))

    def cache_keys(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._conn.execute("SELECT key FROM cache ORDER BY created")]

    # -- batch jobs (migration 2) ---------------------------------------------------------------------
    def batch_add(self, job: Mapping[str, Any]) -> None:
        """Record a submitted batch job (``cells`` and ``study`` are JSON-encoded here)."""
        extra = set(job) - set(BATCH_COLUMNS)
        if extra:
            raise KeyError(f"unknown batch columns: {sorted(extra)}")
        cols = [c for c in BATCH_COLUMNS if c in job]
        values = [json.dumps(job[c]) if c in _BATCH_JSON else job[c] for c in cols]
        with self._tx() as conn:
            conn.execute(f"INSERT INTO batches ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", values)

    def batch_update(self, name: str, **fields: Any) -> None:
        """Change columns of a recorded job (``state``, ``updated``, ``study``, ``completed``, ``error``, ...)."""
        extra = set(fields) - set(BATCH_COLUMNS[1:])
        if extra:
            raise KeyError(f"unknown batch columns: {sorted(extra)}")
        if not fields:
            return
        values = [json.dumps(v) if c in _BATCH_JSON else v for c, v in fields.items()]
        with self._tx() as conn:
            conn.execute(f"UPDATE batches SET {', '.join(f'{c} = ?' for c in fields)} WHERE name = ?",
                         [*values, name])

    def batch_update_study(self, study_id: str, study: Mapping[str, Any]) -> None:
        """Store the final ``study`` JSON on every job of that study."""
        with self._tx() as conn:
            conn.execute("UPDATE batches SET study = ? WHERE study_id = ?", (json.dumps(study), study_id))

    def batch_get(self, name: str) -> dict[str, Any] | None:
        """A recorded job as a dict (``cells`` and ``study`` decoded), or None."""
        rows = self._batch_rows("SELECT * FROM batches WHERE name = ?", (name,))
        return rows[0] if rows else None

    def batch_list(self, study_id: str | None = None) -> list[dict[str, Any]]:
        """Recorded jobs, oldest first (optionally one study's)."""
        if study_id is None:
            return self._batch_rows("SELECT * FROM batches ORDER BY created, rowid", ())
        return self._batch_rows("SELECT * FROM batches WHERE study_id = ? ORDER BY created, rowid", (study_id,))

    def _batch_rows(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._conn.execute(sql, params)
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        for r in rows:
            for c in _BATCH_JSON:
                r[c] = json.loads(r[c]) if r[c] else {}
        return rows

    def batch_claim(self, name: str, now: str, stale_before: str) -> bool:
        """Atomically claim a job for collection; False when another collector holds a fresh claim.

        A claim older than ``stale_before`` on a job never marked ``completed`` (its collector died) can be
        taken over; the new collector skips the cells that already have their ledger row.
        """
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE batches SET collected = ? WHERE name = ? AND completed IS NULL "
                "AND (collected IS NULL OR collected < ?)", (now, name, stale_before),
            )
            return cur.rowcount == 1

    def batch_calls(self, name: str) -> list[dict[str, Any]]:
        """Ledger rows written when collecting job ``name`` (``group_id`` = job name, ``tier`` = batch)."""
        return self._call_rows("SELECT * FROM calls WHERE group_id = ? AND tier = 'batch' ORDER BY id", (name,))

    # -- chat turns (toolkit.chat) --------------------------------------------------------------------
    def add_chat_turn(self, row: Mapping[str, Any]) -> int:
        """Record one chat turn; its ``turn`` index (0, 1, ... per chat) is assigned here and returned."""
        extra = set(row) - set(CHAT_TURN_COLUMNS)
        if extra or "turn" in row:
            raise KeyError(f"unknown or reserved chat_turns columns: {sorted(extra | ({'turn'} & set(row)))}")
        cols = [c for c in CHAT_TURN_COLUMNS if c in row]
        values = [json.dumps(row[c]) if c in _CHAT_JSON else row[c] for c in cols]
        with self._tx() as conn:  # max + 1 inside the write transaction: two writers never share an index
            turn = conn.execute("SELECT COALESCE(MAX(turn) + 1, 0) FROM chat_turns WHERE chat_id = ?",
                                (row["chat_id"],)).fetchone()[0]
            conn.execute(f"INSERT INTO chat_turns (turn, {', '.join(cols)}) VALUES (?, {', '.join('?' * len(cols))})",
                         [turn, *values])
        return int(turn)

    def chat_turns(self, chat_id: str) -> list[dict[str, Any]]:
        """A chat's recorded turns, oldest first (JSON columns decoded, flags as bool)."""
        with self._lock:
            cur = self._conn.execute("SELECT * FROM chat_turns WHERE chat_id = ? ORDER BY turn", (chat_id,))
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        for r in rows:
            for c in _CHAT_JSON:
                r[c] = json.loads(r[c]) if r[c] else None
            r["inputs"] = r["inputs"] or []
            r["restarted"], r["cached"] = bool(r["restarted"]), bool(r["cached"])
        return rows

    def chat_ids(self) -> list[str]:
        """Ids of the chats recorded in this home, most recently active first."""
        with self._lock:
            return [r[0] for r in self._conn.execute(
                "SELECT chat_id FROM chat_turns GROUP BY chat_id ORDER BY MAX(created) DESC")]

    # -- images ---------------------------------------------------------------------------------------
    def image_relpath(self, sha256: str, mime: str) -> str:
        return f"images/{sha256[:2]}/{sha256}{EXTENSIONS.get(mime, '.bin')}"

    def put_image(self, sha256: str, mime: str, data: bytes) -> Path:
        """Write ``data`` under its content address unless an intact copy is there; atomic (temp file + rename).

        ``sha256`` is the hash of the image bytes without our metadata chunk. An existing file whose image
        bytes no longer hash to its name (damaged by a crash or a disk error) is replaced, so the store heals
        itself; an intact one is kept as it is (its metadata describes the request that first produced it).
        """
        path = self.home / self.image_relpath(sha256, mime)
        if sha256 in self._verified and path.exists():
            return path  # written or checked by this process already: skip re-reading a megabyte
        if path.exists() and self._intact(path, sha256, mime):
            self._verified.add(sha256)
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
            self._verified.add(sha256)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise
        return path

    def known_image(self, sha256: str, mime: str) -> Path | None:
        """The stored file when this process already wrote or checked it (and it still exists), else None."""
        path = self.home / self.image_relpath(sha256, mime)
        return path if sha256 in self._verified and path.exists() else None

    def distrust(self, sha256: str) -> None:
        """Forget that an image was checked (a read found it damaged): the next write verifies and heals it."""
        self._verified.discard(sha256)

    @staticmethod
    def _intact(path: Path, sha256: str, mime: str) -> bool:
        from .images import strip_metadata

        try:
            return hashlib.sha256(strip_metadata(path.read_bytes(), mime)).hexdigest() == sha256
        except (OSError, ValueError):
            return False

    def read_image(self, relpath: str) -> bytes:
        return (self.home / relpath).read_bytes()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __repr__(self) -> str:
        return f"Store({str(self.home)!r})"


def new_session_id() -> str:
    return uuid.uuid4().hex[:12]
