"""The widget apps in a real browser: Voilà serves each app on loopback with the offline backend, and
Playwright drives Debian's Chromium (no browser download) to type, click and read what the page shows.

Run alone with ``pytest -m browser``. Screenshots of each app go to ``test-artifacts/screenshots/`` (and,
with ``UPDATE_SCREENSHOTS=1``, to ``docs/screenshots/``, which the README shows); a failing test also
leaves a screenshot of the page in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toolkit import serve

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]

pytest.importorskip("voila", reason="needs voila (in the test extra)")
if not Path(CHROMIUM).exists():
    pytest.skip("needs Debian's chromium (the CI script installs it: apt-get install chromium)",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def app_page(browser, tmp_path, request):
    """Serve one app with Voilà and open it; yields (page, name)."""
    servers = []

    def open_app(name: str):
        nb = serve.write_app(name, tmp_path)
        port = _free_port()
        env = {**os.environ, "TOOLKIT_HOME": str(tmp_path / "home")}
        log = open(tmp_path / f"voila-{name}.log", "w")  # noqa: SIM115 - closed at teardown
        proc = subprocess.Popen([*serve.voila_command(nb, port, open_browser=False)], env=env, stdout=log,
                                stderr=subprocess.STDOUT, cwd=tmp_path)
        servers.append((proc, log))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.set_default_timeout(60_000)
        page.goto(f"http://127.0.0.1:{port}/")
        request.node._page = page
        return page

    yield open_app
    page = getattr(request.node, "_page", None)
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if page is not None and failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    for proc, log in servers:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _image_size(page, locator) -> tuple[int, int]:
    return tuple(locator.evaluate("img => [img.naturalWidth, img.naturalHeight]"))


def _shot(page, name: str) -> None:
    """Every run keeps a screenshot in test-artifacts/; UPDATE_SCREENSHOTS=1 refreshes the README's copies."""
    folders = [ARTIFACTS / "screenshots"] + ([SHOTS] if os.environ.get("UPDATE_SCREENSHOTS") == "1" else [])
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_playground_generates_an_image(app_page):
    page = app_page("playground")
    page.wait_for_selector("textarea")
    assert "OFFLINE SIMULATOR" in page.inner_text("body")
    page.fill("textarea", "A lighthouse at dusk")
    page.get_by_role("button", name="Generate").click()
    card_img = page.locator("img").first
    card_img.wait_for()
    page.wait_for_function("() => [...document.images].some(i => i.naturalWidth > 100)")
    body = page.inner_text("body")
    assert "ok" in body and "$0.0000" in body and "A lighthouse at dusk" in body
    assert "1 call this session" in body  # the spend meter updated
    big = [s for s in (_image_size(page, page.locator("img").nth(i)) for i in range(page.locator("img").count()))
           if s[0] > 100]
    assert big and big[0][0] > 100
    assert "1024×1024" in body  # the caption states the real output size
    _shot(page, "playground")


def test_editor_preset_undo_and_hotspot(app_page):
    expect = sync_api.expect
    page = app_page("editor")
    undo, redo = page.get_by_role("button", name="Undo"), page.get_by_role("button", name="Redo")
    expect(undo).to_be_disabled()
    page.wait_for_function("() => [...document.images].some(i => i.naturalWidth > 100)")
    page.get_by_role("button", name="Black and white").click()
    expect(undo).to_be_enabled()
    assert "black and white" in page.inner_text("body").lower()
    _shot(page, "editor")
    # click on the image to target the next edit at that point: the app shows the point's coordinates
    img = page.locator("img").last  # the "after" image is the clickable one
    box = img.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4)
    page.wait_for_function("() => /x=\\s*\\d+/.test(document.body.innerText)")
    undo.click()
    expect(redo).to_be_enabled()


def test_fusion_board_fuses(app_page):
    page = app_page("fusion")
    page.get_by_role("button", name="Fuse").wait_for()
    before = page.locator("img").count()
    page.get_by_role("button", name="Fuse").click()
    page.wait_for_function(f"() => document.images.length > {before} && "
                           "[...document.images].every(i => i.complete) && "
                           "document.body.innerText.includes('1 call this session')")
    body = page.inner_text("body")
    assert "ok" in body and "1 call this session" in body
    _shot(page, "fusion")


@pytest.mark.parametrize("name", ["character", "canvas"])
def test_other_apps_render(app_page, name):
    page = app_page(name)
    page.wait_for_selector("button")
    assert "OFFLINE SIMULATOR" in page.inner_text("body")
    _shot(page, name)


def test_no_python_tracebacks_in_the_page(app_page):
    page = app_page("playground")
    page.wait_for_selector("textarea")
    page.fill("textarea", "   ")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_function("() => /empty/i.test(document.body.innerText)")
    assert "Traceback" not in page.inner_text("body")
    assert sys.version_info >= (3, 11)
