"""The backend registry: one table of :class:`BackendSpec`, read by everything that lists or builds backends.

``Studio(backend=...)``, ``backend="auto"``, the Playground's backend list, the CLI help and the serve command
all read this table; capabilities (streaming, batch, a chat transport, whether it spends money, the options it
takes) are declared on the spec, never guessed from names. Adding a backend means one module with its
``Backend`` class, one :func:`register` call, its loopback fake and its tests (see the README's "Adding a
backend").

>>> from toolkit.backends import get_spec, names
>>> names()
('vertex', 'gemini', 'offline', 'openrouter', 'fal')
>>> spec = get_spec("offline")
>>> spec.label, spec.spends_money, spec.streaming
('Offline simulator', False, True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import ConfigError, OptionError
from ..options import OPTION_NAMES, Options
from ..secrets import Secret
from .base import Backend, supports_batch

#: Options every backend takes; a spec adds its own (Vertex AI's person_generation, ...).
BASE_OPTIONS = frozenset({"aspect_ratio", "image_size", "seed", "temperature"})
#: Settings that only some backends use: passing one to another backend is a ConfigError naming the fix.
SCOPED_SETTINGS = ("base_url", "project", "location", "credentials")


@dataclass(frozen=True)
class BackendConfig:
    """What a Studio was given to build its backend with (the factory reads what it needs).

    ``api_key`` is the explicitly passed key only; each factory reads its own environment variables.
    """

    requested: str = "auto"
    api_key: Secret | None = field(default=None, repr=False)
    base_url: str | None = None
    api_version: str | None = None
    timeout_s: float = 150.0
    simulated_latency_s: float = 0.0
    project: str | None = None
    location: str | None = None
    credentials: Any = field(default=None, repr=False)
    #: The base URL is a classroom gateway (``Studio(classroom=...)``): its charge header is each call's cost.
    classroom: bool = False

    def given(self, setting: str) -> bool:
        """True when ``setting`` was passed (not None)."""
        return getattr(self, setting) is not None


@dataclass(frozen=True)
class BackendSpec:
    """One entry of the registry.

    Attributes
    ----------
    name : str
        What ``Studio(backend=name)`` takes; also the backend's ``kind`` (part of every cache key).
    label : str
        Human name for menus and messages ("Gemini API").
    factory : callable
        ``factory(config) -> Backend``; raises :class:`ConfigError` naming the fix when it cannot build one.
    env_keys : tuple of str
        Environment variables holding its credentials (shown in the Playground and the CLI help).
    spends_money, streaming, batch : bool
        Capabilities: paid calls (budgeted, write-ahead), ``generate_stream``, the Batch API.
    chat_transport : callable, optional
        ``chat_transport(backend) -> Backend`` for stateful chats (the Gemini API's Interactions); None: chats
        replay the whole history.
    options : frozenset of str
        The :class:`~toolkit.options.Options` fields it takes; others are refused before sending.
    settings : frozenset of str
        Which of :data:`SCOPED_SETTINGS` it uses (``base_url``, Vertex AI's ``project``, ...).
    auto : callable, optional
        ``auto(config) -> bool``: chosen by ``backend="auto"`` when true (specs are tried in registry order).
    auto_reason : str
        Why ``auto`` chose it, for messages.
    description : str
        One line for the CLI help.
    configured : callable, optional
        ``configured(env) -> bool``: usable with these environment variables (default: any of ``env_keys``
        is set, or always when it has none). The Playground offers the configured ones.
    noun : str
        How messages name it ("the Gemini API"); default the label.
    backend_type : type, optional
        The class its factory builds: a backend object of another class with the same ``kind`` is described
        by its own attributes instead (:func:`spec_for`).
    """

    name: str
    label: str
    factory: Callable[[BackendConfig], Backend]
    env_keys: tuple[str, ...] = ()
    spends_money: bool = True
    streaming: bool = False
    batch: bool = False
    chat_transport: Callable[[Any], Backend] | None = None
    options: frozenset[str] = BASE_OPTIONS
    settings: frozenset[str] = frozenset({"base_url"})
    auto: Callable[[BackendConfig], bool] | None = None
    auto_reason: str = ""
    description: str = ""
    backend_type: type | None = None
    noun: str = ""
    configured: Callable[[Mapping[str, str]], bool] | None = None

    def __post_init__(self) -> None:
        unknown = set(self.options) - set(OPTION_NAMES)
        if unknown:
            raise ConfigError(f"BackendSpec {self.name!r}: unknown options {sorted(unknown)}; options are "
                              f"{', '.join(OPTION_NAMES)}.")

    def is_configured(self, env: Mapping[str, str]) -> bool:
        """True when ``env`` holds what this backend needs (see ``configured``)."""
        if self.configured is not None:
            return self.configured(env)
        return not self.env_keys or any(env.get(k) for k in self.env_keys)

    def create(self, config: BackendConfig) -> Backend:
        """Check the settings this backend does not use, then build it."""
        for setting in SCOPED_SETTINGS:
            if config.given(setting) and setting not in self.settings:
                users = [s.name for s in specs() if setting in s.settings]
                why = (f" backend='auto' chose it because {self.auto_reason}."
                       if config.requested == "auto" and self.auto_reason else "")
                value = "<credentials>" if setting == "credentials" else repr(getattr(config, setting))
                takers = " or ".join(s.label for s in specs() if setting in s.settings)
                fix = f"it is one of the {takers} settings: use Studio(backend={users[0]!r}, ...) or drop it" \
                    if users else "no backend uses it: drop it"
                raise ConfigError(f"{setting}={value} has no effect on {self.noun or self.label} (backend "
                                  f"{self.name!r}).{why} Otherwise {fix}." if why else
                                  f"{setting}={value} has no effect on {self.noun or self.label} (backend "
                                  f"{self.name!r}); {fix}.")
        return self.factory(config)

    def check_options(self, options: Options) -> None:
        """Refuse, before sending, an option this backend does not take (naming the backends that do)."""
        for name in options.set_names():
            if name not in self.options:
                # the Gemini API first: it carries every option but Vertex's own
                takers = sorted((s for s in specs() if name in s.options), key=lambda s: s.name != "gemini")
                labels = " or ".join(s.label for s in takers) or "no backend's"
                use = f"use Studio(backend={takers[0].name!r})" if takers else "drop it"
                raise OptionError(f"{name} is a {labels} option: {use} or leave it unset ({self.label} has no "
                                  f"such setting).")


_SPECS: dict[str, BackendSpec] = {}


def register(spec: BackendSpec, *, replace_existing: bool = False) -> BackendSpec:
    """Add a backend to the table (``replace_existing=True`` to redefine one). Returns the spec."""
    if not spec.name or not spec.name.replace("-", "").replace("_", "").isalnum() or spec.name == "auto":
        raise ConfigError(f"BackendSpec name {spec.name!r} must be a short word (letters, digits, - or _), not 'auto'.")
    if spec.name in _SPECS and not replace_existing:
        raise ConfigError(f"A backend named {spec.name!r} is already registered; pass replace_existing=True to "
                          f"redefine it, or pick another name.")
    _SPECS[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove a backend from the table (tests and plugins that registered one)."""
    _SPECS.pop(name, None)


def specs() -> tuple[BackendSpec, ...]:
    """Every registered backend, in registry order (the order ``backend="auto"`` tries them)."""
    return tuple(_SPECS.values())


def names() -> tuple[str, ...]:
    """The registered backend names."""
    return tuple(_SPECS)


def get_spec(name: str) -> BackendSpec:
    """The spec registered under ``name``; an unknown name is a ConfigError listing the choices."""
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in _SPECS:
        raise ConfigError(f"Unknown backend {name!r}. Use one of: auto, {', '.join(_SPECS)}.")
    return _SPECS[key]


def choose(name: str, config: BackendConfig) -> BackendSpec:
    """The spec for ``name``; ``"auto"`` takes the first spec whose ``auto(config)`` is true."""
    if isinstance(name, str) and name.strip().lower() == "auto":
        for spec in _SPECS.values():
            if spec.auto is not None and spec.auto(config):
                return spec
        raise ConfigError("backend='auto' found no usable backend; pass backend='offline' for the simulator.")
    return get_spec(name)


def spec_for(backend: Backend) -> BackendSpec:
    """The spec of a backend object: its registered spec, or one read from the object for unregistered ones."""
    spec = _SPECS.get(getattr(backend, "kind", ""))
    if spec is not None and (spec.backend_type is None or isinstance(backend, spec.backend_type)):
        return spec
    return BackendSpec(
        name=backend.kind, label=getattr(backend, "label", backend.kind), factory=lambda _c: backend,
        spends_money=bool(backend.spends_money), streaming=callable(getattr(backend, "generate_stream", None)),
        batch=supports_batch(backend), options=frozenset(getattr(backend, "options", BASE_OPTIONS)),
        settings=frozenset(),
    )


def with_capabilities(spec: BackendSpec, **changes: Any) -> BackendSpec:
    """A copy of ``spec`` with some capabilities changed (a wrapping backend such as a replay pack)."""
    return replace(spec, **changes)


def labels(items: Iterable[BackendSpec] | None = None) -> dict[str, str]:
    """name -> label, for menus."""
    return {s.name: s.label for s in (specs() if items is None else items)}
