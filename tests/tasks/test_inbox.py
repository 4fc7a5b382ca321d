"""The inbox: listing, claiming, releasing, assigning, completing — and each refusal where it belongs."""
from __future__ import annotations

from tests.helpers import application, auth, decide, open_task, submit


def window_task(client):
    app = submit(client)
    return app, open_task(client, app["id"], "service-window")


def test_task_contract(client):
    app, task = window_task(client)
    r = client.get(f"/api/v1/tasks/{task['id']}", headers=auth("window"))
    body = r.json()
    assert set(body) >= {"id", "application_id", "process", "name", "department", "status", "assignee", "created_at",
                         "due_at", "form", "actions"}
    assert body["application_id"] == app["id"] and body["process"] == "parallel_review"
    assert body["status"] == "open" and body["assignee"] is None and body["due_at"] is not None
    assert set(body["actions"]) <= {"approve", "reject", "return"}
    assert isinstance(body["form"]["examples"][0], dict)
    assert body["name"] == "综合窗口受理"


def test_inbox_lists_by_department_and_status(client):
    _app, task = window_task(client)
    listing = client.get("/api/v1/tasks", params={"status": "open"}, headers=auth("window")).json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == task["id"]
    assert client.get("/api/v1/tasks", headers=auth("eco")).json()["total"] == 0
    assert client.get("/api/v1/tasks", params={"department": "service-window"}, headers=auth("eco")).status_code == 403
    assert client.get("/api/v1/tasks", params={"status": "bogus"}, headers=auth("window")).status_code == 422
    assert client.get("/api/v1/tasks", params={"page_size": 0}, headers=auth("window")).status_code == 422
    assert client.get("/api/v1/tasks", headers=auth("acme")).status_code == 403
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth("window"))
    mine = client.get("/api/v1/tasks", params={"status": "mine"}, headers=auth("window")).json()
    assert [t["id"] for t in mine["items"]] == [task["id"]]
    assert client.get("/api/v1/tasks", params={"status": "mine"}, headers=auth("window2")).json()["total"] == 0


def test_pagination(client):
    for _ in range(3):
        submit(client)
    page = client.get("/api/v1/tasks", params={"page": 2, "page_size": 2}, headers=auth("window")).json()
    assert page["total"] == 3 and len(page["items"]) == 1 and page["page"] == 2


def test_claim_conflicts_and_wrong_department(client):
    _app, task = window_task(client)
    url = f"/api/v1/tasks/{task['id']}"
    assert client.post(url + "/claim", headers=auth("eco")).status_code == 403
    assert client.post(url + "/claim", headers=auth("window")).status_code == 200
    assert client.post(url + "/claim", headers=auth("window")).status_code == 200  # holding it already
    r = client.post(url + "/claim", headers=auth("window2"))
    assert r.status_code == 409 and "window" in r.json()["detail"]
    assert client.post("/api/v1/tasks/00000000-0000-0000-0000-000000000000/claim", headers=auth("window")).status_code == 404


def test_complete_needs_the_claim_and_a_valid_decision(client):
    _app, task = window_task(client)
    url = f"/api/v1/tasks/{task['id']}"
    body = {"decision": "approve", "opinion": "ok", "data": {}}
    assert client.post(url + "/complete", json=body, headers=auth("window")).status_code == 409  # not claimed
    client.post(url + "/claim", headers=auth("window"))
    assert client.post(url + "/complete", json=body, headers=auth("window2")).status_code == 409  # someone else's
    r = client.post(url + "/complete", json={**body, "decision": "maybe"}, headers=auth("window"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "decision"
    r = client.post(url + "/complete", json={**body, "data": {"minor_items_pending": "not a list"}}, headers=auth("window"))
    assert r.status_code == 422
    assert ["body", "data", "minor_items_pending"] in [e["loc"] for e in r.json()["detail"]]
    assert client.post(url + "/complete", json=body, headers=auth("window")).status_code == 200
    assert client.post(url + "/complete", json=body, headers=auth("window")).status_code == 409  # done already


def test_release_by_holder_or_lead(client):
    _app, task = window_task(client)
    url = f"/api/v1/tasks/{task['id']}"
    client.post(url + "/claim", headers=auth("window"))
    assert client.post(url + "/release", headers=auth("window2")).status_code == 403
    assert client.post(url + "/release", headers=auth("window_lead")).json()["status"] == "open"
    client.post(url + "/claim", headers=auth("window2"))
    r = client.post(url + "/release", headers=auth("window2"))
    assert r.status_code == 200 and r.json()["assignee"] is None
    assert client.post(url + "/release", headers=auth("window2")).status_code == 409


def test_lead_assigns_within_the_department(client):
    _app, task = window_task(client)
    url = f"/api/v1/tasks/{task['id']}/assign"
    assert client.post(url, json={"username": "window2"}, headers=auth("window")).status_code == 403
    assert client.post(url, json={"username": "eco"}, headers=auth("window_lead")).status_code == 422
    r = client.post(url, json={"username": "window2"}, headers=auth("window_lead"))
    assert r.status_code == 200 and r.json()["assignee"] == "window2" and r.json()["status"] == "claimed"
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth("window")).status_code == 409


def test_acceptance_with_minor_items_pending_is_recorded(client):
    app, task = window_task(client)
    from datetime import timedelta

    from workflows import clock

    promised = (clock.now() + timedelta(days=3)).date().isoformat()
    decide(client, task, "approve", data={"minor_items_pending": ["消防设计文件"], "promised_date": promised})
    detail = application(client, app["id"])
    completed = [e for e in detail["timeline"] if e["event"] == "task_completed"]
    assert completed and completed[0]["detail"]["decision"] == "approve"
    missing_date = submit(client)
    t = open_task(client, missing_date["id"], "service-window")
    client.post(f"/api/v1/tasks/{t['id']}/claim", headers=auth("window"))
    r = client.post(f"/api/v1/tasks/{t['id']}/complete", headers=auth("window"),
                    json={"decision": "approve", "data": {"minor_items_pending": ["消防设计文件"]}})
    assert r.status_code == 422 and "promised_date" in r.text
