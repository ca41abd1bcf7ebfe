"""The Gemini judge's wire mapping: one structured-output ``generateContent`` call to a vision-capable text model.

The request is the judge's Request (instruction, rubric and the images, inline) through the same google-genai
client as the Gemini backend (``client.aio.models.generate_content``, retries ours), with
``generationConfig.responseMimeType: "application/json"`` and ``responseSchema`` set from the task
(https://ai.google.dev/gemini-api/docs/structured-output) and text out only. The reply is read as wire JSON
(``should_return_http_response``), like :class:`toolkit.backends.gemini.GenerateContentBackend`, so a refusal's
``finishMessage`` survives. Checking the verdict against the schema is :func:`toolkit.backends.judges.verdict_reply`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from ..errors import MalformedReplyError, ProviderError
from ..request import Request
from .base import BLOCK_REASONS, Reply
from .gemini_calls import sdk_generate_json
from .gemini_wire import parse_usage, sdk_contents, to_provider_error
from .judges import JudgeTask, JudgeTransport, verdict_reply

#: The judge's output cap: a verdict is a few hundred tokens; thinking models need room to think first.
MAX_OUTPUT_TOKENS = 8192


def judge_config(task: JudgeTask, *, raw: bool = True) -> Any:
    """The SDK's ``GenerateContentConfig`` of a judge call: JSON out, shaped by the task's schema.

    >>> from toolkit.backends.judges import pair_schema, JudgeTask
    >>> judge_config(JudgeTask("pair", {"x": "x"}, pair_schema())).response_mime_type
    'application/json'
    """
    from google.genai import types as t

    return t.GenerateContentConfig(
        response_mime_type="application/json", response_schema=t.Schema.model_validate(_snake(task.schema)),
        response_modalities=["TEXT"], temperature=None if task.sample == 0 else 1.0,
        max_output_tokens=MAX_OUTPUT_TOKENS, should_return_http_response=True if raw else None,
    )


def _snake(schema: Any) -> Any:
    """Our schema (wire names) with the SDK's field names (``propertyOrdering`` -> ``property_ordering``)."""
    if isinstance(schema, dict):
        out = {}
        for k, v in schema.items():
            name = "property_ordering" if k == "propertyOrdering" else k
            # property names are the user's criteria: kept as they are
            out[name] = {pk: _snake(pv) for pk, pv in v.items()} if k == "properties" else _snake(v)
        return out
    if isinstance(schema, list):
        return [_snake(v) for v in schema]
    return schema


def read_verdict(body: Any, task: JudgeTask, *, provider: str = "gemini") -> Reply:
    """A ``GenerateContentResponse`` (wire JSON) of a judge call -> its :class:`Reply` (see
    :func:`~toolkit.backends.judges.verdict_reply`)."""
    if not isinstance(body, dict):
        raise MalformedReplyError(provider, "the reply was not a JSON object")
    usage = parse_usage(body.get("usageMetadata"))
    common: dict[str, Any] = {"usage": usage, "response_id": body.get("responseId"),
                              "model_version": body.get("modelVersion"), "provider": provider}
    block = (body.get("promptFeedback") or {}).get("blockReason")
    if block:
        message = (body.get("promptFeedback") or {}).get("blockReasonMessage") or ""
        return verdict_reply("", task, refusal=f"{block}{': ' + message if message else ''}", **common)
    candidates = body.get("candidates") or []
    if not candidates:
        return verdict_reply("", task, finish="NO_CANDIDATE", **common)
    cand = candidates[0]
    finish = str(cand.get("finishReason") or "STOP")
    parts = (cand.get("content") or {}).get("parts") or []
    text = "".join(p.get("text", "") for p in parts if isinstance(p, dict) and not p.get("thought"))
    if finish in BLOCK_REASONS:
        message = cand.get("finishMessage") or ""
        return verdict_reply(text, task, refusal=f"{finish}{': ' + message if message else ''}", **common)
    return verdict_reply(text, task, finish=finish, **common)


class GeminiJudge(JudgeTransport):
    """A judge transport on the Gemini API: the Gemini backend's google-genai client, structured output.

    Parameters
    ----------
    client : google.genai.Client
        The Gemini backend's client (``GeminiBackend.client``).
    provider_error : callable, optional
        The backend's SDK-exception mapping (default :func:`~toolkit.backends.gemini_wire.to_provider_error`).
    """

    kind: ClassVar[str] = "gemini"
    spends_money: ClassVar[bool] = True
    description: ClassVar[str] = "Gemini judge (structured output from a vision-capable text model)"

    def __init__(self, client: Any, *, provider_error: Callable[[Exception, str | None], ProviderError | None]
                 | None = None) -> None:
        super().__init__()
        self.client = client
        self._map_error = provider_error or (lambda e, model: to_provider_error(e, model, provider="gemini"))

    async def generate(self, request: Request) -> Reply:
        task = self.task(request)
        body = await sdk_generate_json(self.client, request.model, sdk_contents(request), judge_config(task),
                                       self.kind, self._map_error)
        return read_verdict(body, task, provider=self.kind)
