"""The 补正 conversation and the dossier, over HTTP on both backends: what every user reads, right the first time."""
from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.helpers import (
    ACME,
    RETURN_ITEMS,
    application,
    auth,
    decide,
    form_examples,
    open_task,
    project,
    submit,
)

REVIEWS = ("ecology-environment", "water-affairs")


def accepted(client) -> dict:
    app = submit(client, project(land_area_ha=6))  # 6 ha: a soil-water report book, reviewed by water-affairs
    decide(client, open_task(client, app["id"], "service-window"))
    return application(client, app["id"])


def test_two_departments_return_at_once_and_each_answer_resumes_exactly_its_own(client):
    app = accepted(client)
    eco_items = [{"item": "环境影响报告表", "reason": "缺少环境风险评价章节"}]
    water_items = [{"item": "水土保持方案报告书", "reason": "土石方平衡表数据不一致"}]
    decide(client, open_task(client, app["id"], "ecology-environment"), "return", items=eco_items, opinion="请补正环评")
    decide(client, open_task(client, app["id"], "water-affairs"), "return", items=water_items, opinion="请补正水保")
    seen = application(client, app["id"], "acme")
    requests = {r["department"]: r for r in seen["supplement_requests"]}
    assert requests["ecology-environment"]["items"] == eco_items and requests["water-affairs"]["items"] == water_items
    assert requests["water-affairs"]["department_name"] == "水务局" and requests["water-affairs"]["status"] == "open"
    assert requests["water-affairs"]["opinion"] == "请补正水保" and requests["water-affairs"]["requested_at"].endswith("+08:00")
    assert seen["status"] == "awaiting_supplement" and seen["status_name"] == "待补正"
    # two requests are open: an answer must say which
    r = client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("acme"), json={"note": "补充"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "request"]
    r = client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("acme"),
                    json={"request": requests["water-affairs"]["id"], "note": "已更正土石方平衡表"})
    assert r.status_code == 200, r.text
    after = r.json()
    reopened = {t["department"] for t in after["open_tasks"] if t["department"]}
    assert "water-affairs" in reopened and "ecology-environment" not in reopened
    [water] = [t for t in after["open_tasks"] if t["department"] == "water-affairs"]
    assert water["resubmitted"] is True
    states = {r["department"]: r["status"] for r in after["supplement_requests"]}
    assert states == {"ecology-environment": "open", "water-affairs": "answered"}
    # the other request is answered on its own, and only ecology resumes
    r = client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("acme"), json={"note": "已补环境风险评价"})
    assert r.status_code == 200
    assert {t["department"] for t in r.json()["open_tasks"] if t["department"]} >= {"ecology-environment", "water-affairs"}
    assert all(r_["status"] == "answered" for r_ in r.json()["supplement_requests"])


def test_an_itemless_or_opinionless_return_and_an_empty_answer_are_refused(client):
    app = submit(client)
    task = open_task(client, app["id"], "service-window")
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth("window"))
    for body, field in (({"decision": "return", "opinion": "请补正"}, "items_to_supplement"),
                        ({"decision": "return", "opinion": "请补正", "items_to_supplement": []}, "items_to_supplement"),
                        ({"decision": "return", "items_to_supplement": RETURN_ITEMS}, "opinion"),
                        ({"decision": "approve", "items_to_supplement": RETURN_ITEMS}, "items_to_supplement")):
        r = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=auth("window"), json=body)
        assert r.status_code == 422 and ["body", field] in [e["loc"] for e in r.json()["detail"]], (body, r.text)
    decide(client, task, "return")
    for body in ({}, {"note": "  "}, {"documents": [], "corrections": {}}):
        r = client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("acme"), json=body)
        assert r.status_code == 422, body
    assert application(client, app["id"])["supplement_requests"][0]["status"] == "open"


