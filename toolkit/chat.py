"""Multi-turn image editing.

Two ways to carry a conversation, chosen per chat (``Studio(gemini_api=...)`` or ``studio.chat(gemini_api=...)``):

``"interactions"`` (default on the Gemini backend)
    The Gemini Interactions API keeps the conversation on Google's servers (``store=True``): each follow-up
    uploads only its own text and images plus ``previous_interaction_id``. Thought signatures stay on the
    server. Stored interactions expire (1 day on the free tier, 55 days paid), so every turn is also
    recorded locally (prompt, input and output images, interaction id) in the home's ``chat_turns`` table;
    when the server no longer knows the id a turn continues from, the chat restarts from the last saved
    image, says so in ``Result.reason``, and carries on.
``"generate_content"`` (and every other backend: offline, OpenRouter, fal, replay packs)
    Each ``send`` replays the whole conversation: the user turns as sent and the model turns exactly as they
    came back, thought signatures included (Gemini 3 image models answer 400 without them).

Either way each turn is one Studio call: one :class:`~toolkit.result.Result`, one ledger row (operation
``"chat"``), images stored and priced like any other call, and the cache consulted first. Only exchanges
that produced a model turn join the history; a blocked or failed turn leaves it unchanged, so the next
``send`` continues from the last good answer. ``undo()`` steps back one exchange and ``branch(i)`` continues
from an earlier one: on Interactions by its interaction id while the server keeps it, else by restarting
from its saved image.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image

from . import registry
from .backends.interactions import (
    GEMINI_APIS,
    InteractionExpired,
    InteractionsBackend,
    InteractionsRequest,
    check_gemini_api,
)
from .engine import Engine
from .errors import InputError, OptionError, ProviderError
from .inputs import as_images
from .options import split_call_options
from .records import ChatTurnRow
from .request import ImagePart, Request, TextPart, Turn
from .result import NO_MATH, OutputImage, Result
from .runner import run

if TYPE_CHECKING:
    import pandas as pd

RESTART_NOTE = "server state expired; restarted from the last saved image"


@dataclass(frozen=True)
class Exchange:
    """One user message and the model's answer.

    Attributes
    ----------
    prompt : str
        The message as typed.
    user_turn : Turn
        The user turn as sent (on a restart: the prompt, the saved image it restarted from, new images).
    result : Result
        The answer.
    turn : int
        Its index in the chat's turn record (``chat.record()``); -1 when not recorded.
    parent : int or None
        The turn it continued from (None: the first turn of the chat).
    interaction_id : str or None
        The Interactions API id of the answer (None on ``generate_content``).
    restarted : bool
        It began a new conversation on the server, seeded with the last saved image (the previous one had
        expired, or the chat was resumed from the record).
    replayable : bool
        The model turn is exactly as received (thought signatures included), so ``generate_content`` can
        replay it; False for exchanges rebuilt from the local record.
    """

    prompt: str
    user_turn: Turn
    result: Result
    turn: int = -1
    parent: int | None = None
    interaction_id: str | None = None
    restarted: bool = False
    replayable: bool = True

    @property
    def model_turn(self) -> Turn:
        assert self.result.model_turn is not None
        return self.result.model_turn


class Chat:
    """A conversation with one model. Create it with :meth:`Studio.chat`.

    Parameters
    ----------
    engine : Engine
        Where calls go, are cached, priced and recorded (``studio.engine``).
    model : str, optional
        Model id or alias; default the Studio's model.
    gemini_api : {"interactions", "generate_content"}, optional
        How a chat carries its history on a backend with a chat transport (the Gemini API's Interactions);
        default ``"interactions"``. Other backends always replay the history.
    resume : str, optional
        A ``chat_id`` from this home: rebuild that chat from its turn record and continue from its latest
        answer.

    Examples
    --------
    >>> chat = studio.chat()                                   # doctest: +SKIP
    >>> chat.send("Make it night time", images=[tk.sample("cat")])   # doctest: +SKIP
    >>> chat.send("Now add a moon")                            # doctest: +SKIP
    >>> chat.undo()                                            # doctest: +SKIP
    >>> chat.branch(0); chat.send("Now add snow instead")      # doctest: +SKIP
    """

    def __init__(self, engine: Engine, model: str | None = None, *, gemini_api: str | None = None,
                 resume: str | None = None) -> None:
        self.engine = engine
        rows = _load_rows(engine, resume) if resume is not None else []
        if model is None and rows:
            model = rows[-1]["model"]
        self.model = engine.model if model is None else registry.resolve(model)
        self.api = _choose_api(engine, gemini_api)
        self.chat_id = resume or uuid.uuid4().hex[:12]
        self._exchanges: dict[int, Exchange] = {}
        self._head: Exchange | None = None
        if rows:
            self._rebuild(rows)

    # -- the conversation ---------------------------------------------------------------------------------
    @property
    def history(self) -> list[Exchange]:
        """The exchanges from the first to the current one (a copy)."""
        out: list[Exchange] = []
        ex = self._head
        while ex is not None:
            out.append(ex)
            ex = self._exchanges.get(ex.parent) if ex.parent is not None else None
        return out[::-1]

    @property
    def turns(self) -> tuple[Turn, ...]:
        """The conversation the model sees on the next turn (since the last restart).

        On ``generate_content`` this is what is replayed; on Interactions it is what the server holds under
        the current interaction id (model turns reduced to text and image), which is also what keys the cache.
        """
        out: list[Turn] = []
        for ex in self._segment():
            out += [ex.user_turn, ex.model_turn]
        return tuple(out)

    @property
    def image(self) -> Image.Image | None:
        """The latest image in the conversation, or None."""
        for ex in reversed(self.history):
            if ex.result.image is not None:
                return ex.result.image
        return None

    @property
    def interaction_id(self) -> str | None:
        """The interaction id the next turn continues from (Interactions only), or None."""
        return self._head.interaction_id if self._head is not None else None

    def send(self, prompt: str, images: Any = None, **options: Any) -> Result:
        """Send the next message (with optional new images) and return the model's answer.

        Options are those of :meth:`Studio.generate` except ``n`` (a conversation has one answer per turn)
        and ``model`` (fixed per chat). Image settings are sent again every turn (the server keeps only the
        history, not the settings).
        """
        for bad in ("n", "model"):
            if bad in options and options[bad] not in (None, 1):
                raise OptionError(f"chat.send() does not take {bad}=...; a chat has one model and one answer per "
                                  f"turn. Use studio.generate(..., n=...) for variants or studio.chat(model=...).")
            options.pop(bad, None)
        opts, controls = split_call_options(options)
        refresh = bool(controls.get("refresh"))
        images = as_images(images)
        if self.api == "interactions":
            return self._send_interactions(prompt, images, opts, refresh)
        return self._send_replay(prompt, images, opts, refresh)

    def undo(self) -> Exchange | None:
        """Step back one exchange (the next message continues from the one before). Returns it, or None.

        The undone exchange stays in the turn record, and on Interactions its server state is untouched:
        the next turn simply continues from the previous interaction id.
        """
        ex = self._head
        if ex is None:
            return None
        self._head = self._exchanges.get(ex.parent) if ex.parent is not None else None
        return ex

    def branch(self, index: int) -> Exchange:
        """Continue from an earlier exchange: ``history[index]`` becomes the current one.

        The next ``send`` starts a new branch from it: on Interactions by its interaction id while the server
        keeps it, else by restarting from its saved image. The later exchanges stay in the turn record.
        """
        path = self.history
        if isinstance(index, bool) or not isinstance(index, int) or not -len(path) <= index < len(path):
            raise InputError(f"branch({index!r}): the history has {len(path)} exchange(s); pass an index from 0 to "
                             f"{len(path) - 1} (or a negative one), as in chat.history[index].")
        self._head = path[index]
        return self._head

    def reset(self) -> None:
        """Start the conversation over (the turn record keeps every turn)."""
        self._head = None

    def record(self) -> pd.DataFrame:
        """This chat's local turn record: one row per turn sent (answered or failed), every branch included."""
        import pandas as pd

        return pd.DataFrame(self.engine.store.chat_turns(self.chat_id))

    def delete_server_state(self) -> int:
        """Delete this chat's stored interactions from Google's servers (they would expire on their own).

        Returns how many were deleted. The local record and images stay; a later ``send`` restarts from the
        last saved image.
        """
        if self.api != "interactions":
            return 0
        transport = self.engine.chat_transport()
        assert isinstance(transport, InteractionsBackend)
        ids = {r["interaction_id"] for r in self.engine.store.chat_turns(self.chat_id) if r["interaction_id"]}
        deleted = 0
        for iid in sorted(ids):
            try:
                run(transport.delete(iid))
                deleted += 1
            except InteractionExpired:
                pass  # already gone
        return deleted

    def __len__(self) -> int:
        return len(self.history)

    def __repr__(self) -> str:
        return f"Chat(model={self.model.id!r}, api={self.api!r}, turns={len(self)}, chat_id={self.chat_id!r})"

    def _repr_html_(self) -> str:
        path = self.history
        if not path:
            return f"<div><i>{_esc(repr(self))}: no turns yet</i></div>"
        blocks = []
        for i, ex in enumerate(path, 1):
            mark = " <i>(restarted from the saved image)</i>" if ex.restarted else ""
            blocks.append(f"<div><b>{i}. {_esc(ex.prompt)}</b>{mark}{ex.result._repr_html_()}</div>")
        return f'<div class="{NO_MATH}">' + "".join(blocks) + "</div>"

    # -- the two paths ------------------------------------------------------------------------------------
    def _send_replay(self, prompt: str, images: list[Any], opts: dict[str, Any], refresh: bool) -> Result:
        """The full-history path (generate_content and every non-Gemini backend)."""
        segment = self._segment()
        restart = any(not ex.replayable for ex in segment)  # rebuilt from the record: no signatures to replay
        prefix: tuple[Turn, ...] = ()
        if restart:
            seed = self._seed_image()
            images = [seed, *images] if seed is not None else images
        else:
            prefix = self.turns
        requests, info = self.engine.requests("chat", prompt, images, prefix, options=opts, model=self.model)
        result = self._execute(requests[0], info, refresh, restarted=restart)
        if restart and result.reason is None:
            result.reason = "restarted from the last saved image (a resumed chat has no thought signatures to replay)"
        return result

    def _send_interactions(self, prompt: str, images: list[Any], opts: dict[str, Any], refresh: bool) -> Result:
        """The Interactions path: continue the server-side conversation, restarting when it is gone."""
        head = self._head
        previous = head.interaction_id if head is not None else None
        note = None
        if head is None or previous is not None:
            req, info = self._interactions_request(prompt, images, opts, self.turns, previous)
            try:
                return self._execute(req, info, refresh)
            except InteractionExpired as e:
                note = f"{RESTART_NOTE} (interaction {e.interaction_id} was not found on the server)"
        else:  # a head with no interaction id: rebuilt from a generate_content record
            note = "restarted from the last saved image (this turn has no interaction on the server)"
        seed = self._seed_image()
        if seed is None:
            note = note.replace("from the last saved image", "without an image (none was saved)")
        req, info = self._interactions_request(prompt, [seed, *images] if seed is not None else images, opts, (),
                                               None, restart=True, note=note)
        return self._execute(req, info, refresh, restarted=True)

    def _interactions_request(self, prompt: str, images: list[Any], opts: dict[str, Any], context: tuple[Turn, ...],
                              previous: str | None, *, restart: bool = False, note: str | None = None
                              ) -> tuple[InteractionsRequest, registry.ModelInfo]:
        # _requests validates the prompt, options and images and normalises the images, as for any call.
        requests, info = self.engine.requests("chat", prompt, images, (), options=opts, model=self.model)
        base = requests[0]
        req = InteractionsRequest(
            backend=base.backend, model=base.model, turns=(*context, base.turns[-1]), options=base.options,
            operation="chat", previous_interaction_id=previous, restart=restart, note=note,
        )
        return req, info

    def _execute(self, req: Request, info: registry.ModelInfo, refresh: bool, *, restarted: bool = False) -> Result:
        """One Studio call (cache, budget, retries, storage, one ledger row), then the turn record."""
        interactions = isinstance(req, InteractionsRequest)
        transport = self.engine.chat_transport() if interactions else None
        try:
            result = self.engine.call([req], info, refresh=refresh, transport=transport)
        except ProviderError as e:
            self._record_turn(req, None, error=e, restarted=restarted)
            raise
        self._record_turn(req, result, restarted=restarted)
        return result

    # -- bookkeeping --------------------------------------------------------------------------------------
    def _record_turn(self, req: Request, result: Result | None, *, error: ProviderError | None = None,
                     restarted: bool = False) -> None:
        engine = self.engine
        user = req.turns[-1]
        # inputs are kept (as sent, no metadata) so a restart can seed from them
        inputs = [engine.parts.image_ref(p) for p in user.images]
        output = None
        if result is not None and result.outputs:
            out = result.outputs[-1]
            output = {"sha256": out.sha256, "mime": out.mime, "path": engine.store.image_relpath(out.sha256, out.mime)}
        interactions = isinstance(req, InteractionsRequest)
        head = self._head
        row = ChatTurnRow(
            chat_id=self.chat_id, parent=head.turn if head is not None else None,
            created=dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            api=self.api, backend=req.backend, model=req.model, prompt=req.prompt,
            inputs=inputs, output=output, text=result.text if result is not None else "",
            options=req.options.as_dict(), status=result.status if result is not None else "error",
            reason=result.reason if result is not None else (str(error) if error is not None else None),
            interaction_id=result.response_id if (result is not None and interactions) else None,
            previous_interaction_id=getattr(req, "previous_interaction_id", None),
            restarted=restarted, key=req.key, session=engine.session,
            cached=bool(result is not None and result.cached),
        )
        turn = engine.store.add_chat_turn(row)
        if result is not None and result.model_turn is not None and result.model_turn.parts:
            ex = Exchange(req.prompt, user, result, turn=turn, parent=row.parent,
                          interaction_id=row.interaction_id, restarted=restarted)
            self._exchanges[turn] = ex
            self._head = ex

    def _segment(self) -> list[Exchange]:
        """The exchanges the model sees next: back from the current one to the latest restart, in order."""
        out: list[Exchange] = []
        ex = self._head
        while ex is not None:
            out.append(ex)
            if ex.restarted:
                break
            ex = self._exchanges.get(ex.parent) if ex.parent is not None else None
        return out[::-1]

    def _seed_image(self) -> OutputImage | ImagePart | None:
        """The last saved image of the conversation: the latest output, else the latest input image."""
        for ex in reversed(self.history):
            if ex.result.outputs:
                return ex.result.outputs[-1]
            if ex.user_turn.images:
                return ex.user_turn.images[-1]
        return None

    def _rebuild(self, rows: list[dict[str, Any]]) -> None:
        """Exchanges from the turn record (``resume=``); the head is the latest answered turn."""
        for row in rows:
            if row["status"] == "error" or not (row["output"] or row["text"]):
                continue
            try:
                inputs = tuple(self.engine.parts.load_image(ref) for ref in row["inputs"])
                out = self.engine.parts.load_image(row["output"]) if row["output"] else None
            except (OSError, KeyError):
                continue  # a damaged or missing file: that turn cannot be continued from
            outputs = [OutputImage(out.data, out.mime, out.sha256, str(self.engine.store.home / row["output"]["path"]))] \
                if out is not None else []
            model_parts: tuple[TextPart | ImagePart, ...] = ((TextPart(row["text"]),) if row["text"] else ()) + \
                ((out,) if out is not None else ())
            user = Turn("user", (TextPart(row["prompt"]), *inputs))
            result = Result(
                status=row["status"], model=row["model"], backend=row["backend"], operation="chat",
                prompt=row["prompt"], text=row["text"] or "", reason=row["reason"], cached=True, key=row["key"] or "",
                response_id=row["interaction_id"], outputs=outputs, model_turn=Turn("model", model_parts),
                attempts=0, created=row["created"],
            )
            parent = row["parent"] if row["parent"] in self._exchanges else None
            self._exchanges[row["turn"]] = Exchange(
                row["prompt"], user, result, turn=row["turn"], parent=parent, interaction_id=row["interaction_id"],
                restarted=bool(row["restarted"]) or parent is None, replayable=False,
            )
        if self._exchanges:
            self._head = self._exchanges[max(self._exchanges)]


# -- helpers ---------------------------------------------------------------------------------------------------
def _choose_api(engine: Engine, requested: str | None) -> str:
    """``interactions`` only where the backend has a chat transport (the Gemini API itself)."""
    api = check_gemini_api(requested if requested is not None else GEMINI_APIS[0])
    if api == "interactions" and engine.spec.chat_transport is None:
        return "generate_content"  # offline, OpenRouter, fal, Vertex, replay packs: the history is replayed
    return api


def _load_rows(engine: Engine, chat_id: str) -> list[dict[str, Any]]:
    rows = engine.store.chat_turns(chat_id)
    if not rows:
        raise InputError(f"No chat {chat_id!r} is recorded in {str(engine.store.home)!r}; chat ids are in "
                         f"chat.chat_id and studio.store.chat_ids().")
    return rows


def _esc(text: str) -> str:
    import html

    return html.escape(text)
