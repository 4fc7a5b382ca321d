"""The pages over HTTP on both backends: sign-in with a cookie (HttpOnly, SameSite), CSRF on every form, errors as
pages, the same authoriser as the API."""
from __future__ import annotations

import re

from tests.helpers import PASSWORD, open_task, submit


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def page_sign_in(client, username, password=PASSWORD):
    form = client.get("/sign-in")
    assert form.status_code == 200 and "登录" in form.text and 'type="password"' in form.text
    return client.post("/sign-in", data={"username": username, "password": password, "csrf": csrf_of(form.text)},
                       follow_redirects=False)


def test_sign_in_sets_a_protected_cookie_and_lands_on_the_role_page(client):
    assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in"
    r = page_sign_in(client, "window")
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "baton_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert client.get("/", follow_redirects=False).headers["location"] == "/inbox"
    wrong = page_sign_in(client, "acme", "not-the-password")
    assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.text and "<html" in wrong.text


def test_the_inbox_lists_the_departments_tasks_and_a_form_without_its_token_is_refused(client):
    app = submit(client)
    task = open_task(client, app["id"], "service-window")
    page_sign_in(client, "window")
    inbox = client.get("/inbox")
    assert inbox.status_code == 200 and task["id"] in inbox.text and "综合窗口受理" in inbox.text
    assert 'class="on_time"' in inbox.text and "剩" in inbox.text
    refused = client.post(f"/tasks/{task['id']}/claim", data={}, follow_redirects=False)
    assert refused.status_code == 403 and "页面已过期" in refused.text and refused.headers["content-type"].startswith("text/html")
    claimed = client.post(f"/tasks/{task['id']}/claim", data={"csrf": csrf_of(inbox.text)}, follow_redirects=False)
    assert claimed.status_code == 303
    assert "办理中（window）" in client.get("/inbox").text


def test_the_enterprise_reads_its_applications_and_not_anothers(client):
    app = submit(client)
    page_sign_in(client, "acme")
    mine = client.get("/my")
    assert mine.status_code == 200 and f'/applications/{app["id"]}' in mine.text
    assert "政务服务中心综合窗口" in mine.text  # who holds it now
    page = client.get(f"/applications/{app['id']}")
    assert page.status_code == 200 and "办理过程" in page.text and "提交申请" in page.text
    page_sign_in(client, "other")
    hidden = client.get(f"/applications/{app['id']}")
    assert hidden.status_code == 404 and "无法打开申请" in hidden.text


def test_signing_out_needs_the_token_and_ends_the_page_session(client):
    page_sign_in(client, "window")
    inbox = client.get("/inbox")
    assert client.post("/sign-out", data={}, follow_redirects=False).status_code == 403
    out = client.post("/sign-out", data={"csrf": csrf_of(inbox.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    assert client.get("/inbox", follow_redirects=False).headers["location"] == "/sign-in"


def test_anyone_verifies_a_certificate_by_its_code_without_signing_in(client):
    from tests.applications.test_fast_track import issue_all, submit_fast

    done = issue_all(client, submit_fast(client).json()["id"])
    certificate = done["certificates"][0]
    page = client.get("/verify", params={"code": certificate["verification_code"]})
    assert page.status_code == 200 and "有效" in page.text and certificate["number"] in page.text
    assert "acme 有限公司" in page.text
    missing = client.get("/verify", params={"code": "DEADBEEF00"})
    assert missing.status_code == 404 and "查无此证" in missing.text
    bad = client.get("/verify", params={"code": "<script>"})
    assert bad.status_code == 422 and "<script>" not in bad.text.replace("&lt;script&gt;", "")
    assert client.get("/verify").status_code == 200


def test_the_english_switch_turns_the_pages_and_the_messages_into_english(client):
    page_sign_in(client, "window")
    switched = client.get("/language", params={"to": "en", "next": "/inbox"}, follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/inbox"
    assert "baton_lang=en" in switched.headers["set-cookie"]
    inbox = client.get("/inbox")
    assert '<html lang="en">' in inbox.text and ">Inbox<" in inbox.text and "Sign out" in inbox.text
    assert "待办事项" not in inbox.text and 'lang="zh-CN">中文</a>' in inbox.text
    refused = client.post("/sign-out", data={})
    assert refused.status_code == 403 and "Page expired" in refused.text
    away = client.get("/language", params={"to": "zh", "next": "//evil.example/"}, follow_redirects=False)
    assert away.headers["location"] == "/"  # never off this site
    assert "待办事项" in client.get("/inbox").text


def test_errors_at_the_pages_are_pages_and_the_api_keeps_its_json(client):
    page_sign_in(client, "acme")
    for path, status, words in (("/applications/abc", 422, "地址或表单有误"), ("/no-such-page", 404, "页面不存在"),
                                ("/applications/99999", 404, "无法打开申请")):
        r = client.get(path)
        assert r.status_code == status and r.headers["content-type"].startswith("text/html") and words in r.text, path
    assert client.get("/api/v1/applications/abc").headers["content-type"] == "application/json"
    assert client.get("/api/v1/nothing").json() == {"detail": "Not Found"}
    bad = client.get("/my", params={"q": "\x00"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html") and "无法保存" in bad.text


def test_a_page_form_takes_documents_larger_than_a_json_body(client):
    page_sign_in(client, "acme")
    form = client.get("/apply/parallel_review")
    big = b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024) + b"\n%%EOF\n"  # 3 MB: over the 1 MB of a JSON or form body
    r = client.post("/apply/parallel_review", data={"csrf": csrf_of(form.text), "key": "big-1"},
                    files={"file.documents": ("扫描件.pdf", big, "application/pdf")})
    assert r.status_code == 422 and "已上传：扫描件.pdf" in r.text  # kept for the retry; the form's own errors shown


def test_a_page_form_over_its_limit_is_refused_with_a_page_saying_so(client):
    r = client.post("/sign-in", content=b"username=" + b"a" * (2 * 1024 * 1024),
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html") and "内容过大" in r.text
    api = client.post("/api/v1/auth/token", content=b"username=" + b"a" * (2 * 1024 * 1024),
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert api.status_code == 413 and api.headers["content-type"] == "application/json"
