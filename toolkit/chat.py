"""Multi-turn image editing.

Each ``send`` replays the whole conversation: the user turns as sent and the model turns exactly as they
came back, thought signatures included (Gemini 3 image models answer 400 without them). Only exchanges
that produced a model turn join the history; a blocked or failed turn leaves it unchanged, so the next
``send`` retries from the last good image.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image

from . import registry
from .errors import OptionError
from .request import Turn
from .result import Result

if TYPE_CHECKING:
    from .studio import Studio


@dataclass(frozen=True)
class Exchange:
    """One user message and the model's answer."""

    prompt: str
    user_turn: Turn
    result: Result

    @property
    def model_turn(self) -> Turn:
        assert self.result.model_turn is not None
        return self.result.model_turn


class Chat:
    """A conversation with one model. Create it with :meth:`Studio.chat`.

    Examples
    --------
    >>> chat = studio.chat()                                   # doctest: +SKIP
    >>> chat.send("Make it night time", images=[tk.sample("cat")])   # doctest: +SKIP
    >>> chat.send("Now add a moon")                            # doctest: +SKIP
    >>> chat.undo()                                            # doctest: +SKIP
    """

    def __init__(self, studio: Studio, model: str | None = None) -> None:
        self.studio = studio
        self.model = studio.model if model is None else registry.resolve(model)
        self._history: list[Exchange] = []

    @property
    def history(self) -> list[Exchange]:
        """The exchanges so far (a copy)."""
        return list(self._history)

    @property
    def turns(self) -> tuple[Turn, ...]:
        """The conversation as it is replayed to the model."""
        out: list[Turn] = []
        for ex in self._history:
            out += [ex.user_turn, ex.model_turn]
        return tuple(out)

    @property
    def image(self) -> Image.Image | None:
        """The latest image in the conversation, or None."""
        for ex in reversed(self._history):
            if ex.result.image is not None:
                return ex.result.image
        return None

    def send(self, prompt: str, images: Any = None, **options: Any) -> Result:
        """Send the next message (with optional new images) and return the model's answer.

        Options are those of :meth:`Studio.generate` except ``n`` (a conversation has one answer per turn)
        and ``model`` (fixed per chat).
        """
        for bad in ("n", "model"):
            if bad in options and options[bad] not in (None, 1):
                raise OptionError(f"chat.send() does not take {bad}=...; a chat has one model and one answer per "
                                  f"turn. Use studio.generate(..., n=...) for variants or studio.chat(model=...).")
            options.pop(bad, None)
        from .studio import _as_list, _call_options

        opts = _call_options(options)
        result = self.studio._call("chat", prompt, _as_list(images), self.turns, **{**opts, "model": self.model.id})
        if result.model_turn is not None and result.model_turn.parts and result.request is not None:
            self._history.append(Exchange(prompt, result.request.turns[-1], result))
        return result

    def undo(self) -> Exchange | None:
        """Forget the last exchange (the next message continues from the one before). Returns it, or None."""
        return self._history.pop() if self._history else None

    def reset(self) -> None:
        """Start the conversation over."""
        self._history.clear()

    def __len__(self) -> int:
        return len(self._history)

    def __repr__(self) -> str:
        return f"Chat(model={self.model.id!r}, turns={len(self._history)})"

    def _repr_html_(self) -> str:
        if not self._history:
            return f"<div><i>{self!r}: no turns yet</i></div>"
        blocks = []
        for i, ex in enumerate(self._history, 1):
            blocks.append(f"<div><b>{i}. {_esc(ex.prompt)}</b>{ex.result._repr_html_()}</div>")
        return "<div>" + "".join(blocks) + "</div>"


def _esc(text: str) -> str:
    import html

    return html.escape(text)
