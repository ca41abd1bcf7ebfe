"""Stored records are defined once (toolkit.records) and the tables match them."""

from __future__ import annotations

import sqlite3

import pytest

from toolkit.records import (
    BATCH_COLUMNS,
    CALL_COLUMNS,
    CHAT_TURN_COLUMNS,
    BatchJobRow,
    CallRow,
    decode,
    encode,
)
from toolkit.store import Store


def table_columns(home, table):
    con = sqlite3.connect(home / "ledger.sqlite")
    try:
        return [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
    finally:
        con.close()


@pytest.mark.parametrize(("table", "columns"), [("calls", CALL_COLUMNS), ("chat_turns", CHAT_TURN_COLUMNS),
                                                ("batches", BATCH_COLUMNS)])
def test_tables_match_the_records(home, table, columns):
    Store(home)
    have = [c for c in table_columns(home, table) if c != "id"]
    assert sorted(have) == sorted(columns)


def test_json_and_flag_columns_round_trip(home):
    store = Store(home)
    row_id = store.add_call(CallRow(ts="t", paths=["images/ab/x.png"], cached=True, status="ok"))
    (back,) = store.calls()
    assert back["id"] == row_id and back["paths"] == ["images/ab/x.png"] and back["cached"] is True
    job = BatchJobRow(name="batches/1", backend="offline", created="t", cells={"k": {"cells": [0]}})
    store.batch_add(job)
    assert store.batch_get("batches/1")["cells"] == {"k": {"cells": [0]}}
    assert decode(BatchJobRow, encode(job))["study"] == {}


def test_an_older_ledger_gains_the_grounding_queries_column(home):
    """Migration 7: a ledger written before it opens with grounding_queries = 0 on its old rows."""
    from toolkit.store import MIGRATIONS

    home.mkdir(parents=True)
    con = sqlite3.connect(home / "ledger.sqlite")
    for statement in "".join(MIGRATIONS[:6]).split(";"):
        if statement.strip():
            con.execute(statement)
    con.execute("PRAGMA user_version = 6")
    con.execute("INSERT INTO calls (ts, status) VALUES ('t', 'ok')")
    con.commit()
    con.close()
    store = Store(home)
    assert store.schema_version == len(MIGRATIONS)
    (old,) = store.calls()
    assert old["grounding_queries"] == 0
    store.add_call(CallRow(ts="t2", status="ok", grounding_queries=3, tier="flex"))
    assert [(r["grounding_queries"], r["tier"]) for r in store.calls()][-1] == (3, "flex")


def test_cache_entries_may_carry_grounding_and_it_is_checked():
    from toolkit.records import check_cache_entry

    grounding = {"web_search_queries": ["q"], "image_search_queries": [], "queries": 1,
                 "sources": [{"kind": "web", "title": "t", "uri": "https://example.org"}],
                 "search_entry_point": "<div>chip</div>"}
    entry = {"status": "ok", "text": "", "usage": {}, "list_cost_usd": 0.1, "images": [], "files": [],
             "grounding": grounding}
    check_cache_entry(entry)
    for bad, field in ((dict(grounding, queries=-1), "queries"), (dict(grounding, sources=[{"kind": "ftp"}]),
                       "sources"), (dict(grounding, extra=1), "extra"), ("text", "grounding")):
        with pytest.raises(ValueError, match=field):
            check_cache_entry({**entry, "grounding": bad})
