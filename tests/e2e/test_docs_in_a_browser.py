"""A new user's first steps in a real browser: the demo, /docs, Authorize, and a department's inbox."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.config import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"


def browser_or_skip():
    if not Path(CHROMIUM).exists():
        pytest.skip("browser tests need Debian's chromium and a CJK font: apt-get install chromium fonts-noto-cjk")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need Playwright for Python: pip install playwright (no browser download needed)")
    return sync_playwright


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    sync_playwright = browser_or_skip()
    tmp = tmp_path_factory.mktemp("demo")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "BATON_DATABASE_URL": f"sqlite:///{tmp / 'demo.db'}", "BATON_STORAGE_DIR": str(tmp / "files")}
    env.pop("BATON_SECRET_KEY", None)
    log = open(tmp / "server.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "demo", "--port", str(port)], cwd=PROJECT_ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{base}/api/v1/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                pytest.fail("the demo server stopped:\n" + (tmp / "server.log").read_text()[-3000:])
            time.sleep(0.5)
        else:
            pytest.fail("the demo server did not answer within 120 s:\n" + (tmp / "server.log").read_text()[-3000:])
        yield base, sync_playwright, tmp
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def test_sign_in_through_docs_and_see_the_inbox(demo_server):
    base, sync_playwright, tmp = demo_server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.goto(f"{base}/docs")
            page.get_by_role("button", name="Authorize").first.click()
            page.fill("#oauth_username", "natres")
            page.fill("#oauth_password", "baton-demo-2026")
            page.locator(".auth-btn-wrapper button.authorize").first.click()
            page.get_by_role("button", name="Close").first.click()
            block = page.locator("#operations-tasks-list_tasks_api_v1_tasks_get")
            block.locator(".opblock-summary").click()
            block.get_by_role("button", name="Try it out").click()
            block.get_by_role("button", name="Execute").click()
            body = block.locator(".live-responses-table .response-col_description pre").first
            body.wait_for(timeout=30_000)
            text = body.inner_text()
            # BATON_SCREENSHOTS=DIR keeps the picture for a person to look at.
            page.screenshot(path=str(Path(os.environ.get("BATON_SCREENSHOTS", tmp)) / "docs-inbox.png"))
        finally:
            browser.close()
    assert "国有建设用地使用权出让合同" in text and '"department": "natural-resources"' in text
