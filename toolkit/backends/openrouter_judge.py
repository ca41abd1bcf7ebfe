"""The OpenRouter judge: one structured-output chat completion to any vision model OpenRouter serves.

The request is the judge's Request (instruction, rubric and the images as ``image_url`` data URLs, built by
:meth:`OpenRouterBackend.messages`) through the OpenRouter backend's own ``openai`` client (``max_retries=0``:
the Engine's retries only), with ``response_format={"type": "json_schema", "json_schema": {"name", "strict":
true, "schema"}}`` (https://openrouter.ai/docs/structured-outputs) and ``provider.require_parameters`` so that
OpenRouter routes only to providers that honour the schema
(https://openrouter.ai/docs/features/provider-routing). The task's schema (the Gemini API's OpenAPI subset) is
sent as JSON Schema (:func:`json_schema`). The reply is read as raw JSON, like the image backend, and
:func:`toolkit.backends.openrouter.parse_completion` maps error bodies to ProviderError and records
``usage.cost`` as the money spent; checking the verdict is :func:`toolkit.backends.judges.verdict_reply`.

Model ids are OpenRouter's (``"vendor/model"``, any vision model: :func:`judge_model_info`). A Gemini text
model of :data:`toolkit.text_models.TEXT_MODELS` (``"google/gemini-3.8-flash"``, the default, or its bare id)
is estimated at its Gemini list price; any other id at a **rough** rate, labelled so in its price source. The
spend is always OpenRouter's own ``usage.cost``.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, ClassVar

from .. import text_models
from ..errors import MalformedReplyError, OptionError
from ..registry import ModelInfo, Price
from ..request import Request
from .base import Reply
from .gemini_judge import MAX_OUTPUT_TOKENS
from .judges import JudgeTask, JudgeTransport, verdict_reply
from .openrouter import completion_json, parse_completion

#: The default judge on OpenRouter: the toolkit's default Gemini judge model, by its OpenRouter id.
DEFAULT_OPENROUTER_JUDGE = f"google/{text_models.DEFAULT_JUDGE_MODEL}"
#: USD per million input / output tokens assumed for a judge model the toolkit has no price for: a rough,
#: deliberately high guess (a frontier vision model's rate) so the budget's estimate errs on the safe side.
ROUGH_PRICE_PER_M = (3.0, 15.0)
ROUGH_SOURCE = ("rough estimate: the toolkit has no price for this model, so $3 / $15 per million input / output "
                "tokens is assumed; the money recorded is OpenRouter's usage.cost")
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._:+-]*$")
# OpenRouter's finish_reason values -> the vocabulary verdict_reply understands ("STOP" is a complete answer).
_FINISH = {"stop": "STOP", "length": "MAX_TOKENS", "": "STOP"}


def judge_model_info(model: str | None = None) -> ModelInfo:
    """An OpenRouter judge model id -> the :class:`~toolkit.registry.ModelInfo` the Engine prices it with.

    >>> judge_model_info().id, judge_model_info("gemini-3.5-flash").price.input_per_m
    ('google/gemini-3.8-flash', 1.5)
    >>> judge_model_info("openai/gpt-5-mini").price.source.startswith("rough estimate")
    True
    """
    wanted = DEFAULT_OPENROUTER_JUDGE if model is None else model
    if not isinstance(wanted, str):
        raise OptionError(f"model={model!r} must be an OpenRouter model id such as 'openai/gpt-5-mini'.")
    wanted = wanted.strip()
    known = {m.id: m for m in text_models.TEXT_MODELS}
    bare = wanted.removeprefix("google/")
    if bare in known:
        return dataclasses.replace(text_models.model_info(known[bare]), id=f"google/{bare}")
    if not _SLUG.match(wanted):
        raise OptionError(f"model={model!r} is not an OpenRouter model id; on backend='openrouter' the judge is any "
                          f"vision model by its OpenRouter id ('vendor/model', e.g. 'openai/gpt-5-mini' or "
                          f"{DEFAULT_OPENROUTER_JUDGE!r}; see https://openrouter.ai/models).")
    base = text_models.model_info(text_models.DEFAULT_JUDGE_MODEL)
    cost_in, cost_out = ROUGH_PRICE_PER_M
    return dataclasses.replace(
        base, id=wanted, nickname=wanted, price=Price(cost_in, cost_out, cost_out, source=ROUGH_SOURCE),
        released=None, notes="a judge model through OpenRouter; its estimate is rough (" + ROUGH_SOURCE + ")",
        sources={"price": ROUGH_SOURCE})


def json_schema(schema: Any) -> Any:
    """A task's schema (the Gemini API's OpenAPI subset) as strict JSON Schema: lowercase types, no
    ``propertyOrdering`` or ``format: enum``, every property required and no others allowed.

    >>> from toolkit.backends.judges import pair_schema
    >>> json_schema(pair_schema())["properties"]["better"]
    {'type': 'string', 'enum': ['A', 'B', 'tie']}
    """
    if isinstance(schema, list):
        return [json_schema(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for k, v in schema.items():
        if k == "propertyOrdering" or (k == "format" and v == "enum"):
            continue
        if k == "type" and isinstance(v, str):
            out[k] = v.lower()
        elif k == "properties" and isinstance(v, dict):
            out[k] = {name: json_schema(p) for name, p in v.items()}  # names are the user's criteria: kept
        else:
            out[k] = json_schema(v)
    if out.get("type") == "object":
        out["required"] = list(out.get("properties") or {})
        out["additionalProperties"] = False
    return out


def response_format(task: JudgeTask) -> dict[str, Any]:
    """The ``response_format`` of a judge call (OpenRouter's structured outputs, strict)."""
    return {"type": "json_schema", "json_schema": {"name": f"{task.kind}_verdict", "strict": True,
                                                   "schema": json_schema(task.schema)}}


def read_verdict(body: Any, task: JudgeTask, info: ModelInfo, *, provider: str = "openrouter") -> Reply:
    """A chat-completion reply (wire JSON) of a judge call -> its :class:`Reply`, with ``usage.cost`` as the
    money spent. An error body raises ProviderError (as for an image call); a refusal (``message.refusal`` or
    ``finish_reason="content_filter"``) is ``blocked``; an answer cut short or off-schema is an ``error``."""
    if not isinstance(body, dict):
        raise MalformedReplyError(provider, "the reply was not a JSON object")
    parsed = parse_completion(body, info)  # raises the body's error; text, usage and usage.cost
    common: dict[str, Any] = {"usage": parsed.usage, "response_id": parsed.response_id,
                              "model_version": parsed.model_version, "provider": provider}
    choices = body.get("choices") or []
    choice = choices[0] if choices and isinstance(choices[0], dict) else None
    if choice is None:
        reply = verdict_reply("", task, finish="NO_CHOICE", **common)
    else:
        message = choice.get("message") or {}
        refusal = message.get("refusal") if isinstance(message, dict) else None
        finish = str(choice.get("finish_reason") or "")
        if refusal or parsed.status == "blocked":
            why = [str(x) for x in (parsed.reason if parsed.status == "blocked" else None, refusal) if x]
            reply = verdict_reply(parsed.text, task, refusal=": ".join(why) or finish, **common)
        else:
            reply = verdict_reply(parsed.text, task, finish=_FINISH.get(finish, finish.upper()), **common)
    reply.extra.update({k: v for k, v in parsed.extra.items() if k in ("cost_usd", "cost_source", "provider")})
    return reply


class OpenRouterJudge(JudgeTransport):
    """A judge transport on OpenRouter: the OpenRouter backend's ``openai`` client, structured output.

    Parameters
    ----------
    backend : OpenRouterBackend
        The study's (or the judge Engine's) OpenRouter backend: its ``client`` and its ``messages``.
    """

    kind: ClassVar[str] = "openrouter"
    spends_money: ClassVar[bool] = True
    description: ClassVar[str] = "OpenRouter judge (structured output from any vision model by its OpenRouter id)"

    def __init__(self, backend: Any) -> None:
        super().__init__()
        self.backend = backend
        self.client = backend.client

    async def generate(self, request: Request) -> Reply:
        task = self.task(request)
        info = judge_model_info(request.model)
        kwargs: dict[str, Any] = {"max_tokens": MAX_OUTPUT_TOKENS}
        if task.sample:
            kwargs["temperature"] = 1.0
        body = await completion_json(
            self.client, request.model, request.model, self.backend.messages(request),
            response_format=response_format(task),
            extra_body={"usage": {"include": True}, "provider": {"require_parameters": True}}, **kwargs)
        return read_verdict(body, task, info, provider=self.kind)

    def list_models(self) -> list[str]:
        return [f"google/{m.id}" for m in text_models.TEXT_MODELS]
