"""Every per-call option is defined once (toolkit.options); calls, studies and backends derive from it."""

from __future__ import annotations

import dataclasses
import inspect
import typing

import pytest

import toolkit as tk
from toolkit import compare
from toolkit.options import (
    AXIS_NAMES,
    CALL_CONTROLS,
    CallOptions,
    Options,
    options_doc,
    split_call_options,
)


def test_call_options_are_exactly_the_options_plus_the_controls():
    fields = [f.name for f in dataclasses.fields(Options)]
    assert list(typing.get_type_hints(CallOptions)) == [*fields, *CALL_CONTROLS]


def test_the_verbs_take_call_options_typed():
    for verb in (tk.Studio.generate, tk.Studio.edit, tk.Studio.fuse, tk.Studio.estimate):
        kwargs = inspect.signature(verb).parameters["options"]
        assert kwargs.kind is inspect.Parameter.VAR_KEYWORD and "CallOptions" in str(kwargs.annotation), verb


def test_study_axes_and_docs_derive_from_the_options():
    assert compare.OPTION_AXES == AXIS_NAMES
    assert AXIS_NAMES[0] == "model" and "seed" in AXIS_NAMES and "person_generation" not in AXIS_NAMES
    assert all(f.name in options_doc() for f in dataclasses.fields(Options))
    assert "output_compression_quality" in tk.Studio.generate.__doc__


@pytest.mark.parametrize(("values", "message"), [
    ({"seed": 2**70}, "int32"), ({"seed": "x"}, "seed"), ({"temperature": 5}, "0 to 2"),
    ({"temperature": float("nan")}, "0 to 2"), ({"aspect_ratio": 16}, "text like '16:9'"),
    ({"person_generation": "everyone"}, "ALLOW_ALL"), ({"output_mime_type": "image/gif"}, "image/png"),
    ({"output_mime_type": "png", "output_compression_quality": 80}, "JPEG only"), ({"colour": "red"}, "Unknown"),
])
def test_bad_values_are_refused_naming_the_fix(values, message):
    with pytest.raises(tk.OptionError, match=message):
        Options.build(**values)


def test_values_are_canonicalised():
    opts = Options.build(person_generation="allow_adult", output_mime_type="jpg", temperature=1)
    assert opts.as_dict() == {"person_generation": "ALLOW_ADULT", "output_mime_type": "image/jpeg",
                              "temperature": 1.0}


def test_split_keeps_controls_apart_and_refuses_unknown_names():
    opts, controls = split_call_options({"seed": 3, "n": 2, "refresh": True})
    assert opts == {"seed": 3} and controls == {"n": 2, "refresh": True}
    with pytest.raises(tk.OptionError, match=r"Unknown option\(s\) \['sed'\]"):
        split_call_options({"sed": 3})


def test_edit_and_fuse_validate_options_before_sending(studio):
    with pytest.raises(tk.OptionError, match="seed"):
        studio.edit(tk.sample("cat"), "make it blue", seed=2**40)
    with pytest.raises(tk.OptionError, match="Vertex AI option"):
        studio.fuse([tk.sample("cat"), tk.sample("coffee")], "together", prominent_people="BLOCK_PROMINENT_PEOPLE")
    assert len(studio.ledger) == 0


@pytest.mark.parametrize(("values", "message"), [
    ({"thinking_level": "extreme"}, "minimal, low, medium, high"), ({"thinking_level": 3}, "thinking_level"),
    ({"include_thoughts": "yes"}, "True or False"), ({"grounding": "maps"}, "not a search type"),
    ({"grounding": []}, "'web', 'image'"), ({"grounding": 7}, "'web', 'image'"),
    ({"service_tier": "turbo"}, "standard, flex, priority"),
])
def test_thinking_grounding_and_tier_values_are_checked(values, message):
    with pytest.raises(tk.OptionError, match=message):
        Options.build(**values)


def test_thinking_grounding_tier_and_auto_are_canonicalised():
    opts = Options.build(thinking_level=" HIGH", include_thoughts=False, grounding=["image", "WEB", "web"],
                         service_tier="Flex", aspect_ratio="AUTO")
    assert opts.as_dict() == {"thinking_level": "high", "include_thoughts": False, "grounding": ("web", "image"),
                              "service_tier": "flex"}
    assert Options.build(grounding="image").grounding == ("image",)
    assert Options.build(aspect_ratio="auto") == Options.build()  # "auto" sends no ratio: the same request
    stored = Options(**{"grounding": ["web", "image"]})  # rebuilt from JSON, as batch jobs do
    assert stored == Options.build(grounding=("web", "image")) and hash(stored)


def test_the_new_options_change_the_cache_key():
    from toolkit.request import Request, TextPart, Turn

    turn = (Turn("user", (TextPart("a kite"),)),)
    keys = {Request("gemini", "m", turn, Options.build(**kw)).key for kw in (
        {}, {"thinking_level": "high"}, {"include_thoughts": True}, {"grounding": "web"},
        {"grounding": ("web", "image")}, {"service_tier": "flex"})}
    assert len(keys) == 6
