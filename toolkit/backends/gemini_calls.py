"""A ``generateContent`` call through google-genai, read as wire JSON: the SDK's typed call, or our own wire
request posted through the SDK's API client.

:func:`post_json` is the hot path (run in a worker thread; :func:`sdk_post_json` is its async twin): the
request :func:`~toolkit.backends.gemini_wire.request_json` builds (the one streams and batch JSONL lines send)
goes through the SDK's own ``client._api_client``, the very call ``models.generate_content`` makes after
converting its typed arguments, so auth, the base URL, the Vertex project prefix, the API version, timeouts and
the SDK's error types stay the SDK's. It skips that converter, which walks the pydantic config field by field:
about 1.2 ms of CPU per call (``benchmarks/transport.py``). That client is private API; a backend falls back
to :func:`sdk_generate_json` (the public ``models.generate_content`` with ``should_return_http_response=True``)
when a later SDK lacks it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic_core import from_json

from ..errors import MalformedReplyError, ProviderError


async def sdk_generate_json(client: Any, model: str, contents: Any, config: Any, provider: str,
                            map_error: Callable[[Exception, str | None], ProviderError | None],
                            headers: dict[str, str] | None = None) -> dict[str, Any]:
    """One ``generate_content`` call through the SDK's async client (``config`` with
    ``should_return_http_response=True``) -> the reply's wire JSON object (and its HTTP headers into ``headers``).

    An SDK exception goes through ``map_error`` (None: not a provider failure, re-raised as it is); a body that
    is not a JSON object is a :class:`~toolkit.errors.MalformedReplyError`. The body is parsed with pydantic-core,
    a few times faster than ``json.loads``.
    """
    try:
        response = await client.aio.models.generate_content(model=model, contents=contents, config=config)
    except Exception as e:
        raise _mapped(e, model, map_error) from None
    return reply_json(response.sdk_http_response, provider, headers)


async def sdk_post_json(post: Callable[..., Any], path: str, body: dict[str, Any], model: str, provider: str,
                        map_error: Callable[[Exception, str | None], ProviderError | None],
                        headers: dict[str, str] | None = None) -> dict[str, Any]:
    """One POST of a wire request through the SDK's own async API client (``post`` is its ``async_request``:
    the call ``models.generate_content`` makes, with the SDK's auth, base URL, API version, timeout and error
    types) -> the reply's wire JSON object, as :func:`sdk_generate_json` gives it.

    The request is ours (:func:`~toolkit.backends.gemini_wire.request_json`, the one the batch JSONL and
    streams send), so the SDK's request converter, which walks its pydantic config field by field, is skipped:
    about 1.2 ms of CPU per call.
    """
    try:
        response = await post("post", path, body, None)
    except Exception as e:
        raise _mapped(e, model, map_error) from None
    return reply_json(response, provider, headers)


def post_json(post: Callable[..., Any], path: str, body: dict[str, Any], model: str, provider: str,
              map_error: Callable[[Exception, str | None], ProviderError | None],
              headers: dict[str, str] | None = None) -> dict[str, Any]:
    """:func:`sdk_post_json` through the SDK's sync API client (``post`` is its ``request``), for a worker
    thread (:class:`~toolkit.backends.workers.DaemonWorkers`)."""
    try:
        response = post("post", path, body, None)
    except Exception as e:
        raise _mapped(e, model, map_error) from None
    return reply_json(response, provider, headers)


def _mapped(e: Exception, model: str, map_error: Callable[[Exception, str | None], ProviderError | None]
            ) -> Exception:
    """The ProviderError ``map_error`` makes of an SDK exception, or the exception itself (not a provider
    failure: raised as it is)."""
    mapped = map_error(e, model)
    return e if mapped is None else mapped


def reply_json(http: Any, provider: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The SDK's HTTP response (``body`` text, ``headers``) -> the reply's JSON object, parsed by pydantic-core;
    the headers are copied into ``headers``."""
    raw = http.body if http is not None else None
    if headers is not None and http is not None and http.headers:
        headers.update(http.headers)
    try:
        body = from_json(raw) if raw else {}
    except ValueError:
        raise MalformedReplyError(provider, f"the reply was not valid JSON ({len(raw or '')} bytes)") from None
    if not isinstance(body, dict):
        raise MalformedReplyError(provider, "the reply was not a JSON object")
    return body
