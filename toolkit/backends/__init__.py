"""Backends: each turns a :class:`~toolkit.request.Request` into a :class:`~toolkit.backends.base.Reply`.

Nothing above this package knows which provider answered. The backends are listed in one table, the
registry (:mod:`toolkit.backends.registry`); :mod:`toolkit.backends.builtin` registers the ones that ship.
"""

from __future__ import annotations

from . import builtin as builtin
from .base import Backend, Reply, ReplyImage
from .registry import (
    BackendConfig,
    BackendSpec,
    choose,
    get_spec,
    names,
    register,
    spec_for,
    specs,
    unregister,
)

__all__ = [
    "Backend",
    "BackendConfig",
    "BackendSpec",
    "Reply",
    "ReplyImage",
    "choose",
    "get_spec",
    "names",
    "register",
    "spec_for",
    "specs",
    "unregister",
]