def test_a_correction_is_checked_and_shows_old_and_new_values(client):
    app = submit(client)
    decide(client, open_task(client, app["id"], "service-window"), "return",
           items=[{"item": "项目名称", "reason": "名称与立项文件不一致"}], opinion="请更正项目名称")
    r = client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("acme"),
                    json={"corrections": {"land_area_ha": -5}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "corrections", "land_area_ha"]
    r = client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("acme"),
                    json={"corrections": {"no_such_field": 1}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "corrections", "no_such_field"]
    old_name = app["project"]["name"]
    r = client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("acme"),
                    json={"note": "已按立项文件更正", "corrections": {"name": "赛罕区新材料产业园二期厂房"}})
    assert r.status_code == 200, r.text
    done = application(client, app["id"], "window")
    assert done["project"]["name"] == "赛罕区新材料产业园二期厂房" and done["project_name"] == "赛罕区新材料产业园二期厂房"
    [corrected] = [e for e in done["timeline"] if e["event"] == "project_corrected"]
    assert corrected["event_name"] == "更正申请信息"
    assert corrected["detail"]["changes"] == [{"field": "name", "title": "项目名称", "old": old_name,
                                               "new": "赛罕区新材料产业园二期厂房"}]
    [accept] = [t for t in done["open_tasks"] if t["department"] == "service-window"]
    assert accept["project_name"] == "赛罕区新材料产业园二期厂房" and accept["resubmitted"] is True
    assert done["supplement_requests"][0]["answer"]["corrections"] == {"name": "赛罕区新材料产业园二期厂房"}


def test_an_inbox_page_carries_the_dossier_and_searches_it(client):
    app = submit(client, project(name="金桥开发区智能装备制造基地"))
    submit(client, project(name="托克托县仓储物流中心"), user="other")
    page = client.get("/api/v1/tasks", headers=auth("window")).json()
    row = next(t for t in page["items"] if t["application_id"] == app["id"])
    assert row["project_name"] == "金桥开发区智能装备制造基地" and row["enterprise_name"] == "acme 有限公司"
    assert row["enterprise"] == {"name": "acme 有限公司", "credit_code": ACME}
    assert row["received_at"].endswith("+08:00") and row["stage_name"] == "受理" and row["resubmitted"] is False
    assert row["department_name"] == "政务服务中心综合窗口" and row["status_name"] == "待认领"
    for q, expected in (("智能装备", 1), ("ACME 有限", 1), (ACME.lower(), 1), ("100%", 0), ("有限公司", 2)):
        found = client.get("/api/v1/tasks", params={"q": q}, headers=auth("window")).json()["total"]
        assert found == expected, q
    assert client.get("/api/v1/tasks", params={"process": "joint_review"}, headers=auth("window")).json()["total"] == 0
    outstanding = client.get("/api/v1/tasks", params={"status": "outstanding"}, headers=auth("window")).json()
    assert outstanding["total"] == 2
    apps = client.get("/api/v1/applications", params={"q": "仓储", "process": "parallel_review"}, headers=auth("admin"))
    assert [a["project_name"] for a in apps.json()["items"]] == ["托克托县仓储物流中心"]
    assert apps.json()["items"][0]["enterprise"]["credit_code"] != ACME


def test_completed_tasks_keep_what_staff_entered_and_the_applicant_reads_departments(client):
    app = accepted(client)
    decide(client, open_task(client, app["id"], "ecology-environment"), data={"conditions": "施工期落实扬尘防治措施"},
           opinion="同意")
    staff = application(client, app["id"], "water")
    [eia] = [t for t in staff["history"] if t["department"] == "ecology-environment"]
    assert eia["data"] == {"conditions": "施工期落实扬尘防治措施"} and eia["opinion"] == "同意"
    assert eia["decision_name"] == "通过" and eia["completed_by"] == "eco" and eia["completed_at"].endswith("+08:00")
    mine = application(client, app["id"], "acme")
    [seen] = [t for t in mine["history"] if t["department"] == "ecology-environment"]
    assert seen["completed_by"] is None and seen["department_name"] == "生态环境局" and seen["opinion"] == "同意"
    actors = {e["actor"] for e in mine["timeline"]}
    assert "eco" not in actors and "window" not in actors and "生态环境局" in actors
    assert mine["required_item_names"]["construction_permit"] == "建筑工程施工许可"
    assert all(e["event_name"] for e in mine["timeline"])


