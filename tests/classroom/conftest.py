"""Fixtures for the classroom gateway: a room file, the loopback fake as upstream, and the gateway served by
uvicorn in a thread on a free loopback port."""

from __future__ import annotations

import pytest
from classroom_helpers import MODEL, UPSTREAM_KEY

from toolkit.classroom.limits import LimitSettings
from toolkit.classroom.room import Room
from toolkit.classroom.server import GatewayServer, build_gateway
from toolkit.testing import FakeGeminiServer


@pytest.fixture()
def fake():
    with FakeGeminiServer(api_key=UPSTREAM_KEY) as server:
        yield server


@pytest.fixture()
def make_room(tmp_path):
    """``make_room(seats=3, cap=0.5, ...)`` -> (room, instructor_token, {seat: token})."""
    rooms = []

    def make(seats: int = 3, cap: float = 0.50, models=(MODEL,), room_cap=None, name="room.db"):
        room, instructor, tokens = Room.create(tmp_path / name, seats=seats, budget_per_seat=cap, models=models,
                                               room_cap=room_cap)
        rooms.append(room)
        return room, instructor, tokens

    yield make
    for room in rooms:
        room.close()


@pytest.fixture()
def serve_room(fake):
    """``serve_room(room, offline=False, limits=None)`` -> a started GatewayServer forwarding to ``fake``."""
    servers = []

    def start(room: Room, *, offline: bool = False, limits: LimitSettings | None = None, **kw) -> GatewayServer:
        gateway = build_gateway(room, offline=offline, upstream=None if offline else fake.base_url,
                                api_key=None if offline else UPSTREAM_KEY, limits=limits, **kw)
        server = GatewayServer(gateway).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
