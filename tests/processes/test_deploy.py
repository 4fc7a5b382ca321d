"""Deployment over HTTP: versions, unchanged files, and refusals that name file and element."""
from __future__ import annotations

import time

import pytest
from xml.sax.saxutils import escape

from sqlalchemy import func, select

from app.processes.models import ProcessDefinition
from tests.helpers import application, auth, decide, open_task, project, submit
from tests.processes.bpmn_samples import mini, timed

CAMUNDA_NS = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'


def deploy(client, *files):
    return client.post("/api/v1/processes", headers=auth("admin"),
                       files=[("files", (name, content, "application/xml")) for name, content in files])


def versions(db, process_id):
    with db.transaction() as session:
        return session.scalar(select(func.count()).where(ProcessDefinition.process_id == process_id))


def test_processes_list_the_parallel_review_with_a_valid_start_form(client):
    processes = {p["id"]: p for p in client.get("/api/v1/processes", headers=auth("acme")).json()}
    pr = processes["parallel_review"]
    assert pr["name"] == "并联审批" and pr["version"] >= 1 and pr["description"]
    example = pr["start_form"]["examples"][0]
    r = client.post("/api/v1/applications", json={"process": "parallel_review", "project": example}, headers=auth("acme"))
    assert r.status_code == 201


def test_new_file_is_a_new_version_and_unchanged_makes_none(client, db):
    first = deploy(client, ("mini.bpmn", mini("mini_a")))
    assert first.status_code == 201 and first.json() == [{"id": "mini_a", "version": 1}]
    again = deploy(client, ("mini.bpmn", mini("mini_a")))
    assert again.json() == [{"id": "mini_a", "version": 1}] and versions(db, "mini_a") == 1
    changed = deploy(client, ("mini.bpmn", mini("mini_a", script="checked = 1")))
    assert changed.json() == [{"id": "mini_a", "version": 2}] and versions(db, "mini_a") == 2


def test_running_instances_finish_on_their_version(client):
    deploy(client, ("mini.bpmn", mini("mini_v")))
    old = submit(client, project(), process="mini_v")
    # version 2 approves nothing: its condition can never hold
    deploy(client, ("mini.bpmn", mini("mini_v", condition="False")))
    new = submit(client, project(), process="mini_v")
    assert (old["version"], new["version"]) == (1, 2)
    decide(client, open_task(client, old["id"], "ecology-environment"))
    decide(client, open_task(client, new["id"], "ecology-environment"))
    assert application(client, old["id"])["status"] == "approved"
    assert application(client, new["id"])["status"] == "rejected"


def test_camunda_candidate_groups_name_the_department(client):
    r = deploy(client, ("camunda.bpmn", mini("mini_c", lane="Clerks", extra_ns=CAMUNDA_NS,
                                             task_attrs='camunda:candidateGroups="water-affairs"')))
    assert r.status_code == 201, r.text
    app = submit(client, project(), process="mini_c")
    assert [t["department"] for t in app["open_tasks"]] == ["water-affairs"]


def test_department_property_names_the_department(client):
    r = deploy(client, ("prop.bpmn", mini("mini_p", lane="审查组", properties='<spiffworkflow:property name="department" value="natural-resources"/>')))
    assert r.status_code == 201, r.text


def problems(response):
    assert response.status_code == 422, response.text
    return response.json()["detail"]


def test_unknown_department_is_refused_naming_the_task(client, db):
    detail = problems(deploy(client, ("bad.bpmn", mini("mini_bad", lane="Clerks"))))
    assert detail[0]["file"] == "bad.bpmn" and detail[0]["element_id"] == "review"
    assert "Clerks" in detail[0]["message"] and "water-affairs" in detail[0]["message"]
    assert versions(db, "mini_bad") == 0


def test_script_and_condition_that_do_not_compile_are_refused(client):
    detail = problems(deploy(client, ("s.bpmn", mini("mini_s", script="import os", condition="${approved}"))))
    by_element = {p["element_id"]: p["message"] for p in detail}
    assert "prepare" in by_element and "import" in by_element["prepare"].lower()
    assert "f_ok" in by_element and "condition" in by_element["f_ok"]


def test_escape_attempt_is_refused_at_deploy_time(client):
    detail = problems(deploy(client, ("e.bpmn", mini("mini_e", script=escape("x = ().__class__.__base__.__subclasses__()")))))
    assert detail[0]["element_id"] == "prepare" and "__class__" in detail[0]["message"]


def test_malformed_xml_and_wrong_files_are_refused(client):
    detail = problems(deploy(client, ("broken.bpmn", b"<bpmn:definitions"), ("notes.txt", b"hello")))
    files = {p["file"]: p["message"] for p in detail}
    assert "line" in files["broken.bpmn"] and "notes.txt" in files


def test_xsd_violation_names_the_line(client):
    bad = mini("mini_x").replace(b"<bpmn:documentation>", b"<bpmn:bogus/><bpmn:documentation>")
    detail = problems(deploy(client, ("x.bpmn", bad)))
    assert "XSD" in detail[0]["message"]


