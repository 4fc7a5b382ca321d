"""A new user's first steps in a real browser: the demo, /docs, Authorize, and a department's inbox."""
from __future__ import annotations

import os
from pathlib import Path

from tests.e2e.conftest import CHROMIUM


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
