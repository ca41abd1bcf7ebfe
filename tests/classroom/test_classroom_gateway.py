"""The gateway end to end: the real google-genai SDK and ``tk.Studio`` with seat tokens, through the gateway
(uvicorn in a thread), to the loopback fake holding the instructor's key."""

from __future__ import annotations

import json

import httpx
import pytest
from classroom_helpers import MODEL, UPSTREAM_KEY
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

import toolkit as tk
from toolkit.samples import sample_path
from toolkit.testing import Outcome

QUICK = tk.RetryPolicy(attempts=4, initial_delay_s=0.01, max_delay_s=0.05)


def sdk(url: str, token: str) -> genai.Client:
    return genai.Client(api_key=token, http_options=types.HttpOptions(base_url=url, api_version="v1beta"))


def generate(url: str, token: str, **kw):
    """One generate_content call through the SDK (the client lives until the reply is read)."""
    client = sdk(url, token)
    reply = client.models.generate_content(**kw)
    client.close()
    return reply


def studio(url: str, token: str, home, **kw) -> tk.Studio:
    return tk.Studio(classroom=url, seat_token=token, home=home, retry=QUICK, **kw)


def test_sdk_generate_goes_upstream_with_the_instructors_key_and_is_billed_to_the_seat(make_room, serve_room, fake):
    room, _, tokens = make_room()
    server = serve_room(room)
    reply = generate(server.url, tokens["seat-01"],
        model=MODEL, contents="a red kite over the sea",
        config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]))
    images = [p for p in reply.candidates[0].content.parts if p.inline_data]
    assert images and images[0].inline_data.mime_type.startswith("image/") and len(images[0].inline_data.data) > 1000
    assert fake.call_count == 1
    assert fake.calls[0].auth == "api_key"  # the fake checked the instructor's key (a wrong one is refused)
    (row,) = room.ledger_rows()
    assert (row["seat"], row["model"], row["status"], row["cached"]) == ("seat-01", MODEL, "ok", 0)
    assert row["cost_usd"] > 0 and row["output_tokens"] > 0 and row["latency_s"] is not None
    seat = next(s for s in room.state()["seats"] if s["seat"] == "seat-01")
    assert seat["spent_usd"] == pytest.approx(row["cost_usd"]) and seat["reserved_usd"] == 0


def test_studio_generate_edit_and_stream_through_the_gateway(make_room, serve_room, tmp_path):
    room, _, tokens = make_room()
    server = serve_room(room)
    s = studio(server.url, tokens["seat-02"], tmp_path / "home")
    assert s.backend.kind == "gemini" and s.gemini_api == "generate_content"
    made = s.generate("a lighthouse at dusk", image_size="1K")
    assert made.status == "ok" and made.image is not None
    edited = s.edit(sample_path("cat"), "make it a watercolour")
    assert edited.status == "ok" and edited.image is not None
    deltas: list[str] = []
    streamed = s.generate("a fox in the snow", on_text=deltas.append)
    assert streamed.status == "ok" and streamed.image is not None and "".join(deltas) == streamed.text
    rows = room.ledger_rows()
    assert [r["action"] for r in rows] == ["generateContent", "generateContent", "streamGenerateContent"]
    assert all(r["status"] == "ok" and r["cost_usd"] > 0 for r in rows)
    # the actual cost from usageMetadata replaced each estimate
    assert all(r["cost_usd"] != r["estimate_usd"] or r["estimate_usd"] > 0 for r in rows)


def test_a_seat_at_its_cap_is_refused_before_anything_goes_upstream(make_room, serve_room, fake, tmp_path):
    room, _, tokens = make_room(cap=0.01)
    server = serve_room(room)
    with pytest.raises(genai_errors.APIError) as info:
        generate(server.url, tokens["seat-01"], model=MODEL, contents="a kite")
    assert info.value.code == 403
    message = info.value.message or ""
    for words in ("seat-01", "Spent $0.0000", "estimate $0.0", "cap $0.01", "Ask your instructor"):
        assert words in message
    assert fake.call_count == 0
    with pytest.raises(tk.ProviderError, match=r"cap \$0\.01\. Nothing was sent\. Ask your instructor"):
        studio(server.url, tokens["seat-02"], tmp_path / "h").generate("a kite")
    assert fake.call_count == 0
    assert [r["status"] for r in room.ledger_rows()] == ["refused", "refused"]
    room.set_cap("seat-01", 1.0)  # the instructor raises the cap live
    generate(server.url, tokens["seat-01"], model=MODEL, contents="a kite")
    assert fake.call_count == 1


