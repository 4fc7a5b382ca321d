"""Joint consultation (会商联审): the lead names the departments, they give opinions in parallel, the lead concludes."""
from __future__ import annotations

import copy

from tests.helpers import application, auth, decide, form_examples


def joint_project(**changes):
    p = copy.deepcopy(form_examples("joint_review.start.schema.json")[0])
    p.update(changes)
    return p


def start(client, **changes):
    r = client.post("/api/v1/applications", headers=auth("acme"),
                    json={"process": "joint_review", "project": joint_project(**changes)})
    assert r.status_code == 201, r.text
    app = r.json()
    decide(client, app["open_tasks"][0])  # accepted at the service window
    return app


def test_three_departments_consulted_in_parallel_then_the_lead_concludes(client):
    app = start(client)
    lead = joint_project()["lead_department"]
    [naming] = application(client, app["id"])["open_tasks"]
    assert naming["department"] == lead
    plan = naming["form"]["examples"][0]
    assert len(plan["departments"]) == 3
    decide(client, naming, data=plan)
    consults = application(client, app["id"])["open_tasks"]
    assert sorted(t["department"] for t in consults) == sorted(plan["departments"])
    assert all(t["name"] == "会商意见" and t["stage"] == "consultation" for t in consults)
    for task, verdict in zip(consults, ["approve", "approve", "reject"]):
        decide(client, task, verdict, opinion=f"{task['department']} 意见")
    [conclude] = application(client, app["id"])["open_tasks"]
    assert conclude["department"] == lead and conclude["stage"] == "conclusion"
    decide(client, conclude, data=conclude["form"]["examples"][0])
    final = application(client, app["id"], "acme")
    assert final["status"] == "approved" and final["open_tasks"] == []
    opinions = [e["detail"] for e in final["timeline"] if e["event"] == "task_completed" and e["detail"]["name"] == "会商意见"]
    assert sorted(o["department"] for o in opinions) == sorted(plan["departments"])


def test_lead_department_comes_from_the_project(client):
    app = start(client, lead_department="housing-construction")
    [naming] = application(client, app["id"])["open_tasks"]
    assert naming["department"] == "housing-construction"
    assert client.post(f"/api/v1/tasks/{naming['id']}/claim", headers=auth("devref")).status_code == 403


def test_the_lead_can_conclude_against(client):
    app = start(client)
    [naming] = application(client, app["id"])["open_tasks"]
    decide(client, naming, data={"departments": ["water-affairs", "ecology-environment"], "agenda": "水源保护区影响"})
    for task in application(client, app["id"])["open_tasks"]:
        decide(client, task)
    [conclude] = application(client, app["id"])["open_tasks"]
    decide(client, conclude, "reject", data=conclude["form"]["examples"][0])
    assert application(client, app["id"], "acme")["status"] == "rejected"


def test_naming_fewer_than_two_departments_is_refused(client):
    app = start(client)
    [naming] = application(client, app["id"])["open_tasks"]
    client.post(f"/api/v1/tasks/{naming['id']}/claim", headers=auth("devref"))
    r = client.post(f"/api/v1/tasks/{naming['id']}/complete", headers=auth("devref"),
                    json={"decision": "approve", "data": {"departments": ["water-affairs"], "agenda": "x"}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:3] == ["body", "data", "departments"]
