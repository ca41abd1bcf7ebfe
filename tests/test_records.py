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
