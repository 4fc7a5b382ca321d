"""The issue's whole story in a real browser (Debian's chromium, Playwright), on the demo server: an enterprise files
a parallel review with a document; each department's reviewer claims and approves on the task page — ecology
returns it first, the enterprise answers on its page, ecology approves; the enterprise sees it approved. A five-
certificate application ends with five PDFs that download, rasterise with Chinese text, and whose QR codes lead to
the public page saying 有效. A helpdesk agent files for the enterprise that authorised its office; a lead sees an
overdue task in red and extends it; the diagram marks the active tasks; a form without its CSRF token is refused.
Every main page is photographed at desktop and phone width (BATON_SCREENSHOTS=DIR keeps them)."""
from __future__ import annotations

import copy
import uuid

import httpx
import pytest

from tests.e2e.conftest import CHROMIUM
from tests.e2e.test_pages_in_a_browser import ARGS, shots, sign_in
from tests.helpers import form_examples

REVIEWERS = {"service-window": "window", "ecology-environment": "eco", "water-affairs": "water",
             "development-reform": "devref", "housing-construction": "housing", "natural-resources": "natres",
             "real-estate-registry": "registry"}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
PDF = b"%PDF-1.4\n% Baton browser test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Api:
    """The test's eyes on the state (what is open, for whom); every action goes through the pages."""

    def __init__(self, base: str):
        self.base = base
        token = httpx.post(f"{base}/api/v1/auth/token", data={"username": "admin", "password": "baton-demo-2026"})
        self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

    def application(self, app_id: int) -> dict:
        return httpx.get(f"{self.base}/api/v1/applications/{app_id}", headers=self.headers, timeout=30).json()

    def file(self, user: str, process: str, project: dict) -> dict:
        token = httpx.post(f"{self.base}/api/v1/auth/token", data={"username": user, "password": "baton-demo-2026"})
        r = httpx.post(f"{self.base}/api/v1/applications", json={"process": process, "project": project},
                       headers={"Authorization": f"Bearer {token.json()['access_token']}"}, timeout=60)
        assert r.status_code == 201, r.text
        return r.json()


def fill_form(page, values: dict, prefix: str = "") -> None:
    """Type a project into the generated form as a person would: each input as its kind asks."""
    for key, value in values.items():
        path = prefix + key
        if isinstance(value, dict):
            fill_form(page, value, path + ".")
            continue
        name = f"f.{path}"
        if isinstance(value, bool):
            page.check(f'input[name="{name}"][value="{"true" if value else "false"}"]')
            continue
        field = page.locator(f"#f-{path.replace('.', '-')}")
        tag = field.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if tag.startswith("select"):
            field.select_option(str(value))
        elif tag == "input:datetime-local":
            field.fill(str(value)[:16])
        elif isinstance(value, list):
            field.fill("\n".join(value))
        else:
            field.fill(str(value))


def no_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1, page.url


