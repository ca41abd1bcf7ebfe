"""Doctest namespace for ``pytest --doctest-modules toolkit`` (CI runs it): ``tk``, a scratch ``home`` folder,
and an offline ``studio`` on that home, so the examples in docstrings run as written without a key."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _doctest_names(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    if not isinstance(request.node, pytest.DoctestItem):
        return
    import toolkit as tk

    home = tmp_path_factory.mktemp("doctest-home")
    ns = request.getfixturevalue("doctest_namespace")
    ns.update(tk=tk, home=str(home), tmp=str(home), studio=tk.Studio(backend="offline", home=str(home)))


def pytest_ignore_collect(collection_path, config):
    """conftest.py files are plugins, not modules with doctests: with ``--doctest-modules`` pytest would import
    every one of them as a module named ``conftest`` and trip over the duplicates."""
    return True if collection_path.name == "conftest.py" else None
