"""Standalone apps: each app notebook builds its app and shows a widget, the CLI writes them, and
``serve`` locks the page down (a token, a host check, a warned ``--host``) and stops everything it started."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from toolkit import serve
from toolkit.__main__ import main
from toolkit.backends import specs


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


# --- security: the token, the host check, --host, and stopping everything ----------------------------------

def test_prepare_locks_the_app_down_without_starting_voila(tmp_path):
    launch = serve.prepare("cost", tmp_path, port=9999, token="s3cret-token")
    assert launch.notebook == tmp_path / "cost.ipynb" and launch.notebook.exists()
    assert launch.url == "http://127.0.0.1:9999/?token=s3cret-token"
    assert launch.warning is None
    cmd = launch.cmd
    assert "--Voila.ip=127.0.0.1" in cmd and "--port=9999" in cmd and "--no-browser" in cmd
    assert "--Voila.auto_token=True" in cmd and f"--Voila.config_file_paths={tmp_path}" in cmd
    assert "--Voila.port_retries=0" in cmd  # the printed URL is the port Voilà listens on, or it fails
    # the token reaches Voilà through its environment (only this user can read that), not its command line
    assert not any("s3cret-token" in part for part in cmd)
    assert launch.env({"PATH": "/bin"}) == {"PATH": "/bin", "JUPYTER_TOKEN": "s3cret-token"}
    assert "s3cret-token" not in repr(launch)
    config = (tmp_path / "voila.py").read_text()
    assert "'allow_remote_access': False" in config and "log_request" in config
    compile(config, "voila.py", "exec")


def test_every_launch_gets_its_own_random_token(tmp_path):
    a = serve.prepare("cost", tmp_path / "a")
    b = serve.prepare("cost", tmp_path / "b")
    assert a.token != b.token and len(a.token) >= 32


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_hosts_keep_the_host_check_and_print_no_warning(host):
    assert serve.is_loopback(host)
    assert serve.remote_warning(host, 8866) is None
    assert serve.voila_settings(host)["allow_remote_access"] is False


def test_host_beyond_loopback_builds_a_warned_command(tmp_path):
    launch = serve.prepare("cost", tmp_path, host="0.0.0.0", port=9999)  # built, never started
    assert "--Voila.ip=0.0.0.0" in launch.cmd
    warning = launch.warning
    assert warning is not None
    assert "plain HTTP" in warning and "token" in warning and "API key" in warning
    assert "ssh -L 9999:127.0.0.1:9999" in warning
    # clients use the machine's own address there: the token is the lock, the host check is off
    assert "'allow_remote_access': True" in (tmp_path / "voila.py").read_text()
    assert serve.app_url("::", 9999, "t").endswith(":9999/?token=t")
    assert serve.app_url("::1", 9999, "t") == "http://[::1]:9999/?token=t"


def test_cli_host_prints_the_warning_on_stderr(capsys):
    # 192.0.2.1 (TEST-NET-1) is never this machine's: the warning prints, then binding fails; nothing listens
    assert main(["serve", "cost", "--host", "192.0.2.1", "--port", "9", "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert "WARNING: serving on 192.0.2.1:9" in err and "SSH tunnel" in err
    assert "Cannot serve on 192.0.2.1:9" in err


def test_cli_refuses_a_port_in_use(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["serve", "cost", "--port", str(port), "--no-browser"]) == 2
    assert f"Cannot serve on 127.0.0.1:{port}" in capsys.readouterr().err


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: [state, ppid, pgrp, session, ...]; None when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it (kernels included, though they run in sessions of their own)."""
    parents = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        if (fields := _stat(int(entry.parent.name))) is not None:
            parents[int(entry.parent.name)] = int(fields[1])
    found, todo = [pid], [pid]
    while todo:
        parent = todo.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        found += kids
        todo += kids
    return found


def _group_alive(pgid: int) -> bool:
    """Whether any live (not zombie) process is in process group ``pgid``."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    for entry in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat(int(entry.parent.name))
        if fields is not None and int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux's /proc")

STUBBORN = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
kernel = subprocess.Popen([sys.executable, "-c", "import signal, time; "
                           "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"],
                          start_new_session=True)
print(kernel.pid, flush=True)
time.sleep(120)
"""


