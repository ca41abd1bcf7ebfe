"""Result captions in JupyterLab itself: the dollar amounts must survive JupyterLab's MathJax.

JupyterLab typesets ``$...$`` in HTML outputs, so "$0.0000 (list $0.0673)" would turn into italic maths with
both signs gone. The toolkit's HTML reprs carry ``tex2jax_ignore mathjax_ignore``; this test opens a real
JupyterLab in Debian's Chromium, runs a notebook, and reads what the page shows. A control output without
the class proves the page really typesets (so the test can fail).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
LAB = Path(sys.executable).with_name("jupyter-lab")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # a failing run leaves a screenshot here

if not LAB.exists():
    pytest.skip("needs JupyterLab (in the test extra)", allow_module_level=True)
if not Path(CHROMIUM).exists():
    pytest.skip("needs Debian's chromium (the CI script installs it: apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

CELL = """import toolkit as tk
from IPython.display import HTML, display
studio = tk.Studio(backend="offline", home={home!r})
display(HTML('<div id="control">a control: $0.0000 (list $0.0673)</div>'))
studio.generate("a red kite over the sea", image_size="512")"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_result_captions_keep_their_dollar_signs_in_jupyterlab(tmp_path):
    folder = tmp_path / "nb"
    folder.mkdir()
    ARTIFACTS.mkdir(exist_ok=True)
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": CELL.format(home=str(tmp_path / "home"))}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (folder / "money.ipynb").write_text(json.dumps(nb))
    port, token = _free_port(), "lab-test-token"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
           "TOOLKIT_HOME": str(tmp_path / "home")}
    lab = subprocess.Popen([str(LAB), "--no-browser", "--allow-root", f"--port={port}", "--ServerApp.ip=127.0.0.1",
                            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto(f"{base}/lab/tree/money.ipynb?token={token}", timeout=90_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator, .jp-Toolbar", timeout=30_000)
            # a loaded machine starts the kernel slowly: wait until the status bar says it is idle, and run the
            # cell again if a keypress landed before the notebook was ready for it
            page.wait_for_function("() => /Idle/.test(document.querySelector('.jp-StatusBar-Widget')?.innerText || '')",
                                   timeout=120_000)
            for _ in range(3):
                page.locator(".jp-Cell .jp-InputArea-editor").first.click()
                page.keyboard.press("Shift+Enter")
                try:
                    page.wait_for_selector(".jp-OutputArea-output", timeout=30_000)
                    break
                except sync_api.TimeoutError:
                    continue
            try:
                caption = page.wait_for_selector(".flash-image-result", timeout=120_000)
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "jupyterlab-failed.png"))
                raise
            page.wait_for_timeout(3000)  # MathJax typesets asynchronously
            text = caption.inner_text()
            control = page.inner_text("#control")
            shot = tmp_path / "lab.png"
            page.screenshot(path=str(shot))
            browser.close()
        assert "$0.0000 (list $0.0" in text, text
        assert "$" not in control, f"JupyterLab did not typeset the control, so this test proves nothing: {control!r}"
    finally:
        os.killpg(lab.pid, 15)
        lab.wait(timeout=30)
