"""Keeping API keys out of everything we write or show.

Keys are held in :class:`Secret` (whose repr is masked) and registered here, so that any text we store
or raise (provider messages, exception text, ledger ``error`` cells) can be passed through :func:`scrub`.

:func:`scrub` removes a registered secret wherever it appears and, for secrets of at least
:data:`PARTIAL_MIN_SECRET` characters, any run of :data:`PARTIAL_MIN_CHARS` or more of its first or last
characters: providers echo keys truncated (``"AIzaSyAb12cd..."``, ``"...xy98"``). Shorter secrets are only
removed whole, because a few leading characters of a short value (``"test-key"``) can be ordinary text. A
prefix or suffix under 8 characters is left alone (Google keys all start ``AIza``); a run taken from the middle
of a key is not recognised.
"""

from __future__ import annotations

import threading

_LOCK = threading.Lock()
_KNOWN: set[str] = set()
MASK = "<redacted>"
PARTIAL_MIN_SECRET = 16
"""Secrets at least this long are also scrubbed when only a prefix or suffix of them appears."""
PARTIAL_MIN_CHARS = 8
"""The shortest prefix or suffix of a secret that :func:`scrub` removes."""


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
    """``text`` with every registered secret, and every prefix or suffix of 8+ characters of a long one, masked.

    >>> register("AIzaSyDoctest-0123456789abcdefghijklm")
    >>> scrub("API key not valid: AIzaSyDoctest-01... (ends ...fghijklm)")
    'API key not valid: <redacted>... (ends ...<redacted>)'
    >>> scrub("AIzaSyD alone is too short to recognise")
    'AIzaSyD alone is too short to recognise'
    """
    if not text:
        return text
    with _LOCK:
        known = tuple(_KNOWN)
    spans: list[tuple[int, int]] = []
    for value in known:
        if len(value) < PARTIAL_MIN_SECRET:
            spans += _occurrences(text, value)
        else:
            spans += _prefixes(text, value) + _suffixes(text, value)
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:  # overlapping or touching: one mask
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, pos = [], 0
    for start, end in merged:
        out += [text[pos:start], MASK]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _occurrences(text: str, value: str) -> list[tuple[int, int]]:
    spans, i = [], text.find(value)
    while i != -1:
        spans.append((i, i + len(value)))
        i = text.find(value, i + len(value))
    return spans


def _prefixes(text: str, value: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that equal a prefix of ``value`` of at least PARTIAL_MIN_CHARS characters (longest)."""
    spans, head = [], value[:PARTIAL_MIN_CHARS]
    i = text.find(head)
    while i != -1:
        n = PARTIAL_MIN_CHARS
        while n < len(value) and i + n < len(text) and text[i + n] == value[n]:
            n += 1
        spans.append((i, i + n))
        i = text.find(head, i + n)
    return spans


def _suffixes(text: str, value: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that equal a suffix of ``value`` of at least PARTIAL_MIN_CHARS characters (longest)."""
    spans, tail = [], value[-PARTIAL_MIN_CHARS:]
    j = text.find(tail)
    while j != -1:
        end, n = j + PARTIAL_MIN_CHARS, PARTIAL_MIN_CHARS
        while n < len(value) and end - n - 1 >= 0 and text[end - n - 1] == value[-n - 1]:
            n += 1
        spans.append((end - n, end))
        j = text.find(tail, j + 1)
    return spans
