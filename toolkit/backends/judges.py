"""Judge transports: what answers a study's judge calls, behind the same Engine path as every other call.

A judge call is a :class:`~toolkit.request.Request` (operation ``"judge"``) sent by :meth:`Engine.execute` with
``transport=`` one of these, so it is cached, budgeted, retried and recorded like an image call. The transport
holds a :class:`JudgeTask` per request key: what the answer must look like (its ``responseSchema``) and, for the
simulated judge, the evidence it may use.

* :class:`SimulatedJudge` answers offline, deterministically, from :mod:`toolkit.simulator.judge`;
* :class:`toolkit.backends.gemini_judge.GeminiJudge` calls a vision-capable Gemini text model with structured
  output through the google-genai SDK.

Every answer is checked against its schema here (:func:`check_verdict`) before the Engine caches it: a refusal,
an answer cut short or JSON that does not fit the schema is a Reply with status ``blocked`` or ``error`` (one
ledger row, never cached, never retried), so a bad verdict is a failed judge cell and never a cached one.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from PIL import Image

from ..errors import OptionError
from ..request import Request
from ..simulator import judge as simulated
from .base import Reply

#: How a criterion becomes a JSON property name and a column suffix ("follows the prompt" -> "follows_the_prompt").
_SLUG = re.compile(r"[^a-z0-9]+")
PAIR_CHOICES = ("A", "B", "tie")
MAX_REASON_CHARS = 400


def slug(criterion: str) -> str:
    """A criterion's property name.

    >>> slug("Same character as the reference!")
    'same_character_as_the_reference'
    """
    out = _SLUG.sub("_", criterion.lower()).strip("_")[:48]
    if not out:
        raise OptionError(f"rubric criterion {criterion!r} has no letters or digits; name it in words, e.g. "
                          f"'follows the prompt'.")
    return out


def rubric_schema(slugs: Sequence[str]) -> dict[str, Any]:
    """The ``responseSchema`` of a rubric verdict: per criterion an integer score 1-5 and a short reason.

    Uses the Gemini API's OpenAPI subset (https://ai.google.dev/api/caching#Schema).
    """
    item = {"type": "OBJECT", "properties": {
        "score": {"type": "INTEGER", "minimum": 1, "maximum": 5, "description": "1 (poor) to 5 (excellent)"},
        "reason": {"type": "STRING", "description": "one short sentence"}},
        "required": ["score", "reason"], "propertyOrdering": ["score", "reason"]}
    return {"type": "OBJECT", "properties": {s: item for s in slugs}, "required": list(slugs),
            "propertyOrdering": list(slugs)}


def pair_schema() -> dict[str, Any]:
    """The ``responseSchema`` of a pairwise verdict: which image is better ("A", "B" or "tie") and why."""
    return {"type": "OBJECT", "properties": {
        "better": {"type": "STRING", "format": "enum", "enum": list(PAIR_CHOICES)},
        "reason": {"type": "STRING", "description": "one short sentence"}},
        "required": ["better", "reason"], "propertyOrdering": ["better", "reason"]}


@dataclass(frozen=True)
class JudgeTask:
    """What one judge request asks, and what the simulated judge may know about it.

    ``kind`` is ``"rubric"`` (``criteria``: slug -> description) or ``"pair"`` (one criterion, two images).
    ``prompt``, ``aspect_ratio`` and ``reply_texts`` describe the judged cell(s); ``salts`` identify the images.
    """

    kind: str
    criteria: Mapping[str, str]
    schema: dict[str, Any]
    prompt: str = ""
    aspect_ratio: str | None = None
    reply_texts: tuple[str, ...] = ()
    salts: tuple[str, ...] = ()
    sample: int = 0
    has_reference: bool = False


def check_verdict(text: str, task: JudgeTask) -> tuple[dict[str, Any] | None, str | None]:
    """(verdict, None) when ``text`` is JSON that fits the task's schema, else (None, what is wrong).

    >>> task = JudgeTask("pair", {"x": "x"}, pair_schema())
    >>> check_verdict('{"better": "A", "reason": "sharper"}', task)[0]["better"]
    'A'
    >>> check_verdict('{"better": "C"}', task)[1]
    "the verdict's 'better' is 'C', not one of A, B, tie"
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        return None, f"the judge's answer is not valid JSON ({e.msg} at character {e.pos} of {len(text)})"
    if not isinstance(data, dict):
        return None, f"the judge's answer is a JSON {type(data).__name__}, not an object"
    if task.kind == "pair":
        better = data.get("better")
        if better not in PAIR_CHOICES:
            return None, f"the verdict's 'better' is {better!r}, not one of {', '.join(PAIR_CHOICES)}"
        return {"better": better, "reason": str(data.get("reason", ""))[:MAX_REASON_CHARS]}, None
    out: dict[str, Any] = {}
    for key in task.criteria:
        item = data.get(key)
        if not isinstance(item, dict):
            return None, f"the verdict has no score for criterion {key!r}"
        score = item.get("score")
        if isinstance(score, float) and score.is_integer():
            score = int(score)
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            return None, f"criterion {key!r} has score {score!r}, not a whole number from 1 to 5"
        out[key] = {"score": score, "reason": str(item.get("reason", ""))[:MAX_REASON_CHARS]}
    return out, None


