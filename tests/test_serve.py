"""Standalone apps: each app notebook builds its app and shows a widget, and the CLI writes them."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from toolkit import serve
from toolkit.__main__ import main


def test_every_app_notebook_renders_a_widget(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLKIT_HOME", str(tmp_path / "home"))
    combined = nbformat.v4.new_notebook()
    for name in serve.APPS:
        combined.cells.append(serve.app_notebook(name).cells[1])  # one kernel for all: faster
    NotebookClient(combined, timeout=300, kernel_name="python3").execute()
    for name, cell in zip(serve.APPS, combined.cells, strict=True):
        kinds = [k for o in cell.outputs for k in o.get("data", {})]
        assert "application/vnd.jupyter.widget-view+json" in kinds, name
        assert not [o for o in cell.outputs if o.output_type == "error"], name


def test_cli_writes_an_app_for_voila(tmp_path, capsys):
    assert main(["serve", "editor", "--write", str(tmp_path)]) == 0
    nb = nbformat.read(tmp_path / "editor.ipynb", as_version=4)
    assert "Editor(studio" in nb.cells[1].source
    assert "voila" in capsys.readouterr().out


def test_unknown_app_is_explained():
    with pytest.raises(Exception, match="Unknown app 'painter'"):
        serve.app_notebook("painter")


def test_voila_command_binds_loopback(tmp_path):
    cmd = serve.voila_command(tmp_path / "a.ipynb", 9999, open_browser=False)
    assert "--Voila.ip=127.0.0.1" in cmd and "--port=9999" in cmd and "--no-browser" in cmd
