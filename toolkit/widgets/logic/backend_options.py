"""The Backend dropdown: which backends to offer, their labels, and the models each one can serve.

The list, the labels and what configures each backend come from the backend registry
(:mod:`toolkit.backends.registry`); the Playground asks this module and nothing else.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from ... import registry
from ...backends.registry import BackendSpec, specs


def _menu() -> list[BackendSpec]:
    # free backends first (the simulator), then the registry's order
    return sorted(specs(), key=lambda spec: spec.spends_money)


BACKEND_LABELS = {spec.name: spec.label for spec in _menu()}
"""Dropdown label of each registered backend, in the order the dropdown lists them (from the registry)."""


def configured_backends(env: Mapping[str, str] | None = None) -> list[str]:
    """The backends usable with ``env`` (default: ``os.environ``): the simulator, and every registered
    provider whose credentials are set (each spec says what it needs), free ones first.

    Examples
    --------
    >>> configured_backends({})
    ['offline']
    >>> configured_backends({"GEMINI_API_KEY": "x", "FAL_KEY_ID": "i", "FAL_KEY_SECRET": "s"})
    ['offline', 'gemini', 'fal']
    """
    env = os.environ if env is None else env
    return [spec.name for spec in _menu() if spec.is_configured(env)]


def backend_choices(current: str, env: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """Dropdown options ``(label, backend kind)``: the current backend, offline, and every provider whose
    key is in the environment.

    Examples
    --------
    >>> backend_choices("offline", env={})
    [('Offline simulator', 'offline')]
    >>> backend_choices("offline", env={"FAL_KEY": "x"})
    [('Offline simulator', 'offline'), ('fal.ai', 'fal')]
    >>> backend_choices("my-backend", env={})
    [('my-backend', 'my-backend'), ('Offline simulator', 'offline')]
    """
    kinds = [current, *configured_backends(env)]
    labels = {spec.name: spec.label for spec in specs()}
    return [(labels.get(k, k), k) for k in dict.fromkeys(kinds)]


def models_for_backend(kind: str, model_ids: Sequence[str] | None = None) -> list[str] | None:
    """The models a backend can serve (fal only has apps for some); None means "the default list".

    Examples
    --------
    >>> models_for_backend("gemini") is None
    True
    >>> models_for_backend("offline", ["nano-banana-pro"])
    ['nano-banana-pro']
    >>> fal = models_for_backend("fal")
    >>> bool(fal) and all(registry.lookup(m).fal_app for m in fal)
    True
    """
    if kind != "fal":
        return None if model_ids is None else list(model_ids)
    ids = [m.id for m in registry.MODELS if m.fal_app and not m.is_shut_down()]
    return [i for i in ids if model_ids is None or i in model_ids]
