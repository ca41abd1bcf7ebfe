"""The OpenRouter judge (toolkit.backends.openrouter_judge): study.judge on backend='openrouter', through the real
``openai`` client against the loopback FakeOpenRouterServer."""

from __future__ import annotations

import base64
import json

import pytest

import toolkit as tk
from toolkit import pricing
from toolkit.backends.judges import JudgeTask, pair_schema, rubric_schema
from toolkit.backends.openrouter_judge import ROUGH_SOURCE, json_schema, judge_model_info
from toolkit.errors import OptionError
from toolkit.testing import FakeOpenRouterServer, Outcome

KEY = "sk-or-v1-judge-7373737373"
QUICK = tk.RetryPolicy(attempts=3, initial_delay_s=0.01, max_delay_s=0.02)
RUBRIC = ["follows the prompt", "the text is legible"]
FACTOR = 1.1  # the fake's usage.cost is the list price times this: the ledger must show the provider's figure


@pytest.fixture(scope="module")
def fake():
    with FakeOpenRouterServer(api_key=KEY, cost_factor=FACTOR) as server:
        yield server


@pytest.fixture()
def server(fake):
    fake.reset()
    yield fake
    fake.reset()


@pytest.fixture()
def studio(server, home):
    return tk.Studio(backend="openrouter", api_key=KEY, base_url=server.base_url, home=home, retry=QUICK)


@pytest.fixture()
def study(studio, server):
    made = studio.compare("A {animal} on a beach", animal=["cat", "dog"], progress=False)
    server.reset()
    return made


def _judge_rows(studio):
    return [r for r in studio.store.calls() if r["operation"] == "judge"]


def _content(call):
    return call.json["messages"][0]["content"]


def test_the_request_carries_images_rubric_and_json_schema_through_the_openai_client(studio, server, study):
    table = study.judge(RUBRIC, show=False)
    calls = server.calls
    assert len(calls) == 2 and {c.model for c in calls} == {"google/gemini-3.8-flash"}
    body = calls[0].json
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True and fmt["json_schema"]["name"]
    schema = fmt["json_schema"]["schema"]
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["required"] == ["follows_the_prompt", "the_text_is_legible"]
    item = schema["properties"]["follows_the_prompt"]
    assert item["properties"]["score"] == {"type": "integer", "minimum": 1, "maximum": 5,
                                           "description": "1 (poor) to 5 (excellent)"}
    assert "propertyOrdering" not in json.dumps(schema)
    assert body["provider"] == {"require_parameters": True} and "modalities" not in body
    text = "".join(p.get("text", "") for p in _content(calls[0]))
    assert "follows the prompt" in text and "the text is legible" in text
    assert "A cat on a beach" in text or "A dog on a beach" in text
    urls = [p["image_url"]["url"] for p in _content(calls[0]) if p["type"] == "image_url"]
    assert len(urls) == 1 and urls[0].startswith("data:image/")
    assert base64.b64decode(urls[0].split(",", 1)[1])[:2] in (b"\x89P", b"\xff\xd8")  # PNG or JPEG
    assert KEY not in json.dumps(calls[0].headers)  # recorded with credentials redacted
    # the fake's answer fits the schema and parses into study.df
    assert (table["status"] == "ok").all()
    df = study.df
    for col in ("judge_follows_the_prompt", "judge_the_text_is_legible"):
        assert df[col].between(1, 5).all()
    assert df["judge_reason_follows_the_prompt"].str.startswith("fake verdict").all()
    assert set(df["judge"]) == {"google/gemini-3.8-flash"}


def test_each_call_has_one_ledger_row_with_usage_cost_and_a_repeat_is_cached_at_zero(studio, server, study):
    first = study.judge(RUBRIC, show=False)
    rows = _judge_rows(studio)
    assert len(rows) == 2 and all(r["status"] == "ok" and r["backend"] == "openrouter" for r in rows)
    for r in rows:  # the money spent is OpenRouter's usage.cost (the list price x the fake's factor)
        assert r["list_cost_usd"] > 0 and r["cost_usd"] == pytest.approx(r["list_cost_usd"] * FACTOR, rel=1e-6)
        assert r["input_image_tokens"] > 0 and r["model"] == "google/gemini-3.8-flash"
    assert first["cost_usd"].sum() == pytest.approx(sum(r["cost_usd"] for r in rows))
    again = study.judge(RUBRIC, show=False)
    assert server.call_count == 2  # nothing new was sent
    assert again["cached"].all() and again["cost_usd"].sum() == 0
    rows = _judge_rows(studio)
    assert len(rows) == 4 and all(bool(r["cached"]) and r["cost_usd"] == 0 for r in rows[2:])
    assert list(again["judge_follows_the_prompt"]) == list(first["judge_follows_the_prompt"])


