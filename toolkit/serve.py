"""Standalone apps: each widget app served as a page with Voilà (no code visible).

``python -m toolkit serve editor`` writes a one-app notebook to a temporary folder and runs Voilà on it,
the way AI Studio's template apps are used. The same notebook files can be served by hand::

    python -m toolkit serve editor --write apps/      # writes apps/editor.ipynb and exits
    voila apps/editor.ipynb                           # the documented Voilà command

The app's Studio is ``tk.Studio(backend=...)`` (``--backend``, any registered backend; default ``auto``: the
Gemini API when a key is in the environment, else the offline simulator); ``TOOLKIT_HOME``, ``TOOLKIT_BUDGET_USD`` and ``TOOLKIT_REPLAY`` apply as everywhere.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .backends import get_spec
from .errors import ConfigError

APPS: dict[str, tuple[str, str]] = {
    # name: (title, the expression that builds the app from `studio`)
    "playground": ("Playground", "Playground(studio)"),
    "editor": ("Editor", 'Editor(studio, image=tk.sample("cat"))'),
    "character": ("Character sheet", 'CharacterSheet(studio, reference=tk.sample("astronaut"), '
                  'scenes=["on the moon", "in a busy kitchen", "at a beach at sunset"])'),
    "fusion": ("Fusion board", 'FusionBoard(studio, images=[tk.sample("grass"), tk.sample("coffee")])'),
    "canvas": ("Canvas tutor", "CanvasTutor(studio)"),
    "cost": ("Cost meter", "CostMeter(studio)"),
}


def _nbformat() -> Any:
    try:
        import nbformat
    except ImportError:  # an optional dependency: the apps extra brings it (with Voilà)
        raise ConfigError("Serving apps needs nbformat and Voilà: pip install 'flash-image-toolkit[apps]'.") from None
    return nbformat


def app_notebook(name: str, backend: str = "auto") -> Any:
    """A notebook whose only output is the app (Voilà hides the code); ``backend`` is a registered name."""
    if name not in APPS:
        raise ConfigError(f"Unknown app {name!r}. Apps: {', '.join(APPS)}.")
    if backend != "auto":
        get_spec(backend)  # an unknown name is refused here, listing the registered ones
    nbformat = _nbformat()
    title, expr = APPS[name]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {title}"),
        nbformat.v4.new_code_cell(
            "import toolkit as tk\n"
            "from toolkit.widgets import CanvasTutor, CharacterSheet, CostMeter, Editor, FusionBoard, Playground\n"
            f"studio = tk.Studio(backend={backend!r})\napp = {expr}\napp"
        ),
    ]
    return nb


def write_app(name: str, folder: str | Path, backend: str = "auto") -> Path:
    """Write ``<folder>/<name>.ipynb`` and return its path."""
    notebook = app_notebook(name, backend)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    _nbformat().write(notebook, path)
    return path


def voila_command(path: Path, port: int, open_browser: bool) -> list[str]:
    # the voila next to this interpreter, so a venv's Voilà is used even when its bin/ is not on PATH
    exe = Path(sys.executable).parent / "voila"
    cmd = [str(exe)] if exe.exists() else ([found] if (found := shutil.which("voila")) else [sys.executable, "-m", "voila"])
    cmd += [str(path), f"--port={port}", "--Voila.ip=127.0.0.1"]
    if not open_browser:
        cmd.append("--no-browser")
    return cmd


def serve(name: str, *, port: int = 8866, open_browser: bool = True, backend: str = "auto") -> int:
    """Serve one app with Voilà until interrupted; returns Voilà's exit status."""
    try:
        import voila  # noqa: F401
    except ImportError:
        raise ConfigError("Serving apps needs Voilà: pip install 'flash-image-toolkit[apps]' (or pip install voila).") \
            from None
    with tempfile.TemporaryDirectory(prefix="flash-image-app-") as tmp:
        path = write_app(name, tmp, backend)
        try:
            return subprocess.call(voila_command(path, port, open_browser))
        except KeyboardInterrupt:
            return 0
