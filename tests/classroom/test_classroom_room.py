"""The room file: tokens stored only as hashes, reissue and revoke, caps checked in one transaction, recovery
of calls left in flight, and clear errors for bad settings."""

from __future__ import annotations

import os
import stat
import threading

import pytest
from classroom_helpers import MODEL

from toolkit.classroom.room import Refusal, Room, write_seats_csv
from toolkit.classroom.tokens import matches, token_hash
from toolkit.errors import ConfigError


def test_tokens_are_stored_only_as_hashes_and_files_are_private(make_room, tmp_path):
    room, instructor, tokens = make_room(seats=5)
    data = (tmp_path / "room.db").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("room.db-*"))
    for token in [instructor, *tokens.values()]:
        assert token.encode() not in data
        assert token_hash(token).encode() in data
    assert stat.S_IMODE(os.stat(tmp_path / "room.db").st_mode) == 0o600
    csv_path = write_seats_csv(tmp_path / "room.seats.csv", tokens)
    assert stat.S_IMODE(os.stat(csv_path).st_mode) == 0o600
    assert csv_path.read_text().splitlines()[0] == "seat,token"
    assert len(set(tokens.values())) == 5 and all(len(t) > 40 for t in tokens.values())
    assert room.seat_for(tokens["seat-03"]).name == "seat-03"
    assert room.seat_for("seat_forged") is None and room.seat_for(None) is None
    assert room.is_instructor(instructor) and not room.is_instructor(tokens["seat-01"])
    assert matches("a", token_hash("a")) and not matches("a", token_hash("b"))


def test_reissue_replaces_the_token_and_revoke_is_recorded(make_room):
    room, _, tokens = make_room()
    new = room.reissue("seat-02")
    assert room.seat_for(tokens["seat-02"]) is None and room.seat_for(new).name == "seat-02"
    room.revoke("seat-01")
    assert room.seat_for(tokens["seat-01"]).revoked
    refusal = room.reserve("seat-01", MODEL, "generateContent", 0.01, None)
    assert isinstance(refusal, Refusal) and "revoked" in refusal.message
    with pytest.raises(ConfigError, match="no seat 'seat-99'"):
        room.reissue("seat-99")


def test_reserve_refuses_past_the_cap_and_finish_replaces_the_estimate(make_room):
    room, _, _ = make_room(cap=0.10)
    first = room.reserve("seat-01", MODEL, "generateContent", 0.06, "k1")
    assert isinstance(first, int)
    second = room.reserve("seat-01", MODEL, "generateContent", 0.06, "k2")
    assert isinstance(second, Refusal) and "in flight" in second.message and "cap $0.10" in second.message
    room.finish(first, status="ok", http_status=200, cost=0.03)
    third = room.reserve("seat-01", MODEL, "generateContent", 0.06, "k3")
    assert isinstance(third, int)
    seat = room.state()["seats"][0]
    assert seat["spent_usd"] == pytest.approx(0.03) and seat["reserved_usd"] == pytest.approx(0.06)
    assert seat["calls"] == 3 and seat["errors"] == 1


def test_concurrent_reservations_from_threads_never_pass_the_cap(make_room):
    room, _, _ = make_room(seats=1, cap=1.0)
    results: list[object] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(20):
            r = room.reserve("seat-01", MODEL, "generateContent", 0.07, None)
            with lock:
                results.append(r)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    granted = [r for r in results if isinstance(r, int)]
    assert len(granted) == 14  # 14 x 0.07 = 0.98 <= 1.0 < 15 x 0.07
    assert len(room.ledger_rows()) == 160


def test_recover_marks_calls_left_in_flight_as_interrupted_and_counts_them(make_room, tmp_path):
    room, _, _ = make_room()
    room.reserve("seat-01", MODEL, "generateContent", 0.05, None)
    room.close()
    again = Room(tmp_path / "room.db")
    assert again.recover() == 1
    (row,) = again.ledger_rows()
    assert row["status"] == "interrupted" and row["cost_usd"] == 0.05
    assert again.state()["seats"][0]["spent_usd"] == pytest.approx(0.05)
    again.close()


def test_room_cap_pause_and_bad_settings(make_room, tmp_path):
    room, _, _ = make_room(room_cap=0.05)
    refusal = room.reserve("seat-01", MODEL, "generateContent", 0.06, None)
    assert isinstance(refusal, Refusal) and "room's budget" in refusal.message
    room.room_cap = None
    room.paused = True
    paused = room.reserve("seat-01", MODEL, "generateContent", 0.01, None)
    assert isinstance(paused, Refusal) and "paused" in paused.message
    room.paused = False
    assert isinstance(room.reserve("seat-01", MODEL, "generateContent", 0.01, None), int)
    room.set_cap("*", 2.0)
    assert {s["cap_usd"] for s in room.state()["seats"]} == {2.0}
    for bad in (float("nan"), -1, "lots"):
        with pytest.raises(ConfigError, match="cap"):
            room.set_cap("seat-01", bad)
    with pytest.raises(ConfigError, match="exists already"):
        Room.create(tmp_path / "room.db", seats=2, budget_per_seat=0.5, models=[MODEL])
    with pytest.raises(ConfigError, match="no room at"):
        Room(tmp_path / "missing.db")
    with pytest.raises(ConfigError, match="distinct"):
        Room.create(tmp_path / "other.db", seats=["a", "a"], budget_per_seat=0.5, models=[MODEL])
