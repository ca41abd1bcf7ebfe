"""The public surface of toolkit.widgets and of its logic package."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import ipywidgets as widgets

import toolkit.widgets as tw
from toolkit.widgets import logic

APPS = ["CanvasTutor", "CharacterSheet", "CostMeter", "Editor", "FusionBoard", "Playground"]
WIDGETS_DIR = Path(tw.__file__).parent
LOGIC_MODULES = [importlib.import_module(f"{logic.__name__}.{m.name}") for m in pkgutil.iter_modules(logic.__path__)]


def test_all_has_the_apps_and_is_sorted():
    assert set(APPS) <= set(tw.__all__) and tw.__all__ == sorted(tw.__all__)
    for name in tw.__all__:
        cls = getattr(tw, name)
        assert issubclass(cls, widgets.VBox), name
        assert inspect.getdoc(cls) and "Examples" in inspect.getdoc(cls), name


def test_logic_modules_are_small_and_import_no_ipywidgets():
    assert len(LOGIC_MODULES) >= 8
    for path in WIDGETS_DIR.rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 600, path
    for module in LOGIC_MODULES:
        tree = ast.parse(Path(module.__file__).read_text())
        imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not any(m.split(".")[0] in ("ipywidgets", "ipycanvas", "ipyevents") for m in imported), module


def test_public_logic_functions_have_docstrings():
    for module in LOGIC_MODULES:
        for name, obj in vars(module).items():
            if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj)) \
                    and obj.__module__ == module.__name__:
                assert inspect.getdoc(obj), f"{module.__name__}.{name}"


def _defined_names(module) -> list[str]:
    """Public names a module defines at its top level (functions, classes, constants)."""
    names = []
    for node in ast.parse(Path(module.__file__).read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [n for n in names if not n.startswith("_")]


def test_logic_package_reexports_every_public_name_of_its_modules():
    expected = set()
    for module in LOGIC_MODULES:
        short = module.__name__.rsplit(".", 1)[1]
        assert getattr(logic, short) is module
        expected.add(short)
        for name in _defined_names(module):
            assert getattr(logic, name) is getattr(module, name), f"{module.__name__}.{name}"
            expected.add(name)
    assert sorted(logic.__all__) == sorted(expected)


def test_logic_docstring_examples_hold():
    import doctest

    tried = 0
    for module in [logic, *LOGIC_MODULES]:
        failures, n = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert failures == 0, module.__name__
        tried += n
    assert tried > 20


def test_widgets_use_no_private_names_of_other_modules():
    # `module._name`, `from .module import _name` and imports of private modules, outside one's own `self`.
    for path in WIDGETS_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                assert isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"), \
                    f"{path.name}:{node.lineno} uses .{node.attr}"
            if isinstance(node, ast.ImportFrom):
                parts = (node.module or "").split(".")
                assert not any(p.startswith("_") for p in parts if p != "__future__"), f"{path.name}:{node.lineno}"
                assert not any(re.match(r"_[a-z]", a.name) for a in node.names), f"{path.name}:{node.lineno}"
