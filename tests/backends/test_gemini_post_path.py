"""The hot path posts our own wire request through google-genai's API client (``raw_json``), its sync client in
a worker thread (``threaded``) or its async one; the SDK's typed ``models.generate_content`` (the fallback)
must send the same request and get the same kind of Result.

Both run through the real SDK against the loopback fake: what reaches the server is compared as parsed JSON,
with the path, method and headers, for requests with every option the Gemini API and Vertex AI take.
"""

from __future__ import annotations

import io

import pytest
from google.auth.credentials import Credentials as _Base
from PIL import Image

import toolkit as tk
from toolkit.testing import FakeGeminiServer

KEY = "post-path-key-31337"
TOKEN = "ya29.post-path-token"
QUICK = tk.RetryPolicy(attempts=2, initial_delay_s=0.01, max_delay_s=0.02)


class Credentials(_Base):  # a bearer token that never refreshes (no network)
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def refresh(self, request: object) -> None:
        pass

    @property
    def expired(self) -> bool:
        return False

    @property
    def valid(self) -> bool:
        return True


@pytest.fixture(scope="module")
def fake():
    with FakeGeminiServer(api_key=KEY, bearer_token=TOKEN) as server:
        yield server


def _camel(value: object) -> object:
    """JSON with every key in camelCase: the SDK sends a ContentDict's ``inline_data.mime_type`` as it was given
    (``mime_type``); the API reads both spellings (proto JSON), and our wire request uses the documented one."""
    if isinstance(value, dict):
        return {k.split("_")[0] + "".join(w.title() for w in k.split("_")[1:]): _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (48, 32), (10, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


CASES = [
    ("plain", "a paper kite over a beach", None, {}),
    ("edit", "make the sky orange", "png", {"aspect_ratio": "3:2"}),
    ("sized", "a tiny robot", None, {"aspect_ratio": "16:9", "image_size": "2K", "seed": 7, "temperature": 0.4}),
    ("thinking", "a diagram of a heat pump", None, {"thinking_level": "high", "include_thoughts": True}),
    ("grounded", "today's weather in Lisbon as a poster", None, {"grounding": ("web", "image")}),
    ("tier", "a quiet harbour", None, {"service_tier": "flex"}),
]


TRANSPORTS = {"thread": (True, True), "async": (True, False), "typed": (False, False)}


def _studio(kind: str, fake: FakeGeminiServer, home, *, transport: str) -> tk.Studio:
    if kind == "gemini":
        studio = tk.Studio(backend="gemini", api_key=KEY, base_url=fake.base_url, home=home, retry=QUICK)
    else:
        studio = tk.Studio(backend="vertex", project="post-path-proj", location="global",
                           credentials=Credentials(TOKEN), base_url=fake.base_url, home=home, retry=QUICK)
    studio.backend.raw_json, studio.backend.threaded = TRANSPORTS[transport]  # type: ignore[attr-defined]
    return studio


@pytest.mark.parametrize("kind", ["gemini", "vertex"])
@pytest.mark.parametrize(("name", "prompt", "image", "options"), CASES, ids=[c[0] for c in CASES])
def test_posted_wire_request_equals_the_sdks_own(kind, name, prompt, image, options, fake, tmp_path):
    if kind == "vertex" and name == "tier":
        pytest.skip("Vertex AI refuses service_tier (its tiers work differently)")
    images = _png() if image else None
    sent = {}
    results = {}
    for transport in TRANSPORTS:
        fake.reset()
        studio = _studio(kind, fake, tmp_path / f"{kind}-{name}-{transport}", transport=transport)
        results[transport] = studio.generate(prompt, images, **options)
        (call,) = fake.calls
        sent[transport] = (call.method, call.path, call.query, call.json,
                          {k: v for k, v in call.headers.items() if k not in ("content-length", "user-agent",
                                                                              "x-goog-api-client")})
    sdks = sent["typed"]
    for transport in ("thread", "async"):
        ours = sent[transport]
        assert ours[3] == _camel(sdks[3])  # the body
        assert ours[:3] == sdks[:3] and ours[4] == sdks[4]  # method, path, query, headers
    typed = results["typed"]  # the fake's answers vary per call; their shape must not
    for r in results.values():
        assert r.status == "ok" and len(r.outputs) == len(typed.outputs) >= 1
        assert (bool(r.thoughts), bool(r.grounding)) == (bool(typed.thoughts), bool(typed.grounding))
        assert r.backend == kind and r.cost_usd > 0


def test_errors_are_mapped_the_same_on_both_paths(fake, tmp_path):
    for transport in TRANSPORTS:
        fake.reset()
        studio = _studio("gemini", fake, tmp_path / f"err-{transport}", transport=transport)
        fake.enqueue(400)
        with pytest.raises(tk.ProviderError) as caught:
            studio.generate("a window")
        assert caught.value.code == 400 and caught.value.provider == "gemini" and KEY not in str(caught.value)
