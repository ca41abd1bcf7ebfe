"""Studies that judge themselves (toolkit.judge): against the loopback fake through the real google-genai SDK, and
offline with the simulated judge."""

from __future__ import annotations

import base64
import json

import pytest

from toolkit import judge, ratings
from toolkit.errors import BudgetExceededError, OptionError
from toolkit.testing import Outcome

RUBRIC = ["follows the prompt", "the text is legible"]


def _judge_rows(studio):
    return [r for r in studio.store.calls() if r["operation"] == "judge"]


@pytest.fixture()
def study(gemini):
    return gemini.compare("A {animal} on a beach", animal=["cat", "dog"], progress=False)


def test_judge_request_carries_image_rubric_and_schema_through_the_sdk(gemini, server, study):
    server.reset()
    table = study.judge(RUBRIC, show=False)
    calls = server.calls
    assert len(calls) == 2 and all(c.model == "gemini-3.8-flash" for c in calls)
    body = calls[0].json
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    schema = config["responseSchema"]
    assert schema["required"] == ["follows_the_prompt", "the_text_is_legible"]
    assert schema["properties"]["follows_the_prompt"]["properties"]["score"]["type"] == "INTEGER"
    parts = body["contents"][0]["parts"]
    text = "".join(p.get("text", "") for p in parts)
    assert "follows the prompt" in text and "the text is legible" in text
    assert "A cat on a beach" in text or "A dog on a beach" in text
    images = [p["inlineData"] for p in parts if "inlineData" in p]
    assert len(images) == 1 and (images[0].get("mimeType") or images[0]["mime_type"]).startswith("image/")
    data = images[0]["data"]
    assert base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))[:2] in (b"\x89P", b"\xff\xd8")  # PNG or JPEG
    # the fake's answer conforms to the schema, and parses into study.df
    assert (table["status"] == "ok").all()
    df = study.df
    for col in ("judge_follows_the_prompt", "judge_the_text_is_legible"):
        assert df[col].between(1, 5).all()
    assert df["judge_reason_follows_the_prompt"].str.startswith("fake verdict").all()
    assert set(df["judge"]) == {"gemini-3.8-flash"}


def test_every_judge_call_has_one_ledger_row_and_a_repeat_is_cached_at_zero(gemini, server, study):
    server.reset()
    first = study.judge(RUBRIC, show=False)
    assert first["cost_usd"].gt(0).all()
    rows = _judge_rows(gemini)
    assert len(rows) == 2 and all(r["status"] == "ok" and r["cost_usd"] > 0 for r in rows)
    again = study.judge(RUBRIC, show=False)
    assert server.call_count == 2  # nothing new was sent
    assert again["cached"].all() and again["cost_usd"].sum() == 0
    rows = _judge_rows(gemini)
    assert len(rows) == 4 and all(bool(r["cached"]) and r["cost_usd"] == 0 for r in rows[2:])
    assert list(again["judge_follows_the_prompt"]) == list(first["judge_follows_the_prompt"])


def test_the_estimate_is_shown_and_the_budget_refuses_before_sending(gemini, server, study, capsys):
    estimate = study.judge(RUBRIC, dry_run=True)
    assert isinstance(estimate, judge.JudgeEstimate) and estimate.calls == 2 and estimate.cost_usd > 0
    server.reset()
    gemini.budget.cap = gemini.budget.state().committed + estimate.cost_usd / 3
    with pytest.raises(BudgetExceededError):
        study.judge(RUBRIC)
    assert "JudgeEstimate(" in capsys.readouterr().out
    assert server.call_count == 0 and _judge_rows(gemini) == []


def test_plan_judge_shows_an_estimate_without_sending(gemini, server):
    plan = gemini.plan("A {animal} in the snow", animal=["cat", "dog", "owl"])
    server.reset()
    est = plan.judge(RUBRIC, samples=2)
    assert est.calls == 6 and est.cost_usd > 0 and est.list_cost_usd == est.cost_usd
    assert server.call_count == 0


@pytest.mark.parametrize("outcome, status_word", [
    (Outcome.text_only("this is { not json"), "not valid JSON"),
    (Outcome.blocked("PROHIBITED_CONTENT"), "refused"),
    (Outcome.finish("MAX_TOKENS"), "cut short"),
    (Outcome.finish("SAFETY", "I can't judge this image."), "refused"),
    (Outcome.text_only('{"follows_the_prompt": {"score": 9, "reason": "x"}}'), "not a whole number from 1 to 5"),
])
def test_a_bad_answer_is_a_failed_judge_cell_with_one_row_never_a_crash(gemini, server, study, outcome, status_word):
    server.reset()
    server.enqueue(outcome)
    table = study.judge(RUBRIC, show=False)
    assert sorted(table["status"]) == ["failed", "ok"]  # the other cell keeps its verdict
    failed = table[table["status"] == "failed"].iloc[0]
    assert status_word in failed["error"]
    rows = _judge_rows(gemini)
    assert len(rows) == 2 and sorted(r["status"] for r in rows) != ["ok", "ok"]
    assert study.df["judge_error"].notna().sum() == 1
    # a failed verdict is never cached: judging again sends it again, and it now succeeds
    again = study.judge(RUBRIC, show=False)
    assert (again["status"] == "ok").all() and server.call_count == 3