def test_validation_messages_name_the_field_by_title_and_never_echo_the_input(client):
    bad = project(land_area_ha="x" * 500)
    del bad["district"]
    r = client.post("/api/v1/applications", json={"process": "parallel_review", "project": bad}, headers=auth("acme"))
    assert r.status_code == 422
    messages = {tuple(e["loc"]): e["msg"] for e in r.json()["detail"]}
    district = json.loads((__import__("app.config", fromlist=["x"]).PROJECT_ROOT / "bpmn/forms/project.schema.json")
                          .read_text())["properties"]["district"]["title"]
    assert messages[("body", "project", "district")].startswith(f"{district} (district) 必填")
    assert "x" * 50 not in r.text


def test_an_idempotency_key_reused_for_another_request_is_refused(client):
    headers = {**auth("acme"), "Idempotency-Key": "filing-7"}
    first = client.post("/api/v1/applications", json={"process": "parallel_review", "project": project()}, headers=headers)
    again = client.post("/api/v1/applications", json={"process": "parallel_review", "project": project()}, headers=headers)
    other = client.post("/api/v1/applications", json={"process": "parallel_review", "project": project(name="另一个项目")},
                        headers=headers)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert other.status_code == 422 and other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert client.get("/api/v1/applications", headers=auth("acme")).json()["total"] == 1


