"""Idempotent submission, documents, validation, and rollback when a process script fails."""
from __future__ import annotations

from sqlalchemy import func, select

from app.applications.models import Application
from app.tasks.models import Task
from tests.helpers import application, auth, decide, open_task, project, submit
from tests.processes.bpmn_samples import mini


def count(db, model):
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def deploy(client, name, content):
    r = client.post("/api/v1/processes", headers=auth("admin"), files=[("files", (name, content, "application/xml"))])
    assert r.status_code == 201, r.text


def test_idempotency_key_returns_the_first_application(client, db):
    headers = {**auth("acme"), "Idempotency-Key": "submit-42"}
    body = {"process": "parallel_review", "project": project()}
    first = client.post("/api/v1/applications", json=body, headers=headers)
    second = client.post("/api/v1/applications", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"] and count(db, Application) == 1
    other_user = client.post("/api/v1/applications", json=body, headers={**auth("other"), "Idempotency-Key": "submit-42"})
    assert other_user.json()["id"] != first.json()["id"]


def test_project_validation_names_each_field(client, db):
    bad = project(land_area_ha=-1, investment_type="foreign")
    del bad["district"]
    r = client.post("/api/v1/applications", json={"process": "parallel_review", "project": bad}, headers=auth("acme"))
    assert r.status_code == 422
    locs = [tuple(e["loc"]) for e in r.json()["detail"]]
    assert ("body", "project", "land_area_ha") in locs and ("body", "project", "investment_type") in locs
    assert any("district" in e["msg"] for e in r.json()["detail"])
    assert count(db, Application) == 0


def test_required_items_come_from_the_decision_tables(client):
    app = submit(client, project(industry="chemical", land_area_ha=6, annual_energy_tce=12_000))
    assert {"eia_report_book", "swc_report_book", "energy_review_provincial", "construction_permit"} <= set(app["required_items"])


def test_runtime_script_error_rolls_back_and_names_the_element(client, db):
    deploy(client, "boom.bpmn", mini("mini_boom", script='size = project["no_such_field"]'))
    r = client.post("/api/v1/applications", json={"process": "mini_boom", "project": project()}, headers=auth("acme"))
    assert r.status_code == 422
    assert r.json()["detail"][0]["element_id"] == "prepare" and "no_such_field" not in r.text  # engine text: admins only
    assert count(db, Application) == 0 and count(db, Task) == 0
    [incident] = client.get("/api/v1/incidents", headers=auth("admin")).json()["items"]
    assert incident["element_id"] == "prepare" and "no_such_field" in incident["message"]
    assert f"incident {incident['id']}" in r.json()["detail"][0]["message"]
    r = client.post("/api/v1/applications", json={"process": "mini_boom", "project": project()}, headers=auth("admin"))
    assert client.get("/api/v1/incidents", headers=auth("acme")).status_code == 403


def test_condition_error_on_completion_leaves_the_task_claimed(client):
    deploy(client, "cond.bpmn", mini("mini_cond", condition='review["missing"] == 1'))
    app = submit(client, project(), process="mini_cond")
    task = open_task(client, app["id"], "ecology-environment")
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth("eco"))
    r = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=auth("eco"), json={"decision": "approve"})
    assert r.status_code == 422 and r.json()["detail"][0]["element_id"] == "gw" and "missing" not in r.text
    assert "missing" in client.get("/api/v1/incidents", headers=auth("admin")).json()["items"][0]["message"]
    after = application(client, app["id"])
    assert after["status"] == "in_review" and after["open_tasks"][0]["status"] == "claimed"
    assert not [e for e in after["timeline"] if e["event"] == "task_completed"]


def test_documents_upload_attach_and_download(client):
    r = client.post("/api/v1/documents", headers=auth("acme"), files={"file": ("规划图.pdf", b"%PDF-1.4 test", "application/pdf")})
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["size"] == 13 and len(doc["sha256"]) == 64 and doc["name"] == "规划图.pdf"
    app = submit(client, project(), documents=[doc["id"]])
    assert [d["id"] for d in application(client, app["id"], "acme")["documents"]] == [doc["id"]]
    assert client.get(f"/api/v1/documents/{doc['id']}", headers=auth("acme")).content == b"%PDF-1.4 test"
    assert client.get(f"/api/v1/documents/{doc['id']}", headers=auth("window")).status_code == 200
    assert client.get(f"/api/v1/documents/{doc['id']}", headers=auth("other")).status_code == 404
    assert client.get(f"/api/v1/documents/{doc['id']}", headers=auth("eco")).status_code == 404
    assert client.get("/api/v1/documents/nope", headers=auth("acme")).status_code == 404
    # another enterprise cannot attach it, nor can it be attached to a second application
    r = client.post("/api/v1/applications", json={"process": "parallel_review", "project": project(), "documents": [doc["id"]]},
                    headers=auth("other"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "documents", 0]


def test_document_limits(client, settings):
    r = client.post("/api/v1/documents", headers=auth("acme"), files={"file": ("x.exe", b"MZ", "application/x-msdownload")})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["file"]
    r = client.post("/api/v1/documents", headers=auth("acme"), files={"file": ("e.pdf", b"", "application/pdf")})
    assert r.status_code == 422
    big = b"0" * (settings.max_document_bytes + 1)
    r = client.post("/api/v1/documents", headers=auth("acme"), files={"file": ("big.pdf", big, "application/pdf")})
    assert r.status_code == 422 and "larger" in r.text
    assert not any(p.is_file() for p in settings.storage_dir.rglob("*") if p.stat().st_size > settings.max_document_bytes)


def test_supplement_when_not_awaiting_is_409_and_documents_attach(client):
    app = submit(client)
    r = client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("acme"), json={"note": "x"})
    assert r.status_code == 409
    decide(client, open_task(client, app["id"], "service-window"), "return")
    doc = client.post("/api/v1/documents", headers=auth("acme"), files={"file": ("合同.pdf", b"%PDF", "application/pdf")}).json()
    assert client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("other"), json={}).status_code == 404
    r = client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("acme"),
                    json={"note": "补充合同", "documents": [doc["id"]]})
    assert r.status_code == 200 and doc["id"] in [d["id"] for d in r.json()["documents"]]
    assert any(e["event"] == "supplement_submitted" for e in r.json()["timeline"])


def test_healthz(client):
    assert client.get("/api/v1/healthz").json() == {"status": "ok", "database": "ok"}


def test_openapi_and_docs(client):
    spec = client.get("/openapi.json").json()
    assert "/api/v1/tasks/{task_id}/complete" in spec["paths"]
    page = client.get("/docs")
    assert page.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in page.text and "cdn" not in page.text
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
