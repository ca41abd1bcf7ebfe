"""The classroom dashboard in a real browser: Playwright drives Debian's Chromium (no browser download) against
the gateway served offline on loopback. It opens the page with the instructor token, watches the seats' spend
update after calls, raises a cap and revokes a seat from the page.

Run alone with ``pytest -m browser``; a failing test leaves a screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from toolkit.classroom.room import Room
from toolkit.classroom.server import GatewayServer, build_gateway

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
MODEL = "gemini-3.1-flash-image"

if not Path(CHROMIUM).exists():
    pytest.skip("needs Debian's chromium (the CI script installs it: apt-get install chromium)",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture()
def gateway(tmp_path):
    room, instructor, tokens = Room.create(tmp_path / "room.db", seats=3, budget_per_seat=0.5, models=[MODEL])
    with GatewayServer(build_gateway(room, offline=True)) as server:
        yield server, room, instructor, tokens
    room.close()


@pytest.fixture()
def page(request):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1300, "height": 900})
        pg.set_default_timeout(30_000)
        yield pg
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        browser.close()


def _call(server: GatewayServer, token: str, prompt: str) -> httpx.Response:
    return httpx.post(f"{server.url}/v1beta/models/{MODEL}:generateContent", headers={"x-goog-api-key": token},
                      json={"contents": [{"parts": [{"text": prompt}]}]}, timeout=60)


def test_dashboard_shows_spend_live_raises_a_cap_and_revokes_a_seat(gateway, page):
    server, room, instructor, tokens = gateway
    page.goto(server.dashboard_url(instructor))
    row = page.locator('tr[data-seat="seat-01"]')
    sync_api.expect(row.locator("td.spent")).to_have_text("$0.0000 / $0.50")
    assert "token" not in page.url  # the token left the address bar
    assert _call(server, tokens["seat-01"], "a kite").status_code == 200
    assert _call(server, tokens["seat-01"], "a boat").status_code == 200
    spent = room.state()["seats"][0]["spent_usd"]
    sync_api.expect(row.locator("td.spent")).to_have_text(f"${spent:.4f} / $0.50", timeout=10_000)
    sync_api.expect(row.locator("td.calls")).to_have_text("2")
    sync_api.expect(page.locator("#room-spent")).to_have_text(f"${spent:.4f}")

    row.locator("input").fill("2.5")
    row.locator("button.set-cap").click()
    sync_api.expect(row.locator("td.spent")).to_contain_text("/ $2.50")
    assert room.state()["seats"][0]["cap_usd"] == 2.5

    other = page.locator('tr[data-seat="seat-02"]')
    other.locator("button.revoke").click()
    sync_api.expect(other).to_have_class("revoked")
    sync_api.expect(other.locator("button.revoke")).to_have_text("Restore")
    refused = _call(server, tokens["seat-02"], "a kite")
    assert refused.status_code == 403 and "revoked" in refused.json()["error"]["message"]

    page.locator("#pause").click()
    sync_api.expect(page.locator("#pause")).to_have_text("Resume room")
    assert _call(server, tokens["seat-03"], "a cat").status_code == 403
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "classroom-dashboard.png"), full_page=True)


def test_dashboard_without_the_token_asks_for_it_and_shows_nothing(gateway, page):
    server, _, _, _ = gateway
    page.goto(f"{server.url}/classroom/")
    sync_api.expect(page.locator("#login")).to_be_visible()
    sync_api.expect(page.locator("#seats tr")).to_have_count(0)
    page.locator("#token").fill("instr_wrong")
    page.locator("#login-button").click()
    sync_api.expect(page.locator("#status")).to_contain_text("instructor token")
    sync_api.expect(page.locator("#seats tr")).to_have_count(0)
