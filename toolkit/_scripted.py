"""What every loopback fake shares: the server's lifecycle, scripted outcomes and recorded requests.

Subclasses hold ``_lock``, ``_queue`` (a deque of outcomes), ``_requests`` (records with ``is_call``),
``_calls``, ``_connections``, ``_httpd``/``_thread`` (None until started), ``host`` and ``_port``; they
name their HTTP server and handler classes (:meth:`_server_classes`) and say how to read an outcome
given as a string or code (:meth:`_parse_outcome`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class ScriptedRecords:
    """Lifecycle plus ``enqueue`` / ``pending`` / ``requests`` / ``calls`` / ``call_count`` for the fakes."""

    _lock: threading.Lock
    _queue: deque[Any]
    _requests: list[Any]
    _calls: int
    _connections: set[socket.socket]
    _httpd: Any
    _thread: threading.Thread | None
    host: str
    _port: int
    _thread_name = "FakeServer"

    # ---- lifecycle ---------------------------------------------------------------------------------
    def _server_classes(self) -> tuple[type, type]:
        """(the ThreadingHTTPServer subclass, the request handler class)."""
        raise NotImplementedError

    def start(self) -> Self:
        """Bind and start serving in a daemon thread; returns ``self`` (idempotent)."""
        if self._httpd is not None:
            return self
        server_cls, handler_cls = self._server_classes()
        httpd = server_cls((self.host, self._port), handler_cls)
        httpd.fake = self
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self._thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection (idempotent)."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        # Keep-alive handler threads block on their sockets; closing them lets the threads end now.
        with self._lock:
            conns = list(self._connections)
            self._connections.clear()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """``http://host:port`` of the running server."""
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not running: call start() or use it as a context manager.")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        return int(self.origin.rsplit(":", 1)[1])

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # ---- scripting and inspection ------------------------------------------------------------------
    def _parse_outcome(self, outcome: Any) -> Any:
        raise NotImplementedError

    def enqueue(self, *outcomes: Any) -> None:
        """Script the next generation calls: each takes the next outcome; then ``ok`` again.

        Scripted outcomes take precedence over probabilistic faults; calls refused for their credentials
        do not consume one.
        """
        parsed = [self._parse_outcome(o) for o in outcomes]
        with self._lock:
            self._queue.extend(parsed)

    @property
    def pending(self) -> int:
        """How many scripted outcomes are still waiting."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[Any]:
        """A snapshot of every request received, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def calls(self) -> list[Any]:
        """A snapshot of the generation calls only."""
        with self._lock:
            return [r for r in self._requests if r.is_call]

    @property
    def call_count(self) -> int:
        """Number of generation calls received (including ones refused for their credentials)."""
        with self._lock:
            return self._calls

    def _reset_records(self) -> None:
        """Forget recorded requests, scripted outcomes and the call counter (call with ``_lock`` held)."""
        self._queue.clear()
        self._requests.clear()
        self._calls = 0


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server for the fakes: daemon threads, quiet about clients that hang up."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    fake: Any

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        # A client that timed out or was dropped leaves a dead socket behind; that is not a server bug.
        if isinstance(sys.exc_info()[1], OSError | ValueError):
            return
        super().handle_error(request, client_address)


class LoopbackHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, no Nagle delays, silent logs; every method goes to ``_dispatch``."""

    protocol_version = "HTTP/1.1"  # keep-alive, so a client's connection pool is really reused
    server_version = "toolkit-fake"
    sys_version = ""
    server: LoopbackHTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in one write, but SSE events are separate writes: no Nagle delays.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.fake._track(self.connection, True)

    def finish(self) -> None:
        self.server.fake._track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        return  # silent on purpose: a request line can carry ?key=<api key>

    def _dispatch(self) -> None:
        raise NotImplementedError

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
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
