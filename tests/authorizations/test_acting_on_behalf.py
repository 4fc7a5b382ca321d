"""Assisted filing (帮办代办) over HTTP on both backends: the authorisation matrix, and actor and subject on every
record of an action taken on behalf."""
from __future__ import annotations

from datetime import timedelta

from tests.helpers import ACME, OTHER, application, auth, decide, open_task, project
from workflows import clock


def letter(client, user="acme") -> str:
    r = client.post("/api/v1/documents", headers=auth(user),
                    files={"file": ("授权委托书.pdf", b"%PDF-1.4 signed letter", "application/pdf")})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def authorise(client, user="acme", *, grantee=None, office=None, processes=None, days=30):
    until = (clock.now() + timedelta(days=days)).isoformat()
    r = client.post("/api/v1/authorizations", headers=auth(user),
                    json={"grantee": grantee, "grantee_office": office, "processes": processes,
                          "valid_until": until, "letter": letter(client, user)})
    assert r.status_code == 201, r.text
    return r.json()


def file_for(client, agent, credit_code=ACME, process="parallel_review"):
    return client.post("/api/v1/applications", headers=auth(agent),
                       json={"process": process, "project": project(), "on_behalf_of": credit_code})


def test_an_agent_with_a_named_grant_files_follows_answers_and_withdraws(client):
    grant = authorise(client, grantee="agent_a", processes=["parallel_review"])
    assert grant["status"] == "active" and grant["grantee"] == "agent_a" and grant["processes"] == ["parallel_review"]
    assert set(grant) >= {"id", "grantee", "grantee_office", "processes", "valid_from", "valid_until", "status"}
    r = file_for(client, "agent_a")
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["enterprise"]["credit_code"] == ACME
    assert client.get(f"/api/v1/applications/{app['id']}", headers=auth("agent_a")).status_code == 200
    decide(client, open_task(client, app["id"], "service-window"), "return",
           items=[{"item": "建设工程施工合同", "reason": "缺少原件"}], opinion="请补正")
    doc = client.post("/api/v1/documents", headers=auth("agent_a"),
                      files={"file": ("施工合同.pdf", b"%PDF-1.4 contract", "application/pdf")}).json()["id"]
    r = client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("agent_a"),
                    json={"note": "代企业补交施工合同", "documents": [doc]})
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/applications/{app['id']}/withdraw", headers=auth("agent_a"))
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    # the enterprise sees everything the agent did, by whom, from which office, for whom
    seen = application(client, app["id"], "acme")
    by_agent = [e for e in seen["timeline"] if e["actor"] == "agent_a"]
    assert {e["event"] for e in by_agent} >= {"submitted", "supplement_submitted", "withdrawn"}
    for e in by_agent:
        assert e["actor_office"] == {"code": "hh-150105", "name": "赛罕区政务服务中心帮办代办窗口"}
        assert e["on_behalf_of"]["credit_code"] == ACME and e["on_behalf_of"]["name"] == "acme 有限公司"
    assert all(e["on_behalf_of"] is None for e in seen["timeline"] if e["actor"] in ("acme", "system"))
    assert doc in {d["id"] for d in seen["documents"]}


def test_an_office_grant_serves_every_agent_of_that_office_and_no_other(client):
    authorise(client, office="hh-150105")
    assert file_for(client, "agent_a").status_code == 201
    assert file_for(client, "agent_b").status_code == 201
    r = file_for(client, "agent_c")  # 新城区's agent
    assert r.status_code == 403 and "未授权" in r.json()["detail"]
    mine = client.get("/api/v1/authorizations", headers=auth("agent_b")).json()
    assert [g["grantee_office"] for g in mine] == ["hh-150105"] and mine[0]["enterprise"]["credit_code"] == ACME
    assert client.get("/api/v1/authorizations", headers=auth("agent_c")).json() == []


