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

The home is private on POSIX, whatever the umask: the folder (when the toolkit creates it), ``images/`` and its
subfolders are 0700, and every file in it is 0600 (images through ``mkstemp``; the SQLite files because they are
created 0600 before SQLite opens them, and SQLite gives its ``-wal`` and ``-shm`` files the mode of the database
file, in every process and however often it recreates them; files left wider by an older version are tightened
when the home is opened).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import stat
import tempfile
import threading
import uuid
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from .errors import ConfigError, StorageError
from .records import (
    BATCH_COLUMNS,
    CALL_COLUMNS,
    IMAGE_EXTENSIONS,
    BatchJobRow,
    CallRow,
    ChatTurnRow,
    decode,
    encode,
    encode_value,
)

EXTENSIONS = IMAGE_EXTENSIONS  # known image MIME type -> file extension (defined with the records)
SHA256 = re.compile(r"[0-9a-f]{64}")
DIR_MODE = 0o700
"""Mode of the folders the toolkit creates in a home (POSIX)."""
FILE_MODE = 0o600
"""Mode of every file in a home (POSIX)."""
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")

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
    # 5: one Budget per home or seat (toolkit.budget), write-ahead call rows and the indexes the ledger's queries
    # need. `budgets` holds each seat's cap and what it spent since the budget was created or reset;
    # `budget_holds` the estimates held for batch jobs until they are collected. A paid call's row is written
    # as `sent` (with `reserved_usd`, the estimate, and `owner`, the process that sent it) before the request
    # leaves; what is reserved is the sum over `sent` rows, so it never drifts from the ledger.
    """
    CREATE TABLE budgets (
        seat TEXT PRIMARY KEY, cap REAL, spent REAL NOT NULL DEFAULT 0, created TEXT NOT NULL, reset TEXT
    );
    CREATE TABLE budget_holds (
        job TEXT PRIMARY KEY, seat TEXT NOT NULL, amount REAL NOT NULL, created TEXT NOT NULL
    );
    ALTER TABLE calls ADD COLUMN seat TEXT;
    ALTER TABLE calls ADD COLUMN reserved_usd REAL NOT NULL DEFAULT 0;
    ALTER TABLE calls ADD COLUMN owner TEXT;
    CREATE INDEX calls_sent ON calls(seat) WHERE status = 'sent';
    CREATE INDEX calls_group ON calls(group_id);
    """,
    # 6: where each cached answer came from. `cache.source` is NULL for an answer recorded in this home and
    # "pack:<name>@<hash>" for one imported from a replay pack; imported answers replay only for Studios that
    # ask for that pack. `calls.source` records it on the cache hits it served.
    """
    ALTER TABLE cache ADD COLUMN source TEXT;
    ALTER TABLE calls ADD COLUMN source TEXT;
    """,
    # 7: how many Google Search queries a grounded call ran (search grounding is billed per query).
    """
    ALTER TABLE calls ADD COLUMN grounding_queries INTEGER NOT NULL DEFAULT 0;
    """,
    # 8: covering indexes for the ledger's two frequent questions, so neither reads the table's rows: the
    # CostMeter's figures for one session (it replaces calls_session, its prefix) and summary()'s GROUP BY
    # backend, model, operation with the latencies in group order (no sort).
    """
    CREATE INDEX calls_session_money ON calls(session, cached, status, cost_usd, list_cost_usd);
    DROP INDEX calls_session;
    CREATE INDEX calls_summary ON calls(backend, model, operation, cached, status, latency_s, n_images, cost_usd,
                                        list_cost_usd);
    """,
    # 9: a paid call's completed row had its `paths` JSON-encoded twice (a JSON string holding the JSON list),
    # so the ledger read it back as one string; decode the outer layer of those rows.
    """
    UPDATE calls SET paths = json_extract(paths, '$') WHERE json_valid(paths) AND json_type(paths) = 'text';
    """,
)


