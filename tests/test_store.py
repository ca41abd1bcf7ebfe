import sqlite3

import pytest

import toolkit as tk
from toolkit.records import CallRow
from toolkit.store import MIGRATIONS, Store


def test_home_layout_and_migrations(home):
    store = Store(home)
    assert store.db_path.exists() and store.images_dir.is_dir()
    assert store.schema_version == len(MIGRATIONS)
    mode = sqlite3.connect(store.db_path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    Store(home)  # reopening does not migrate again
    assert store.schema_version == len(MIGRATIONS)


def test_default_home_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv("TOOLKIT_HOME", str(tmp_path / "x"))
    assert tk.default_home() == tmp_path / "x"
    monkeypatch.delenv("TOOLKIT_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert tk.default_home() == tmp_path / "data" / "flash-image-toolkit"


def test_put_image_is_content_addressed_atomic_and_self_healing(home):
    import hashlib

    store = Store(home)
    sha = hashlib.sha256(b"one").hexdigest()
    p1 = store.put_image(sha, "image/png", b"one")
    p2 = store.put_image(sha, "image/png", b"one")
    assert p1 == p2 and p1.read_bytes() == b"one" and p1.name == f"{sha}.png"
    assert not list(p1.parent.glob(".tmp-*"))
    p1.write_bytes(b"on")  # damaged: its bytes no longer hash to its name
    assert Store(home).put_image(sha, "image/png", b"one") == p1  # another process checks, and heals it
    assert p1.read_bytes() == b"one"


def test_cache_entry_with_missing_file_is_a_miss(home):
    store = Store(home)
    path = store.put_image("cd" * 32, "image/png", b"12345")
    rel = str(path.relative_to(home))
    ref = {"sha256": "cd" * 32, "mime": "image/png", "path": rel, "size": 5}
    store.cache_put("k", "offline", "m", {"files": [ref], "images": []}, "2026-01-01")
    assert store.cache_get("k") is not None
    path.unlink()
    assert store.cache_get("k") is None


def test_cache_miss_when_stored_image_is_corrupted(studio):
    r = studio.generate("a lemon tree")
    import os

    with open(r.paths[0], "r+b") as f:
        f.seek(os.path.getsize(r.paths[0]) // 2)  # inside the image data, not the metadata
        f.write(b"\x00garbage\x00")  # same size, different bytes
    again = studio.generate("a lemon tree")
    assert not again.cached  # the hash check refused the damaged file


def test_corrupted_ledger_is_explained(home):
    home.mkdir(parents=True)
    (home / "ledger.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(tk.ConfigError, match="Move it aside"):
        Store(home)


def test_unknown_ledger_column_is_refused(home):
    with pytest.raises(TypeError, match="nope"):
        CallRow(ts="x", nope=1)  # type: ignore[call-arg]
    store = Store(home)
    row_id = store.add_call(CallRow(ts="x"))
    with pytest.raises(KeyError, match="nope"), store.transaction() as conn:
        store.update_call(conn, row_id, nope=1)


def test_readonly_home_is_explained(tmp_path):
    import os

    ro = tmp_path / "ro"
    ro.mkdir()
    os.chmod(ro, 0o500)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as a user that ignores permissions")
        with pytest.raises(tk.ConfigError, match=r"not writable|Cannot create"):
            Store(ro / "home")
    finally:
        os.chmod(ro, 0o700)


def test_home_that_is_a_file_is_explained(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(tk.ConfigError, match="Cannot create the toolkit home"):
        Store(blocker / "home")


# -- a private home, whatever the umask (POSIX) -------------------------------------------------------------
posix_only = pytest.mark.skipif(__import__("os").name != "posix", reason="POSIX permissions")


def _modes(root):
    import os
    import stat

    out = {}
    for path in [root, *root.rglob("*")]:
        out[str(path.relative_to(root))] = (stat.S_IMODE(os.lstat(path).st_mode), path.is_dir())
    return out


@posix_only
@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_home_folders_are_0700_and_files_0600_whatever_the_umask(tmp_path, umask):
    import os

    home = tmp_path / "home"
    old = os.umask(umask)
    try:
        studio = tk.Studio(backend="offline", home=home, rate_limit=tk.RateLimit(rpm=6000))
        studio.generate("a private lamp", image_size="512")
        studio.chat().send("a private boat", image_size="512")
        modes = _modes(home)
    finally:
        os.umask(old)
    # the SQLite side files exist while the Studio is open: they are checked too
    for name in ("ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm", "ratelimit.sqlite",
                 "ratelimit.sqlite-wal", "ratelimit.sqlite-shm"):
        assert name in modes, sorted(modes)
    assert any(name.startswith("images/") and not is_dir for name, (_, is_dir) in modes.items())
    wrong = {name: oct(mode) for name, (mode, is_dir) in modes.items() if mode != (0o700 if is_dir else 0o600)}
    assert not wrong


@posix_only
def test_files_an_older_version_left_readable_are_tightened(tmp_path):
    import os
    import sqlite3

    home = tmp_path / "old-home"
    (home / "images" / "ab").mkdir(parents=True)
    os.chmod(home, 0o755)
    os.chmod(home / "images", 0o755)
    for name in ("ledger.sqlite", "ratelimit.sqlite"):
        con = sqlite3.connect(home / name)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE IF NOT EXISTS t (x)")
        con.close()
        os.chmod(home / name, 0o644)
    keep_open = sqlite3.connect(home / "ledger.sqlite")  # another kernel of the old version, mid-write
    keep_open.execute("BEGIN IMMEDIATE")
    keep_open.execute("INSERT INTO t VALUES (1)")
    os.chmod(f"{home}/ledger.sqlite-wal", 0o644)
    keep_open.execute("COMMIT")
    tk.Studio(backend="offline", home=home)
    modes = _modes(home)
    keep_open.close()
    assert modes["ledger.sqlite"][0] == modes["ledger.sqlite-wal"][0] == modes["ratelimit.sqlite"][0] == 0o600
    assert modes["images"][0] == 0o700
    # a folder the user chose (it existed) keeps its mode: it may hold other things, and its files are private
    assert modes["."][0] == 0o755


# -- a failing rollback never hides the error that caused it ------------------------------------------------
class BodyFailed(Exception):
    pass


def test_a_failed_rollback_keeps_the_original_error(home):
    store = Store(home)
    with pytest.raises(BodyFailed, match="the real cause") as info, store.transaction() as conn:
        conn.execute("INSERT INTO calls (ts) VALUES ('x')")
        conn.close()  # ROLLBACK will fail: "Cannot operate on a closed database"
        raise BodyFailed("the real cause")
    assert "closed database" not in str(info.value)


def test_a_storage_error_keeps_its_cause_when_the_rollback_fails(home):
    store = Store(home)
    cause = sqlite3.OperationalError("disk I/O error")
    with pytest.raises(tk.StorageError) as info, store.transaction() as conn:
        conn.execute("INSERT INTO calls (ts) VALUES ('x')")
        conn.execute("ROLLBACK")  # the transaction is gone: our ROLLBACK fails ("no transaction is active")
        raise cause
    assert info.value.__cause__ is cause
    assert "disk I/O error" in str(info.value) and "no transaction is active" not in str(info.value)
    assert "Nothing was sent" in str(info.value)
    assert store.calls() == []  # and the home still works
    store.add_call(CallRow(ts="y"))
    assert len(store.calls()) == 1