def test_minor_items_arrive_on_their_own_endpoint_one_by_one(client):
    app = submit(client)
    from datetime import timedelta

    from workflows import clock

    promised = (clock.now() + timedelta(days=2)).date().isoformat()
    decide(client, open_task(client, app["id"], "service-window"),
           data={"minor_items_pending": ["施工合同", "监理合同"], "promised_date": promised})
    r = client.post(f"/api/v1/applications/{app['id']}/minor-items", headers=auth("acme"), json={"items": ["设计合同"]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "items", 0]
    r = client.post(f"/api/v1/applications/{app['id']}/minor-items", headers=auth("acme"), json={"items": ["施工合同"]})
    assert r.json()["minor_items"][0]["delivered"] == ["施工合同"] and r.json()["minor_items"][0]["fulfilled_at"] is None
    r = client.post(f"/api/v1/applications/{app['id']}/minor-items", headers=auth("acme"), json={"items": ["监理合同"]})
    assert r.json()["minor_items"][0]["fulfilled_at"] is not None
    r = client.post(f"/api/v1/applications/{app['id']}/minor-items", headers=auth("acme"), json={"items": ["监理合同"]})
    assert r.status_code == 409


# ---------------------------------------------------------------- certificates


def fast_track(client) -> dict:
    import copy

    body = {"process": "industrial_fast_track",
            "project": copy.deepcopy(form_examples("industrial_fast_track.start.schema.json")[0])}
    app = client.post("/api/v1/applications", json=body, headers=auth("acme")).json()
    for i, task in enumerate(application(client, app["id"])["open_tasks"]):
        decide(client, task, data={"certificate_number": f"呼证字第2026{app['id']:03d}{i}号",
                                   "conditions": f"第{i}项附加条件"} if i < 4 else {})
    return application(client, app["id"], "acme")


def test_certificates_carry_what_the_department_entered_and_verify_without_sign_in(client):
    done = fast_track(client)
    numbers = {c["number"] for c in done["certificates"]}
    assert {f"呼证字第2026{done['id']:03d}{i}号" for i in range(4)} <= numbers and len(numbers) == 5
    assert {c["conditions"] for c in done["certificates"]} >= {"第0项附加条件", "第3项附加条件"}
    certificate = done["certificates"][0]
    r = client.get("/api/v1/certificates/verify", params={"code": certificate["verification_code"]})
    assert r.status_code == 200
    assert r.json() == {"name": certificate["name"], "number": certificate["number"], "holder": "acme 有限公司",
                        "issued_at": certificate["issued_at"], "status": "valid", "status_name": "有效",
                        "revoked_at": None, "start_by": certificate["start_by"], "started_on": None}
    assert client.get("/api/v1/certificates/verify", params={"code": "DEADBEEF00"}).status_code == 404


def test_a_revoked_certificate_verifies_as_revoked(client, db):
    from datetime import timedelta

    from app.platform.worker import run_due_timers
    from workflows import clock

    done = fast_track(client)
    [verify] = [t for t in application(client, done["id"])["open_tasks"] if t["name"] == "承诺事后核查"]
    decide(client, verify, "reject", data={"findings": "承诺事项未履行"})
    clock.advance(timedelta(days=40))
    run_due_timers(db)
    r = client.get("/api/v1/certificates/verify", params={"code": done["certificates"][0]["verification_code"]})
    assert r.json()["status"] == "revoked" and r.json()["revoked_at"].endswith("+08:00")


def test_guessing_codes_is_slowed_down(client):
    statuses = [client.get("/api/v1/certificates/verify", params={"code": f"GUESS{i:05d}"}).status_code for i in range(22)]
    assert statuses[:20] == [404] * 20 and statuses[-1] == 429


# ---------------------------------------------------------------- uploads


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def ofd_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("OFD.xml", "<ofd:OFD/>")
    return buffer.getvalue()


@pytest.mark.parametrize("name, content, declared, detected", [
    ("方案.docx", docx_bytes(), "application/octet-stream", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("证照.ofd", ofd_bytes(), "application/octet-stream", "application/ofd"),
    ("图纸.pdf", b"%PDF-1.7\n...", "text/plain", "application/pdf"),
])
def test_uploads_are_judged_by_their_bytes(client, name, content, declared, detected):
    r = client.post("/api/v1/documents", headers=auth("acme"), data={"kind": "出让合同"},
                    files={"file": (name, content, declared)})
    assert r.status_code == 201, r.text
    assert r.json()["content_type"] == detected and r.json()["kind"] == "出让合同"


def test_an_executable_is_refused_whatever_its_label_and_the_refusal_lists_what_is_accepted(client):
    r = client.post("/api/v1/documents", headers=auth("acme"),
                    files={"file": ("scan.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf")})
    assert r.status_code == 422 and "PDF" in r.json()["detail"][0]["msg"] and "OFD" in r.json()["detail"][0]["msg"]


def test_an_upload_attached_to_nothing_can_be_deleted_by_its_uploader(client):
    doc = client.post("/api/v1/documents", headers=auth("acme"), files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")}).json()
    assert client.delete(f"/api/v1/documents/{doc['id']}", headers=auth("other")).status_code == 404
    assert client.delete(f"/api/v1/documents/{doc['id']}", headers=auth("acme")).status_code == 204
    assert client.get(f"/api/v1/documents/{doc['id']}", headers=auth("acme")).status_code == 404
    kept = client.post("/api/v1/documents", headers=auth("acme"), files={"file": ("b.pdf", b"%PDF-1.4", "application/pdf")}).json()
    submit(client, documents=[kept["id"]])
    assert client.delete(f"/api/v1/documents/{kept['id']}", headers=auth("acme")).status_code == 409


# ---------------------------------------------------------------- versions


def test_an_admin_steers_the_version_new_applications_start_on(client):
    from tests.processes.bpmn_samples import mini

    def deploy(content):
        r = client.post("/api/v1/processes", headers=auth("admin"), files=[("files", ("v.bpmn", content, "application/xml"))])
        assert r.status_code == 201, r.text

    deploy(mini("mini_versions"))
    app_v1 = submit(client, process="mini_versions")
    deploy(mini("mini_versions", script="checked = 2"))  # version 2, say, a bad one
    detail = client.get("/api/v1/processes/mini_versions", headers=auth("admin")).json()
    assert detail["active_version"] == 2 and detail["versions"] == [1, 2]
    v1 = detail["deployments"][0]
    assert v1["running"] == 1 and v1["deployed_by"] == "admin" and v1["deployed_at"].endswith("+08:00")
    assert client.get(v1["files"][0]["download"], headers=auth("admin")).content.startswith(b"<?xml")
    assert client.post("/api/v1/processes/mini_versions/versions/1/activate", headers=auth("acme")).status_code == 403
    r = client.post("/api/v1/processes/mini_versions/versions/1/activate", headers=auth("admin"))
    assert r.status_code == 200 and r.json()["active_version"] == 1
    assert submit(client, process="mini_versions")["version"] == 1 and app_v1["version"] == 1
    assert client.post("/api/v1/processes/mini_versions/versions/9/activate", headers=auth("admin")).status_code == 404