def default_home() -> Path:
    """``$TOOLKIT_HOME``, else ``$XDG_DATA_HOME/flash-image-toolkit``, else ``~/.local/share/flash-image-toolkit``.

    A data directory rather than a cache directory: the ledger is a record of money spent.
    """
    env = os.environ.get("TOOLKIT_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "flash-image-toolkit"


def private_dir(path: Path) -> bool:
    """Create the folder ``path`` (its parent must exist) with mode 0700 whatever the umask; False if it existed.

    A folder that already exists keeps its mode: it may be one the user chose, holding other things.
    """
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:
        if not path.is_dir():
            raise
        return False
    restrict(path, DIR_MODE)  # mkdir's mode is filtered by the umask (and a umask of 0o277 would lock us out)
    return True


def restrict(path: Path, mode: int = FILE_MODE) -> None:
    """``chmod`` on POSIX; a file that is gone, or that belongs to another user, is left as it is."""
    if os.name != "posix":
        return  # Windows: a per-user profile folder's ACL is what protects the home
    with suppress(FileNotFoundError, PermissionError):
        if stat.S_IMODE(os.stat(path).st_mode) != mode:
            os.chmod(path, mode)


def private_sqlite(path: Path) -> None:
    """Create the SQLite file ``path`` empty and 0600 unless it exists (an empty file is an empty database).

    SQLite creates its ``-wal`` and ``-shm`` files lazily, with the mode of the database file, so creating the
    database file 0600 makes them 0600 too, in every process and whatever the umask. Changing the process umask
    around ``sqlite3.connect`` instead would race every other thread creating files (it is process-wide) and
    would not cover the ``-wal`` and ``-shm`` files another connection recreates later.
    """
    with suppress(FileExistsError):  # an existing ledger, or another process created it first
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), FILE_MODE))
    restrict_sqlite(path)


def restrict_sqlite(path: Path) -> None:
    """0600 on a SQLite database and its ``-wal``, ``-shm`` and ``-journal`` files (those that exist)."""
    for suffix in ("", *SQLITE_SIDECARS):
        restrict(Path(f"{path}{suffix}"))


