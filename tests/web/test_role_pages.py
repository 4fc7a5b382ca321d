"""Every user's pages over HTTP, on both backends: the task page and its decision form, filing from the start form
with documents, the supplement answer, the lead's dashboard (assign, extend), the helpdesk console, the admin's
pages and the city view; each refuses a form without its CSRF token."""
from __future__ import annotations

import io

from tests.helpers import application, decide, open_task, project, submit
from tests.web.test_pages import csrf_of, page_sign_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fields_of(proj: dict, prefix: str = "f.") -> dict:
    """A project as the filing form posts it."""
    out = {}
    for key, value in proj.items():
        if isinstance(value, dict):
            out.update(fields_of(value, f"{prefix}{key}."))
        elif isinstance(value, bool):
            out[prefix + key] = "true" if value else "false"
        elif isinstance(value, list):
            out[prefix + key] = "\n".join(value)
        elif key == "signed_at":
            out[prefix + key] = value[:16]
        else:
            out[prefix + key] = str(value)
    return out


def test_a_reviewer_claims_on_the_task_page_and_decides_with_the_generated_form(client):
    app = submit(client)
    accept = open_task(client, app["id"], "service-window")
    decide(client, accept, user="window")
    task = open_task(client, app["id"], "ecology-environment")
    page_sign_in(client, "eco")
    page = client.get(f"/tasks/{task['id']}")
    assert page.status_code == 200 and "认领本任务" in page.text and app["project"]["name"] in page.text
    client.post(f"/tasks/{task['id']}/claim", data={"csrf": csrf_of(page.text), "next": f"/tasks/{task['id']}"})
    page = client.get(f"/tasks/{task['id']}")
    assert "审批结论" in page.text and "审批意见附加条件" in page.text and "补正清单" in page.text
    # a return without its items is refused, naming the field, and what was typed stays
    refused = client.post(f"/tasks/{task['id']}/decision", data={"csrf": csrf_of(page.text), "decision": "return",
                                                                  "opinion": "材料不全"})
    assert refused.status_code == 422 and "补正清单" in refused.text and "材料不全" in refused.text
    assert client.post(f"/tasks/{task['id']}/decision", data={"decision": "approve"}).status_code == 403
    returned = client.post(f"/tasks/{task['id']}/decision",
                           data={"csrf": csrf_of(page.text), "decision": "return", "opinion": "请补环评文件",
                                 "item": ["环境影响报告表", ""], "reason": ["缺少盖章页", ""]}, follow_redirects=False)
    assert returned.status_code == 303
    detail = application(client, app["id"])
    assert detail["status"] == "awaiting_supplement"
    assert detail["supplement_requests"][0]["items"] == [{"item": "环境影响报告表", "reason": "缺少盖章页"}]

    # the enterprise answers on its page with a note and a file
    page_sign_in(client, "acme")
    mine = client.get(f"/applications/{app['id']}")
    assert mine.status_code == 200 and "提交补正" in mine.text and "环境影响报告表" in mine.text
    answered = client.post(f"/applications/{app['id']}/supplement",
                           data={"csrf": csrf_of(mine.text), "note": "已补盖章页"},
                           files={"file.documents": ("盖章页.pdf", io.BytesIO(PDF), "application/pdf")},
                           follow_redirects=False)
    assert answered.status_code == 303, answered.text[-2000:]
    detail = application(client, app["id"])
    assert detail["supplement_requests"][0]["status"] == "answered"
    assert any(d["name"] == "盖章页.pdf" for d in detail["documents"])


def test_an_enterprise_files_from_the_start_form_with_a_document_and_sees_its_errors_by_field(client):
    page_sign_in(client, "acme")
    choose = client.get("/apply")
    assert choose.status_code == 200 and "/apply/parallel_review" in choose.text
    form = client.get("/apply/parallel_review")
    assert form.status_code == 200 and "项目名称" in form.text and 'type="file"' in form.text
    token = csrf_of(form.text)
    bad = dict(fields_of(project()), **{"f.total_investment_yuan": "很多", "csrf": token, "key": "k-1"})
    bad.pop("f.name")
    refused = client.post("/apply/parallel_review", data=bad,
                          files={"file.documents": ("申请书.pdf", io.BytesIO(PDF), "application/pdf")})
    assert refused.status_code == 422
    assert "项目名称 (name) 必填" in refused.text and "应为数字" in refused.text
    assert "已上传：申请书.pdf" in refused.text  # the file is kept for the retry, not uploaded twice
    uploaded = __import__("re").search(r'name="documents" value="([^"]+)"', refused.text).group(1)
    good = dict(fields_of(project()), csrf=token, key="k-1", documents=uploaded)
    filed = client.post("/apply/parallel_review", data=good, follow_redirects=False)
    assert filed.status_code == 303, filed.text[-3000:]
    app_id = int(filed.headers["location"].split("/")[2].split("?")[0])
    page = client.get(filed.headers["location"])
    assert "申请已提交" in page.text and "申请书.pdf" in page.text and 'class="progress"' in page.text
    assert 'data-mark="active"' in page.text  # the diagram marks the open task
    assert application(client, app_id)["documents"][0]["name"] == "申请书.pdf"
    again = client.post("/apply/parallel_review", data=good, follow_redirects=False)  # a double click files once
    assert again.headers["location"].startswith(f"/applications/{app_id}")


