"""The upstream key never leaves the gateway: every byte of every response (each route, errors, streams, the
dashboard), the log, the room's files and the students' homes are searched for it, whole and in part."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
from classroom_helpers import MODEL, UPSTREAM_KEY

import toolkit as tk
from toolkit.testing import Outcome

#: Any 12 consecutive characters of the key count as a leak.
PIECES = {UPSTREAM_KEY[i:i + 12].encode() for i in range(len(UPSTREAM_KEY) - 11)}


def leaks(data: bytes) -> list[bytes]:
    return [p for p in PIECES if p in data]


def test_the_upstream_key_appears_in_no_response_log_or_file(make_room, serve_room, fake, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    room, instructor, tokens = make_room(cap=0.2)
    server = serve_room(room)
    seat = {"x-goog-api-key": tokens["seat-01"]}
    admin = {"Authorization": f"Bearer {instructor}"}
    gen = f"{server.url}/v1beta/models/{MODEL}"
    body = {"contents": [{"parts": [{"text": "a kite"}]}]}
    # an upstream error that echoes the key must reach the student masked
    fake.enqueue(Outcome.error(400, f"API key not valid: {UPSTREAM_KEY}"), Outcome.error(429, retry_delay="0.05s"))
    responses: list[httpx.Response] = [
        httpx.post(f"{gen}:generateContent", headers=seat, json=body),          # upstream 400 echoing the key
        httpx.post(f"{gen}:generateContent", headers=seat, json=body),          # upstream 429
    ]
    import time

    time.sleep(0.1)
    responses += [
        httpx.post(f"{gen}:generateContent", headers=seat, json=body),          # ok
        httpx.post(f"{gen}:generateContent", headers=seat, json=body),          # cache hit
        httpx.post(f"{gen}:streamGenerateContent?alt=sse", headers=seat, json={**body, "x": 1}),
        httpx.post(f"{gen}:generateContent", headers=seat, json={"contents": [{"parts": [{"text": "over"}]}]}),
        httpx.post(f"{gen}:generateContent", headers=seat, content=b"not json"),
        httpx.post(f"{gen}:generateContent", headers={"x-goog-api-key": "wrong"}, json=body),
        httpx.post(f"{gen}:countTokens", headers=seat, json=body),
        httpx.get(f"{server.url}/v1beta/models", headers=seat),
        httpx.get(f"{gen}", headers=seat),
        httpx.post(f"{server.url}/v1beta/batches", headers=seat, json={}),
        httpx.get(f"{server.url}/", headers=seat),
        httpx.get(f"{server.url}/classroom/"),
        httpx.get(f"{server.url}/classroom/dashboard.js"),
        httpx.get(f"{server.url}/classroom/api/state", headers=admin),
        httpx.get(f"{server.url}/classroom/api/ledger", headers=admin),
        httpx.get(f"{server.url}/classroom/api/state", headers=seat),
        httpx.post(f"{gen}:generateContent", headers={**seat, "Host": "evil.example"}, json=body),
    ]
    studio = tk.Studio(classroom=server.url, seat_token=tokens["seat-02"], home=tmp_path / "student")
    studio.generate("a lighthouse")
    repr(studio), repr(server.gateway.upstream), repr(tk.Classroom(server.url, instructor))
    assert {r.status_code for r in responses} >= {200, 400, 401, 403, 429, 501}
    for r in responses:
        raw = b"".join(f"{k}: {v}\n".encode() for k, v in r.headers.items()) + r.content
        assert not leaks(raw), (r.request.url, r.status_code)
    assert b"<redacted>" in responses[0].content  # the echo was there, and masked
    assert not leaks(caplog.text.encode())
    server.stop()
    room.close()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "room.db" for p in files) and any(p.name.startswith("ledger") for p in files)
    for path in files:
        assert not leaks(Path(path).read_bytes()), path
