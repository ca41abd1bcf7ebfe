"""The backends that ship with the toolkit, as registry entries (:mod:`toolkit.backends.registry`).

Registry order is the order ``backend="auto"`` tries them: Vertex AI when the environment asks google-genai
for it (``GOOGLE_GENAI_USE_VERTEXAI``) or a project/location/credentials is passed; the Gemini API when a key
is passed or ``GOOGLE_API_KEY``/``GEMINI_API_KEY`` is set; else the offline simulator. OpenRouter and fal are
never chosen by ``auto``: they are other companies' services, picked by name.
"""

from __future__ import annotations

from ..errors import ConfigError
from ..secrets import Secret
from .fal import ENV_KEY as FAL_ENV_KEY
from .fal import ENV_KEY_ID as FAL_ENV_KEY_ID
from .fal import ENV_KEY_SECRET as FAL_ENV_KEY_SECRET
from .fal import FalBackend
from .gemini import GeminiBackend, env_api_key
from .interactions import InteractionsBackend
from .offline import OfflineBackend
from .openrouter import ENV_KEY as OPENROUTER_ENV_KEY
from .openrouter import OpenRouterBackend
from .registry import BackendConfig, BackendSpec, register
from .vertex import VertexBackend, use_vertex_from_env


def _gemini_key(config: BackendConfig) -> Secret | None:
    if config.api_key:
        return config.api_key
    key = env_api_key()
    return Secret(key) if key else None


def _vertex(config: BackendConfig) -> VertexBackend:
    return VertexBackend(config.project, config.location, api_key=config.api_key, credentials=config.credentials,
                         base_url=config.base_url, api_version=config.api_version, timeout_s=config.timeout_s)


def _gemini(config: BackendConfig) -> GeminiBackend:
    key = _gemini_key(config)
    if not key:
        raise ConfigError("backend='gemini' needs an API key: set GEMINI_API_KEY (or GOOGLE_API_KEY) in the "
                          "environment, or pass api_key=... . Without a key, use backend='offline' (the simulator).")
    return GeminiBackend(key, base_url=config.base_url, api_version=config.api_version, timeout_s=config.timeout_s,
                         classroom=config.classroom)


def _offline(config: BackendConfig) -> OfflineBackend:
    return OfflineBackend(latency_s=config.simulated_latency_s)


def _openrouter(config: BackendConfig) -> OpenRouterBackend:
    # reads OPENROUTER_API_KEY itself when no key is passed (never the Gemini key)
    return OpenRouterBackend(config.api_key, base_url=config.base_url, timeout_s=config.timeout_s)


def _fal(config: BackendConfig) -> FalBackend:
    return FalBackend(config.api_key, base_url=config.base_url, timeout_s=config.timeout_s)


def _cloud(config: BackendConfig) -> bool:
    return config.project is not None or config.location is not None or config.credentials is not None


VERTEX = register(BackendSpec(
    name="vertex", label="Vertex AI", noun="Vertex AI", factory=_vertex, backend_type=VertexBackend,
    env_keys=("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_GENAI_USE_VERTEXAI"),
    configured=lambda env: bool(env.get("GOOGLE_CLOUD_PROJECT")) or use_vertex_from_env(env),
    streaming=True, options=VertexBackend.options,
    settings=frozenset({"base_url", "project", "location", "credentials"}),
    auto=lambda c: _cloud(c) or use_vertex_from_env(), auto_reason="GOOGLE_GENAI_USE_VERTEXAI is set or a project "
    "was given", description="Google Cloud's Vertex AI (project + Application Default Credentials, or express mode).",
))
GEMINI = register(BackendSpec(
    name="gemini", label="Gemini API", noun="the Gemini API", factory=_gemini, backend_type=GeminiBackend,
    env_keys=("GEMINI_API_KEY", "GOOGLE_API_KEY"), streaming=True, batch=True, options=GeminiBackend.options,
    chat_transport=InteractionsBackend.from_gemini, auto=lambda c: _gemini_key(c) is not None,
    configured=lambda env: bool(env.get("GOOGLE_API_KEY") or env.get("GEMINI_API_KEY")),
    auto_reason="an API key was found", description="Google's Gemini API (google-genai), with Batch and Interactions.",
))
OFFLINE = register(BackendSpec(
    name="offline", label="Offline simulator", noun="the offline simulator, which sends nothing", factory=_offline, backend_type=OfflineBackend, spends_money=False,
    streaming=True, batch=True, settings=frozenset(), auto=lambda c: True, options=OfflineBackend.options,
    auto_reason="no API key was found: set GEMINI_API_KEY (or pass api_key=...) to use the Gemini API at that URL",
    description="Draws locally and deterministically; no key, no network, $0. Not a Google model.",
))
OPENROUTER = register(BackendSpec(
    name="openrouter", label="OpenRouter", factory=_openrouter, backend_type=OpenRouterBackend,
    env_keys=(OPENROUTER_ENV_KEY,), description="OpenRouter's OpenAI-compatible API (openai SDK); usage.cost is spend.",
))
FAL = register(BackendSpec(
    name="fal", label="fal.ai", factory=_fal, backend_type=FalBackend,
    env_keys=(FAL_ENV_KEY, FAL_ENV_KEY_ID, FAL_ENV_KEY_SECRET),
    configured=lambda env: bool(env.get(FAL_ENV_KEY) or (env.get(FAL_ENV_KEY_ID) and env.get(FAL_ENV_KEY_SECRET))),
    description="fal.ai's queue API (fal-client); flat prices per image.",
))
