"""The public surface of toolkit.widgets."""

from __future__ import annotations

import inspect

import ipywidgets as widgets

import toolkit.widgets as tw

APPS = ["CanvasTutor", "CharacterSheet", "CostMeter", "Editor", "FusionBoard", "Playground"]


def test_all_has_the_apps_and_is_sorted():
    assert set(APPS) <= set(tw.__all__) and tw.__all__ == sorted(tw.__all__)
    for name in tw.__all__:
        cls = getattr(tw, name)
        assert issubclass(cls, widgets.VBox), name
        assert inspect.getdoc(cls) and "Examples" in inspect.getdoc(cls), name


def test_public_logic_functions_have_docstrings():
    from toolkit.widgets import logic

    for name, obj in vars(logic).items():
        if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj)) \
                and obj.__module__ == logic.__name__:
            assert inspect.getdoc(obj), name


def test_logic_docstring_examples_hold():
    import doctest

    from toolkit.widgets import logic

    failures, tried = doctest.testmod(logic, optionflags=doctest.ELLIPSIS)
    assert tried > 20 and failures == 0
