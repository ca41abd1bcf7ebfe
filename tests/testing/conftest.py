"""Fixtures of the FakeGeminiServer tests: one server per test module, reset before every test that uses it."""

from __future__ import annotations

import pytest
from gemini_helpers import KEY, TODAY, _client

from toolkit import simulator
from toolkit.testing import FakeGeminiServer


@pytest.fixture(scope="module")
def fake():
    with FakeGeminiServer(api_key=KEY, today=TODAY) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(request):
    if "fake" in request.fixturenames:
        request.getfixturevalue("fake").reset()
    yield


@pytest.fixture(scope="module")
def client(fake):
    c = _client(fake.base_url)
    yield c
    c.close()


@pytest.fixture()
def sim_calls(monkeypatch):
    """Spy on toolkit.simulator.render (the server looks it up per call) and record its arguments."""
    calls: list[dict] = []
    real = simulator.render

    def spy(prompt, images=(), **kw):
        calls.append({"prompt": prompt, "images": [im.size for im in images], **kw})
        return real(prompt, images, **kw)

    monkeypatch.setattr(simulator, "render", spy)
    return calls
