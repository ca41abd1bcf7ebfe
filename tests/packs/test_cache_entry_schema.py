"""The one cache-entry schema (toolkit.records.check_cache_entry): every entry the Engine writes passes it, and
each malformed field is named."""

from __future__ import annotations

import copy
import json

import pytest

import toolkit as tk
from toolkit.records import CACHE_ENTRY_FIELDS, check_cache_entry


def entries(studio):
    return [json.loads(studio.store.cache_row(k)["entry"]) for k in studio.store.cache_keys()]


def test_every_entry_the_engine_writes_fits_the_schema(tmp_path):
    studio = tk.Studio(backend="offline", home=tmp_path / "offline")
    studio.generate("A red kite", image_size="512", n=2)
    studio.edit(tk.sample("cat"), "Blur the background", image_size="512")
    chat = studio.chat()
    chat.send("A lighthouse", image_size="512")
    chat.send("Make it night time", image_size="512")
    with tk.FakeGeminiServer() as server:  # wire replies with thought signatures, through the real SDK
        gemini = tk.Studio(backend="gemini", api_key="k", base_url=server.base_url, home=tmp_path / "gemini")
        gemini.generate("A red kite", image_size="1K", model="nano-banana-pro")
        talk = gemini.chat(gemini_api="generate_content")
        talk.send("A cat", image_size="512")
        talk.send("Now add a moon", image_size="512")
        stateful = gemini.chat()  # the Interactions API
        stateful.send("An owl", image_size="512")
        stateful.send("Make it snow", image_size="512")
    found = entries(studio) + entries(gemini)
    assert len(found) >= 9
    for entry in found:
        check_cache_entry(entry)
        assert set(entry) == set(CACHE_ENTRY_FIELDS)  # the Engine writes every documented field
    assert any(p.get("sig") for e in found for p in e["model_turn"] or [])  # signatures were covered


@pytest.fixture()
def entry(tmp_path):
    studio = tk.Studio(backend="offline", home=tmp_path / "home")
    studio.generate("A red kite", image_size="512")
    return entries(studio)[0]


def changed(entry, path, value):
    bad = copy.deepcopy(entry)
    *parents, last = path
    target = bad
    for p in parents:
        target = target[p]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return bad


@pytest.mark.parametrize(("path", "value", "named"), [
    (("status",), KeyError, "status: missing"),
    (("status",), "sent", "status: not one of"),
    (("text",), None, "text: not a string"),
    (("reason",), 3, "reason: not a string"),
    (("usage",), [], "usage: not a JSON object"),
    (("usage", "output_tokens"), -1, "usage['output_tokens']"),
    (("usage", "output_tokens"), True, "usage['output_tokens']"),
    (("list_cost_usd",), float("inf"), "list_cost_usd"),
    (("latency_s",), "1s", "latency_s"),
    (("images",), "abc", "images: not a list"),
    (("images", 0), "0" * 64, r"images[0]"),
    (("files",), {}, "files: not a list"),
    (("files", 0, "sha256"), "../outside/pwned", "files[0].sha256"),
    (("files", 0, "sha256"), "A" * 64, "files[0].sha256"),
    (("files", 0, "mime"), 'image/png" onmouseover="x', "files[0].mime"),
    (("files", 0, "path"), "../id_ed25519", "files[0].path"),
    (("files", 0, "size"), "big", "files[0].size"),
    (("files", 0, "extra"), 1, "files[0]: needs exactly the fields"),
    (("model_turn",), "text", "model_turn: not a list"),
    (("model_turn", 0), {"text": "a", "image": {}}, "model_turn[0]: needs exactly one"),
    (("model_turn", 0, "thought"), "yes", "model_turn[0].thought"),
    (("model_turn", 0, "sig"), "not base64!", "model_turn[0].sig"),
    (("metadata",), "x", "metadata: not a JSON object"),
    (("surprise",), 1, "'surprise': not a cache-entry field"),
])
def test_each_malformed_field_is_named(entry, path, value, named):
    with pytest.raises(ValueError, match=named.replace("[", r"\[").replace("]", r"\]")):
        check_cache_entry(changed(entry, path, value))


def test_optional_fields_may_be_absent_or_null(entry):
    for name, (required, _) in CACHE_ENTRY_FIELDS.items():
        if not required:
            check_cache_entry(changed(entry, (name,), KeyError))
    check_cache_entry({**entry, "model_turn": None, "reason": None, "response_id": None})
    with pytest.raises(ValueError, match="entry: not a JSON object"):
        check_cache_entry([entry])