def test_the_room_cap_holds_across_seats(make_room, serve_room, fake):
    room, _, tokens = make_room(cap=1.0, room_cap=0.1)
    server = serve_room(room)
    generate(server.url, tokens["seat-01"], model=MODEL, contents="one")
    with pytest.raises(genai_errors.APIError) as info:
        generate(server.url, tokens["seat-02"], model=MODEL, contents="two")
    assert info.value.code == 403 and "room's budget" in (info.value.message or "")
    assert fake.call_count == 1


def test_a_revoked_or_reissued_token_is_refused(make_room, serve_room, fake):
    room, _, tokens = make_room()
    server = serve_room(room)
    room.revoke("seat-01")
    with pytest.raises(genai_errors.APIError) as info:
        generate(server.url, tokens["seat-01"], model=MODEL, contents="a kite")
    assert info.value.code == 403 and "revoked" in (info.value.message or "")
    new = room.reissue("seat-02")
    with pytest.raises(genai_errors.APIError) as info:
        generate(server.url, tokens["seat-02"], model=MODEL, contents="a kite")
    assert info.value.code == 401 and "not valid" in (info.value.message or "")
    generate(server.url, new, model=MODEL, contents="a kite")
    assert fake.call_count == 1


def test_identical_requests_from_two_seats_go_upstream_once(make_room, serve_room, fake, tmp_path):
    room, _, tokens = make_room()
    server = serve_room(room)
    first = studio(server.url, tokens["seat-01"], tmp_path / "a").generate("the same notebook cell", seed=7)
    second = studio(server.url, tokens["seat-02"], tmp_path / "b").generate("the same notebook cell", seed=7)
    assert fake.call_count == 1
    assert first.image.tobytes() == second.image.tobytes()
    rows = room.ledger_rows()
    assert [(r["seat"], r["cached"]) for r in rows] == [("seat-01", 0), ("seat-02", 1)]
    assert rows[1]["cost_usd"] == 0 and rows[1]["saved_usd"] == pytest.approx(rows[0]["cost_usd"])
    state = room.state()["room"]
    assert state["cache_hits"] == 1 and state["saved_usd"] == pytest.approx(rows[0]["cost_usd"])
    # each student's own ledger records what the gateway charged their seat: the replay cost the second $0
    assert first.cost_usd == pytest.approx(rows[0]["cost_usd"]) and second.cost_usd == 0
    assert first.list_cost_usd > 0 and second.list_cost_usd == pytest.approx(first.list_cost_usd)
    # streamed (its own cache entry: a stream is another call), the replay is charged $0 too: the charge
    # header comes with the stream's first event
    sink = []
    paid = studio(server.url, tokens["seat-03"], tmp_path / "c").generate("a streamed cell", stream=True,
                                                                          on_text=sink.append)
    again = studio(server.url, tokens["seat-01"], tmp_path / "d")
    replayed = again.generate("a streamed cell", stream=True, on_text=sink.append)
    assert fake.call_count == 2 and paid.cost_usd > 0 and replayed.cost_usd == 0 and sink
    assert again.session_ledger.df["cost_usd"].sum() == 0


def test_the_charge_header_counts_only_for_a_classroom_studio(fake, tmp_path):
    """A plain Gemini Studio ignores the header: only a Studio made with classroom= trusts the gateway's figure."""

    plain = tk.Studio(backend="gemini", api_key=UPSTREAM_KEY, base_url=fake.base_url, home=tmp_path / "p")
    assert not plain.backend.classroom
    classroom = tk.Studio(classroom=fake.base_url, seat_token=UPSTREAM_KEY, home=tmp_path / "c")
    assert classroom.backend.classroom