def test_a_lead_assigns_and_extends_from_the_task_page_and_sees_the_dashboard(client):
    app = submit(client)
    decide(client, open_task(client, app["id"], "service-window"), user="window")
    task = open_task(client, app["id"], "development-reform")  # 核准: 20 working days, 10 more by law
    page_sign_in(client, "devref_lead")
    board = client.get("/lead")
    assert board.status_code == 200 and "部门看板" in board.text and "办理用时" in board.text
    assigned = client.post(f"/tasks/{task['id']}/assignment", data={"csrf": csrf_of(board.text), "username": "devref",
                                                                    "next": "/lead?department=development-reform"},
                           follow_redirects=False)
    assert assigned.status_code == 303 and assigned.headers["location"] == "/lead?department=development-reform"
    assert "devref" in client.get(assigned.headers["location"]).text
    assert any(t["id"] == task["id"] and t["assignee"] == "devref" for t in application(client, app["id"])["open_tasks"])
    page = client.get(f"/tasks/{task['id']}")
    assert "负责人操作" in page.text and "分派给" in page.text
    assert client.post(f"/tasks/{task['id']}/extension", data={"working_days": "2", "reason": "现场踏勘"}).status_code == 403
    extended = client.post(f"/tasks/{task['id']}/extension", data={"csrf": csrf_of(page.text), "working_days": "2",
                                                                   "reason": "需现场踏勘"}, follow_redirects=False)
    assert extended.status_code == 303 and "extended" in extended.headers["location"], extended.text[-1500:]
    assert application(client, app["id"])["deadline_extensions"][0]["reason"] == "需现场踏勘"


def test_the_admin_pages_and_the_city_view_open_and_a_bad_deployment_lists_its_problems(client):
    page_sign_in(client, "admin")
    for path in ("/admin", "/admin/processes", "/admin/processes/parallel_review", "/admin/users",
                 "/admin/users/acme", "/admin/calendar", "/admin/webhooks", "/city"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[-1500:])
    assert "<svg" in client.get("/admin/processes/parallel_review").text
    page = client.get("/admin/processes")
    bad = client.post("/admin/processes", data={"csrf": csrf_of(page.text)},
                      files={"files": ("broken.bpmn", io.BytesIO(b"<definitions>"), "application/xml")})
    assert bad.status_code == 422 and "broken.bpmn" in bad.text and "未写入任何版本" in bad.text


def test_the_helpdesk_console_lists_the_grants_and_files_on_behalf(client):
    from tests.authorizations.test_acting_on_behalf import authorise

    code = authorise(client, grantee="agent_a", processes=["parallel_review"])["enterprise"]["credit_code"]
    page_sign_in(client, "agent_a")
    console = client.get("/helpdesk")
    assert console.status_code == 200 and "acme 有限公司" in console.text and "代办" in console.text
    form = client.get("/apply/parallel_review", params={"enterprise": code})
    assert "代办企业" in form.text
    filed = client.post("/apply/parallel_review", data=dict(fields_of(project()), csrf=csrf_of(form.text), key="h-1",
                                                          on_behalf_of=code),
                        follow_redirects=False)
    assert filed.status_code == 303, filed.text[-3000:]
    page = client.get(filed.headers["location"])
    assert "代 acme 有限公司" in page.text


