"""Callbacks into the caller's code, run so that a bug in them can never lose a paid answer."""

from __future__ import annotations

import warnings
from collections.abc import Callable

from .secrets import scrub


def print_delta(text: str) -> None:
    """The default ``on_text``: print each streamed piece of text as it arrives."""
    print(text, end="", flush=True)


class TextSink:
    """Wraps a caller's ``on_text``: the first exception is reported once as a warning and the callback is not
    called again for this call; the call itself carries on. It runs on the runner's background thread.

    >>> sink = TextSink(lambda text: 1 / 0)
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     sink("hello"); sink("again")
    >>> len(caught), sink.callback is None
    (1, True)
    """

    def __init__(self, callback: Callable[[str], None]) -> None:
        self.callback: Callable[[str], None] | None = callback

    def __call__(self, text: str) -> None:
        if self.callback is None or not text:
            return
        try:
            self.callback(text)
        except Exception as e:  # the callback is the caller's code: report it, keep the answer
            self.callback = None
            warnings.warn(f"on_text raised {type(e).__name__}: {scrub(str(e))}; no further text deltas are passed "
                          f"to it for this call (the call itself continues).", RuntimeWarning, stacklevel=2)