def test_any_openrouter_vision_model_is_a_judge_priced_from_usage_cost(studio, server, study):
    server.enqueue(Outcome.ok(cost=0.0123), Outcome.ok(cost=0.0123))
    estimate = study.judge(["framing"], model="openai/gpt-5-mini", dry_run=True)
    assert estimate.model == "openai/gpt-5-mini" and estimate.cost_usd > 0 and server.call_count == 0
    table = study.judge(["framing"], model="openai/gpt-5-mini", show=False)
    assert (table["status"] == "ok").all() and {c.model for c in server.calls} == {"openai/gpt-5-mini"}
    rows = _judge_rows(studio)
    assert len(rows) == 2 and all(r["cost_usd"] == pytest.approx(0.0123) for r in rows)
    assert set(study.df["judge"]) == {"openai/gpt-5-mini"}
    info = judge_model_info("openai/gpt-5-mini")
    assert info.price.source == ROUGH_SOURCE and "rough" in info.notes
    # a known Gemini text model (bare or by its OpenRouter id) is estimated at its Gemini list price
    known = judge_model_info("gemini-3.5-flash-lite")
    assert known.id == "google/gemini-3.5-flash-lite" and known.price.input_per_m == 0.3
    usage = {"input_tokens": 2000, "output_tokens": 500}
    assert pricing.list_cost(known, usage) < pricing.list_cost(info, usage)


def test_a_model_id_that_is_not_an_openrouter_id_is_refused_naming_the_fix(study):
    with pytest.raises(OptionError, match=r"not an OpenRouter model id.*openai/gpt-5-mini"):
        study.judge(["framing"], model="gpt-judge", show=False)


@pytest.mark.parametrize("outcome, status, words", [
    (Outcome.text_only("this is { not json"), "error", "not valid JSON"),
    (Outcome.text_only('{"follows_the_prompt": {"score": 9, "reason": "x"}}'), "error", "not a whole number"),
    (Outcome.blocked("PROHIBITED_CONTENT", "I can't judge this image."), "blocked", "I can't judge this image"),
    (Outcome.finish("MAX_TOKENS"), "error", "cut short"),
    (400, "error", "400"),
])
def test_a_malformed_answer_or_a_refusal_is_a_failed_cell_with_one_row(studio, server, study, outcome, status, words):
    server.enqueue(outcome)
    table = study.judge(RUBRIC, show=False)
    assert sorted(table["status"]) == ["failed", "ok"]  # the other cell keeps its verdict
    failed = table[table["status"] == "failed"].iloc[0]
    assert words in failed["error"]
    rows = _judge_rows(studio)
    assert len(rows) == 2 and sorted(r["status"] for r in rows) == sorted(["ok", status])
    bad = next(r for r in rows if r["status"] != "ok")
    if not isinstance(outcome, int):  # an answer came back: what OpenRouter billed for it is recorded
        assert bad["cost_usd"] > 0
    assert study.df["judge_error"].notna().sum() == 1
    # a failed verdict is never cached: judging again sends it again, and it now succeeds
    again = study.judge(RUBRIC, show=False)
    assert (again["status"] == "ok").all() and server.call_count == 3
    blob = json.dumps(_judge_rows(studio), default=str) + table.to_json()
    assert KEY not in blob


def test_pairwise_judging_on_openrouter_sends_both_images_and_an_enum(studio, server):
    study = studio.compare("A red kite", model=["gemini-3.1-flash-image", "gemini-3.1-flash-lite-image"],
                           seed=[1, 2], progress=False)
    server.reset()
    run = study.judge_pairs(arm="model", criterion="follows the prompt", show=False)
    assert run.pairs == 2 and len(run.df) == 4 and server.call_count == 4
    schema = server.calls[0].json["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["better"] == {"type": "string", "enum": ["A", "B", "tie"]}
    assert sum(1 for p in _content(server.calls[0]) if p["type"] == "image_url") == 2
    assert set(run.df["better"]) <= {"A", "B", "tie"} and run.failed == 0


def test_json_schema_is_strict_and_keeps_the_users_criteria_names():
    out = json_schema(rubric_schema(["type", "format"]))  # criteria named like schema keywords stay criteria
    assert out["required"] == ["type", "format"] and set(out["properties"]) == {"type", "format"}
    assert out["properties"]["type"]["additionalProperties"] is False
    task = JudgeTask("pair", {"x": "x"}, pair_schema())
    assert json_schema(task.schema)["required"] == ["better", "reason"]