def test_identical_concurrent_requests_wait_for_the_one_in_flight(make_room, serve_room, fake):
    import concurrent.futures

    room, _, tokens = make_room(seats=6)
    fake.latency_s = 0.3
    server = serve_room(room)

    def call(token: str) -> bytes:
        reply = generate(server.url, token, model=MODEL, contents="all at once")
        return next(p.inline_data.data for p in reply.candidates[0].content.parts if p.inline_data)

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        images = list(pool.map(call, tokens.values()))
    assert fake.call_count == 1 and len(set(images)) == 1
    assert sum(r["cached"] for r in room.ledger_rows()) == 5


def test_a_429_upstream_reaches_students_as_a_wait_with_retry_info(make_room, serve_room, fake, tmp_path):
    room, _, tokens = make_room()
    server = serve_room(room)
    fake.enqueue(Outcome.error(429, retry_delay="0.3s"))
    with pytest.raises(genai_errors.APIError) as info:
        generate(server.url, tokens["seat-01"], model=MODEL, contents="a kite")
    assert info.value.code == 429
    assert "RetryInfo" in json.dumps(info.value.details) and "0.3s" in json.dumps(info.value.details)
    # the whole room now waits: another seat is told to wait, without a call upstream
    r = httpx.post(f"{server.url}/v1beta/models/{MODEL}:generateContent",
                   headers={"x-goog-api-key": tokens["seat-02"]}, json={"contents": [{"parts": [{"text": "x"}]}]})
    assert r.status_code == 429 and "wait" in r.json()["error"]["message"]
    assert r.json()["error"]["details"][0]["retryDelay"].endswith("s")
    assert fake.call_count == 1
    # and a toolkit waits as told, then succeeds
    result = studio(server.url, tokens["seat-03"], tmp_path / "h").generate("a kite")
    assert result.status == "ok"
    assert room.ledger_rows()[0]["http_status"] == 429
    assert room.ledger_rows()[0]["cost_usd"] == 0


def test_models_list_is_filtered_to_the_room_and_other_models_are_refused(make_room, serve_room, fake):
    room, _, tokens = make_room(models=("nano-banana-2",))
    server = serve_room(room)
    client = sdk(server.url, tokens["seat-01"])
    names = [m.name for m in client.models.list()]
    assert names == [f"models/{MODEL}"]
    with pytest.raises(genai_errors.APIError) as info:
        client.models.generate_content(model="gemini-3-pro-image", contents="a kite")
    assert info.value.code == 403 and MODEL in (info.value.message or "")
    assert fake.call_count == 0


@pytest.mark.parametrize("path", ["/v1beta/batches", "/v1beta/files", "/upload/v1beta/files",
                                  "/v1beta/interactions", f"/v1beta/models/{MODEL}:batchGenerateContent"])
def test_batch_files_and_interactions_answer_a_clear_501(make_room, serve_room, fake, path):
    room, _, tokens = make_room()
    server = serve_room(room)
    r = httpx.post(server.url + path, headers={"x-goog-api-key": tokens["seat-01"]}, json={})
    assert r.status_code in (501, 404)
    assert "classroom" in r.json()["error"]["message"]
    assert fake.call_count == 0


def test_a_seat_token_reaches_nothing_but_generation(make_room, serve_room):
    room, instructor, tokens = make_room()
    server = serve_room(room)
    for path in ("/classroom/api/state", "/classroom/api/ledger"):
        assert httpx.get(server.url + path, headers={"Authorization": f"Bearer {tokens['seat-01']}"}).status_code \
            == 401
        assert httpx.get(server.url + path, headers={"Authorization": f"Bearer {instructor}"}).status_code == 200
    r = httpx.post(server.url + "/classroom/api/seats/seat-01/cap", json={"cap_usd": 100},
                   headers={"Authorization": f"Bearer {tokens['seat-01']}"})
    assert r.status_code == 401 and room.state()["seats"][0]["cap_usd"] == 0.5
    no_token = httpx.post(f"{server.url}/v1beta/models/{MODEL}:generateContent", json={"contents": []})
    assert no_token.status_code == 401