def test_missing_decision_and_missing_called_process(client):
    brt = mini("mini_d").replace(
        b'<bpmn:scriptTask id="prepare" name="\xe5\x87\x86\xe5\xa4\x87">',
        b'<bpmn:businessRuleTask id="prepare"><bpmn:extensionElements><spiffworkflow:calledDecisionId>no_such_table</spiffworkflow:calledDecisionId></bpmn:extensionElements>',
    ).replace(b"<bpmn:script>checked = True</bpmn:script></bpmn:scriptTask>", b"</bpmn:businessRuleTask>")
    detail = problems(deploy(client, ("d.bpmn", brt)))
    assert any("no_such_table" in p["message"] for p in detail)
    call = mini("mini_call").replace(
        b'<bpmn:scriptTask id="prepare" name="\xe5\x87\x86\xe5\xa4\x87">',
        b'<bpmn:callActivity id="prepare" calledElement="nowhere">',
    ).replace(b"<bpmn:script>checked = True</bpmn:script></bpmn:scriptTask>", b"</bpmn:callActivity>")
    detail = problems(deploy(client, ("c.bpmn", call)))
    assert any("nowhere" in p["message"] for p in detail)


def test_one_bad_file_refuses_the_whole_upload(client, db):
    r = deploy(client, ("good.bpmn", mini("mini_good")), ("bad.bpmn", mini("mini_bad2", lane="nobody")))
    assert r.status_code == 422
    assert versions(db, "mini_good") == 0  # nothing half-deployed


def test_unknown_process_on_submit_names_the_field(client):
    r = client.post("/api/v1/applications", json={"process": "nope", "project": project()}, headers=auth("acme"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "process"]


def _form(**properties) -> bytes:
    import json

    return json.dumps({"type": "object", "properties": properties, "examples": [{}]}).encode()


def test_form_references_to_files_and_urls_are_refused_at_deploy(client, db, tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text('{"type": "string", "enum": ["top secret"]}')
    for ref in (secret.as_uri(), "http://127.0.0.1:9/schema.json"):
        r = deploy(client, ("refs.bpmn", mini("mini_refs", properties='<spiffworkflow:property name="form" value="refs.schema.json"/>')),
                   ("refs.schema.json", _form(name={"$ref": ref})))
        assert r.status_code == 422, r.text
        [problem] = r.json()["detail"]
        assert problem["file"] == "refs.schema.json" and ref in problem["message"]
        assert "outside the deployed bundle" in problem["message"] and "top secret" not in r.text
    assert versions(db, "mini_refs") == 0


def test_a_backtracking_pattern_costs_an_applicant_nothing(client):
    r = deploy(client, ("pat.bpmn", mini("mini_pat", properties='<spiffworkflow:property name="form" value="pat.schema.json"/>')),
               ("pat.schema.json", _form(conditions={"type": "string", "pattern": "^(a+)+$", "maxLength": 3000})))
    assert r.status_code == 201, r.text
    app = submit(client, project(), process="mini_pat")
    task = open_task(client, app["id"], "ecology-environment")
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth("eco"))
    started = time.perf_counter()
    r = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=auth("eco"),
                    json={"decision": "approve", "data": {"conditions": "a" * 2999 + "!"}})
    assert r.status_code == 422 and time.perf_counter() - started < 1.0
    assert r.json()["detail"][0]["loc"] == ["body", "data", "conditions"]


def test_a_pattern_with_look_ahead_is_refused_naming_the_form_and_field(client):
    r = deploy(client, ("la.bpmn", mini("mini_la", properties='<spiffworkflow:property name="form" value="la.schema.json"/>')),
               ("la.schema.json", _form(code={"type": "string", "pattern": "^(?=9)\\d+$"})))
    assert r.status_code == 422 and r.json()["detail"][0]["file"] == "la.schema.json"
    assert "code" in r.json()["detail"][0]["message"] and "RE2" in r.json()["detail"][0]["message"]


def test_uploaded_forms_are_stored_with_their_strings_bounded(client):
    r = deploy(client, ("bd.bpmn", mini("mini_bd", properties='<spiffworkflow:property name="form" value="bd.schema.json"/>')),
               ("bd.schema.json", _form(note={"type": "string"})))
    assert r.status_code == 201
    app = submit(client, project(), process="mini_bd")
    task = open_task(client, app["id"], "ecology-environment")
    assert task["form"]["properties"]["note"]["maxLength"] == 2000