def test_samples_report_mean_and_spread(gemini, server, study):
    table = study.judge(["overall quality"], samples=3, show=False)
    assert len(table) == 6 and len({k for k in table.index}) == 6
    df = study.df
    for cell, row in df.iterrows():
        scores = table.loc[cell]["judge_overall_quality"].tolist()
        assert row["judge_overall_quality"] == pytest.approx(sum(scores) / 3)
        assert row["judge_overall_quality_n"] == 3 and row["judge_overall_quality_sd"] >= 0
    # each sample is its own cached call (the sample index is part of the key)
    judged = [c for c in server.calls if c.model == "gemini-3.8-flash"]
    assert len(judged) == 6 and len({c.json["contents"][0]["parts"][0]["text"] for c in judged}) == 2
    assert study.judge(["overall quality"], samples=3, show=False)["cached"].all()


def test_pairwise_judging_both_orders_position_bias_and_ratings_by_judge(gemini, server):
    study = gemini.compare("A red kite", model=["gemini-3.1-flash-image", "gemini-3.1-flash-lite-image"],
                           seed=[1, 2, 3], progress=False)
    server.reset()
    run = study.judge_pairs(arm="model", criterion="follows the prompt", show=False)
    assert run.pairs == 3 and len(run.df) == 6 and server.call_count == 6
    schema = server.calls[0].json["generationConfig"]["responseSchema"]
    assert schema["properties"]["better"]["enum"] == ["A", "B", "tie"]
    assert sum(1 for p in server.calls[0].json["contents"][0]["parts"] if "inlineData" in p) == 2
    for _, g in run.df.groupby("pair"):  # both orders of each pair
        assert set(g["first_shown"]) == set(g["second_shown"])
    decided = run.df[run.df["better"] != "tie"]
    if len(decided):
        assert run.first_shown_share == pytest.approx((decided["better"] == "A").mean())
    filed = [j for j in study.judgements() if j.judge.startswith(ratings.JUDGE_PREFIX)]
    assert len(filed) == 6 and {j.judge for j in filed} == {"judge:gemini-3.8-flash"}
    by_judge = study.ratings("model", by="judge")
    assert by_judge["comparisons"].sum() == 12 and study.ratings("model", by="human").empty is False
    assert study.ratings("model", by="human")["comparisons"].sum() == 0
    # judging again replays from the cache and files nothing twice
    again = study.judge_pairs(arm="model", criterion="follows the prompt", show=False)
    assert again.df["cached"].all() and len(study.judgements()) == 6


def test_offline_simulated_judge_end_to_end(studio):
    study = studio.compare("A {animal} in a kitchen", animal=["cat", "zorblax"], aspect_ratio="16:9",
                           progress=False)
    table = study.judge({"follows the prompt": "every subject is drawn", "framing": "the aspect ratio asked"},
                        show=False)
    assert (table["status"] == "ok").all() and table["cost_usd"].sum() == 0
    df = study.df
    assert set(df["judge"]) == {"simulated judge"}
    assert df["judge_reason_follows_the_prompt"].str.startswith("simulated judge").all()
    cat, unknown = df.loc[0], df.loc[1]
    assert cat["judge_follows_the_prompt"] > unknown["judge_follows_the_prompt"]  # it could not draw a zorblax
    assert "zorblax" in unknown["judge_reason_follows_the_prompt"]
    assert all(r["operation"] == "judge" and r["backend"] == "offline" for r in _judge_rows(studio))


def test_bad_rubric_and_options_are_refused_naming_the_fix(studio):
    study = studio.compare("A cat", progress=False)
    with pytest.raises(OptionError, match="rubric is empty"):
        study.judge([])
    with pytest.raises(OptionError, match="both become column"):
        study.judge(["Framing", "framing!"])
    with pytest.raises(OptionError, match="samples=0"):
        study.judge(["framing"], samples=0)
    with pytest.raises(OptionError, match=r"not a known judge model.*gemini-3\.8-flash"):
        study.judge(["framing"], model="gpt-judge")


def test_the_api_key_never_reaches_a_verdict_or_the_ledger(gemini, server, study):
    server.enqueue(Outcome.text_only("not json at all"))
    table = study.judge(RUBRIC, show=False)
    blob = json.dumps(_judge_rows(gemini), default=str) + table.to_json() + repr(table)
    assert "test-key-123456" not in blob


def test_a_cell_whose_image_cannot_be_read_fails_alone_and_sends_nothing(studio):
    from pathlib import Path

    study = studio.compare("A {animal} at noon", animal=["cat", "owl"], progress=False)
    Path(study.results[0].paths[0]).unlink()
    table = study.judge(["framing"], show=False)
    assert table.loc[(0, 0), "status"] == "failed" and "could not be read" in table.loc[(0, 0), "error"]
    assert table.loc[(1, 0), "status"] == "ok"
    assert len(_judge_rows(studio)) == 1  # only the readable cell was sent
