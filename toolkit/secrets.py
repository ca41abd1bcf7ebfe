"""Keeping API keys out of everything we write or show.

Keys are held in :class:`Secret` (whose repr is masked) and registered here, so that any text we store
or raise (provider messages, exception text, ledger ``error`` cells) can be passed through :func:`scrub`.
"""

from __future__ import annotations

import threading

_LOCK = threading.Lock()
_KNOWN: set[str] = set()
MASK = "<redacted>"


class Secret:
    """A string that never shows itself: ``repr``/``str`` give a mask; ``.reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register(value)

    def reveal(self) -> str:
        """The secret value, for handing to an SDK client. Never store or print it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret(<redacted>)"

    __str__ = __repr__

    def __reduce__(self):  # pickling would write the key to disk
        raise TypeError("Secret values cannot be pickled")

    def __bool__(self) -> bool:
        return bool(self._value)


def register(value: str | None) -> None:
    """Remember a secret so :func:`scrub` removes it from text."""
    if value and len(value) >= 6:
        with _LOCK:
            _KNOWN.add(value)


def scrub(text: str | None) -> str | None:
    """``text`` with every registered secret replaced by a mask."""
    if not text:
        return text
    with _LOCK:
        known = tuple(_KNOWN)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    return text
