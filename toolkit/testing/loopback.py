"""The HTTP side of the loopback fakes: a threaded server, the handler base, and :class:`LoopbackFake`.

:class:`LoopbackFake` is a :class:`~toolkit.testing.base.ScriptedFake` served over HTTP/1.1 on the loopback
interface in a daemon thread (``start`` / ``stop`` / context manager, ``origin``, ``base_url``).
:class:`LoopbackHandler` keeps connections alive, writes answers in one go and, by default, hands each
request to the fake's :meth:`LoopbackFake.handle` as an :class:`Incoming`.
"""

from __future__ import annotations

import contextlib
import http
import json
import socket
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, unquote, urlsplit

from .base import REDACTED, Outcome, Recorded, ScriptedFake

__all__ = ["Incoming", "LoopbackFake", "LoopbackHTTPServer", "LoopbackHandler", "http_phrase"]


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server for the fakes: daemon threads, tracked connections, quiet about hang-ups."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    fake: Any

    def __init__(self, address: tuple[str, int], handler: type[LoopbackHandler], fake: Any) -> None:
        super().__init__(address, handler)
        self.fake = fake
        self._conn_lock = threading.Lock()
        self._connections: set[socket.socket] = set()

    def track(self, conn: socket.socket, open_: bool) -> None:
        """Remember (or forget) a client connection, so :meth:`close_connections` can end it."""
        with self._conn_lock:
            if open_:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        """Shut every open connection: keep-alive handler threads blocked on their sockets end now."""
        with self._conn_lock:
            conns = list(self._connections)
            self._connections.clear()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out or was dropped leaves a dead socket behind; that is not a server bug.
        if isinstance(sys.exc_info()[1], OSError | ValueError):
            return
        super().handle_error(request, client_address)


@dataclass(frozen=True)
class Incoming:
    """One request as :meth:`LoopbackHandler.dispatch` hands it to :meth:`LoopbackFake.handle`.

    ``body`` is the parsed JSON, None without a body, or :attr:`INVALID` when it was not JSON.
    """

    INVALID: ClassVar[object] = object()
    REDACT: ClassVar[frozenset[str]] = frozenset({"authorization", "x-api-key", "x-goog-api-key"})

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    received_at: float

    def record(self, **fields: Any) -> Recorded:
        """A :class:`Recorded` of this request with credentials redacted, plus ``fields``."""
        headers = {k: (REDACTED if k in self.REDACT else v) for k, v in self.headers.items()}
        body = None if self.body is self.INVALID else self.body
        return Recorded(method=self.method, path=self.path, query=dict(self.query), headers=headers, json=body,
                        received_at=self.received_at, **fields)


class LoopbackHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, no Nagle delays, silent logs; every method goes to :meth:`dispatch`.

    The default :meth:`dispatch` reads the request into an :class:`Incoming` and passes it to the fake's
    :meth:`LoopbackFake.handle`; a fake with its own routing overrides :meth:`dispatch`.
    """

    protocol_version = "HTTP/1.1"  # keep-alive, so a client's connection pool is really reused
    server_version = "toolkit-fake"
    sys_version = ""
    server: LoopbackHTTPServer
    responded = False

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in one write, but SSE events are separate writes: no Nagle delays.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        return  # silent on purpose: a request line can carry ?key=<api key>

    def do_GET(self) -> None:
        self.dispatch()

    def do_POST(self) -> None:
        self.dispatch()

    def do_PUT(self) -> None:
        self.dispatch()

    def do_PATCH(self) -> None:
        self.dispatch()

    def do_DELETE(self) -> None:
        self.dispatch()

    # ---- request -----------------------------------------------------------------------------------
    def dispatch(self) -> None:
        """Answer one request: read it, hand it to ``server.fake.handle``, and turn a bug into a 500."""
        fake = self.server.fake
        self.responded = False
        split = urlsplit(self.path)
        raw = self.read_body()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                body = Incoming.INVALID
        req = Incoming(method=self.command, path=unquote(split.path),
                       query=dict(parse_qsl(split.query, keep_blank_values=True)),
                       headers={k.lower(): v for k, v in self.headers.items()}, body=body, received_at=time.time())
        try:
            fake.handle(self, req)
        except OSError:
            self.close_connection = True
        except Exception as exc:  # a bug in the fake should fail the test loudly, not hang the client
            if not self.responded:
                self.send_json(500, fake.internal_error_body(f"{type(fake).__name__} error: {exc!r}"))
            else:
                self.close_connection = True

    def read_body(self) -> bytes:
        """The request body (``Content-Length`` or chunked)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline(65537).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    # ---- responses ---------------------------------------------------------------------------------
    def default_headers(self) -> dict[str, str]:
        """Headers every answer carries after ``Content-Type`` (a fake may add its provider's)."""
        return {"Date": self.date_time_string()}

    def _head(self, code: int, content_type: str, headers: Mapping[str, str]) -> bytes:
        lines = [f"HTTP/1.1 {code} {http_phrase(code)}", f"Content-Type: {content_type}"]
        lines += [f"{k}: {v}" for k, v in {**self.default_headers(), **headers}.items()]
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def send(self, code: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None) -> None:
        """Answer with ``body`` (one write when small; no copy of a multi-megabyte body)."""
        self.responded = True
        head = self._head(code, content_type, {**(headers or {}), "Content-Length": str(len(body))})
        if len(body) < 65536:
            self.wfile.write(head + body)
        else:  # TCP_NODELAY keeps the two writes from stalling
            self.wfile.write(head)
            self.wfile.write(body)

    def send_json(self, code: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        """Answer with compact JSON."""
        self.send(code, json.dumps(payload, separators=(",", ":")).encode(), "application/json", headers)

    def start_chunked(self, code: int, content_type: str) -> None:
        """Start a ``Transfer-Encoding: chunked`` answer; follow with :meth:`write_chunk`, then ``b""``."""
        self.responded = True
        self.wfile.write(self._head(code, content_type, {"Transfer-Encoding": "chunked"}))

    def write_chunk(self, data: bytes) -> None:
        """One chunk of a chunked answer; ``b""`` ends it."""
        self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data) if data else b"0\r\n\r\n")

    def drop(self) -> None:
        """Close the connection without answering."""
        self.close_connection = True
        self.responded = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class LoopbackFake(ScriptedFake):
    """A :class:`ScriptedFake` served over HTTP on the loopback interface, in a daemon thread.

    Subclasses name their handler (``handler_class``) and either implement :meth:`handle` (the default
    :meth:`LoopbackHandler.dispatch` calls it) or override the handler's ``dispatch``.
    """

    handler_class: ClassVar[type[LoopbackHandler]] = LoopbackHandler

    def __init__(self, *, api_key: str | None = None, latency_s: float = 0.0, host: str = "127.0.0.1",
                 port: int = 0, faults: Mapping[str | Outcome, float] | None = None, fault_seed: int = 0) -> None:
        if latency_s < 0:
            raise ValueError("latency_s must be >= 0.")
        super().__init__(faults=faults, fault_seed=fault_seed)
        self.api_key = api_key
        self.latency_s = float(latency_s)
        self.host = host
        self._port = port
        self._httpd: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Bind and start serving in a daemon thread; returns ``self`` (idempotent)."""
        if self._httpd is not None:
            return self
        httpd = LoopbackHTTPServer((self.host, self._port), self.handler_class, self)
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection (idempotent)."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._httpd is not None

    @property
    def origin(self) -> str:
        """``http://host:port`` of the running server."""
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not running: call start() or use it as a context manager.")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        return int(self.origin.rsplit(":", 1)[1])

    @property
    def base_url(self) -> str:
        """What a client takes as its ``base_url`` (the origin, unless the provider adds a path)."""
        return self.origin

    @property
    def url(self) -> str:
        """Same as :attr:`base_url`: pass it to ``Studio(base_url=...)``."""
        return self.base_url

    def sleep_latency(self) -> None:
        """Sleep ``latency_s`` (in the handler thread), as a slow provider would."""
        if self.latency_s:
            time.sleep(self.latency_s)

    def handle(self, h: LoopbackHandler, req: Incoming) -> None:
        """Answer one request through ``h`` (called by :meth:`LoopbackHandler.dispatch`)."""
        raise NotImplementedError

    def internal_error_body(self, message: str) -> Any:
        """The JSON body of a 500 caused by a bug in the fake."""
        return {"error": {"code": 500, "message": message}}

    def __repr__(self) -> str:
        where = self.base_url if self.running else "stopped"
        return f"<{type(self).__name__} {where} calls={self.call_count}>"



def http_phrase(code: int) -> str:
    """The reason phrase of an HTTP status (Cloudflare's for 524 and 529; ``"Error"`` when unknown)."""
    if code == 524:
        return "A Timeout Occurred"
    if code == 529:
        return "Site Overloaded"
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return "Error"
