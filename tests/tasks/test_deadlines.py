"""The approval clock under a test clock, over HTTP on both backends: a supplement pauses a department's clock, a
task turns warning then overdue and its lead is told, a lead extends it within the law, a special procedure stops
the clock and starts it again."""
from __future__ import annotations

from datetime import datetime, timedelta

from app.notifications.service import escalate
from tests.applications.test_joint_review import joint_project
from tests.helpers import application, auth, decide, open_task, project, submit
from workflows import clock
from workflows.calendar import CHINA, add_working_days


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA)


def energy_review(client, when: str) -> dict:
    """An accepted parallel review at `when` (Beijing time): its local energy review (20 working days) opens."""
    clock.freeze(at(when))
    app = submit(client)
    decide(client, open_task(client, app["id"], "service-window"))
    return open_task(client, app["id"], "development-reform")


def test_a_supplement_pauses_the_departments_clock_and_resumes_it(client):
    task = energy_review(client, "2026-04-10 09:00")  # a Friday
    assert task["due_at"].startswith("2026-05-12T23:59:59") and task["time_limit"] == "20wd"
    assert task["item"] == "energy_review_local" and task["item_name"] == "节能审查（市级）"
    clock.freeze(at("2026-04-20 10:00"))  # 6 of its 20 working days used
    decide(client, task, "return", items=[{"item": "节能报告", "reason": "能源消费量测算依据不足"}], opinion="请补正")
    clock.freeze(at("2026-04-23 16:00"))  # the enterprise answers 3 working days later
    r = client.post(f"/api/v1/applications/{task['application_id']}/supplements", headers=auth("acme"),
                    json={"note": "已补充测算依据"})
    assert r.status_code == 200, r.text
    [again] = [t for t in r.json()["open_tasks"] if t["department"] == "development-reform"]
    assert again["resubmitted"] and again["paused_working_days"] == 3
    assert again["due_at"].startswith("2026-05-15T23:59:59")  # 3 working days later, not 20 fresh ones
    assert again["due_at"][:10] == add_working_days(datetime(2026, 5, 12).date(), 3).isoformat()
    assert again["working_days_used"] == 6 and again["sla_state"] == "on_time"


def test_the_process_clock_runs_from_acceptance_and_stops_while_the_applicant_supplements(client):
    clock.freeze(at("2026-06-01 09:00"))
    r = client.post("/api/v1/applications", headers=auth("acme"),
                    json={"process": "joint_review", "project": joint_project()})
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["due_at"] is None and app["time_limit"]  # not yet accepted: the clock has not started
    clock.freeze(at("2026-06-02 09:00"))
    decide(client, open_task(client, app["id"], "service-window"))
    started = application(client, app["id"])
    assert started["due_at"] is not None and started["sla_state"] == "on_time"
    assert started["working_days_used"] == 0


def test_warning_then_overdue_tells_the_lead_and_an_extension_moves_the_deadline(client, db):
    task = energy_review(client, "2026-06-01 09:00")  # Monday; 20 working days: due 2026-06-29
    due = datetime.fromisoformat(task["due_at"])
    assert task["sla_state"] == "on_time" and escalate(db) == 0
    clock.freeze(due - timedelta(hours=10))  # its last working day
    assert escalate(db) == 2 and escalate(db) == 0  # told once (the EIA review, 30 days, is past 80 % too)
    warned = client.get("/api/v1/tasks", params={"sla": "warning"}, headers=auth("devref")).json()["items"]
    assert [t["id"] for t in warned] == [task["id"]] and warned[0]["sla_state_name"] == "临期预警"
    assert warned[0]["working_days_left"] == 0
    notes = client.get("/api/v1/notifications", headers=auth("devref_lead")).json()
    assert notes["unread"] == 1 and notes["items"][0]["event"] == "task_warning"
    assert "临期预警" in notes["items"][0]["title"] and "节能审查" in notes["items"][0]["title"]
    assert client.get("/api/v1/notifications", headers=auth("devref")).json()["total"] == 0  # leads are told
    clock.freeze(due + timedelta(hours=1))
    assert escalate(db) == 1
    overdue = client.get("/api/v1/tasks", params={"sla": "overdue"}, headers=auth("devref")).json()["items"]
    assert [t["id"] for t in overdue] == [task["id"]] and overdue[0]["working_days_left"] < 0
    notes = client.get("/api/v1/notifications", headers=auth("devref_lead")).json()
    assert notes["unread"] == 2 and notes["items"][0]["event"] == "task_overdue"
    # the lead extends within the statutory ten working days; a reviewer may not
    body = {"working_days": 10, "reason": "节能报告需补充专家论证意见"}
    assert client.post(f"/api/v1/tasks/{task['id']}/extensions", headers=auth("devref"), json=body).status_code == 403
    r = client.post(f"/api/v1/tasks/{task['id']}/extensions", headers=auth("devref_lead"), json=body)
    assert r.status_code == 201, r.text
    assert r.json()["new_due_at"].startswith(add_working_days(due.date(), 10).isoformat())
    after = client.get(f"/api/v1/tasks/{task['id']}", headers=auth("devref")).json()
    assert after["sla_state"] == "on_time" and after["extended_working_days"] == 10
    more = client.post(f"/api/v1/tasks/{task['id']}/extensions", headers=auth("devref_lead"),
                       json={"working_days": 1, "reason": "再延一日"})
    assert more.status_code == 422 and more.json()["detail"][0]["loc"] == ["body", "working_days"]
    admin = client.post(f"/api/v1/tasks/{task['id']}/extensions", headers=auth("admin"),
                        json={"working_days": 2, "reason": "经批准超出法定延长期限"})
    assert admin.status_code == 201 and admin.json()["beyond_statutory"] is True
    # the enterprise sees the extensions and why, not who granted them
    mine = application(client, task["application_id"], "acme")
    assert [(e["working_days"], e["reason"], e["granted_by"]) for e in mine["deadline_extensions"]] == [
        (10, "节能报告需补充专家论证意见", None), (2, "经批准超出法定延长期限", None)]
    assert mine["deadline_extensions"][0]["department_name"] == "发展和改革委员会"
    events = [e["event_name"] for e in mine["timeline"]]
    assert "临期预警" in events and "办理超期" in events and events.count("延长办理期限") == 2
    read = client.post("/api/v1/notifications/read", headers=auth("devref_lead")).json()
    assert read["marked"] == 2
    assert client.get("/api/v1/notifications", params={"unread": True}, headers=auth("devref_lead")).json()["total"] == 0


