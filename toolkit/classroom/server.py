"""Running the gateway with uvicorn: in the foreground (``classroom serve``) or in a thread (notebooks, tests,
benchmarks: :class:`GatewayServer`).

uvicorn's access log is off: it would print request paths, and a client may put its seat token in ``?key=``.
The gateway logs one line per call itself (seat, model, outcome, cost), never a token or the key.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any, Self

import uvicorn

from ..errors import ConfigError
from ..serve import LOOPBACK
from .app import DEFAULT_MAX_BODY_BYTES, Gateway
from .limits import LimitSettings, RoomLimits
from .room import Room
from .upstream import HttpUpstream, OfflineUpstream, Upstream


def build_gateway(room: Room | str, *, offline: bool = False, upstream: str | None = None, api_key: str | None = None,
                  host: str = LOOPBACK, limits: LimitSettings | None = None, simulated_latency_s: float = 0.0,
                  max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Gateway:
    """A :class:`Gateway` over ``room`` (a :class:`Room` or its path); rows a stopped gateway left in flight are
    marked interrupted first."""
    the_room = room if isinstance(room, Room) else Room(room)
    the_room.recover()
    target: Upstream = OfflineUpstream(simulated_latency_s) if offline else HttpUpstream(api_key, upstream)
    return Gateway(the_room, target, limits=RoomLimits(limits), host=host, max_body_bytes=max_body_bytes)


def _config(app: Any, host: str, port: int, certfile: str | None, keyfile: str | None) -> uvicorn.Config:
    if bool(certfile) != bool(keyfile):
        raise ConfigError("TLS needs both --certfile and --keyfile.")
    return uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, server_header=False,
                          lifespan="on", ssl_certfile=certfile, ssl_keyfile=keyfile, timeout_graceful_shutdown=5)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port), or ConfigError naming the fix."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as e:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port} ({e.strerror}); choose another --port.") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class GatewayServer:
    """The gateway served by uvicorn in a background thread.

    >>> with GatewayServer(gateway) as server:   # doctest: +SKIP
    ...     studio = tk.Studio(classroom=server.url, seat_token=token)
    """

    def __init__(self, gateway: Gateway, *, host: str = LOOPBACK, port: int = 0, certfile: str | None = None,
                 keyfile: str | None = None) -> None:
        self.gateway = gateway
        self.host = host
        self._sock = bind(host, port)
        self.port = int(self._sock.getsockname()[1])
        self._server = uvicorn.Server(_config(gateway.app(), host, self.port, certfile, keyfile))
        self._thread: threading.Thread | None = None
        self.scheme = "https" if certfile else "http"

    @property
    def url(self) -> str:
        """The URL students pass as ``classroom=``."""
        host = self.host if ":" not in self.host else f"[{self.host.strip('[]')}]"
        return f"{self.scheme}://{host}:{self.port}"

    def dashboard_url(self, instructor_token: str) -> str:
        return f"{self.url}/classroom/#token={instructor_token}"

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name="classroom-gateway", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the classroom gateway did not start; see the log above")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_forever(gateway: Gateway, *, host: str, port: int, certfile: str | None = None,
                  keyfile: str | None = None) -> int:
    """Serve in the foreground until Ctrl-C; returns the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for noisy in ("httpx", "httpcore"):  # one line per call is the gateway's own; theirs would double it
        logging.getLogger(noisy).setLevel(logging.WARNING)
    server = uvicorn.Server(_config(gateway.app(), host, port, certfile, keyfile))
    server.run(sockets=[bind(host, port)])
    return 0
