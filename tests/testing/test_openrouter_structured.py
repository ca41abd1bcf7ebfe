"""FakeOpenRouterServer's structured-output answers (toolkit.testing.openrouter_structured), through the real
``openai`` client."""

from __future__ import annotations

import base64
import io
import json

import openai
import pytest
from PIL import Image

from toolkit.testing import FakeOpenRouterServer, Outcome

KEY = "sk-or-v1-structured-5151"
SCHEMA = {"type": "object", "additionalProperties": False, "required": ["better", "score"], "properties": {
    "better": {"type": "string", "enum": ["A", "B", "tie"]},
    "score": {"type": "integer", "minimum": 1, "maximum": 5}}}


@pytest.fixture(scope="module")
def fake():
    with FakeOpenRouterServer(api_key=KEY) as server:
        yield server


@pytest.fixture()
def client(fake):
    fake.reset()
    return openai.OpenAI(api_key=KEY, base_url=fake.base_url, max_retries=0)


def _png() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _ask(client, model="google/gemini-3.8-flash", schema=SCHEMA, name="verdict"):
    messages = [{"role": "user", "content": [{"type": "text", "text": "Which is better?"},
                                             {"type": "image_url", "image_url": {"url": _png()}}]}]
    fmt = {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}}
    return json.loads(client.chat.completions.with_raw_response.create(
        model=model, messages=messages, response_format=fmt).content)  # type: ignore[arg-type]


def test_the_answer_fits_the_schema_is_deterministic_and_billed(client):
    first, second = _ask(client), _ask(client)
    verdict = json.loads(first["choices"][0]["message"]["content"])
    assert verdict["better"] in ("A", "B", "tie") and 1 <= verdict["score"] <= 5 and set(verdict) == set(SCHEMA["required"])
    assert second["choices"][0]["message"]["content"] == first["choices"][0]["message"]["content"]
    usage = first["usage"]
    assert usage["cost"] > 0 and usage["prompt_tokens_details"]["image_tokens"] > 0
    assert first["choices"][0]["finish_reason"] == "stop" and "images" not in first["choices"][0]["message"]


def test_scripted_malformed_refused_and_truncated_answers(client, fake):
    fake.enqueue(Outcome.text_only("{oops"), Outcome.blocked("PROHIBITED_CONTENT", "No."), Outcome.finish("MAX_TOKENS"))
    assert _ask(client)["choices"][0]["message"]["content"] == "{oops"
    refused = _ask(client)["choices"][0]
    assert refused["message"]["content"] is None and refused["message"]["refusal"] == "No."
    assert refused["finish_reason"] == "content_filter" and refused["native_finish_reason"] == "PROHIBITED_CONTENT"
    cut = _ask(client)["choices"][0]
    assert cut["finish_reason"] == "length"
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut["message"]["content"])


def test_bad_structured_requests_get_openrouters_400(client):
    with pytest.raises(openai.BadRequestError, match="not a valid model ID"):
        _ask(client, model="nobody/no-such-model")
    with pytest.raises(openai.BadRequestError, match="name is required"):
        _ask(client, name="")
    with pytest.raises(openai.BadRequestError, match="type 'object'"):
        _ask(client, schema={"type": "string"})
