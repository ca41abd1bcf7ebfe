"""Standalone apps: each widget app served as a page with Voilà (no code visible).

``python -m toolkit serve editor`` writes a one-app notebook to a private temporary folder and runs Voilà on
it, the way AI Studio's template apps are used. The same notebook files can be served by hand::

    python -m toolkit serve editor --write apps/      # writes apps/editor.ipynb and exits
    voila apps/editor.ipynb                           # the documented Voilà command

The app's Studio is ``tk.Studio(backend=...)`` (``--app-backend``, any registered backend; default ``auto``:
the Gemini API when a key is in the environment, else the offline simulator); ``TOOLKIT_HOME``,
``TOOLKIT_BUDGET_USD`` and ``TOOLKIT_REPLAY`` apply as everywhere.

Security. The app spends the server's API key for whoever drives it, so ``serve`` locks it down:

- **A token.** Every run makes a random token (``secrets.token_urlsafe``) and prints it once, in the URL
  (``http://127.0.0.1:8866/?token=...``). Voilà's identity provider (jupyter_server's token mechanism) gets
  it through ``JUPYTER_TOKEN`` in Voilà's environment, never on its command line, which other local users
  can read. A request without the token gets Voilà's login page, never the app; the first request with it
  sets a login cookie for the page's own requests. With ``open_browser`` the browser is sent to the URL
  through a redirect file in the private folder (as Jupyter does), so the token is not on its command line.
- **A host check.** Bound to loopback (the default, ``127.0.0.1``), requests whose ``Host`` header is not a
  local name (``localhost`` or a loopback address) get 403: a web page that rebinds its own DNS name to
  127.0.0.1 cannot reach the app. This is jupyter_server's ``allow_remote_access=False`` check, which
  standalone Voilà turns off; a ``voila.py`` in the private folder (the only config file Voilà reads here)
  turns it back on through ``Voila.tornado_settings``, and sets jupyter_server's request log, which writes
  ``?token=[secret]`` where Tornado's would log the token of a refused request.
- **``--host`` binds elsewhere only with a warning** (:func:`remote_warning`, on stderr): the page is plain
  HTTP and anyone on the network who sees the token can spend the key; an SSH tunnel is the better way.
  Off loopback, the host check is off (clients use the machine's address) and the token is the only lock.
- **Stopping stops everything.** Voilà runs in its own session (process group). SIGTERM or Ctrl-C on the
  command is forwarded to Voilà, which shuts its kernels down; after :data:`STOP_GRACE_S` seconds what is
  left of Voilà's group and of its kernels' groups (jupyter_client starts each kernel in a session of its
  own) is killed, and the temporary folder is removed.
"""

from __future__ import annotations

import contextlib
import html
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
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

LOOPBACK = "127.0.0.1"
TOKEN_ENV = "JUPYTER_TOKEN"  # jupyter_server's IdentityProvider reads the token from here
STOP_GRACE_S = 8.0  # how long Voilà gets to shut its kernels down before the groups are killed
READY_TIMEOUT_S = 120.0


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


# --- hosts, URLs and the command --------------------------------------------------------------------------

def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1): only this machine can connect."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def remote_warning(host: str, port: int) -> str | None:
    """The warning ``--host`` prints when it binds beyond loopback; None on loopback."""
    if is_loopback(host):
        return None
    return (
        f"WARNING: serving on {host}:{port}, beyond this machine. The page is plain HTTP (not encrypted), and "
        "anyone on the network who sees the URL with its token can use the app and spend this server's API "
        "key. Prefer the default (127.0.0.1) and an SSH tunnel from your own machine: "
        f"ssh -L {port}:127.0.0.1:{port} <this host>"
    )


def app_url(host: str, port: int, token: str) -> str:
    """The URL to open (with its token); a wildcard bind is shown as this machine's name."""
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host.strip("[]")
    if ":" in shown:  # an IPv6 address
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/?token={token}"


def voila_settings(host: str) -> dict[str, Any]:
    """Voilà's Tornado settings for ``host``: the host check, on when bound to loopback."""
    return {"allow_remote_access": not is_loopback(host), "local_hostnames": ["localhost"]}


def voila_config(host: str) -> str:
    """The ``voila.py`` :func:`prepare` writes: :func:`voila_settings`, and jupyter_server's request log,
    which writes ``?token=[secret]`` where Tornado's own log would write the token (a Python config file,
    because a log function is not JSON)."""
    items = "".join(f"{key!r}: {value!r}, " for key, value in voila_settings(host).items())
    return (
        "# Written by `python -m toolkit serve` for one run; the only config file this Voila reads.\n"
        "from jupyter_server.log import log_request\n\n"
        f"c.Voila.tornado_settings = {{{items}'log_function': log_request}}\n"
    )


def voila_command(path: Path, port: int, open_browser: bool, *, host: str = LOOPBACK,
                  config_dir: Path | None = None, require_token: bool = False) -> list[str]:
    """The Voilà command line for one notebook.

    ``config_dir`` is the only folder Voilà reads ``voila.py`` from (see :func:`voila_config`);
    ``require_token`` makes Voilà take its token from ``JUPYTER_TOKEN`` in its environment. :func:`serve`
    sets both; without them this is plain ``voila`` on ``host`` (as the browser tests use it).
    """
    # the voila next to this interpreter, so a venv's Voilà is used even when its bin/ is not on PATH
    exe = Path(sys.executable).parent / "voila"
    cmd = [str(exe)] if exe.exists() else ([found] if (found := shutil.which("voila")) else [sys.executable, "-m", "voila"])
    cmd += [str(path), f"--port={port}", f"--Voila.ip={host}", "--Voila.port_retries=0"]
    if config_dir is not None:
        cmd.append(f"--Voila.config_file_paths={config_dir}")
    if require_token:
        cmd.append("--Voila.auto_token=True")
    if not open_browser:
        cmd.append("--no-browser")
    return cmd