@needs_proc
def test_stop_voila_kills_what_ignores_sigterm_kernels_included():
    proc = subprocess.Popen([sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, start_new_session=True)
    assert proc.stdout is not None
    kernel = int(proc.stdout.readline())
    groups = {proc.pid, os.getpgid(kernel)}
    assert kernel != proc.pid and groups == {proc.pid, kernel}  # like a kernel: its own session
    started = time.monotonic()
    serve.stop_voila(proc, signal.SIGTERM, grace=0.5)
    assert time.monotonic() - started < 10
    proc.stdout.close()
    deadline = time.monotonic() + 10
    while any(_group_alive(g) for g in groups) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_group_alive(g) for g in groups)
    assert _group_alive(os.getpgrp())  # never our own group


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, host: str | None = None) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers={"Host": host} if host else {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
    finally:
        conn.close()


@pytest.fixture()
def served(tmp_path):
    """``python -m toolkit serve cost`` as a user runs it, offline; yields (proc, port, url, out, err)."""
    pytest.importorskip("voila", reason="needs voila (in the test extra)")
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {key for spec in specs() for key in spec.env_keys} and not k.startswith("JUPYTER_TOKEN")}
    env["TOOLKIT_HOME"] = str(tmp_path / "home")
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "toolkit", "serve", "cost", "--no-browser", "--port",
                                 str(port)], env=env, cwd=tmp_path, stdout=stdout, stderr=stderr,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not (found := re.search(r"http://\S+", out.read_text())) and proc.poll() is None:
            assert time.monotonic() < deadline, err.read_text()
            time.sleep(0.2)
        assert found, f"serve exited with {proc.returncode}: {err.read_text()}"
        yield proc, port, found.group(0), out, err
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.mark.slow
@needs_proc
def test_served_app_needs_the_token_a_local_host_and_stops_with_everything(served):
    proc, port, url, out, err = served
    token = url.split("?token=", 1)[1]
    assert url == f"http://127.0.0.1:{port}/?token={token}" and len(token) >= 32
    folder = Path(re.search(r"app folder \(removed on exit\): (\S+)", err.read_text()).group(1))
    assert (folder / "cost.ipynb").exists()

    # without the token: the login page, never the app
    status, headers, body = _get(port, "/")
    assert status in (302, 401, 403), status
    assert "Cost meter" not in body and "CostMeter" not in body
    if status == 302:
        assert "/login" in headers["Location"]
        status, _, body = _get(port, headers["Location"])
        assert "Cost meter" not in body and "CostMeter" not in body
    status, _, body = _get(port, "/?token=not-the-token")
    assert status in (302, 401, 403) and "Cost meter" not in body

    # with the token: the app
    status, _, body = _get(port, f"/?token={token}")
    assert status == 200 and "Cost meter" in body
    status, _, body = _get(port, f"/?token={token}", host=f"localhost:{port}")
    assert status == 200 and "Cost meter" in body

    # with the token but a foreign Host (DNS rebinding): refused
    status, _, body = _get(port, f"/?token={token}", host="attacker.example")
    assert 400 <= status < 500 and "Cost meter" not in body
    status, _, body = _get(port, f"/?token={token}", host=f"attacker.example:{port}")
    assert 400 <= status < 500 and "Cost meter" not in body

    # SIGTERM: the command, Voilà and its kernels stop, and the folder goes
    tree = _tree(proc.pid)
    groups = {int(fields[2]) for pid in tree if (fields := _stat(pid)) is not None} - {os.getpgrp()}
    assert len(tree) >= 3, tree  # the command, Voilà, and at least one kernel (each page starts one)
    assert len(groups) >= 2, groups  # kernels run in process groups of their own
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    assert time.monotonic() - started < 15
    deadline = time.monotonic() + 5
    while any(_group_alive(g) for g in groups) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [g for g in groups if _group_alive(g)]
    for pgid in groups:  # reaped, not left as zombies
        with pytest.raises(ProcessLookupError):
            os.killpg(pgid, 0)
    assert not folder.exists()

    # the token was printed once, in the URL line, and logged nowhere (refused requests log [secret])
    logs = out.read_text() + err.read_text()
    assert logs.count(token) == 1, logs
    assert "token=[secret]" in logs
