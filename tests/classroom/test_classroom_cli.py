"""``flash-image classroom init|reissue|serve`` and ``tk.Classroom`` (the instructor's notebook view)."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from classroom_helpers import MODEL

import toolkit as tk
from toolkit.__main__ import main
from toolkit.classroom.room import Room


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _init(tmp_path, capsys, *extra: str) -> dict:
    code = main(["classroom", "init", str(tmp_path / "room.db"), "--seats", "3", "--budget-per-seat", "0.5",
                 "--models", "nano-banana-2", "--json", *extra])
    assert code == 0
    return json.loads(capsys.readouterr().out)


def test_init_writes_the_room_and_the_seat_cards_and_reissue_replaces_one(tmp_path, capsys):
    out = _init(tmp_path, capsys)
    assert out["instructor_token"].startswith("instr_") and out["seats_csv"].endswith("room.seats.csv")
    with open(out["seats_csv"]) as f:
        cards = {row["seat"]: row["token"] for row in csv.DictReader(f)}
    assert list(cards) == ["seat-01", "seat-02", "seat-03"]
    room = Room(tmp_path / "room.db")
    assert room.models == [MODEL] and room.is_instructor(out["instructor_token"])
    assert main(["classroom", "reissue", str(tmp_path / "room.db"), "--seat", "seat-02"]) == 0
    new = capsys.readouterr().out.split()[1]
    assert room.seat_for(cards["seat-02"]) is None and room.seat_for(new).name == "seat-02"
    assert main(["classroom", "reissue", str(tmp_path / "room.db"), "--seat", "seat-09"]) == 2
    assert "no seat 'seat-09'" in capsys.readouterr().err
    assert main(["classroom", "init", str(tmp_path / "room.db")]) == 2
    assert "exists already" in capsys.readouterr().err
    room.close()


def test_serve_offline_beyond_loopback_warns_and_serves_students_and_the_instructor(tmp_path, capsys):
    out = _init(tmp_path, capsys)
    with open(out["seats_csv"]) as f:
        token = next(csv.DictReader(f))["token"]
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY")}
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", "classroom", "serve", str(tmp_path / "room.db"),
                             "--offline", "--host", "0.0.0.0", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"
        studio = tk.Studio(classroom=url, seat_token=token, home=tmp_path / "student")
        assert studio.generate("a kite at the beach").status == "ok"
        room = tk.Classroom(url, out["instructor_token"])
        ledger = room.ledger
        assert list(ledger["seat"]) == ["seat-01"] and ledger["status"].iloc[0] == "ok"
        assert ledger["cost_usd"].iloc[0] > 0 and not ledger["cached"].iloc[0]
        room.set_cap("seat-01", 0.75)
        assert room.seats.loc["seat-01", "cap_usd"] == 0.75
        room.pause()
        with pytest.raises(tk.ProviderError, match="paused"):
            studio.generate("another kite")
        room.pause(False)
        room.revoke("seat-01")
        with pytest.raises(tk.ProviderError, match="revoked"):
            studio.generate("a third kite")
        with pytest.raises(tk.ProviderError, match="instructor token"):
            tk.Classroom(url, token).state()
        assert "instr_" not in repr(room)
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    assert "WARNING" in stderr and "plain HTTP" in stderr and "--certfile" in stderr
    assert f":{port}" in stdout and "classroom=" in stdout and "/classroom/#token=" in stdout
    assert out["instructor_token"] not in stdout + stderr and token not in stdout + stderr
