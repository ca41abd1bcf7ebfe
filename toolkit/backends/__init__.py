"""Backends: each turns a :class:`~toolkit.request.Request` into a :class:`~toolkit.backends.base.Reply`.

Nothing above this package knows which provider answered.
"""

from __future__ import annotations

from .base import Backend, Reply, ReplyImage

__all__ = ["Backend", "Reply", "ReplyImage"]