def test_an_enterprise_authorises_an_office_with_its_letter_and_revokes_it(client):
    page_sign_in(client, "acme")
    page = client.get("/authorizations")
    assert page.status_code == 200 and "授权委托书" in page.text
    missing = client.post("/authorizations", data={"csrf": csrf_of(page.text), "office": "hh-150105"})
    assert missing.status_code == 422 and "授权委托书 (letter)" in missing.text
    granted = client.post("/authorizations", data={"csrf": csrf_of(page.text), "office": "hh-150105",
                                                   "valid_until": "2099-12-31", "processes": ["parallel_review"]},
                          files={"file.letter": ("授权委托书.pdf", io.BytesIO(PDF), "application/pdf")},
                          follow_redirects=False)
    assert granted.status_code == 303, granted.text[-1500:]
    listed = client.get(granted.headers["location"])
    assert "授权已生效" in listed.text and "并联审批" in listed.text and "撤销" in listed.text
    grant_id = __import__("re").search(r'/authorizations/(\d+)/revoke', listed.text).group(1)
    assert client.post(f"/authorizations/{grant_id}/revoke", data={}).status_code == 403
    client.post(f"/authorizations/{grant_id}/revoke", data={"csrf": csrf_of(listed.text)})
    assert "已撤销" in client.get("/authorizations").text


def test_an_enterprise_asks_for_help_and_an_agent_claims_links_and_closes_it(client):
    from tests.authorizations.test_acting_on_behalf import authorise

    page_sign_in(client, "acme")
    page = client.get("/assistance")
    refused = client.post("/assistance", data={"csrf": csrf_of(page.text), "district": "150105"})
    assert refused.status_code == 422 and "项目名称" in refused.text
    asked = client.post("/assistance", data={"csrf": csrf_of(page.text), "district": "150105",
                                             "project_name": "冷链仓储", "description": "不清楚要办哪些事项",
                                             "contact_name": "刘洋", "contact_phone": "13904710000"},
                        follow_redirects=False)
    assert asked.status_code == 303 and "冷链仓储" in client.get("/assistance").text
    authorise(client, grantee="agent_a")
    page_sign_in(client, "agent_a")
    console = client.get("/helpdesk")
    request_id = __import__("re").search(r'/helpdesk/requests/(\d+)/claim', console.text).group(1)
    client.post(f"/helpdesk/requests/{request_id}/claim", data={"csrf": csrf_of(console.text)})
    page = client.get(f"/helpdesk/requests/{request_id}")
    assert "办结本请求" in page.text and "为该企业代办申报" in page.text
    filed = client.post("/api/v1/applications", headers=__import__("tests.helpers", fromlist=["auth"]).auth("agent_a"),
                        json={"process": "parallel_review", "project": project(),
                              "on_behalf_of": __import__("tests.helpers", fromlist=["ACME"]).ACME})
    assert filed.status_code == 201, filed.text
    page = client.get(f"/helpdesk/requests/{request_id}")
    linked = client.post(f"/helpdesk/requests/{request_id}/link",
                         data={"csrf": csrf_of(page.text), "application": str(filed.json()["id"])})
    assert linked.status_code == 200 and "代办申报" in linked.text
    closed = client.post(f"/helpdesk/requests/{request_id}/close", data={"csrf": csrf_of(page.text), "note": "已代办"})
    assert "已办结" in closed.text and "已代办" in closed.text


def test_an_administrator_adds_disables_and_resets_a_user_loads_a_year_and_subscribes_a_webhook(client):
    page_sign_in(client, "admin")
    page = client.get("/admin/users")
    bad = client.post("/admin/users", data={"csrf": csrf_of(page.text), "username": "new_rev", "password": "12345678",
                                            "role": "reviewer"})
    assert bad.status_code == 422 and "department" in bad.text and 'value="new_rev"' in bad.text
    made = client.post("/admin/users", data={"csrf": csrf_of(page.text), "username": "new_rev", "password": "a-good-pass",
                                             "role": "reviewer", "departments": ["water-affairs"],
                                             "display_name": "水务局 新人"}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].startswith("/admin/users/new_rev")
    user = client.get(made.headers["location"])
    assert "账号已创建" in user.text and "水务局 新人" in user.text
    client.post("/admin/users/new_rev", data={"csrf": csrf_of(user.text), "role": "reviewer",
                                              "departments": ["water-affairs"], "active": "false"})
    assert "已停用" in client.get("/admin/users/new_rev").text
    reset = client.post("/admin/users/new_rev", data={"csrf": csrf_of(user.text), "action": "password",
                                                      "new_password": "short"})
    assert reset.status_code == 422 and "8 至 1024" in reset.text
    calendar = client.get("/admin/calendar?year=2027")
    wrong = client.post("/admin/calendar", data={"csrf": csrf_of(calendar.text), "year": "2027", "source": "国办发明电",
                                                 "holidays": "春节 二月"})
    assert wrong.status_code == 422 and "第 1 行" in wrong.text
    loaded = client.post("/admin/calendar", data={"csrf": csrf_of(calendar.text), "year": "2027",
                                                  "source": "国办发明电〔2026〕测试", "holidays": "元旦 2027-01-01 2027-01-03\n"
                                                  "春节 2027-02-05 2027-02-11", "workdays": "2027-02-14"},
                         follow_redirects=False)
    assert loaded.status_code == 303, loaded.text[-1500:]
    assert "国办发明电〔2026〕测试" in client.get("/admin/calendar?year=2027").text
    hooks = client.get("/admin/webhooks")
    refused = client.post("/admin/webhooks", data={"csrf": csrf_of(hooks.text), "url": "ftp://x", "secret": "short"})
    assert refused.status_code == 422 and "地址 (url)" in refused.text and "签名密钥 (secret)" in refused.text
    made = client.post("/admin/webhooks", data={"csrf": csrf_of(hooks.text), "url": "https://hooks.example.test/baton",
                                                "events": ["decision"], "secret": "a-secret-of-16-chars"},
                       follow_redirects=False)
    assert made.status_code == 303 and "hooks.example.test" in client.get(made.headers["location"]).text


