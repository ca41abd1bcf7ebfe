"""Where the gateway's calls go: the Gemini API (or ``--upstream``) with the instructor's key, or the offline
simulator.

:class:`HttpUpstream` forwards bodies unchanged with httpx, adding the key as ``x-goog-api-key`` (the header the
Gemini API takes: https://ai.google.dev/api#authentication); the key lives in a
:class:`~toolkit.secrets.Secret`, registered for scrubbing, and any byte of it an upstream reply echoes is masked
before it reaches a student. :class:`OfflineUpstream` answers with the simulator, for rehearsals with no key.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from .. import registry
from ..backends.offline import OfflineBackend
from ..errors import ConfigError
from ..secrets import Secret, register
from . import wire

DEFAULT_UPSTREAM = "https://generativelanguage.googleapis.com"
JSON = "application/json; charset=UTF-8"
SSE = "text/event-stream"
#: Response headers worth passing back (others are hop-by-hop or the upstream's own business).
KEEP_HEADERS = ("content-type", "retry-after")


@dataclass
class Answer:
    """An upstream answer: status, content type, and the body (or, streaming, its chunks)."""

    status: int
    content_type: str
    body: bytes = b""
    chunks: AsyncIterator[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    close: Callable[[], Awaitable[None]] | None = None


class Upstream(Protocol):
    description: str

    async def call(self, version: str, model: str, method: str, query: str, body: bytes, *,
                   stream: bool) -> Answer: ...

    async def list_models(self, version: str) -> Answer: ...

    async def aclose(self) -> None: ...


def env_key() -> str | None:
    """The instructor's key, as google-genai reads it (``GOOGLE_API_KEY`` first, then ``GEMINI_API_KEY``)."""
    return os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY") or None


class HttpUpstream:
    """The Gemini REST API at ``base_url`` (default: ``GOOGLE_GEMINI_BASE_URL`` or Google's)."""

    def __init__(self, key: str | None = None, base_url: str | None = None, *, timeout_s: float = 300.0) -> None:
        value = key or env_key()
        if not value:
            raise ConfigError("the classroom gateway needs the instructor's key: set GEMINI_API_KEY (or "
                              "GOOGLE_API_KEY) before `classroom serve`, or rehearse with --offline.")
        register(value)
        self._key = Secret(value)
        self._key_bytes = value.encode()
        url = (base_url or os.environ.get("GOOGLE_GEMINI_BASE_URL") or DEFAULT_UPSTREAM).rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"--upstream {url!r} is not a URL: use e.g. https://generativelanguage.googleapis.com")
        self.base_url = url
        self.description = f"upstream {url}"
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout_s, connect=10.0),
                                         limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))

    def __repr__(self) -> str:
        return f"HttpUpstream(base_url={self.base_url!r}, key=<redacted>)"

    def _mask(self, data: bytes) -> bytes:
        return data.replace(self._key_bytes, b"<redacted>") if self._key_bytes in data else data

    def _headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self._key.reveal(), "content-type": "application/json"}

    async def call(self, version: str, model: str, method: str, query: str, body: bytes, *,
                   stream: bool) -> Answer:
        url = f"{self.base_url}/{version}/models/{model}:{method}" + (f"?{query}" if query else "")
        request = self._client.build_request("POST", url, content=body, headers=self._headers())
        response = await self._client.send(request, stream=stream)
        headers = {k: v for k, v in response.headers.items() if k.lower() in KEEP_HEADERS}
        content_type = response.headers.get("content-type", JSON)
        if not stream or response.status_code != 200:
            data = await response.aread() if stream else response.content
            await response.aclose()
            return Answer(response.status_code, content_type, self._mask(data), headers=headers)

        async def chunks() -> AsyncIterator[bytes]:
            async for chunk in response.aiter_raw():
                yield self._mask(chunk)

        return Answer(200, content_type, chunks=chunks(), headers=headers, close=response.aclose)

    async def list_models(self, version: str) -> Answer:
        response = await self._client.get(f"{self.base_url}/{version}/models", params={"pageSize": "1000"},
                                          headers=self._headers())
        return Answer(response.status_code, response.headers.get("content-type", JSON),
                      self._mask(response.content))

    async def aclose(self) -> None:
        await self._client.aclose()


class OfflineUpstream:
    """Answers with the offline simulator (``classroom serve --offline``): the whole room flow, no key, $0 bills
    but the usage the real model would report, so budgets and the dashboard behave as on the day."""

    description = "offline simulator (no key; images say so)"

    def __init__(self, latency_s: float = 0.0) -> None:
        self._backend = OfflineBackend(latency_s=latency_s)

    async def call(self, version: str, model: str, method: str, query: str, body: bytes, *,
                   stream: bool) -> Answer:
        info = registry.resolve(model, warn=False)
        try:
            request = wire.request_from_json(info, json.loads(body or b"null"))
        except (ValueError, wire.BadRequest) as e:
            return Answer(400, JSON, wire.error_json(400, "INVALID_ARGUMENT", f"Invalid request: {e}"))
        reply = await self._backend.generate(request)
        if stream:
            data = wire.sse_events(reply, info.id)

            async def chunks() -> AsyncIterator[bytes]:
                yield data

            return Answer(200, SSE, chunks=chunks())
        return Answer(200, JSON, json.dumps(wire.response_json(reply, info.id)).encode())

    async def list_models(self, version: str) -> Answer:
        models = [wire.model_json(m) for m in registry.MODELS]
        return Answer(200, JSON, json.dumps({"models": models}).encode())

    async def aclose(self) -> None:
        return None


def elapsed(t0: float) -> float:
    """Seconds since ``t0`` (``time.perf_counter``), rounded for the ledger."""
    return round(time.perf_counter() - t0, 4)