def verdict_reply(text: str, task: JudgeTask, *, usage: Mapping[str, int] | None = None, finish: str = "STOP",
                  refusal: str | None = None, response_id: str | None = None, model_version: str | None = None,
                  provider: str = "gemini") -> Reply:
    """The Reply for a judge's answer: ``ok`` only when it is complete and fits the schema.

    A refusal is ``blocked``; an answer cut short (``finish="MAX_TOKENS"``) or one that does not fit is an
    ``error`` whose reason names the problem. None of those is cached (the Engine caches ``ok`` only).
    """
    common: dict[str, Any] = {"usage": dict(usage or {}), "response_id": response_id, "model_version": model_version}
    if refusal is not None:
        return Reply("blocked", [], text=text, reason=f"the judge refused to answer: {refusal}", **common)
    if finish not in ("STOP", ""):
        return Reply("error", [], text=text, reason=f"the judge's answer was cut short or stopped ({finish}); "
                                                     f"it is not a verdict", **common)
    _, problem = check_verdict(text, task)
    if problem is not None:
        return Reply("error", [], text=text, reason=f"{problem} ({provider})", **common)
    return Reply("ok", [], text=text, **common)


class JudgeTransport:
    """Base of the judge transports: the tasks of one judging run, by request key."""

    kind: ClassVar[str] = "judge"
    spends_money: ClassVar[bool] = False
    description: ClassVar[str] = "a study's judge"

    def __init__(self) -> None:
        self.tasks: dict[str, JudgeTask] = {}

    def task(self, request: Request) -> JudgeTask:
        found = self.tasks.get(request.key)
        if found is None:
            raise OptionError("this judge transport has no task for the request; build judge requests with "
                              "toolkit.judge (study.judge / study.judge_pairs).")
        return found

    async def generate(self, request: Request) -> Reply:
        raise NotImplementedError  # each transport answers its own way

    def list_models(self) -> list[str]:
        from ..text_models import TEXT_MODELS

        return [m.id for m in TEXT_MODELS]


class SimulatedJudge(JudgeTransport):
    """The offline judge: deterministic verdicts from :mod:`toolkit.simulator.judge`, labelled in every reason.

    It reports the usage a real judge would bill (about four characters a text token, the model's tokens per
    image, the JSON it writes), so cost lessons hold offline; the offline backend spends nothing.
    """

    kind: ClassVar[str] = "offline"
    description: ClassVar[str] = "simulated judge (offline: scores from what the simulator knows)"

    def __init__(self, image_tokens: int = 1120) -> None:
        super().__init__()
        self.image_tokens = image_tokens

    async def generate(self, request: Request) -> Reply:
        task = self.task(request)
        images = [Image.open(io.BytesIO(p.data)) for p in request.input_images]
        judged = images[:-1] if task.has_reference else images
        reference = images[-1] if task.has_reference else None
        evidence = []
        for i, im in enumerate(judged):
            sim = simulated.similarity(im, reference) if reference is not None else None
            said = task.reply_texts[i] if i < len(task.reply_texts) else ""
            evidence.append(simulated.Evidence(task.prompt, im.size, task.aspect_ratio, said, sim))
        if task.kind == "pair":
            (_, description), = task.criteria.items()
            better, why = simulated.prefer(description, evidence[0], evidence[1], salt="|".join(task.salts))
            data: dict[str, Any] = {"better": better, "reason": why}
        else:
            salt = task.salts[0] if task.salts else ""
            data = {k: {"score": s, "reason": r} for k, (s, r) in
                    ((k, simulated.score(d, evidence[0], sample=task.sample, salt=salt))
                     for k, d in task.criteria.items())}
        text = json.dumps(data)
        usage = {"input_tokens": max(1, len(request.prompt) // 4) + self.image_tokens * len(images),
                 "input_image_tokens": self.image_tokens * len(images), "output_tokens": max(1, len(text) // 4)}
        return verdict_reply(text, task, usage=usage, response_id=f"offline-judge-{request.key[:16]}",
                             model_version=request.model, provider="offline")
