"""The backend registry: one table that Studio, auto-selection, the Playground and the CLI read.

A toy backend is registered through the public API and used for a generate, a study and the ledger.
"""

from __future__ import annotations

import hashlib
import io
from typing import ClassVar

import pytest
from PIL import Image

import toolkit as tk
from toolkit.backends import (
    BackendConfig,
    BackendSpec,
    Reply,
    ReplyImage,
    get_spec,
    names,
    register,
    unregister,
)
from toolkit.request import Request


class ToyBackend:
    """Paints a flat colour derived from the prompt; costs a flat $0.01 per image (reported by the backend)."""

    kind: ClassVar[str] = "toy"
    spends_money: ClassVar[bool] = True

    def __init__(self, shade: int) -> None:
        self.shade = shade
        self.sent: list[Request] = []

    @property
    def description(self) -> str:
        return "toy painter"

    async def generate(self, request: Request) -> Reply:
        self.sent.append(request)
        digest = hashlib.sha256(request.prompt.encode()).digest()
        buf = io.BytesIO()
        Image.new("RGB", (64, 48), (digest[0], self.shade, digest[1])).save(buf, "PNG")
        return Reply(status="ok", images=[ReplyImage(buf.getvalue(), "image/png")], text="painted",
                     usage={"output_image_tokens": 1290, "output_tokens": 1290}, extra={"cost_usd": 0.01})

    def list_models(self) -> list[str]:
        return [tk.DEFAULT_MODEL]


@pytest.fixture()
def toy():
    built: list[ToyBackend] = []

    def factory(config: BackendConfig) -> ToyBackend:
        backend = ToyBackend(shade=int(config.api_key.reveal()) if config.api_key else 7)
        built.append(backend)
        return backend

    spec = register(BackendSpec(name="toy", label="Toy painter", factory=factory, backend_type=ToyBackend,
                                env_keys=("TOY_KEY",), settings=frozenset(), description="a test double"))
    yield spec, built
    unregister("toy")


def test_a_registered_backend_generates_studies_and_records(toy, home):
    spec, built = toy
    assert "toy" in names() and get_spec("toy") is spec
    studio = tk.Studio(backend="toy", home=home, budget_usd=1.0)
    r = studio.generate("a teapot")
    assert r.status == "ok" and r.backend == "toy" and r.cost_usd == pytest.approx(0.01)
    assert studio.generate("a teapot").cached  # the cache works for it too
    study = studio.compare("A {thing}", thing=["cup", "pot", "pan"], progress=False)
    assert list(study.df["status"]) == ["ok"] * 3
    df = studio.ledger.df
    assert list(df["backend"].unique()) == ["toy"] and len(df) == 5
    assert studio.budget.spent == pytest.approx(0.04)  # 4 paid calls, one Budget
    assert len(built[0].sent) == 4


def test_options_a_backend_does_not_take_are_refused_naming_the_takers(toy, home):
    studio = tk.Studio(backend="toy", home=home)
    with pytest.raises(tk.OptionError, match="person_generation is a Vertex AI option: use Studio\\(backend='vertex'\\)"):
        studio.generate("a teapot", person_generation="ALLOW_ADULT")


def test_settings_a_backend_does_not_use_are_refused(toy, home):
    with pytest.raises(tk.ConfigError, match="base_url='http://x' has no effect on Toy painter"):
        tk.Studio(backend="toy", base_url="http://x", home=home)


def test_registering_twice_needs_replace(toy):
    spec, _ = toy
    with pytest.raises(tk.ConfigError, match="already registered"):
        register(spec)
    assert register(spec, replace_existing=True) is spec


def test_unknown_backend_lists_the_registered_ones(home):
    with pytest.raises(tk.ConfigError, match=r"Unknown backend 'banana'\. Use one of: auto, vertex, gemini, offline"):
        tk.Studio(backend="banana", home=home)


def test_auto_takes_the_first_spec_whose_rule_holds(monkeypatch, home):
    assert tk.Studio(home=home).backend.kind == "offline"
    monkeypatch.setenv("GEMINI_API_KEY", "k-auto-000000")
    assert tk.Studio(home=home).backend.kind == "gemini"
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "p")
    assert tk.Studio(home=home).backend.kind == "vertex"


def test_capabilities_are_declared_on_the_specs():
    gemini, offline, openrouter = get_spec("gemini"), get_spec("offline"), get_spec("openrouter")
    assert (gemini.batch, gemini.streaming, gemini.chat_transport is not None) == (True, True, True)
    assert (offline.spends_money, openrouter.streaming, openrouter.batch) == (False, False, False)
    assert "person_generation" in get_spec("vertex").options and "person_generation" not in gemini.options
