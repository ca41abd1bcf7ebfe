"""FakeGeminiServer's structured-output answers for text models (toolkit.testing.gemini_structured), through the
real google-genai SDK."""

from __future__ import annotations

import io
import json

import pytest
from google.genai import errors as genai_errors
from google.genai import types
from PIL import Image

from toolkit.testing import Outcome
from toolkit.testing.gemini_structured import conforming

JUDGE = "gemini-3.8-flash"
SCHEMA = {
    "type": "OBJECT",
    "properties": {
        "sharpness": {"type": "OBJECT", "properties": {
            "score": {"type": "INTEGER", "minimum": 1, "maximum": 5}, "reason": {"type": "STRING"}},
            "required": ["score", "reason"]},
        "verdict": {"type": "STRING", "enum": ["A", "B", "tie"]},
        "confidence": {"type": "NUMBER", "minimum": 0, "maximum": 1},
        "tags": {"type": "ARRAY", "items": {"type": "STRING"}},
    },
    "required": ["sharpness", "verdict"],
    "propertyOrdering": ["verdict", "sharpness"],
}


def _config(**kw):
    return types.GenerateContentConfig(response_mime_type="application/json", response_schema=SCHEMA, **kw)


def _ask(client, text="Judge this.", **kw):
    return client.models.generate_content(model=JUDGE, contents=text, config=_config(**kw))


def _fits(value):
    assert set(value) == {"sharpness", "verdict", "confidence", "tags"}
    assert isinstance(value["sharpness"]["score"], int) and 1 <= value["sharpness"]["score"] <= 5
    assert isinstance(value["sharpness"]["reason"], str) and value["verdict"] in ("A", "B", "tie")
    assert 0 <= value["confidence"] <= 1 and isinstance(value["tags"], list)


def test_answers_json_that_conforms_to_the_response_schema(client, fake):
    response = _ask(client)
    value = json.loads(response.text)
    _fits(value)
    assert list(value)[:2] == ["verdict", "sharpness"]  # propertyOrdering first
    assert response.candidates[0].finish_reason.name == "STOP"
    assert response.usage_metadata.prompt_token_count > 0
    sent = fake.calls[-1].json["generationConfig"]
    assert sent["responseMimeType"] == "application/json" and "responseSchema" in sent


def test_answers_are_deterministic_per_request_and_differ_between_requests(client):
    seen = {_ask(client, f"Judge image {i}.").text for i in range(12)}
    assert _ask(client, "Judge image 0.").text == _ask(client, "Judge image 0.").text
    assert len(seen) > 1


def test_image_input_is_counted_at_the_text_models_rate(client):
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buf, "PNG")
    part = types.Part.from_bytes(data=buf.getvalue(), mime_type="image/png")
    with_image = client.models.generate_content(model=JUDGE, contents=[part, "Judge this."], config=_config())
    without = _ask(client)
    assert with_image.usage_metadata.prompt_token_count - without.usage_metadata.prompt_token_count == 1120


@pytest.mark.parametrize("outcome, check", [
    (Outcome.text_only("{not json"), lambda r: r.text == "{not json"),
    (Outcome.finish("MAX_TOKENS"), lambda r: r.candidates[0].finish_reason.name == "MAX_TOKENS" and r.text),
    # (the SDK's typed answer drops finishMessage; the toolkit reads the wire JSON, see test_judge.py)
    (Outcome.finish("SAFETY", "Cannot judge."), lambda r: r.candidates[0].finish_reason.name == "SAFETY"
     and not r.text),
    (Outcome.blocked("PROHIBITED_CONTENT"), lambda r: r.prompt_feedback.block_reason.name == "PROHIBITED_CONTENT"),
])
def test_scripted_failures(client, fake, outcome, check):
    fake.enqueue(outcome)
    response = _ask(client)
    assert check(response)
    if outcome.kind == "finish" and outcome.reason == "MAX_TOKENS":
        with pytest.raises(ValueError):
            json.loads(response.text)  # cut short: not JSON
    assert json.loads(_ask(client).text)  # the next call is answered normally again


def test_an_unknown_text_model_is_a_404(client):
    with pytest.raises(genai_errors.ClientError) as caught:
        client.models.generate_content(model="gemini-9-judge", contents="x", config=_config())
    assert caught.value.code == 404


def test_a_text_model_without_a_schema_is_not_answered_as_structured(client):
    with pytest.raises(genai_errors.ClientError):  # the fake serves image models, and this is none of them
        client.models.generate_content(model=JUDGE, contents="x")


def test_conforming_respects_bounds_and_enums():
    for seed in range(30):
        value = conforming(SCHEMA, bytes([seed]))
        _fits(value)
