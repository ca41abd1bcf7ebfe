"""The Backend dropdown's options (toolkit/widgets/logic/backend_options.py)."""

from __future__ import annotations

import pytest

from toolkit import registry
from toolkit.widgets.logic import backend_options


@pytest.mark.parametrize(("env", "kinds"), [
    ({}, ["offline"]),
    ({"GEMINI_API_KEY": "k"}, ["offline", "gemini"]),
    ({"GOOGLE_API_KEY": "k"}, ["offline", "gemini"]),
    ({"GOOGLE_CLOUD_PROJECT": "p"}, ["offline", "vertex"]),
    ({"GOOGLE_GENAI_USE_VERTEXAI": "True"}, ["offline", "vertex"]),
    ({"GOOGLE_GENAI_USE_VERTEXAI": "0"}, ["offline"]),
    ({"OPENROUTER_API_KEY": "k"}, ["offline", "openrouter"]),
    ({"FAL_KEY": "k"}, ["offline", "fal"]),
    ({"FAL_KEY_ID": "i"}, ["offline"]),  # an id without its secret is not a key
    ({"FAL_KEY_ID": "i", "FAL_KEY_SECRET": "s", "GEMINI_API_KEY": "k", "OPENROUTER_API_KEY": "k",
      "GOOGLE_CLOUD_PROJECT": "p"}, ["offline", "vertex", "gemini", "openrouter", "fal"]),
])
def test_configured_backends_follow_the_environment(env, kinds):
    assert backend_options.configured_backends(env) == kinds


def test_configured_backends_default_to_os_environ(monkeypatch):
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_CLOUD_PROJECT", "GOOGLE_GENAI_USE_VERTEXAI",
                 "OPENROUTER_API_KEY", "FAL_KEY", "FAL_KEY_ID", "FAL_KEY_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENROUTER_API_KEY", "k")
    assert backend_options.configured_backends() == ["offline", "openrouter"]


def test_backend_choices_put_the_current_backend_first_once():
    assert backend_options.backend_choices("gemini", env={"GEMINI_API_KEY": "k"}) == [
        ("Gemini API", "gemini"), ("Offline simulator", "offline")]
    assert backend_options.backend_choices("offline", env={"FAL_KEY": "k"}) == [
        ("Offline simulator", "offline"), ("fal.ai", "fal")]
    assert backend_options.backend_choices("custom", env={}) == [("custom", "custom"), ("Offline simulator", "offline")]
    labels = backend_options.BACKEND_LABELS
    assert [k for _, k in backend_options.backend_choices("offline", env={
        "GEMINI_API_KEY": "k", "GOOGLE_CLOUD_PROJECT": "p", "OPENROUTER_API_KEY": "k", "FAL_KEY": "k"})] == list(labels)


def test_models_for_backend_limits_fal_to_models_with_an_app():
    assert backend_options.models_for_backend("gemini") is None
    assert backend_options.models_for_backend("offline", ("a", "b")) == ["a", "b"]
    fal = backend_options.models_for_backend("fal")
    assert fal and all(registry.lookup(m).fal_app and not registry.lookup(m).is_shut_down() for m in fal)
    assert backend_options.models_for_backend("fal", [fal[0], "not-a-fal-model"]) == [fal[0]]
