"""A fake of the Gemini Interactions API, served by :class:`~toolkit.testing.FakeGeminiServer`.

:class:`FakeInteractions` answers ``POST /{v1|v1beta}/interactions`` (create), ``GET
/interactions/{id}``, ``DELETE /interactions/{id}`` and ``POST /interactions/{id}/cancel`` the way the
real service does for image models (https://ai.google.dev/gemini-api/docs/interactions and its OpenAPI
description https://ai.google.dev/static/api/interactions-v1.openapi.json): ``steps`` with a ``thought``
step (signature) and a ``model_output`` step (text, then the image), ``usage`` with totals and lower-case
per-modality lists, ``status``, and errors in the Interactions body shape ``{"error": {"code": "<slug>",
"message": ...}}``. Successful turns are drawn by the offline simulator (or the server's
``static_image``), like the rest of the fake.

State is kept per id, so ``previous_interaction_id`` continues a conversation: a follow-up without an image
edits the last image of the conversation it continues. Every stored interaction expires ``ttl_s`` after
it was created (1 day, the free tier's retention, by default); :meth:`FakeInteractions.expire` expires
one (or all) now. Every request is recorded with the bytes received and sent
(:attr:`FakeInteractions.requests`), which is what ``benchmarks/chat_bytes.py`` measures.

Choices where the real API is undocumented (written here so tests can rely on them):

* An unknown, expired or deleted ``previous_interaction_id`` gets HTTP 404 ``not_found`` with the message
  "Interaction '<id>' was not found. It may have expired or been deleted."; an unknown model gets 404
  ``not_found`` naming the model.
* ``usage`` counts only the new turn's input (as real recorded stateful turns do), never the stored
  history; ``total_cached_tokens`` is 0.
* Error slugs: 400 ``invalid_request``, 401 ``unauthenticated``, 403 ``permission_denied``, 404
  ``not_found``, 409 ``conflict``, 429 ``resource_exhausted``, 500 ``internal``, 503 ``unavailable``,
  504 ``deadline_exceeded``.
* Scripted outcomes (:class:`~toolkit.testing.Outcome`): ``ok``, ``no_image`` (completed, text only),
  ``failed``, ``blocked``, ``incomplete`` (HTTP 200 with that status and a step error) and ``error`` (an
  HTTP error). A ``blocked`` outcome is ``status: "failed"`` whose ``model_output`` step carries a safety error; a
  ``failed`` one carries an internal error; ``incomplete`` carries a token-limit error.
* Streaming (``stream: true``) and ``background: true`` are refused with 400: the toolkit uses neither.
* ``service_tier`` (``flex``, ``standard``, ``priority``, ``deferred``) is echoed on the interaction; another
  value is a 400. ``generation_config.thinking_summaries: "none"`` leaves the thought step's summary out.
  Tools (``google_search``) are accepted and ignored: no search steps are acted out.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import io
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .. import registry
from ..registry import ModelInfo
from .base import Outcome, Recorded, ScriptedFake, text_tokens

__all__ = ["DEFAULT_TTL_S", "FakeInteractions", "generation_seed"]

DEFAULT_TTL_S = 86_400.0  # the free tier's retention; the paid tier keeps 55 days

_SERVICE_TIERS = frozenset({"flex", "standard", "priority", "deferred"})  # the Interactions ServiceTier values
_SLUGS = {
    400: "invalid_request", 401: "unauthenticated", 403: "permission_denied", 404: "not_found", 409: "conflict",
    429: "resource_exhausted", 500: "internal", 503: "unavailable", 504: "deadline_exceeded",
}
_MESSAGES = {
    400: "Request contains an invalid argument.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "An internal error has occurred. Please retry.",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}
_STEP_ERRORS = {  # google.rpc.Status on the model_output step: (code, message)
    "failed": (13, "Internal error encountered while generating the image."),
    "blocked": (3, "The generated image may violate Google's Generative AI Prohibited Use policy "
                   "(IMAGE_SAFETY). Try rephrasing the prompt."),
    "incomplete": (8, "The response was cut off at the output token limit before the image was complete."),
}
_NO_IMAGE_TEXT = "I can describe it, but I did not draw an image this time."


@dataclass
class _Stored:
    id: str
    model: str
    created: float
    expires_at: float
    previous_id: str | None
    steps: list[dict[str, Any]]          # own timeline: user_input, thought, model_output
    status: str
    usage: dict[str, Any]
    context_image: tuple[bytes, str] | None   # the last image of the conversation after this turn
    extra: dict[str, Any] = field(default_factory=dict)


class _Error(Exception):
    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message or _MESSAGES.get(code) or "Error"

    def payload(self) -> dict[str, Any]:
        return {"error": {"code": _SLUGS.get(self.code, "unknown"), "message": self.message}}


class FakeInteractions(ScriptedFake):
    """The Interactions endpoints of :class:`~toolkit.testing.FakeGeminiServer` (``server.interactions``).

    Script the next creates with :meth:`enqueue` (shortcuts ``ok``, ``no_image``, ``failed``, ``blocked``,
    ``incomplete``, HTTP codes, or :class:`~toolkit.testing.Outcome`), and read what was sent from
    :attr:`requests` (:class:`~toolkit.testing.Recorded` with ``bytes_in``, ``bytes_out``,
    ``status_code`` and the interaction ids) and :attr:`creates`.

    Parameters
    ----------
    server : FakeGeminiServer, optional
        Supplies ``static_image`` / ``static_mime`` and ``today`` (model availability).
    ttl_s : float
        Seconds a stored interaction lives (default one day). Settable while running.
    clock : callable
        ``time.time``-like; tests may pass a fake clock.
    signature_bytes : int
        Size of the (random-looking) thought signature in each answer. Real ones are ~0.6 MB on 3.1 Flash
        Image and ~2.8 MB on 3 Pro; the default keeps tests light.

    Examples
    --------
    >>> from toolkit.testing import FakeGeminiServer
    >>> with FakeGeminiServer(api_key="k") as server:
    ...     server.interactions.enqueue("503", "ok", "no_image")
    ...     print(server.interactions.pending, server.interactions.expire())   # expire(): every stored id, now
    3 0
    """

    SHORTCUTS: ClassVar[Mapping[str, Outcome]] = {
        "ok": Outcome.ok(), "no_image": Outcome.no_image(), "failed": Outcome.failed(),
        "blocked": Outcome.blocked(), "incomplete": Outcome.incomplete(),
    }
    KINDS: ClassVar[frozenset[str]] = frozenset({"ok", "no_image", "failed", "blocked", "incomplete", "error"})

    def __init__(self, server: Any = None, *, ttl_s: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.time,
                 signature_bytes: int = 48) -> None:
        super().__init__()
        self.server = server
        self.ttl_s = float(ttl_s)
        self.clock = clock
        self.signature_bytes = int(signature_bytes)
        self._store_lock = threading.Lock()
        self._store: dict[str, _Stored] = {}
        self._counter = 0

    # ---- scripting and inspection --------------------------------------------------------------
    def expire(self, interaction_id: str | None = None) -> int:
        """Expire one stored interaction now, or every one (None); returns how many were expired."""
        with self._store_lock:
            ids = [interaction_id] if interaction_id is not None else list(self._store)
            n = 0
            for i in ids:
                if self._store.pop(i, None) is not None:
                    n += 1
            return n

    def stored(self, interaction_id: str) -> dict[str, Any] | None:
        """The stored interaction (as ``GET`` would answer), or None when unknown or expired."""
        with self._store_lock:
            item = self._live(interaction_id)
            return None if item is None else _interaction_json(item, include_input=True)

    @property
    def stored_ids(self) -> list[str]:
        """Ids currently stored and not expired."""
        with self._store_lock:
            return [i for i in list(self._store) if self._live(i) is not None]

    @property
    def creates(self) -> list[Recorded]:
        """The ``create`` requests only (the same as :attr:`calls`)."""
        return self.calls

    @property
    def bytes_received(self) -> int:
        """Body bytes received by every Interactions request so far."""
        return sum(c.bytes_in for c in self.requests)

    def reset(self) -> None:
        """Forget stored interactions, scripted outcomes and recorded requests."""
        super().reset()
        with self._store_lock:
            self._store.clear()
            self._counter = 0

    # ---- the HTTP entry point ------------------------------------------------------------------
    def handle(self, method: str, version: str, rest: str, path: str, raw: bytes, body: Any) -> tuple[int, bytes]:
        """Answer one request under ``/{version}/interactions...``; returns (HTTP status, JSON body bytes).

        Parameters
        ----------
        method : str
            HTTP method.
        version : str
            ``v1`` or ``v1beta`` (both are served).
        rest : str
            The path after the version, e.g. ``interactions`` or ``interactions/v1_abc/cancel``.
        path : str
            The full path, for the record.
        raw : bytes
            The request body as received (its length is recorded).
        body : object
            The parsed JSON body, or None.
        """
        received = time.time()
        parts = rest.strip("/").split("/")
        action, ident, previous, outcome_kind = "unknown", None, None, None
        try:
            if parts == ["interactions"] and method == "POST":
                action = "create"
                previous = body.get("previous_interaction_id") if isinstance(body, Mapping) else None
                outcome = self.take(1)[0]
                outcome_kind = outcome.kind
                code, payload = 200, self._create(body, outcome)
                ident = payload.get("id")
            elif len(parts) == 2 and parts[0] == "interactions" and method in ("GET", "DELETE"):
                action, ident = ("get" if method == "GET" else "delete"), parts[1]
                code, payload = 200, self._get(ident) if method == "GET" else self._delete(ident)
            elif len(parts) == 3 and parts[0] == "interactions" and parts[2] == "cancel" and method == "POST":
                action, ident = "cancel", parts[1]
                with self._store_lock:
                    known = self._live(ident) is not None
                if not known:
                    raise _not_found(ident)
                raise _Error(400, "Only background interactions can be cancelled.")
            else:
                raise _Error(404, "Requested entity was not found.")
        except _Error as e:
            code, payload = e.code, e.payload()
        out = json.dumps(payload, separators=(",", ":")).encode()
        self.record(Recorded(
            method=method, path=path, json=body, received_at=received, action=action, outcome=outcome_kind,
            is_call=action == "create", surface="gemini", version=version, interaction_id=ident,
            previous_interaction_id=previous, bytes_in=len(raw), bytes_out=len(out), status_code=code,
        ))
        return code, out

    # ---- actions --------------------------------------------------------------------------------
    def _live(self, interaction_id: str) -> _Stored | None:
        """The stored interaction unless it expired (an expired one is dropped). Call with the lock held."""
        item = self._store.get(interaction_id)
        if item is not None and self.clock() >= item.expires_at:
            del self._store[interaction_id]
            return None
        return item

    def _get(self, interaction_id: str) -> dict[str, Any]:
        with self._store_lock:
            item = self._live(interaction_id)
        if item is None:
            raise _not_found(interaction_id)
        return _interaction_json(item, include_input=True)

    def _delete(self, interaction_id: str) -> dict[str, Any]:
        with self._store_lock:
            item = self._live(interaction_id)
            if item is not None:
                del self._store[interaction_id]
        if item is None:
            raise _not_found(interaction_id)
        return {}

    def _create(self, body: Any, outcome: Outcome) -> dict[str, Any]:
        if outcome.kind == "error":  # a front-end failure: before the request is even read
            assert outcome.code is not None
            raise _Error(outcome.code, outcome.message)
        if not isinstance(body, Mapping):
            raise _Error(400, "Invalid JSON payload received. Expected an object.")
        for flag in ("stream", "background"):
            if body.get(flag):
                raise _Error(400, f"FakeGeminiServer does not implement {flag}=true for interactions.")
        if body.get("agent"):
            raise _Error(400, "FakeGeminiServer implements model interactions only, not agents.")
        info = self._model(body.get("model"))
        aspect_ratio, image_size, text_out = _formats(body, info)
        tier = body.get("service_tier") or "standard"
        if tier not in _SERVICE_TIERS:
            raise _Error(400, f"service_tier must be one of {', '.join(sorted(_SERVICE_TIERS))}, not {tier!r}.")
        gen = body.get("generation_config")
        summaries = gen.get("thinking_summaries", "auto") if isinstance(gen, Mapping) else "auto"
        prompt, images, input_content = _parse_input(body.get("input"))
        previous_id = body.get("previous_interaction_id")
        parent: _Stored | None = None
        if previous_id is not None:
            if not isinstance(previous_id, str) or not previous_id:
                raise _Error(400, "previous_interaction_id must be a non-empty string.")
            with self._store_lock:
                parent = self._live(previous_id)
            if parent is None:
                raise _not_found(previous_id)
            if parent.model != info.id:
                raise _Error(400, f"previous_interaction_id {previous_id!r} was created with model "
                                  f"{parent.model!r}, not {info.id!r}.")
        # A follow-up without an image of its own edits the last image of the conversation it continues.
        work = images or ([parent.context_image] if parent is not None and parent.context_image else [])

        with self._store_lock:
            self._counter += 1
            number = self._counter
        digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        iid = "v1_" + base64.urlsafe_b64encode(hashlib.sha256(f"{digest}:{number}".encode()).digest()).decode()[:40]
        seed = generation_seed(body, digest)
        now = self.clock()
        usage = {"in_text": text_tokens(prompt), "in_image": len(images) * info.input_image_tokens,
                 "out_text": 0, "out_image": 0,
                 "thought": (120 + int(digest[8:12], 16) % 181) if info.thinking else 0}
        status, out_content, step_error = "completed", [], None
        kind = outcome.kind
        if kind == "no_image":
            out_content = [{"type": "text", "text": outcome.message or _NO_IMAGE_TEXT}]
        elif kind in _STEP_ERRORS:
            status = "incomplete" if kind == "incomplete" else "failed"
            code, message = _STEP_ERRORS[kind]
            step_error = {"code": code, "message": outcome.message or message}
        else:
            status, out_content, step_error = self._render(prompt, work, info, aspect_ratio, image_size, seed, usage)
        if not text_out:
            out_content = [c for c in out_content if c["type"] != "text"] or out_content
        usage["out_text"] = sum(text_tokens(c["text"]) for c in out_content if c["type"] == "text")
        if any(c["type"] == "image" for c in out_content):
            usage["out_image"] = info.output_image_tokens(image_size)

        steps: list[dict[str, Any]] = [{"type": "user_input", "content": input_content}]
        if info.thinking:
            thought: dict[str, Any] = {"type": "thought", "signature": _signature(iid, self.signature_bytes)}
            if summaries != "none":  # generation_config.thinking_summaries: "none" keeps the summary out
                thought["summary"] = [{"type": "text", "text": f"**Planning the edit**\n\nRequest: {prompt[:80]!r}."}]
            steps.append(thought)
        model_step: dict[str, Any] = {"type": "model_output", "content": out_content}
        if step_error is not None:
            model_step["error"] = step_error
        steps.append(model_step)
        context = work[-1] if work else None
        for c in out_content:
            if c["type"] == "image":
                context = (base64.b64decode(c["data"]), c["mime_type"])
        item = _Stored(id=iid, model=info.id, created=now, expires_at=now + self.ttl_s, previous_id=previous_id,
                       steps=steps, status=status, usage=_usage_json(usage, images_in=bool(images)),
                       context_image=context, extra={"service_tier": tier})
        if body.get("store", True) is not False:
            with self._store_lock:
                self._store[iid] = item
        return _interaction_json(item, include_input=False)

    def _model(self, model: Any) -> ModelInfo:
        if not isinstance(model, str) or not model:
            raise _Error(400, "model is required for a model interaction.")
        info = registry.lookup(model)
        # Canonical ids only, and only while the model is served (the server's ``today``), as generateContent.
        today = getattr(self.server, "today", None) or dt.date.today()
        if (info is None or info.id != model or (info.shutdown is not None and today >= info.shutdown)
                or (info.released is not None and today < info.released)):
            raise _Error(404, f"Model '{model}' was not found or is not supported for interactions.")
        return info

    def _render(self, prompt: str, work: list[tuple[bytes, str]], info: ModelInfo, aspect_ratio: str | None,
                image_size: str | None, seed: int, usage: dict[str, int]
                ) -> tuple[str, list[dict[str, Any]], dict[str, Any] | None]:
        static = getattr(self.server, "static_image", None)
        if static is not None:
            mime = getattr(self.server, "static_mime", "image/png")
            return "completed", [{"type": "text", "text": "Here is the edited image."},
                                 {"type": "image", "mime_type": mime, "data": _b64_cached(static)}], None
        from PIL import Image

        from .. import simulator  # looked up per call so tests can monkeypatch toolkit.simulator.render

        pil = []
        for data, _mime in work:
            try:
                img = Image.open(io.BytesIO(data))
                img.load()
            except Exception:
                raise _Error(400, "Unable to process input image.") from None
            pil.append(img)
        sim = simulator.render(prompt, pil, model=info, aspect_ratio=aspect_ratio, image_size=image_size, seed=seed)
        if sim.block_reason:
            usage["thought"] = 0
            return "failed", [], {"code": 3, "message": f"The prompt was blocked for safety ({sim.block_reason})."}
        if sim.finish_reason not in ("STOP", ""):
            if sim.finish_reason.upper() in ("NO_IMAGE", "IMAGE_OTHER"):
                return "completed", [{"type": "text", "text": sim.message or sim.text or _NO_IMAGE_TEXT}], None
            return "failed", [], {"code": 3, "message": f"{sim.message or 'The output was refused'} "
                                                        f"({sim.finish_reason}; safety)"}
        content: list[dict[str, Any]] = []
        if sim.text:
            content.append({"type": "text", "text": sim.text})
        content += [{"type": "image", "mime_type": im.mime, "data": base64.b64encode(im.data).decode("ascii")}
                    for im in sim.images[-1:]]
        return "completed", content, None


# ---- helpers --------------------------------------------------------------------------------------------
def _not_found(interaction_id: str) -> _Error:
    return _Error(404, f"Interaction '{interaction_id}' was not found. It may have expired or been deleted.")


_B64_CACHE: dict[int, tuple[bytes, str]] = {}


def _b64_cached(data: bytes) -> str:
    hit = _B64_CACHE.get(id(data))
    if hit is None or hit[0] is not data:
        hit = (data, base64.b64encode(data).decode("ascii"))
        _B64_CACHE.clear()
        _B64_CACHE[id(data)] = hit
    return hit[1]


def _signature(iid: str, size: int) -> str:
    seed = hashlib.sha256(iid.encode()).digest()
    raw = (seed * (size // len(seed) + 1))[:max(size, 1)]
    return base64.b64encode(raw).decode("ascii")


def generation_seed(body: Mapping[str, Any], digest: str) -> int:
    """``generation_config.seed`` when given, else one derived from the request (deterministic answers)."""
    gen = body.get("generation_config") or {}
    seed = gen.get("seed") if isinstance(gen, Mapping) else None
    if isinstance(seed, int) and not isinstance(seed, bool):
        return seed
    return int(digest[:8], 16)


def _decode(data: Any, where: str) -> bytes:
    if not isinstance(data, str):
        raise _Error(400, f"Invalid value at '{where}': expected a base64 string.")
    s = "".join(data.split()).replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise _Error(400, f"Invalid value at '{where}': base64 decoding failed.") from None


def _parse_input(value: Any) -> tuple[str, list[tuple[bytes, str]], list[dict[str, Any]]]:
    """``input`` in any of its forms -> (prompt, images of the new turn, content as recorded).

    Accepted: a string; one content object; a list of content; a list of steps (``user_input`` steps are
    read; earlier ``model_output``/``thought`` steps, which a stateless client round-trips, are skipped).
    """
    if value is None:
        raise _Error(400, "input is required.")
    if isinstance(value, str):
        items: list[Any] = [{"type": "text", "text": value}]
    elif isinstance(value, Mapping):
        items = [value]
    elif isinstance(value, list) and value:
        items = value
    else:
        raise _Error(400, "input must be a string, a content object or a non-empty list.")
    steps = [i for i in items if isinstance(i, Mapping) and i.get("type") == "user_input"]
    if steps:
        content = list(steps[-1].get("content") or [])
    else:
        content = [i for i in items if isinstance(i, Mapping) and i.get("type") not in ("model_output", "thought")]
    texts, images, recorded = [], [], []
    for j, c in enumerate(content):
        if not isinstance(c, Mapping):
            raise _Error(400, f"Invalid value at 'input.content[{j}]': expected an object.")
        kind = c.get("type")
        if kind == "text":
            if not isinstance(c.get("text"), str):
                raise _Error(400, f"Invalid value at 'input.content[{j}].text': expected a string.")
            texts.append(c["text"])
            recorded.append({"type": "text", "text": c["text"]})
        elif kind == "image":
            if c.get("uri") and not c.get("data"):
                raise _Error(400, "FakeGeminiServer does not fetch image uris; send data.")
            mime = c.get("mime_type")
            if not isinstance(mime, str) or not mime.startswith("image/"):
                raise _Error(400, f"Invalid value at 'input.content[{j}].mime_type': an image MIME type is required.")
            data = _decode(c.get("data"), f"input.content[{j}].data")
            images.append((data, mime))
            recorded.append({"type": "image", "mime_type": mime, "data": c.get("data")})
        else:
            raise _Error(400, f"Unsupported content type {kind!r} at 'input.content[{j}]'.")
    if not texts and not images:
        raise _Error(400, "input has no content.")
    return "\n".join(texts), images, recorded


def _formats(body: Mapping[str, Any], info: ModelInfo) -> tuple[str | None, str | None, bool]:
    """(aspect_ratio, image_size, text wanted) from ``response_format``, else the deprecated
    ``generation_config.image_config`` / ``response_modalities``."""
    fmt = body.get("response_format")
    aspect = size = None
    text_out = True
    if fmt is not None:
        entries = fmt if isinstance(fmt, list) else [fmt]
        kinds = set()
        for e in entries:
            if not isinstance(e, Mapping) or "type" not in e:
                raise _Error(400, "Each response_format entry needs a type.")
            kinds.add(e["type"])
            if e["type"] == "image":
                aspect, size = e.get("aspect_ratio"), e.get("image_size")
        if "image" not in kinds:
            raise _Error(400, f"Model {info.id} produces images; response_format must include type 'image'.")
        text_out = "text" in kinds
    else:
        gen = body.get("generation_config") or {}
        cfg = gen.get("image_config") if isinstance(gen, Mapping) else None
        if isinstance(cfg, Mapping):
            aspect, size = cfg.get("aspect_ratio"), cfg.get("image_size")
        modalities = body.get("response_modalities")
        if isinstance(modalities, list) and modalities:
            text_out = "text" in {str(m).lower() for m in modalities}
    if aspect is not None and aspect not in info.aspect_ratios:
        raise _Error(400, f"Unsupported aspect ratio {aspect!r} for {info.id}. "
                          f"Supported: {', '.join(info.aspect_ratios)}.")
    if size is not None:
        if not info.image_sizes:
            raise _Error(400, f"image_size is not supported for {info.id}.")
        if size not in info.image_sizes:
            raise _Error(400, f"Unsupported image size {size!r} for {info.id}. Supported: {', '.join(info.image_sizes)}.")
    return aspect, size, text_out


def _usage_json(u: Mapping[str, int], *, images_in: bool) -> dict[str, Any]:
    total_in = u["in_text"] + u["in_image"]
    total_out = u["out_text"] + u["out_image"]
    inputs = [{"modality": "text", "tokens": u["in_text"]}]
    if images_in and u["in_image"]:
        inputs.append({"modality": "image", "tokens": u["in_image"]})
    outputs = []
    if u["out_image"]:
        outputs.append({"modality": "image", "tokens": u["out_image"]})
    if u["out_text"]:
        outputs.append({"modality": "text", "tokens": u["out_text"]})
    usage: dict[str, Any] = {
        "total_tokens": total_in + total_out + u["thought"], "total_input_tokens": total_in,
        "input_tokens_by_modality": inputs, "total_cached_tokens": 0, "total_output_tokens": total_out,
        "total_tool_use_tokens": 0, "total_thought_tokens": u["thought"],
    }
    if outputs:
        usage["output_tokens_by_modality"] = outputs
    return usage


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _interaction_json(item: _Stored, *, include_input: bool) -> dict[str, Any]:
    """The ``Interaction`` body: ``create`` returns only model steps, ``GET`` the whole timeline."""
    steps = item.steps if include_input else [s for s in item.steps if s["type"] != "user_input"]
    out: dict[str, Any] = {
        "id": item.id, "status": item.status, "usage": item.usage, "created": _iso(item.created),
        "updated": _iso(item.created), "service_tier": item.extra.get("service_tier", "standard"), "steps": steps, "object": "interaction",
        "model": item.model,
    }
    if item.previous_id:
        out["previous_interaction_id"] = item.previous_id
    return out
