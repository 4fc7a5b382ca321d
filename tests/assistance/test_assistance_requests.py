"""Assistance requests (帮办申请) on both backends: two agents race for one, the winner files for the enterprise,
escalates to a joint consultation, and the departments' conclusion comes back to the enterprise on the request."""
from __future__ import annotations

import threading

from tests.applications.test_joint_review import joint_project
from tests.authorizations.test_acting_on_behalf import authorise
from tests.helpers import ACME, application, auth, decide, project


def ask(client, user="acme", **changes):
    body = {"district": "150105", "project_name": "赛罕区某装备制造基地", "description": "首次办理并联审批，请帮办代办",
            "contact_name": "王建国", "contact_phone": "0471-1234567", **changes}
    r = client.post("/api/v1/assistance-requests", headers=auth(user), json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_request_raced_for_filed_escalated_and_concluded(client):
    authorise(client, office="hh-150105")  # every agent of 赛罕区's helpdesk may act for acme
    request = ask(client)
    assert request["office"] == "hh-150105" and request["status"] == "open" and request["due_at"].endswith("+08:00")
    queue = client.get("/api/v1/assistance-requests", headers=auth("agent_b")).json()
    assert [r["id"] for r in queue["items"]] == [request["id"]]
    assert client.get("/api/v1/assistance-requests", headers=auth("agent_c")).json()["total"] == 0  # 新城区

    answers = {}

    def claim(agent):
        answers[agent] = client.post(f"/api/v1/assistance-requests/{request['id']}/claim", headers=auth(agent))

    racers = [threading.Thread(target=claim, args=(a,)) for a in ("agent_a", "agent_b")]
    for t in racers:
        t.start()
    for t in racers:
        t.join()
    codes = sorted(r.status_code for r in answers.values())
    assert codes == [200, 409], {a: r.text for a, r in answers.items()}
    winner = next(a for a, r in answers.items() if r.status_code == 200)
    loser = next(a for a in answers if a != winner)
    assert "already claimed by" in answers[loser].json()["detail"]

    filed = client.post("/api/v1/applications", headers=auth(winner),
                        json={"process": "parallel_review", "project": project(), "on_behalf_of": ACME}).json()
    assert client.post(f"/api/v1/assistance-requests/{request['id']}/applications", headers=auth(loser),
                       json={"application": filed["id"]}).status_code == 409  # the claimant works it
    r = client.post(f"/api/v1/assistance-requests/{request['id']}/applications", headers=auth(winner),
                    json={"application": filed["id"]})
    assert r.status_code == 200 and r.json()["status"] == "filed"

    r = client.post(f"/api/v1/assistance-requests/{request['id']}/consultation", headers=auth(winner),
                    json={"project": joint_project()})
    assert r.status_code == 201, r.text
    [consultation] = [a for a in r.json()["applications"] if a["kind"] == "consultation"]
    assert consultation["process"] == "joint_review" and consultation["conclusion"] is None
    joint = application(client, consultation["id"])
    assert any(e["actor"] == winner and e["on_behalf_of"]["credit_code"] == ACME for e in joint["timeline"])
    decide(client, joint["open_tasks"][0])  # accepted
    [naming] = application(client, consultation["id"])["open_tasks"]
    decide(client, naming, data=naming["form"]["examples"][0])
    for task in application(client, consultation["id"])["open_tasks"]:
        decide(client, task, opinion=f"{task['department_name']}同意")
    [conclude] = application(client, consultation["id"])["open_tasks"]
    decide(client, conclude, data={"summary": "原则同意选址，能耗指标由市发改委协调解决"}, opinion="会商通过")

    seen = client.get(f"/api/v1/assistance-requests/{request['id']}", headers=auth("acme")).json()
    [back] = [a for a in seen["applications"] if a["kind"] == "consultation"]
    assert back["status"] == "approved" and back["conclusion"]["summary"] == "原则同意选址，能耗指标由市发改委协调解决"
    assert back["conclusion"]["department_name"] == "发展和改革委员会" and len(back["conclusion"]["opinions"]) == 3
    assert all(o["opinion"].endswith("同意") for o in back["conclusion"]["opinions"])
    assert client.get(f"/api/v1/assistance-requests/{request['id']}", headers=auth(winner)).status_code == 200

    assert client.post(f"/api/v1/assistance-requests/{request['id']}/close", headers=auth(winner),
                       json={"note": " "}).status_code == 422
    closed = client.post(f"/api/v1/assistance-requests/{request['id']}/close", headers=auth(winner),
                         json={"note": "已代办申报并完成会商，企业已知悉结论"}).json()
    assert closed["status"] == "closed" and closed["status_name"] == "已办结" and closed["close_note"]
    assert client.get(f"/api/v1/assistance-requests/{request['id']}", headers=auth("other")).status_code == 404


def test_a_walk_in_asked_by_an_agent_and_a_district_without_a_helpdesk(client):
    walk_in = ask(client, "agent_a", enterprise=None, contact_name="窗口来访 李女士")
    assert walk_in["enterprise"] is None and walk_in["created_by"] == "agent_a"
    r = client.post("/api/v1/assistance-requests", headers=auth("acme"),
                    json={"district": "110108", "project_name": "外地项目", "description": "咨询", "contact_name": "张",
                          "contact_phone": "13800000000"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "district"]
    assert client.post("/api/v1/assistance-requests", headers=auth("window"),
                       json={"district": "150105", "project_name": "x项目", "description": "咨询", "contact_name": "张",
                             "contact_phone": "13800000000"}).status_code == 403