def photograph(browser, base, folder, user: str | None, pages: dict[str, str]) -> None:
    """Each page at desktop and phone width; the phone view never runs off the screen."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page = browser.new_page(viewport=size, locale="zh-CN", is_mobile=label == "phone")
        if user:
            sign_in(page, base, user)
        for name, path in pages.items():
            page.goto(base + path)
            assert page.locator("main").count() == 1, path
            if label == "phone":
                no_overflow(page)
            page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)
        page.close()


def decide_in_browser(browser, base, user: str, task_id: str, decision: str = "approve", *, opinion: str = "符合要求",
                      items: list[tuple[str, str]] = (), folder=None, shot: str | None = None) -> None:
    page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
    sign_in(page, base, user)
    page.goto(f"{base}/tasks/{task_id}")
    if page.get_by_role("button", name="认领本任务").count():
        page.get_by_role("button", name="认领本任务").click()
    page.locator(f'input[name="decision"][value="{decision}"]').check()
    page.fill("#opinion", opinion)
    for i, (item, reason) in enumerate(items):
        page.locator('input[name="item"]').nth(i).fill(item)
        page.locator('input[name="reason"]').nth(i).fill(reason)
    if shot:
        page.screenshot(path=str(folder / f"{shot}-desktop.png"), full_page=True)
    page.get_by_role("button", name="提交审批意见").click()
    assert "/applications/" in page.url and "审批意见已提交" in page.inner_text("main"), page.inner_text("main")[:800]
    page.close()


def department_tasks(api: Api, app_id: int) -> list[dict]:
    return [t for t in api.application(app_id)["open_tasks"] if t["department"]]


def test_every_user_through_the_pages(demo_server, tmp_path):
    base, sync_playwright, tmp = demo_server
    folder = shots(tmp)
    api = Api(base)
    upload = tmp_path / "可行性研究报告.pdf"
    upload.write_bytes(PDF)
    answer = tmp_path / "环评报告表（盖章）.pdf"
    answer.write_bytes(PDF)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            # -- the enterprise files a parallel review with a document
            page = browser.new_page(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
            sign_in(page, base, "acme")
            page.locator("header nav").get_by_role("link", name="我要申报").click()
            page.locator(".card.process").filter(has=page.get_by_role("heading", name="并联审批", exact=True)) \
                .get_by_role("link", name="开始申报").click()
            project = copy.deepcopy(form_examples("project.schema.json")[0])
            project["name"] = f"浏览器测试厂房 {uuid.uuid4().hex[:6]}"
            fill_form(page, project)
            page.set_input_files("#f-documents", str(upload))
            page.screenshot(path=str(folder / "filing-form-desktop.png"), full_page=True)
            page.get_by_role("button", name="提交申请").click()
            assert "申请已提交" in page.inner_text("main")
            app_id = int(page.url.split("/applications/")[1].split("?")[0])
            assert "可行性研究报告.pdf" in page.inner_text("main")

            # -- the window accepts; then the departments review in parallel
            [accept] = department_tasks(api, app_id)
            decide_in_browser(browser, base, "window", accept["id"], opinion="材料齐全，予以受理", folder=folder,
                              shot="task-page")
            page.goto(f"{base}/applications/{app_id}")
            active = set(page.locator('svg.bpmn g[data-mark="active"]').evaluate_all(
                "els => els.map(e => e.dataset.element)"))
            open_elements = {t["element"] for t in api.application(app_id)["open_tasks"]}
            assert active == open_elements and len(active) >= 2, (active, open_elements)  # the diagram marks them
            assert page.locator('svg.bpmn g[data-mark="completed"][data-element="accept"]').count() == 1
            page.screenshot(path=str(folder / "application-in-review-desktop.png"), full_page=True)

            returned = False
            for _ in range(12):
                open_tasks = department_tasks(api, app_id)
                if not open_tasks:
                    break
                for task in open_tasks:
                    user = REVIEWERS[task["department"]]
                    if task["department"] == "ecology-environment" and not returned:
                        decide_in_browser(browser, base, user, task["id"], "return", opinion="请补充盖章的环评报告表",
                                          items=[("环境影响报告表", "缺少建设单位盖章页")])
                        returned = True
                        # the enterprise answers the request on its application page
                        page.goto(f"{base}/applications/{app_id}")
                        assert "待补正" in page.inner_text("main") and "缺少建设单位盖章页" in page.inner_text("#answer")
                        page.fill("#note", "已补充盖章页")
                        page.set_input_files("#answer #f-documents", str(answer))
                        page.screenshot(path=str(folder / "supplement-answer-desktop.png"), full_page=True)
                        page.get_by_role("button", name="提交补正").click()
                        assert "补正材料已提交" in page.inner_text("main")
                        continue
                    decide_in_browser(browser, base, user, task["id"])
            assert returned
            page.goto(f"{base}/applications/{app_id}")
            body = page.inner_text("main")
            assert "已办结（准予许可）" in body and "建筑工程施工许可证" in body and "环评报告表（盖章）.pdf" in body
            eco = [t for t in api.application(app_id)["history"] if t["department"] == "ecology-environment"]
            assert [t["decision"] for t in eco] == ["return", "approve"]
            page.screenshot(path=str(folder / "application-approved-desktop.png"), full_page=True)

            # -- five certificates in one day: five PDFs, each verified through its QR code
            fast = api.file("acme", "industrial_fast_track",
                            dict(copy.deepcopy(form_examples("industrial_fast_track.start.schema.json")[0]),
                                 name=f"浏览器五证联发 {uuid.uuid4().hex[:6]}"))
            for task in department_tasks(api, fast["id"]):
                decide_in_browser(browser, base, REVIEWERS[task["department"]], task["id"], opinion="准予核发")
            page.goto(f"{base}/applications/{fast['id']}")
            links = page.get_by_role("link", name="下载 PDF")
            assert links.count() == 5
            pdfium = pytest.importorskip("pypdfium2")
            zxing = pytest.importorskip("zxingcpp")
            verified = []
            for i in range(5):
                with page.expect_download() as download:
                    links.nth(i).click()
                content = open(download.value.path(), "rb").read()
                assert content.startswith(b"%PDF") and download.value.suggested_filename.endswith(".pdf")
                document = pdfium.PdfDocument(content)
                pdf_page = document[0]
                text = pdf_page.get_textpage().get_text_range()
                image = pdf_page.render(scale=2).to_pil().convert("L")
                document.close()
                assert "持证单位" in text and "呼和浩特示例制造有限公司" in text
                assert sum(image.crop((0, 0, image.width, image.height // 5)).histogram()[:128]) > 2000
                image.save(folder / f"certificate-{i + 1}.png")
                [url] = [r.text for r in zxing.read_barcodes(image)]
                check = browser.new_page(viewport=PHONE, locale="zh-CN")  # anyone, not signed in, on a phone
                check.goto(url)
                assert "有效" in check.inner_text("main")
                verified.append(url)
                if i == 0:
                    check.screenshot(path=str(folder / "verify-result-phone.png"), full_page=True)
                check.close()
            assert len(set(verified)) == 5

            # -- a helpdesk agent files for the enterprise that authorised its office
            agent = browser.new_page(viewport=DESKTOP, locale="zh-CN")
            sign_in(agent, base, "helpdesk")
            assert agent.url.endswith("/helpdesk") and "呼和浩特示例制造有限公司" in agent.inner_text("main")
            agent.get_by_role("link", name="代办并联审批").first.click()
            assert agent.locator("#on_behalf_of").input_value()  # the enterprise picked from its grant
            assisted = dict(copy.deepcopy(form_examples("project.schema.json")[0]), name=f"浏览器代办项目 {uuid.uuid4().hex[:6]}")
            fill_form(agent, assisted)
            agent.get_by_role("button", name="提交申请").click()
            assert "申请已提交" in agent.inner_text("main") and "代 呼和浩特示例制造有限公司" in agent.inner_text("main")
            agent.close()

            # -- a lead sees the overdue task in red and extends it
            lead = browser.new_page(viewport=DESKTOP, locale="zh-CN")
            sign_in(lead, base, "devref_lead")
            assert lead.url.endswith("/lead")
            late = lead.locator("tr.overdue", has_text="已超期").first
            assert late.count() == 1
            colour = late.locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor")
            assert colour == "rgb(253, 226, 225)", colour  # the red of overdue work
            lead.screenshot(path=str(folder / "lead-dashboard-desktop.png"), full_page=True)
            late.get_by_role("link").first.click()
            lead.fill("#working_days", "5")
            lead.fill("#reason", "需补充能源审查专家论证，延长 5 个工作日")
            lead.get_by_role("button", name="延长办理期限").click()
            assert "办理期限已延长" in lead.inner_text("main"), lead.inner_text("main")[:600]
            lead.close()

            # -- a form without its CSRF token is refused
            window = browser.new_page(viewport=DESKTOP, locale="zh-CN")
            sign_in(window, base, "window")
            window.goto(f"{base}/inbox?status=open")
            claim = window.locator("tbody tr[data-task] form").first
            claim.evaluate("f => f.querySelector('input[name=csrf]').remove()")
            claim.get_by_role("button").click()
            assert "页面已过期" in window.inner_text("main")
            window.close()

            # -- every main page, desktop and phone
            photograph(browser, base, folder, None, {"sign-in": "/sign-in", "verify": "/verify"})
            photograph(browser, base, folder, "acme", {"my-applications": "/my", "apply": "/apply",
                                                       "application": f"/applications/{app_id}",
                                                       "five-certificates": f"/applications/{fast['id']}"})
            photograph(browser, base, folder, "eco", {"inbox": "/inbox"})
            photograph(browser, base, folder, "helpdesk", {"helpdesk": "/helpdesk"})
            photograph(browser, base, folder, "devref_lead", {"lead": "/lead"})
            photograph(browser, base, folder, "admin", {"admin": "/admin", "admin-processes": "/admin/processes",
                                                        "admin-version": "/admin/processes/parallel_review",
                                                        "admin-users": "/admin/users", "admin-calendar": "/admin/calendar",
                                                        "admin-webhooks": "/admin/webhooks", "city": "/city"})
        finally:
            browser.close()