def test_pages_of_another_role_are_refused_as_pages(client):
    page_sign_in(client, "acme")
    for path in ("/admin", "/admin/users", "/lead", "/helpdesk"):
        r = client.get(path)
        assert r.status_code == 403 and "<html" in r.text, path
    page_sign_in(client, "eco")
    assert client.get("/authorizations").status_code == 403
    assert client.get("/city").status_code == 403


def test_the_enterprise_declares_completion_of_its_relay_on_its_page(client):
    from tests.applications.test_housing_relay import submit_relay, take_over

    app = submit_relay(client)
    decide(client, app["open_tasks"][0])
    for leg in ("land", "planning", "construction"):
        take_over(client, app["id"], leg)
        view = application(client, app["id"])
        while view["open_tasks"] and view["open_tasks"][0]["stage"] == leg and not view["relay"]["awaiting_declaration"]:
            for task in view["open_tasks"]:
                decide(client, task)
            view = application(client, app["id"])
    assert view["status"] == "under_construction"
    page_sign_in(client, "acme")
    page = client.get(f"/applications/{app['id']}")
    assert "竣工验收申请" in page.text and "提交竣工验收申请" in page.text and "更正项目信息" not in page.text
    declared = client.post(f"/applications/{app['id']}/supplement", data={"csrf": csrf_of(page.text),
                                                                          "note": "主体工程已完工，申请竣工验收"},
                           files={"file.documents": ("竣工报告.pdf", io.BytesIO(PDF), "application/pdf")},
                           follow_redirects=False)
    assert declared.status_code == 303, declared.text[-1500:]
    after = application(client, app["id"])
    assert after["status"] == "in_review" and after["relay"]["handing_over_to"] == "completion"
    assert any(d["name"] == "竣工报告.pdf" for d in after["documents"])


def test_the_enterprise_delivers_the_minor_items_promised_at_acceptance_on_its_page(client):
    from datetime import timedelta

    from workflows import clock
    from workflows.calendar import CHINA

    app = submit(client)
    promised = (clock.now().astimezone(CHINA) + timedelta(days=1)).date().isoformat()
    decide(client, open_task(client, app["id"], "service-window"),
           data={"minor_items_pending": ["施工合同", "监理合同"], "promised_date": promised})
    page_sign_in(client, "acme")
    page = client.get(f"/applications/{app['id']}")
    assert "容缺受理待补材料" in page.text and "监理合同" in page.text
    delivered = client.post(f"/applications/{app['id']}/minor-items",
                            data={"csrf": csrf_of(page.text), "item": ["施工合同", "监理合同"]},
                            files={"file.documents": ("施工合同.pdf", io.BytesIO(PDF), "application/pdf")},
                            follow_redirects=False)
    assert delivered.status_code == 303 and "delivered" in delivered.headers["location"], delivered.text[-1500:]
    [minor] = application(client, app["id"], "acme")["minor_items"]
    assert minor["delivered"] == ["施工合同", "监理合同"] and minor["fulfilled_at"] is not None
    nothing = client.post(f"/applications/{app['id']}/minor-items", data={"csrf": csrf_of(page.text), "item": ["监理合同"]})
    assert nothing.status_code in (409, 422) and "<html" in nothing.text  # already delivered: said on the page