def test_security_defaults_host_check_body_limit_no_cors(make_room, serve_room, fake):
    room, _, tokens = make_room()
    server = serve_room(room, max_body_bytes=1000)
    url = f"{server.url}/v1beta/models/{MODEL}:generateContent"
    headers = {"x-goog-api-key": tokens["seat-01"]}
    rebound = httpx.post(url, headers={**headers, "Host": "evil.example:80"}, json={"contents": []})
    assert rebound.status_code == 403 and "loopback" in rebound.json()["error"]["message"]
    big = httpx.post(url, headers=headers, content=b"{" + b" " * 5000 + b"}")
    assert big.status_code == 413 and "larger than" in big.json()["error"]["message"]
    preflight = httpx.options(url, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert not any(k.lower().startswith("access-control") for k in preflight.headers)
    page = httpx.get(server.url + "/classroom/")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert not any(k.lower().startswith("access-control") for k in page.headers)
    assert fake.call_count == 0


def test_offline_gateway_answers_with_the_simulator_and_budgets_hold(make_room, serve_room, fake, tmp_path):
    room, _, tokens = make_room(cap=0.15)
    server = serve_room(room, offline=True)
    s = studio(server.url, tokens["seat-01"], tmp_path / "h")
    first = s.generate("a lighthouse", seed=1)
    assert first.status == "ok" and first.image is not None
    streamed = s.generate("a lighthouse at night", on_text=lambda d: None)
    assert streamed.status == "ok"
    with pytest.raises(tk.ProviderError, match=r"cap \$0\.15"):
        s.generate("a third lighthouse")
    assert fake.call_count == 0
    assert [r["status"] for r in room.ledger_rows()] == ["ok", "ok", "refused"]


def test_upstream_unreachable_is_a_503_and_charges_nothing(make_room, tmp_path):
    from toolkit.classroom.server import GatewayServer, build_gateway

    room, _, tokens = make_room()
    gateway = build_gateway(room, upstream="http://127.0.0.1:9", api_key=UPSTREAM_KEY)
    with GatewayServer(gateway) as server:
        r = httpx.post(f"{server.url}/v1beta/models/{MODEL}:generateContent",
                       headers={"x-goog-api-key": tokens["seat-01"]}, json={"contents": [{"parts": [{"text": "x"}]}]})
    assert r.status_code == 503 and "could not be reached" in r.json()["error"]["message"]
    (row,) = room.ledger_rows()
    assert row["status"] == "error" and row["cost_usd"] == 0


def test_studio_classroom_arguments_are_checked(tmp_path):
    with pytest.raises(tk.ConfigError, match="seat_token"):
        tk.Studio(classroom="http://127.0.0.1:8765", home=tmp_path)
    with pytest.raises(tk.ConfigError, match="drop backend="):
        tk.Studio(classroom="http://127.0.0.1:8765", seat_token="seat_x", backend="offline", home=tmp_path)
    with pytest.raises(tk.ConfigError, match="not a usable URL"):
        tk.Studio(classroom="127.0.0.1:8765", seat_token="seat_x", home=tmp_path)
    studio = tk.Studio(classroom="http://127.0.0.1:8765", seat_token="seat_secret_token_123456", home=tmp_path)
    assert "seat_secret_token_123456" not in repr(studio) + repr(studio.backend)


def test_a_chat_through_the_gateway_replays_on_generate_content(make_room, serve_room, fake, tmp_path):
    room, _, tokens = make_room(cap=1.0)
    server = serve_room(room)
    chat = studio(server.url, tokens["seat-01"], tmp_path / "h").chat()
    assert chat.send("a red bicycle").status == "ok"
    assert chat.send("now make it blue").status == "ok"
    assert [r.action for r in fake.calls] == ["generateContent", "generateContent"]
    assert len(fake.calls[1].json["contents"]) == 3  # the whole history, replayed
    assert [r["status"] for r in room.ledger_rows()] == ["ok", "ok"]


def test_sdk_stream_passes_through_and_is_billed_from_the_final_usage(make_room, serve_room, fake):
    room, _, tokens = make_room()
    server = serve_room(room)
    client = sdk(server.url, tokens["seat-01"])
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="a fox in the snow"))
    client.close()
    assert len(chunks) >= 2
    assert any(p.inline_data for c in chunks for p in (c.candidates[0].content.parts or []))
    assert chunks[-1].usage_metadata.candidates_token_count > 0
    (row,) = room.ledger_rows()
    assert (row["action"], row["status"]) == ("streamGenerateContent", "ok") and row["cost_usd"] > 0


