"""Every notebook is paired, committed without outputs, and runs top to bottom offline."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))


def _cells(nb):
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def test_there_are_notebooks():
    assert SOURCES, f"no notebooks found in {NOTEBOOKS}"


def _committed(path: Path) -> nbformat.NotebookNode:
    """The notebook as git will commit it (the index), else the working copy: outputs JupyterLab saved into
    a working copy while you ran it are yours; only what is committed must be stripped."""
    rel = path.relative_to(NOTEBOOKS.parent).as_posix()
    try:
        text = subprocess.run(["git", "show", f":{rel}"], cwd=NOTEBOOKS.parent, capture_output=True, text=True,
                              check=True, timeout=30).stdout
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return nbformat.read(path, as_version=4)
    return nbformat.reads(text, as_version=4)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_pair_is_in_sync_and_stripped(source):
    paired = source.with_suffix(".ipynb")
    assert paired.exists(), f"{paired.name} missing: run `jupytext --sync {source}`"
    # the content (cell kinds and sources): outputs and jupytext's version stamp in the header are ignored
    ipynb = nbformat.read(paired, as_version=4)
    assert _cells(jupytext.read(source)) == _cells(ipynb), f"{paired.name} is out of sync: jupytext --sync {source}"
    for cell in _committed(paired).cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, \
                f"{paired.name} is staged with outputs: jupyter nbconvert --clear-output --inplace {paired}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_runs_offline(source, tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLKIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    scratch = tmp_path / "tmp"  # the kernel's temporary folder: a notebook must leave nothing behind in it
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    nb = jupytext.read(source)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    left = [p.name for p in scratch.iterdir() if p.name.startswith(("workshop-", "study-", "cost-demo-", "budget-"))]
    assert not left, f"{source.name} left temporary folders behind: {left}"
    out_dir = os.environ.get("NOTEBOOK_OUTPUT_DIR")
    if out_dir:  # keep the executed notebook to look at (never committed)
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, Path(out_dir) / f"{source.stem}.ipynb")
