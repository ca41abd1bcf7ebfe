"""Seat and instructor tokens: random, stored only as hashes, compared in constant time.

A token is 32 random bytes (:func:`secrets.token_urlsafe`), so a plain SHA-256 is enough to store it: there is
nothing to guess, and no slow hash is needed (the advice for passwords does not apply to random keys).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: Prefixes tell the two kinds apart on a printed card and in a support message.
SEAT_PREFIX = "seat_"
INSTRUCTOR_PREFIX = "instr_"


def new_token(prefix: str = SEAT_PREFIX) -> str:
    """A fresh random token (about 43 URL-safe characters after the prefix)."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token: its SHA-256, hex.

    >>> len(token_hash("seat_abc"))
    64
    """
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def matches(token: str | None, stored_hash: str | None) -> bool:
    """True when ``token`` hashes to ``stored_hash``, compared in constant time.

    >>> matches("seat_abc", token_hash("seat_abc")), matches("seat_abd", token_hash("seat_abc"))
    (True, False)
    """
    if not token or not stored_hash:
        return False
    return hmac.compare_digest(token_hash(token), stored_hash)
