"""30 seats x 10 concurrent calls through the real SDK's async client: no cap is ever passed, no ledger row is
lost, and every call that went upstream is one ``ok`` row."""

from __future__ import annotations

import asyncio
import io

import pytest
from classroom_helpers import MODEL
from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from PIL import Image

from toolkit.classroom.limits import LimitSettings


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 40)).save(buf, "PNG")
    return buf.getvalue()


async def _seat_calls(url: str, seat: str, token: str, n: int) -> list[str]:
    client = genai.Client(api_key=token, http_options=types.HttpOptions(base_url=url, api_version="v1beta"))

    async def one(i: int) -> str:
        try:
            await client.aio.models.generate_content(model=MODEL, contents=f"{seat} call {i}")
            return "ok"
        except genai_errors.APIError as e:
            return str(e.code)

    try:
        return list(await asyncio.gather(*(one(i) for i in range(n))))
    finally:
        await client.aio.aclose()


def test_thirty_seats_times_ten_concurrent_calls_never_overshoot(make_room, serve_room, fake):
    cap = 0.3
    fake.static_image = _png()
    fake.latency_s = 0.02
    room, _, tokens = make_room(seats=30, cap=cap)
    server = serve_room(room, limits=LimitSettings(concurrent=32, seat_concurrent=10))

    async def everyone() -> list[list[str]]:
        return await asyncio.gather(*(_seat_calls(server.url, s, t, 10) for s, t in tokens.items()))

    outcomes = asyncio.run(everyone())
    flat = [o for seat in outcomes for o in seat]
    assert len(flat) == 300 and set(flat) <= {"ok", "403"}
    rows = room.ledger_rows()
    assert len(rows) == 300  # no row lost
    assert {r["status"] for r in rows} <= {"ok", "refused"}  # nothing left "sent"
    assert sum(r["status"] == "ok" for r in rows) == flat.count("ok") == fake.call_count
    state = room.state()
    for seat in state["seats"]:
        assert seat["spent_usd"] <= seat["cap_usd"] + 1e-9, seat
        assert seat["reserved_usd"] == 0
        assert seat["calls"] == 10
        mine = [r for r in rows if r["seat"] == seat["seat"]]
        assert seat["spent_usd"] == pytest.approx(sum(r["cost_usd"] for r in mine), abs=1e-6)
        # every seat got as far as its cap allows, no further: one more estimate would not have fit
        oks = [r for r in mine if r["status"] == "ok"]
        assert oks and seat["spent_usd"] + max(r["estimate_usd"] for r in mine) > seat["cap_usd"] - 1e-9