def test_a_special_procedure_stops_the_clock_and_starts_it_again(client):
    task = energy_review(client, "2026-06-01 09:00")
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth("devref"))
    r = client.post(f"/api/v1/tasks/{task['id']}/special-procedures", headers=auth("devref"),
                    json={"kind": "expert_review", "reason": "组织节能评审专家论证"})
    assert r.status_code == 201, r.text
    procedure = r.json()
    assert procedure["kind_name"] == "专家评审" and procedure["cap_days"] is None
    clock.freeze(at("2026-06-08 11:00"))  # a week later: 5 working days stood still
    paused = client.get(f"/api/v1/tasks/{task['id']}", headers=auth("devref")).json()
    assert paused["paused"] and paused["paused_reason"].startswith("专家评审") and paused["working_days_used"] == 0
    again = client.post(f"/api/v1/tasks/{task['id']}/special-procedures", headers=auth("devref"),
                        json={"kind": "hearing", "reason": "听证"})
    assert again.status_code == 409
    r = client.post(f"/api/v1/tasks/{task['id']}/special-procedures/{procedure['id']}/end", headers=auth("devref"))
    assert r.status_code == 200, r.text
    assert r.json()["paused_working_days"] == 5
    resumed = client.get(f"/api/v1/tasks/{task['id']}", headers=auth("devref")).json()
    assert not resumed["paused"] and resumed["paused_working_days"] == 5
    assert resumed["due_at"][:10] == add_working_days(datetime.fromisoformat(task["due_at"]).date(), 5).isoformat()
    mine = application(client, task["application_id"], "acme")
    assert mine["special_procedures"][0]["paused_working_days"] == 5 and mine["special_procedures"][0]["started_by"] is None


BOUNDARY = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs_timed_review" targetNamespace="http://baton.example/test">
  <bpmn:process id="timed_review" name="限时审查" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane_e" name="ecology-environment">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>review</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>late</bpmn:flowNodeRef><bpmn:flowNodeRef>done</bpmn:flowNodeRef><bpmn:flowNodeRef>escalated</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="限时审查">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="time_limit" value="'20wd'" />
        <spiffworkflow:property name="stage" value="review" /><spiffworkflow:property name="stage_name" value="审查" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="late" name="期限届满" attachedToRef="review">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition id="late_timer"><bpmn:timeDate xsi:type="bpmn:tFormalExpression">deadline("20wd")</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="escalated"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="done"/>
    <bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="escalated"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_an_extension_moves_the_boundary_timer_of_its_task(client, db):
    from sqlalchemy import select

    from app.applications.models import Application

    r = client.post("/api/v1/processes", headers=auth("admin"),
                    files=[("files", ("timed_review.bpmn", BOUNDARY.encode(), "application/xml"))])
    assert r.status_code == 201, r.text
    clock.freeze(at("2026-06-01 09:00"))
    app = client.post("/api/v1/applications", headers=auth("acme"), json={"process": "timed_review", "project": project()})
    assert app.status_code == 201, app.text
    app_id = app.json()["id"]

    def next_timer():
        with db.transaction() as session:
            return session.scalar(select(Application.next_timer_at).where(Application.id == app_id))

    before = next_timer().astimezone(CHINA)
    [task] = app.json()["open_tasks"]
    assert task["due_at"][:10] == before.date().isoformat()  # the task's deadline and its timer agree
    r = client.post(f"/api/v1/tasks/{task['id']}/extensions", headers=auth("eco_lead"),
                    json={"working_days": 5, "reason": "补充现场踏勘"})
    assert r.status_code == 201, r.text
    after = next_timer().astimezone(CHINA)
    assert after.date() == add_working_days(before.date(), 5) and after.time() == before.time()
    assert r.json()["new_due_at"][:10] == after.date().isoformat()
