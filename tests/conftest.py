"""Shared fixtures. Every test runs with a private home and no provider credentials, and the network is
limited to loopback: a test that tried to reach a real provider would fail loudly."""

from __future__ import annotations

import ipaddress
import socket

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback_only(address) -> None:
    if isinstance(address, tuple) and address:
        host = address[0]
        try:
            ok = ipaddress.ip_address(host).is_loopback
        except ValueError:
            ok = host in ("localhost",)
        if not ok:
            raise OSError(f"tests may only connect to loopback, not {host!r}")


def _guarded_connect(self, address):
    _loopback_only(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _loopback_only(address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex

PROVIDER_ENV = (
    "GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GOOGLE_GENAI_API_VERSION",
    "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_CLOUD_PROJECT", "OPENROUTER_API_KEY", "FAL_KEY", "TOOLKIT_BUDGET_USD",
)


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TOOLKIT_HOME", str(tmp_path / "home"))
    yield


@pytest.fixture()
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture()
def studio(home):
    import toolkit as tk

    return tk.Studio(backend="offline", home=home)


@pytest.fixture(scope="session")
def fake_server():
    from toolkit.testing import FakeGeminiServer

    with FakeGeminiServer(api_key="test-key-123456") as server:
        yield server


@pytest.fixture()
def server(fake_server):
    fake_server.reset()
    yield fake_server
    fake_server.reset()



@pytest.fixture()
def gemini(server, home):
    """A Studio on the Gemini backend, pointed at the loopback fake, with quick retries."""
    import toolkit as tk

    return tk.Studio(
        backend="gemini", api_key="test-key-123456", base_url=server.base_url, home=home,
        retry=tk.RetryPolicy(attempts=4, initial_delay_s=0.01, max_delay_s=0.05),
    )