class Store:
    """Ledger rows, cache entries and image files in one home directory."""

    def __init__(self, home: str | os.PathLike | None = None) -> None:
        self.home = Path(home).expanduser() if home is not None else default_home()
        self.images_dir = self.home / "images"
        self.db_path = self.home / "ledger.sqlite"
        try:
            self.home.parent.mkdir(parents=True, exist_ok=True)
            private_dir(self.home)
            private_dir(self.images_dir)
            restrict(self.images_dir, DIR_MODE)  # ours, even in a home made by an older version
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
            private_sqlite(self.db_path)
        except OSError as e:
            raise ConfigError(
                f"Cannot create the ledger {str(self.db_path)!r}: {e.strerror or e}. Free disk space or fix the "
                f"folder's permissions, or pass another home with Studio(home=...) or TOOLKIT_HOME."
            ) from None
        try:
            conn = sqlite3.connect(self.db_path, timeout=60, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=60000")
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check}")
            self._migrate(conn)  # the -wal and -shm files exist from here on (WAL mode, a read or a write)
            restrict_sqlite(self.db_path)  # created 0600 (private_sqlite); tightens those of an older version
        except sqlite3.DatabaseError as e:
            raise ConfigError(
                f"The ledger database {str(self.db_path)!r} is damaged or not a SQLite file ({e}). Nothing was "
                f"sent. Move it aside (the images beside it are safe) and a new ledger will be created, or pass "
                f"another home with Studio(home=...)."
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
            with suppress(sqlite3.Error):  # keep the migration's own error, not a failed rollback's
                conn.execute("ROLLBACK")
            raise

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``), shared by every process on the home.

        A storage failure (disk full, read-only, damaged file) is raised as :class:`StorageError`, naming the
        problem and the fix; the original error is kept even when the rollback fails too.
        """
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise self._storage_error(e) from e
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as e:
                with suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                if isinstance(e, sqlite3.Error):
                    raise self._storage_error(e) from e
                raise

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only query (the ledger and the budget read through this)."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _storage_error(self, e: sqlite3.Error) -> StorageError:
        return StorageError(
            f"The toolkit home {str(self.home)!r} could not record the call ({type(e).__name__}: {e}). Nothing "
            f"was sent. Free disk space or fix the folder's permissions; if the ledger is damaged, move "
            f"ledger.sqlite aside (the images are safe), or use another home with Studio(home=...)."
        )

    # -- calls ----------------------------------------------------------------------------------------
    def insert_call(self, conn: sqlite3.Connection, row: CallRow) -> int:
        """Append one ledger row inside an open :meth:`transaction`; returns its id."""
        values = encode(row)
        sql = f"INSERT INTO calls ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})"
        return int(conn.execute(sql, list(values.values())).lastrowid or 0)

    def update_call(self, conn: sqlite3.Connection, row_id: int, **fields: Any) -> None:
        """Change columns of a ledger row inside an open :meth:`transaction` (completing a ``sent`` row); the
        values are Python values (``paths`` a list), encoded here."""
        unknown = set(fields) - set(CALL_COLUMNS)
        if unknown:
            raise KeyError(f"unknown ledger columns: {sorted(unknown)}")
        values = [encode_value(CallRow, c, v) for c, v in fields.items()]
        conn.execute(f"UPDATE calls SET {', '.join(f'{c} = ?' for c in fields)} WHERE id = ?", [*values, row_id])

    def add_call(self, row: CallRow) -> int:
        """Append one ledger row in its own transaction; returns its id."""
        with self.transaction() as conn:
            return self.insert_call(conn, row)

    def calls(self, session: str | None = None) -> list[dict[str, Any]]:
        """Ledger rows as dicts, oldest first (``paths`` decoded to a list)."""
        sql = "SELECT * FROM calls" + (" WHERE session = ?" if session else "") + " ORDER BY id"
        return self.call_rows(sql, (session,) if session else ())

    def call_rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Ledger rows of a ``SELECT * FROM calls ...`` query, decoded."""
        return [decode(CallRow, r) for r in self._dicts(sql, params)]

    def _dicts(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._conn.execute(sql, params)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    # -- cache ----------------------------------------------------------------------------------------
    def cache_get(self, key: str, sources: Collection[str] = ()) -> dict[str, Any] | None:
        """The cached answer for ``key``, or None (also when one of its image files is missing).

        Answers recorded in this home always count; an imported one (``source`` "pack:...") only when its
        source is in ``sources``. The entry's ``"source"`` says which it was (None: recorded here).
        """
        with self._lock:
            row = self._conn.execute("SELECT entry, source FROM cache WHERE key = ?", (key,)).fetchone()
        if row is None or (row[1] is not None and row[1] not in sources):
            return None
        entry: dict[str, Any] = json.loads(row[0])
        entry["source"] = row[1]
        # existence only: the replay verifies every image against its hash before trusting it
        try:
            if not all((self.home / self.image_relpath(f["sha256"], f["mime"])).is_file()
                       for f in entry.get("files", [])):
                return None
        except (KeyError, TypeError, ValueError):
            return None  # a malformed entry is a miss, never a path to follow
        return entry

    def has_cached(self, key: str, sources: Collection[str] = ()) -> bool:
        """True when ``key`` has a cache entry usable with ``sources`` (images are checked only on replay)."""
        with self._lock:
            row = self._conn.execute("SELECT source FROM cache WHERE key = ?", (key,)).fetchone()
        return row is not None and (row[0] is None or row[0] in sources)

    def put_cache(self, conn: sqlite3.Connection, key: str, backend: str, model: str, entry: Mapping[str, Any],
                  created: str, source: str | None = None, *, replace: bool = True) -> None:
        """Write a cache entry inside an open :meth:`transaction` (``source``: None when recorded here);
        ``replace=False`` keeps an entry already there (an import never displaces an answer recorded here)."""
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        conn.execute(f"{verb} INTO cache (key, created, backend, model, entry, source) VALUES (?, ?, ?, ?, ?, ?)",
                     (key, created, backend, model, json.dumps(entry), source))

    def cache_put(self, key: str, backend: str, model: str, entry: Mapping[str, Any], created: str,
                  source: str | None = None) -> None:
        """Write a cache entry in its own transaction."""
        with self.transaction() as conn:
            self.put_cache(conn, key, backend, model, entry, created, source)

    def cache_row(self, key: str) -> dict[str, Any] | None:
        """The raw cache row (key, created, backend, model, entry as JSON text, source), or None."""
        rows = self._dicts("SELECT key, created, backend, model, entry, source FROM cache WHERE key = ?", (key,))
        return rows[0] if rows else None

    def cache_keys(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._conn.execute("SELECT key FROM cache ORDER BY created")]

    # -- batch jobs (migration 2) ---------------------------------------------------------------------
    def batch_add(self, job: BatchJobRow) -> None:
        """Record a submitted batch job."""
        values = encode(job)
        with self.transaction() as conn:
            conn.execute(f"INSERT INTO batches ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                         list(values.values()))

    def batch_update(self, name: str, **fields: Any) -> None:
        """Change columns of a recorded job (``state``, ``updated``, ``study``, ``completed``, ``error``, ...)."""
        unknown = set(fields) - set(BATCH_COLUMNS[1:])
        if unknown:
            raise KeyError(f"unknown batch columns: {sorted(unknown)}")
        if not fields:
            return
        values = [encode_value(BatchJobRow, c, v) for c, v in fields.items()]
        with self.transaction() as conn:
            conn.execute(f"UPDATE batches SET {', '.join(f'{c} = ?' for c in fields)} WHERE name = ?",
                         [*values, name])

    def batch_update_study(self, study_id: str, study: Mapping[str, Any]) -> None:
        """Store the final ``study`` JSON on every job of that study."""
        with self.transaction() as conn:
            conn.execute("UPDATE batches SET study = ? WHERE study_id = ?",
                         (encode_value(BatchJobRow, "study", study), study_id))

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
        return [decode(BatchJobRow, r) for r in self._dicts(sql, params)]

    def batch_claim(self, name: str, now: str, stale_before: str) -> bool:
        """Atomically claim a job for collection; False when another collector holds a fresh claim.

        A claim older than ``stale_before`` on a job never marked ``completed`` (its collector died) can be
        taken over; the new collector skips the cells that already have their ledger row.
        """
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE batches SET collected = ? WHERE name = ? AND completed IS NULL "
                "AND (collected IS NULL OR collected < ?)", (now, name, stale_before),
            )
            return cur.rowcount == 1

    def batch_calls(self, name: str) -> list[dict[str, Any]]:
        """Ledger rows written when collecting job ``name`` (``group_id`` = job name, ``tier`` = batch)."""
        return self.call_rows("SELECT * FROM calls WHERE group_id = ? AND tier = 'batch' ORDER BY id", (name,))

    # -- chat turns (toolkit.chat) --------------------------------------------------------------------
    def add_chat_turn(self, row: ChatTurnRow) -> int:
        """Record one chat turn; its ``turn`` index (0, 1, ... per chat) is assigned here and returned."""
        values = encode(row, skip=("turn",))
        with self.transaction() as conn:  # max + 1 inside the write transaction: two writers never share an index
            turn = conn.execute("SELECT COALESCE(MAX(turn) + 1, 0) FROM chat_turns WHERE chat_id = ?",
                                (row.chat_id,)).fetchone()[0]
            conn.execute(f"INSERT INTO chat_turns (turn, {', '.join(values)}) "
                         f"VALUES (?, {', '.join('?' * len(values))})", [turn, *values.values()])
        return int(turn)

    def chat_turns(self, chat_id: str) -> list[dict[str, Any]]:
        """A chat's recorded turns, oldest first (JSON columns decoded, flags as bool)."""
        return [decode(ChatTurnRow, r)
                for r in self._dicts("SELECT * FROM chat_turns WHERE chat_id = ? ORDER BY turn", (chat_id,))]

    def chat_ids(self) -> list[str]:
        """Ids of the chats recorded in this home, most recently active first."""
        with self._lock:
            return [r[0] for r in self._conn.execute(
                "SELECT chat_id FROM chat_turns GROUP BY chat_id ORDER BY MAX(created) DESC")]

    # -- images ---------------------------------------------------------------------------------------
    def image_relpath(self, sha256: str, mime: str) -> str:
        """``images/ab/<sha256>.<ext>``: the only form of a stored image's path, built from a checked hash and a
        known image MIME type (``ValueError`` otherwise), so no stored or imported value can point elsewhere."""
        if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
            raise ValueError(f"not a sha256 image hash: {str(sha256)[:80]!r}")
        if mime not in EXTENSIONS:
            raise ValueError(f"not a known image MIME type: {str(mime)[:80]!r}")
        return f"images/{sha256[:2]}/{sha256}{EXTENSIONS[mime]}"

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
        try:
            if not path.parent.is_dir():
                if not self.images_dir.is_dir():
                    private_dir(self.images_dir)  # removed by hand while the Studio was open
                private_dir(path.parent)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        except OSError as e:
            raise self._image_error(path, e) from e
        try:
            with os.fdopen(fd, "wb") as f:
                if os.name == "posix":
                    os.fchmod(f.fileno(), FILE_MODE)  # mkstemp's 0600 is filtered by the umask too
                f.write(data)
            os.replace(tmp, path)
            self._verified.add(sha256)
        except BaseException as e:
            with suppress(OSError):
                os.unlink(tmp)
            if isinstance(e, OSError):
                raise self._image_error(path, e) from e
            raise
        return path

    def _image_error(self, path: Path, e: OSError) -> StorageError:
        return StorageError(
            f"Could not write the image {path.name} into the toolkit home {str(self.home)!r} ({e.strerror or e}). "
            f"Free disk space or fix the folder's permissions, or use another home with Studio(home=...).")

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

    def read_image(self, sha256: str, mime: str) -> bytes:
        """The stored file of an image (metadata chunk included)."""
        return (self.home / self.image_relpath(sha256, mime)).read_bytes()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __repr__(self) -> str:
        return f"Store({str(self.home)!r})"


def new_session_id() -> str:
    return uuid.uuid4().hex[:12]
