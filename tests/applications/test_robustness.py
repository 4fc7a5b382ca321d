"""Bad input and failing processes get a clear 4xx (or an incident), never a 500 or half a state."""
from __future__ import annotations

from datetime import timedelta

from app.platform.worker import run_due_timers
from tests.helpers import application, auth, decide, last_incident, open_task, project, submit
from tests.processes.bpmn_samples import mini, timed
from workflows import clock


def deploy(client, name, content):
    r = client.post("/api/v1/processes", headers=auth("admin"), files=[("files", (name, content, "application/xml"))])
    assert r.status_code == 201, r.text


def test_non_finite_numbers_are_refused_by_field(client):
    body = '{"process": "parallel_review", "project": {"land_area_ha": NaN}}'
    r = client.post("/api/v1/applications", content=body, headers={**auth("acme"), "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "project", "land_area_ha"]


def test_out_of_range_ids_and_pages_are_422(client):
    assert client.get("/api/v1/applications/99999999999999999999", headers=auth("admin")).status_code == 422
    assert client.get("/api/v1/applications", params={"page": 10**20}, headers=auth("admin")).status_code == 422
    assert client.get("/api/v1/applications", params={"status": "bogus"}, headers=auth("admin")).status_code == 422


def test_unencodable_text_is_422_not_500(client):
    app = submit(client)
    r = client.post(f"/api/v1/applications/{app['id']}/supplements", content='{"note": "\\ud800", "documents": 5}',
                    headers={**auth("acme"), "Content-Type": "application/json"})
    assert r.status_code == 422


def test_unknown_department_at_run_time_is_422_naming_the_task(client):
    deploy(client, "dyn.bpmn", mini("mini_dyn", properties='<spiffworkflow:property name="department_from" value="\'nowhere\'"/>'))
    r = client.post("/api/v1/applications", json={"process": "mini_dyn", "project": project()}, headers=auth("acme"))
    assert r.status_code == 422 and r.json()["detail"][0]["element_id"] == "review" and "nowhere" not in r.text
    assert "nowhere" in last_incident(client)["message"]


def test_while_loops_are_refused_at_deploy(client):
    r = client.post("/api/v1/processes", headers=auth("admin"),
                    files=[("files", ("w.bpmn", mini("mini_w", script="while True: pass"), "application/xml"))])
    assert r.status_code == 422 and "while" in r.text


def test_assign_after_completion_is_409(client):
    app = submit(client)
    task = open_task(client, app["id"], "service-window")
    decide(client, task)
    r = client.post(f"/api/v1/tasks/{task['id']}/assign", json={"username": "window2"}, headers=auth("window_lead"))
    assert r.status_code == 409
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=auth("window")).json()["status"] == "completed"


def test_a_failing_timer_is_set_aside_and_others_still_fire(client, db):
    deploy(client, "bad_timer.bpmn", timed("bad_timer", 'x = project["missing"]'))
    deploy(client, "good_timer.bpmn", timed("good_timer", "x = 1"))
    bad = submit(client, project(), process="bad_timer")
    good = submit(client, project(), process="good_timer")
    assert bad["open_tasks"] == [] and good["open_tasks"] == []
    clock.advance(timedelta(minutes=2))
    run_due_timers(db)
    assert [t["department"] for t in application(client, good["id"])["open_tasks"]] == ["water-affairs"]
    incident = [e for e in application(client, bad["id"])["timeline"] if e["event"] == "incident"]
    assert incident and incident[0]["detail"]["incident"] == last_incident(client)["id"]
    assert "missing" in last_incident(client)["message"] and last_incident(client)["application_id"] == bad["id"]
    assert run_due_timers(db) == 0  # set aside: not retried on every pass


def test_missing_document_file_is_404(client, settings):
    doc = client.post("/api/v1/documents", headers=auth("acme"), files={"file": ("a.pdf", b"%PDF", "application/pdf")}).json()
    for path in settings.storage_dir.rglob(doc["id"]):
        path.unlink()
    r = client.get(f"/api/v1/documents/{doc['id']}", headers=auth("acme"))
    assert r.status_code == 404 and "missing" in r.json()["detail"]


def test_short_secret_keys_are_refused():
    import pytest

    from app.config import Settings

    with pytest.raises(SystemExit, match="at least 32"):
        Settings(secret_key="short").require_secret()
