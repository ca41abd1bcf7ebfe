import importlib
import inspect
import pkgutil

import toolkit as tk


def test_all_is_sorted_and_complete():
    # isort-style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions
    def kind(n):
        return (0 if n.isupper() else 1 if n[:1].isupper() else 2, n)

    assert tk.__all__ == sorted(tk.__all__, key=kind)
    exported = {n for n in dir(tk) if not n.startswith("_") and not inspect.ismodule(getattr(tk, n))}
    assert exported - {"annotations"} <= set(tk.__all__)
    for name in tk.__all__:
        assert hasattr(tk, name), name


def test_public_names_have_docstrings():
    for name in tk.__all__:
        obj = getattr(tk, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), name


def test_every_module_imports():
    for mod in pkgutil.walk_packages(tk.__path__, "toolkit."):
        importlib.import_module(mod.name)
