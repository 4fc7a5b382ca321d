"""Accepted with minor items missing (容缺受理): recorded, the decision goes on, a missed date shows."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.helpers import application, auth, decide, form_examples, open_task, project
from workflows import clock
from workflows.calendar import CHINA

PROCESSES = {  # process -> its start form
    "parallel_review": "project.schema.json",
    "housing_relay": "housing_relay.start.schema.json",
    "joint_review": "joint_review.start.schema.json",
}


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_every_acceptance_takes_minor_items_and_the_decision_goes_on(client, process):
    body = {"process": process, "project": form_examples(PROCESSES[process])[0]}
    app = client.post("/api/v1/applications", json=body, headers=auth("acme")).json()
    accept = open_task(client, app["id"], "service-window")
    # tomorrow in Beijing: within the limit of every item accepted with it, whatever the day
    promised = (clock.now().astimezone(CHINA) + timedelta(days=1)).date().isoformat()
    decide(client, accept, data={"minor_items_pending": ["消防设计审查意见"], "promised_date": promised})
    after = application(client, app["id"], "acme")
    assert after["minor_items"] == [{"items": ["消防设计审查意见"], "delivered": [], "promised_date": promised,
                                     "fulfilled_at": None, "overdue": False}]
    assert after["status"] == "in_review" and after["open_tasks"]  # the next step opened all the same


def test_a_missed_promise_shows_and_a_late_delivery_closes_it(client):
    app = client.post("/api/v1/applications", json={"process": "parallel_review", "project": project()},
                      headers=auth("acme")).json()
    promised = (clock.now() + timedelta(days=3)).date().isoformat()
    decide(client, open_task(client, app["id"], "service-window"),
           data={"minor_items_pending": ["施工合同"], "promised_date": promised})
    clock.advance(timedelta(days=5))
    late = application(client, app["id"], "acme")
    assert late["minor_items"][0]["overdue"] is True
    r = client.post(f"/api/v1/applications/{app['id']}/minor-items", headers=auth("acme"), json={"items": ["施工合同"]})
    assert r.status_code == 200, r.text
    done = r.json()["minor_items"][0]
    assert done["fulfilled_at"] is not None and done["overdue"] is False
    assert any(e["event"] == "minor_items_fulfilled" for e in r.json()["timeline"])


def test_minor_items_are_a_property_the_process_declares_not_a_field_name_the_inbox_looks_for(client):
    from tests.processes.bpmn_samples import mini

    without_date = ("{'items': review.get('missing', []), 'promised_date': None} "
                    "if review.get('decision') == 'approve' else None")
    r = client.post("/api/v1/processes", headers=auth("admin"), files=[("files", ("mi.bpmn", mini(
        "mini_minor", properties=f'<spiffworkflow:property name="minor_items" value="{without_date}"/>'
        '<spiffworkflow:property name="form" value="mi.schema.json"/>'), "application/xml")),
        ("files", ("mi.schema.json", b'{"type": "object", "properties": {"missing": {"type": "array", "items": '
                   b'{"type": "string"}}, "minor_items_pending": {"type": "array"}}, "examples": [{}]}',
                   "application/json"))])
    assert r.status_code == 201, r.text
    app = client.post("/api/v1/applications", json={"process": "mini_minor", "project": project()},
                      headers=auth("acme")).json()
    task = open_task(client, app["id"], "ecology-environment")
    # a field that happens to be called minor_items_pending means nothing by itself
    decide(client, task, data={"minor_items_pending": ["x"]})
    assert application(client, app["id"])["minor_items"] == []
    # a declaration that gives no date is the process's error: a 422 naming the task, never a KeyError
    app = client.post("/api/v1/applications", json={"process": "mini_minor", "project": project()},
                      headers=auth("acme")).json()
    task = open_task(client, app["id"], "ecology-environment")
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth("eco"))
    r = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=auth("eco"),
                    json={"decision": "approve", "data": {"missing": ["施工合同"]}})
    assert r.status_code == 422 and r.json()["detail"][0]["element_id"] == "review"


def test_promised_dates_in_the_past_or_beyond_the_items_limits_are_refused(client):
    app = client.post("/api/v1/applications", json={"process": "parallel_review", "project": project()},
                      headers=auth("acme")).json()
    task = open_task(client, app["id"], "service-window")
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth("window"))
    for promised, says in (("2020-01-01", "不得早于今天"), ("2030-01-01", "不得晚于所受理事项的办结期限")):
        r = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=auth("window"),
                        json={"decision": "approve", "data": {"minor_items_pending": ["施工合同"], "promised_date": promised}})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "data", "promised_date"], r.text
        assert says in r.json()["detail"][0]["msg"]
    assert application(client, app["id"])["open_tasks"][0]["status"] == "claimed"  # nothing moved


def test_approved_with_items_still_missing_has_its_own_status_until_they_arrive(client):
    app = client.post("/api/v1/applications", json={"process": "parallel_review", "project": project()},
                      headers=auth("acme")).json()
    promised = (clock.now() + timedelta(days=2)).date().isoformat()
    decide(client, open_task(client, app["id"], "service-window"),
           data={"minor_items_pending": ["施工合同"], "promised_date": promised})
    while True:
        open_ = [t for t in application(client, app["id"])["open_tasks"] if t["department"]]
        if not open_:
            break
        decide(client, open_[0])
    pending = application(client, app["id"], "acme")
    assert pending["status"] == "approved_pending_items" and pending["status_name"] == "准予许可（容缺材料待补齐）"
    r = client.post(f"/api/v1/applications/{app['id']}/minor-items", headers=auth("acme"), json={"items": ["施工合同"]})
    assert r.json()["status"] == "approved"