def test_expired_revoked_out_of_scope_and_another_enterprises_grants_are_refused_saying_which(client):
    authorise(client, "other", grantee="agent_a")  # another enterprise's grant does not serve acme
    r = file_for(client, "agent_a")
    assert r.status_code == 403 and "未授权" in r.json()["detail"]
    scoped = authorise(client, grantee="agent_a", processes=["joint_review"])
    r = file_for(client, "agent_a")
    assert r.status_code == 403 and "不包括流程 parallel_review" in r.json()["detail"]
    short = authorise(client, grantee="agent_b", days=1)
    clock.advance(timedelta(days=2))
    r = file_for(client, "agent_b")
    assert r.status_code == 403 and "到期" in r.json()["detail"] and str(short["id"]) in r.json()["detail"]
    grant = authorise(client, grantee="agent_c")
    client.post(f"/api/v1/authorizations/{grant['id']}/revoke", headers=auth("acme"))
    r = file_for(client, "agent_c")
    assert r.status_code == 403 and "撤销" in r.json()["detail"]
    assert file_for(client, "agent_a", credit_code=OTHER).status_code == 201  # other's grant serves other
    assert scoped["processes"] == ["joint_review"]


def test_a_revocation_stops_the_next_action_at_once(client):
    grant = authorise(client, grantee="agent_a")
    app = file_for(client, "agent_a").json()
    assert client.post(f"/api/v1/authorizations/{grant['id']}/revoke", headers=auth("other")).status_code == 404
    revoked = client.post(f"/api/v1/authorizations/{grant['id']}/revoke", headers=auth("acme"))
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    r = client.get(f"/api/v1/applications/{app['id']}", headers=auth("agent_a"))
    assert r.status_code == 403 and "撤销" in r.json()["detail"]
    r = client.post(f"/api/v1/applications/{app['id']}/withdraw", headers=auth("agent_a"))
    assert r.status_code == 403
    assert application(client, app["id"], "acme")["status"] == "in_review"  # the enterprise's own application
    assert client.post(f"/api/v1/applications/{app['id']}/withdraw", headers=auth("acme")).status_code == 200


def test_the_grant_itself_is_checked(client):
    until = (clock.now() + timedelta(days=5)).isoformat()
    doc = letter(client)
    r = client.post("/api/v1/authorizations", headers=auth("acme"),
                    json={"grantee": "agent_a", "grantee_office": "hh-150105", "processes": None,
                          "valid_until": until, "letter": doc})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "grantee"]
    past = (clock.now() - timedelta(days=1)).isoformat()
    r = client.post("/api/v1/authorizations", headers=auth("acme"),
                    json={"grantee": "agent_a", "valid_until": past, "letter": doc})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "valid_until"]
    r = client.post("/api/v1/authorizations", headers=auth("acme"),
                    json={"grantee": "window", "valid_until": until, "letter": doc})
    assert r.status_code == 422 and "帮办代办员" in r.json()["detail"][0]["msg"]
    r = client.post("/api/v1/authorizations", headers=auth("acme"),
                    json={"grantee": "agent_a", "valid_until": until, "letter": letter(client, "other")})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["body", "letter"]
    assert client.post("/api/v1/authorizations", headers=auth("agent_a"),
                       json={"grantee": "agent_a", "valid_until": until, "letter": doc}).status_code == 403
    me = client.get("/api/v1/me", headers=auth("acme")).json()
    assert me["enterprise"]["credit_code"] == ACME
    offices = client.get("/api/v1/offices", headers=auth("agent_a")).json()
    assert len(offices) == 13 and {o["city"] for o in offices} == {"hohhot", "baotou", "ordos", "ulanqab"}


def test_listing_grants_costs_the_same_for_one_and_for_many(client, db):
    from tests.helpers import Statements

    authorise(client, grantee="agent_a", processes=["parallel_review"])
    with Statements(db) as one:
        assert len(client.get("/api/v1/authorizations", headers=auth("acme")).json()) == 1
    for agent in ("agent_b", "agent_c"):
        authorise(client, grantee=agent, processes=["parallel_review", "joint_review"])
    authorise(client, office="hh-150102")
    with Statements(db) as four:
        assert len(client.get("/api/v1/authorizations", headers=auth("acme")).json()) == 4
    assert one.count == four.count, str(four)
