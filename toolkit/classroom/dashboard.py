"""The instructor's dashboard and admin API (all behind the instructor token).

``GET /classroom/`` is a static page (``static/dashboard.html`` + ``dashboard.js``, no CDN); it reads the
instructor token from the URL fragment (``/classroom/#token=...``: a fragment never reaches a server log) and
polls ``/classroom/api/state`` every two seconds. The API takes the token as ``Authorization: Bearer ...``:

    GET  /classroom/api/state                  seats' spend against caps, calls, errors, cache savings, room
    GET  /classroom/api/ledger?since=ID        ledger rows after ID
    POST /classroom/api/seats/{seat}/cap       {"cap_usd": 1.0}    (seat "*": every seat)
    POST /classroom/api/seats/{seat}/revoke    {"revoked": true}
    POST /classroom/api/room                   {"paused": true} and/or {"cap_usd": 20.0 | null}

A seat token reaches none of it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import ConfigError
from .room import Room
from .wire import error_json

JSON = "application/json; charset=UTF-8"
STATIC = {"dashboard.html": "text/html; charset=utf-8", "dashboard.js": "text/javascript; charset=utf-8",
          "dashboard.css": "text/css; charset=utf-8"}


def _static(name: str) -> bytes:
    return resources.files("toolkit.classroom").joinpath("static", name).read_bytes()


def routes(room: Room) -> list[Route]:
    """The dashboard's routes over ``room``."""

    def guarded(fn: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            auth = request.headers.get("authorization", "")
            token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
            if not room.is_instructor(token):
                return Response(error_json(401, "UNAUTHENTICATED", "classroom dashboard: this needs the "
                                           "instructor token (Authorization: Bearer ...)."), 401, media_type=JSON)
            try:
                out = await fn(request)
            except (ConfigError, ValueError, TypeError, KeyError) as e:
                return Response(error_json(400, "INVALID_ARGUMENT", f"classroom dashboard: {e}"), 400,
                                media_type=JSON)
            return Response(json.dumps(out), media_type=JSON)
        return endpoint

    async def body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if len(raw) > 65536:
            raise ValueError("the request body is too large")
        data = json.loads(raw or b"{}")
        if not isinstance(data, dict):
            raise ValueError("send a JSON object")
        return data

    async def state(request: Request) -> Any:
        return room.state()

    async def ledger(request: Request) -> Any:
        return room.ledger_rows(int(request.query_params.get("since", "0")))

    async def cap(request: Request) -> Any:
        room.set_cap(request.path_params["seat"], (await body(request))["cap_usd"])
        return room.state()

    async def revoke(request: Request) -> Any:
        room.revoke(request.path_params["seat"], bool((await body(request)).get("revoked", True)))
        return room.state()

    async def room_settings(request: Request) -> Any:
        data = await body(request)
        if "paused" in data:
            room.paused = bool(data["paused"])
        if "cap_usd" in data:
            room.room_cap = data["cap_usd"]
        return room.state()

    def page(name: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return Response(_static(name), media_type=STATIC[name])
        return endpoint

    return [
        Route("/classroom/", page("dashboard.html"), methods=["GET"]),
        *(Route(f"/classroom/{name}", page(name), methods=["GET"]) for name in STATIC),
        Route("/classroom/api/state", guarded(state), methods=["GET"]),
        Route("/classroom/api/ledger", guarded(ledger), methods=["GET"]),
        Route("/classroom/api/seats/{seat}/cap", guarded(cap), methods=["POST"]),
        Route("/classroom/api/seats/{seat}/revoke", guarded(revoke), methods=["POST"]),
        Route("/classroom/api/room", guarded(room_settings), methods=["POST"]),
    ]
