"""The pages in a real browser (Debian's chromium, Playwright): a reviewer signs in, finds and claims a task in the
inbox, an enterprise reads its applications on a phone-sized screen, a wrong password says so in Chinese.
BATON_SCREENSHOTS=DIR keeps the pictures for a person to look at."""
from __future__ import annotations

import os
from pathlib import Path

from tests.e2e.conftest import CHROMIUM

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def shots(tmp) -> Path:
    folder = Path(os.environ.get("BATON_SCREENSHOTS", tmp))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(page, base, username):
    page.goto(f"{base}/")
    page.fill("#username", username)
    page.fill("#password", "baton-demo-2026")
    page.get_by_role("button", name="登录").click()


def test_a_reviewer_claims_from_the_inbox_and_an_enterprise_reads_on_a_phone(demo_server):
    base, sync_playwright, tmp = demo_server
    folder = shots(tmp)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.goto(f"{base}/")
            assert page.url.endswith("/sign-in")
            page.screenshot(path=str(folder / "sign-in-desktop.png"))
            page.fill("#username", "window")
            page.fill("#password", "wrong-password")
            page.get_by_role("button", name="登录").click()
            assert "用户名或密码不正确" in page.inner_text("body")
            sign_in(page, base, "window")
            assert page.url.endswith("/inbox")
            rows = page.locator("tbody tr[data-task]")
            assert rows.count() >= 2
            page.screenshot(path=str(folder / "inbox-desktop.png"), full_page=True)
            first = rows.first
            task = first.get_attribute("data-task")
            first.get_by_role("button", name="认领").click()
            claimed = page.locator(f'tr[data-task="{task}"]')
            assert "办理中（window）" in claimed.inner_text()
            page.select_option("#status", "mine")
            page.get_by_role("button", name="筛选").click()
            assert page.locator(f'tr[data-task="{task}"]').count() == 1
            page.get_by_role("button", name="退出").click()
            assert page.url.endswith("/sign-in")

            phone = browser.new_page(viewport={"width": 375, "height": 812}, locale="zh-CN", is_mobile=True)
            sign_in(phone, base, "acme")
            assert phone.url.endswith("/my")
            assert phone.evaluate("document.documentElement.scrollWidth") <= 375 + 1  # nothing runs off the screen
            phone.screenshot(path=str(folder / "my-applications-phone.png"), full_page=True)
            phone.locator("tbody a").first.click()
            assert "办理过程" in phone.inner_text("body")
            assert phone.evaluate("document.documentElement.scrollWidth") <= 375 + 1
            phone.screenshot(path=str(folder / "application-phone.png"), full_page=True)
        finally:
            browser.close()