@pytest.mark.parametrize("timer, says", [
    ('<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"R999999/PT0S"</bpmn:timeCycle>', "at most 1000 times"),
    ('<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"R/PT1H"</bpmn:timeCycle>', "without end"),
    ('<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"R3/PT1S"</bpmn:timeCycle>', "at least 60 s apart"),
    ('<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P5X"</bpmn:timeDuration>', "not valid ISO 8601"),
    ('<bpmn:timeDate xsi:type="bpmn:tFormalExpression">"2030-01-01T09:00:00"</bpmn:timeDate>', "no time zone offset"),
])
def test_timers_that_would_fail_or_never_end_are_refused_at_deploy(client, timer, says):
    r = deploy(client, ("t.bpmn", timed("mini_t", "x = 1", timer)))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["element_id"] == "wait" and says in r.json()["detail"][0]["message"]


@pytest.mark.parametrize("limit, says", [("'3000000d'", "longer than"), ("'5 工作日'", "not of the form")])
def test_literal_time_limits_that_cannot_be_counted_are_refused_at_deploy(client, limit, says):
    r = deploy(client, ("tl.bpmn", mini("mini_tl").replace(b"value=\"'3wd'\"", f'value="{limit}"'.encode())))
    assert r.status_code == 422 and r.json()["detail"][0]["element_id"] == "review" and says in r.text


def test_a_computed_time_limit_that_overflows_is_a_422_naming_the_task(client):
    r = deploy(client, ("tc.bpmn", mini("mini_tc").replace(b"value=\"'3wd'\"", b"value=\"str(3000000) + 'd'\"")))
    assert r.status_code == 201
    r = client.post("/api/v1/applications", json={"process": "mini_tc", "project": project()}, headers=auth("acme"))
    assert r.status_code == 422 and r.json()["detail"][0]["element_id"] == "review"


def test_a_cycle_from_a_date_without_offset_is_refused_naming_the_event(client):
    timer = '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"R3/2030-01-01T09:00:00/PT1H"</bpmn:timeCycle>'
    r = deploy(client, ("naive_cycle.bpmn", timed("mini_nc", "x = 1", timer)))
    assert r.status_code == 422 and r.json()["detail"][0]["element_id"] == "wait" and "offset" in r.text


def test_a_bare_iso_timer_as_camunda_modeler_writes_it_deploys_and_fires(client, db):
    from datetime import timedelta

    from app.platform.worker import run_due_timers
    from workflows import clock

    bare = '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT5M</bpmn:timeDuration>'
    assert deploy(client, ("bare.bpmn", timed("mini_bare", "x = 1", bare))).status_code == 201
    app = submit(client, project(), process="mini_bare")
    assert app["open_tasks"] == []
    clock.advance(timedelta(minutes=6))
    run_due_timers(db)
    assert [t["department"] for t in application(client, app["id"])["open_tasks"]] == ["water-affairs"]


def _dmn(hit_policy: str, aggregation: str = "") -> bytes:
    extra = f' aggregation="{aggregation}"' if aggregation else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d_sum" name="sum" namespace="http://x">
  <decision id="total_fee" name="费用合计">
    <decisionTable id="table_sum" hitPolicy="{hit_policy}"{extra}>
      <input id="in1" label="面积"><inputExpression id="ie1" typeRef="number"><text>area</text></inputExpression></input>
      <output id="out1" name="fee" typeRef="number"/>
      <rule id="r1"><inputEntry id="e1"><text>&gt; 0</text></inputEntry><outputEntry id="o1"><text>10</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="e2"><text>&gt; 1</text></inputEntry><outputEntry id="o2"><text>20</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>""".encode()


@pytest.mark.parametrize("policy, aggregation, says", [
    ("COLLECT", "SUM", "COLLECT with the SUM aggregation is not evaluated"),
    ("PRIORITY", "", "hit policy PRIORITY is not evaluated"),
    ("RULE ORDER", "", "hit policy RULE ORDER is not evaluated"),
])
def test_hit_policies_the_engine_cannot_evaluate_are_refused_naming_the_table(client, policy, aggregation, says):
    r = deploy(client, ("sum.dmn", _dmn(policy, aggregation)))
    assert r.status_code == 422 and r.json()["detail"][0]["element_id"] == "total_fee" and says in r.text


def test_a_first_table_deploys(client):
    assert deploy(client, ("first.dmn", _dmn("FIRST"))).status_code == 201


def test_a_groovy_script_and_a_juel_condition_are_refused_naming_the_language(client):
    groovy = mini("mini_groovy").replace(b'<bpmn:scriptTask id="prepare" name="',
                                          b'<bpmn:scriptTask id="prepare" scriptFormat="groovy" name="')
    r = deploy(client, ("g.bpmn", groovy))
    assert r.status_code == 422 and r.json()["detail"][0]["element_id"] == "prepare" and "groovy" in r.text
    r = deploy(client, ("j.bpmn", mini("mini_juel", condition="${amount > 1000}")))
    assert r.status_code == 422 and r.json()["detail"][0]["element_id"] == "f_ok"
    assert "JUEL" in r.text and "'amount > 1000'" in r.text
    r = deploy(client, ("f.bpmn", mini("mini_feel", condition='decision = "approve"')))
    assert r.status_code == 422 and "FEEL" in r.text