@dataclass(frozen=True)
class Launch:
    """Everything :func:`serve` starts Voilà with, prepared in ``folder`` without starting it."""

    name: str
    folder: Path
    notebook: Path
    cmd: list[str]
    host: str
    port: int
    token: str = field(repr=False)
    warning: str | None = None

    @property
    def url(self) -> str:
        return app_url(self.host, self.port, self.token)

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Voilà's environment: ``base`` (default: this process's) with the token."""
        return {**(os.environ if base is None else base), TOKEN_ENV: self.token}


def prepare(name: str, folder: str | Path, *, host: str = LOOPBACK, port: int = 8866, backend: str = "auto",
            token: str | None = None) -> Launch:
    """Write the app notebook and ``voila.py`` into ``folder`` and build the command; starts nothing."""
    folder = Path(folder)
    notebook = write_app(name, folder, backend)
    (folder / "voila.py").write_text(voila_config(host), encoding="utf-8")
    cmd = voila_command(notebook, port, open_browser=False, host=host, config_dir=folder, require_token=True)
    return Launch(name=name, folder=folder, notebook=notebook, cmd=cmd, host=host, port=port,
                  token=token or secrets.token_urlsafe(32), warning=remote_warning(host, port))


# --- running and stopping ---------------------------------------------------------------------------------

def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Tornado binds
        try:
            s.bind((host.strip("[]"), port))
        except OSError as e:
            raise ConfigError(f"Cannot serve on {host}:{port} ({e.strerror}). Pick another port with --port.") \
                from None


def _connect_host(host: str) -> str:
    return {"0.0.0.0": LOOPBACK, "": LOOPBACK, "::": "::1"}.get(host, host.strip("[]"))


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((_connect_host(host), port), timeout=1):
            return True
    except OSError:
        return False


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (psutil when installed, else Linux's /proc; [] elsewhere)."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            return [p.pid for p in psutil.Process(pid).children(recursive=True)]
        except psutil.Error:
            return []
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.parent.name))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def _kill_groups(pgids: set[int]) -> None:
    own = os.getpgrp()
    for pgid in pgids - {own, 0, 1}:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


def stop_voila(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace: float = STOP_GRACE_S) -> None:
    """Stop a Voilà started with ``start_new_session=True``, its kernels included.

    ``sig`` goes to Voilà alone, so that it shuts its kernels down cleanly; after ``grace`` seconds what is
    left of Voilà's process group and of the groups of every process below it (jupyter_client starts each
    kernel in a session of its own) is killed. Never this process's own group.
    """
    groups = {proc.pid}  # Voilà's session: its process group id is its pid
    for pid in _descendants(proc.pid):
        with contextlib.suppress(ProcessLookupError):
            groups.add(os.getpgid(pid))
    if proc.poll() is None:
        proc.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
    _kill_groups(groups)
    proc.wait()


def _open_browser(launch: Launch) -> None:
    """Open the URL through a redirect file, so the token is not on the browser's command line."""
    page = launch.folder / "open.html"
    page.write_text(f'<!DOCTYPE html><meta http-equiv="refresh" content="0;url={html.escape(launch.url)}">',
                    encoding="utf-8")
    webbrowser.open(page.as_uri())


def _run(launch: Launch, open_browser: bool) -> int:
    stop: list[int] = []

    def on_signal(sig: int, frame: FrameType | None) -> None:
        stop.append(sig)

    previous: dict[int, Callable[..., Any] | int | None] = {}
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, on_signal)
    except ValueError:  # not the main thread: no signals here; Voilà runs until it exits
        pass
    proc = subprocess.Popen(launch.cmd, env=launch.env(), start_new_session=True)
    try:
        ready, deadline = False, time.monotonic() + READY_TIMEOUT_S
        while not stop and proc.poll() is None:
            if not ready and (_listening(launch.host, launch.port) or time.monotonic() > deadline):
                ready = True
                print(f"{APPS[launch.name][0]} app: {launch.url}", flush=True)  # the one line with the token
                print("Stop with Ctrl-C.", file=sys.stderr, flush=True)
                if open_browser:
                    _open_browser(launch)
            time.sleep(0.2)
    finally:
        stop_voila(proc, stop[0] if stop else signal.SIGTERM)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0 if stop else (proc.returncode or 0)


def serve(name: str, *, port: int = 8866, open_browser: bool = True, backend: str = "auto",
          host: str = LOOPBACK) -> int:
    """Serve one app with Voilà until stopped (SIGTERM, Ctrl-C); 0 when stopped, else Voilà's exit status."""
    try:
        import voila  # noqa: F401
    except ImportError:
        raise ConfigError("Serving apps needs Voilà: pip install 'flash-image-toolkit[apps]' (or pip install voila).") \
            from None
    if name not in APPS:
        raise ConfigError(f"Unknown app {name!r}. Apps: {', '.join(APPS)}.")
    if warning := remote_warning(host, port):
        print(warning, file=sys.stderr, flush=True)
    _check_port_free(host, port)
    with tempfile.TemporaryDirectory(prefix="flash-image-app-") as tmp:  # 0700: the notebook and config are private
        launch = prepare(name, tmp, host=host, port=port, backend=backend)
        print(f"app folder (removed on exit): {launch.folder}", file=sys.stderr, flush=True)
        return _run(launch, open_browser)