def test_an_upstream_error_passes_through_and_charges_nothing(make_room, serve_room, fake, tmp_path):
    room, _, tokens = make_room()
    server = serve_room(room)
    fake.enqueue(Outcome.error(500), "ok")
    result = studio(server.url, tokens["seat-01"], tmp_path / "h").generate("a kite")
    assert result.status == "ok" and fake.call_count == 2  # the toolkit retried the 500 through the gateway
    rows = room.ledger_rows()
    assert [(r["status"], r["http_status"]) for r in rows] == [("error", 500), ("ok", 200)]
    assert rows[0]["cost_usd"] == 0 and room.state()["seats"][0]["spent_usd"] == pytest.approx(rows[1]["cost_usd"])


def test_a_student_who_goes_away_leaves_no_call_in_flight(make_room, serve_room, fake):
    import threading
    import time

    from toolkit.classroom.limits import LimitSettings

    room, _, tokens = make_room(cap=1.0)
    fake.latency_s = 0.6
    server = serve_room(room, limits=LimitSettings(seat_concurrent=1))
    url = f"{server.url}/v1beta/models/{MODEL}"
    headers = {"x-goog-api-key": tokens["seat-01"]}
    first = threading.Thread(target=httpx.post, args=(f"{url}:generateContent",),
                             kwargs={"headers": headers, "json": {"contents": [{"parts": [{"text": "one"}]}]},
                                     "timeout": 30})
    first.start()
    time.sleep(0.1)
    for path, text in ((":generateContent", "queued"), (":streamGenerateContent?alt=sse", "streamed")):
        with pytest.raises(httpx.TimeoutException):  # gives up while queued behind the first call, or mid-answer
            httpx.post(url + path, headers=headers, json={"contents": [{"parts": [{"text": text}]}]}, timeout=0.2)
    first.join()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(r["status"] == "sent" for r in room.ledger_rows()):
        time.sleep(0.1)
    rows = room.ledger_rows()
    assert len(rows) == 3 and not any(r["status"] == "sent" for r in rows)
    assert room.state()["seats"][0]["reserved_usd"] == 0
    seat = room.state()["seats"][0]
    assert seat["spent_usd"] == pytest.approx(sum(r["cost_usd"] for r in rows), abs=1e-6)


def test_priority_tier_and_search_grounding_are_billed_to_the_seat(make_room, serve_room, fake, tmp_path):
    """A seat cannot spend past its cap by asking for the dearer tier or for per-query search grounding: both
    are reserved before the call and billed from the reply (its serviceTier and groundingMetadata)."""
    from toolkit.classroom import costs
    from toolkit.registry import lookup

    info = lookup(MODEL)
    plain = {"contents": [{"parts": [{"text": "a red kite"}]}]}
    priority = {**plain, "serviceTier": "priority"}
    grounded = {**plain, "tools": [{"googleSearch": {}}]}
    assert costs.estimate(info, priority) == pytest.approx(1.8 * costs.estimate(info, plain))
    assert costs.estimate(info, grounded) == pytest.approx(
        costs.estimate(info, plain) + costs.GROUNDING_QUERY_ALLOWANCE * 0.014)

    room, _, tokens = make_room()
    server = serve_room(room)
    s = studio(server.url, tokens["seat-01"], tmp_path / "home")
    r = s.generate("a red kite over the sea", image_size="512", service_tier="priority", grounding="web")
    assert r.ok and r.grounding and r.grounding["queries"] >= 1
    assert fake.requests[-1].json["serviceTier"] == "priority"
    (row,) = room.ledger_rows()
    # the seat is billed what the student's own ledger says: the priority tokens plus the queries
    assert row["cost_usd"] == pytest.approx(r.cost_usd, rel=1e-6)
    assert row["cost_usd"] > 1.8 * 0.9 * lookup(MODEL).output_image_tokens("512") * 60 / 1e6
