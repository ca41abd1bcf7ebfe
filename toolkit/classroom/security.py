"""The gateway's ASGI guard: the Host check on loopback, the body size limit, and safe response headers.

Bound to loopback, a request must name a loopback host (``localhost``, ``127.0.0.1``, ``[::1]``), so a web page
in the instructor's browser cannot reach the gateway through DNS rebinding. No CORS headers are ever sent, so
other origins' pages cannot read any answer. Every response says ``Cache-Control: no-store``,
``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``; HTML pages also get a strict
Content-Security-Policy (same-origin scripts only) and may not be framed.
"""

from __future__ import annotations

from typing import Any

from ..serve import is_loopback
from .wire import error_json

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
HEADERS = [(b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"no-referrer")]
HTML_HEADERS = [(b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; "
                 b"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"),
                (b"x-frame-options", b"DENY")]


def host_name(header: str) -> str:
    """The host part of a ``Host`` header (``[::1]:8765`` -> ``::1``).

    >>> host_name("[::1]:8765"), host_name("localhost:80"), host_name("127.0.0.1")
    ('::1', 'localhost', '127.0.0.1')
    """
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class SecurityMiddleware:
    """Wraps the Starlette app (pure ASGI, so streaming passes through untouched)."""

    def __init__(self, app: Any, *, host: str, max_body_bytes: int) -> None:
        self.app = app
        self.check_host = is_loopback(host)
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        problem: tuple[int, str, str] | None = None
        if self.check_host and host_name(headers.get(b"host", b"").decode("latin-1")) not in LOOPBACK_NAMES:
            problem = (403, "PERMISSION_DENIED", "classroom gateway: this gateway listens on loopback only; use "
                       "http://127.0.0.1:<port> (the instructor can serve the room with --host).")
        length = headers.get(b"content-length", b"")
        if problem is None and length.isdigit() and int(length) > self.max_body_bytes:
            problem = (413, "INVALID_ARGUMENT", f"classroom gateway: the request is larger than "
                       f"{self.max_body_bytes // 2**20} MB; send smaller or fewer images.")
        if problem is not None:
            await _send_error(send, *problem)
            return

        async def guarded_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                out = [(k, v) for k, v in message.get("headers", []) if not k.lower().startswith(b"access-control")]
                out += HEADERS
                if any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in out):
                    out += HTML_HEADERS
                message = {**message, "headers": out}
            await send(message)

        await self.app(scope, receive, guarded_send)


async def _send_error(send: Any, code: int, status: str, message: str) -> None:
    body = error_json(code, status, message)
    await send({"type": "http.response.start", "status": code,
                "headers": [(b"content-type", b"application/json; charset=UTF-8"),
                            (b"content-length", str(len(body)).encode()), *HEADERS]})
    await send({"type": "http.response.body", "body": body})
