"""Sign-in, tokens, /me, and who may see and do what (401/403/404)."""
from __future__ import annotations

from app.auth.security import issue_token
from tests.helpers import ACME, PASSWORD, auth, submit


def test_password_flow_issues_a_bearer_token(client):
    r = client.post("/api/v1/auth/token", data={"username": "eco", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {"username": "eco", "role": "reviewer", "display_name": None,
                         "departments": ["ecology-environment"], "enterprise": None}


def test_wrong_password_and_unknown_user_are_401(client):
    assert client.post("/api/v1/auth/token", data={"username": "eco", "password": "nope-nope"}).status_code == 401
    assert client.post("/api/v1/auth/token", data={"username": "ghost", "password": PASSWORD}).status_code == 401


def test_enterprise_me_names_its_credit_code(client):
    me = client.get("/api/v1/me", headers=auth("acme")).json()
    assert me["role"] == "enterprise" and me["enterprise"]["credit_code"] == ACME


def test_missing_expired_and_forged_tokens_are_401(client):
    assert client.get("/api/v1/me").status_code == 401
    expired = issue_token("eco", "test-secret-key-0123456789abcdef", -1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    forged = issue_token("admin", "another-secret", 60)
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and "detail" in r.json()


def test_departments_are_listed_with_chinese_names(client):
    r = client.get("/api/v1/departments", headers=auth("acme"))
    names = {d["code"]: d["name"] for d in r.json()}
    assert len(names) == 7 and names["natural-resources"] == "自然资源局"


def test_enterprise_sees_only_its_own_applications(client):
    mine = submit(client)
    assert client.get(f"/api/v1/applications/{mine['id']}", headers=auth("other")).status_code == 403
    assert client.get("/api/v1/applications", headers=auth("other")).json()["total"] == 0
    assert client.get("/api/v1/applications", headers=auth("acme")).json()["total"] == 1
    assert client.get("/api/v1/applications/999999", headers=auth("acme")).status_code == 404


def test_reviewer_sees_applications_with_tasks_in_its_departments(client):
    app = submit(client)
    assert client.get(f"/api/v1/applications/{app['id']}", headers=auth("window")).status_code == 200
    assert client.get(f"/api/v1/applications/{app['id']}", headers=auth("eco")).status_code == 403
    assert client.get("/api/v1/applications", headers=auth("eco")).json()["total"] == 0


def test_only_enterprises_submit_and_only_the_owner_withdraws(client):
    r = client.post("/api/v1/applications", json={"process": "parallel_review", "project": {}}, headers=auth("eco"))
    assert r.status_code == 403
    app = submit(client)
    assert client.post(f"/api/v1/applications/{app['id']}/withdraw", headers=auth("other")).status_code == 403
    assert client.post(f"/api/v1/applications/{app['id']}/withdraw", headers=auth("window")).status_code == 403


def test_only_admins_deploy(client):
    r = client.post("/api/v1/processes", files={"files": ("x.bpmn", b"<x/>")}, headers=auth("window_lead"))
    assert r.status_code == 403
