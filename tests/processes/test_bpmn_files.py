"""Every file in bpmn/: deploys through the API, renders in a modeller (diagram for every element), speaks Chinese."""
from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator
from lxml import etree

from app.config import PROJECT_ROOT
from tests.helpers import auth

BPMN_DIR = PROJECT_ROOT / "bpmn"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DMNDI = "{https://www.omg.org/spec/DMN/20191111/DMNDI/}"
FLOW_NODES = ("startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent",
              "userTask", "scriptTask", "businessRuleTask", "task", "manualTask", "callActivity", "subProcess",
              "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
PROCESS_FILES = sorted(BPMN_DIR.glob("*.bpmn"))
DMN_FILES = sorted(BPMN_DIR.glob("*.dmn"))
FORMS = sorted((BPMN_DIR / "forms").glob("*.json"))


@pytest.mark.parametrize("path", PROCESS_FILES, ids=lambda p: p.name)
def test_every_element_has_diagram_information(path):
    root = etree.parse(str(path)).getroot()
    shapes = {s.get("bpmnElement") for s in root.iter(f"{BPMNDI}BPMNShape")}
    edges = {e.get("bpmnElement") for e in root.iter(f"{BPMNDI}BPMNEdge")}
    nodes = [n.get("id") for tag in (*FLOW_NODES, "lane", "participant") for n in root.iter(f"{BPMN}{tag}")]
    flows = [f.get("id") for f in root.iter(f"{BPMN}sequenceFlow")]
    assert nodes and flows
    assert sorted(set(nodes) - shapes) == []
    assert sorted(set(flows) - edges) == []
    for edge in root.iter(f"{BPMNDI}BPMNEdge"):
        assert len(edge.findall("{http://www.omg.org/spec/DD/20100524/DI}waypoint")) >= 2, edge.get("id")


@pytest.mark.parametrize("path", PROCESS_FILES, ids=lambda p: p.name)
def test_every_task_and_event_has_a_chinese_name(path):
    root = etree.parse(str(path)).getroot()
    nameless = [n.get("id") for tag in FLOW_NODES if "Gateway" not in tag for n in root.iter(f"{BPMN}{tag}")
                if not CHINESE.search(n.get("name") or "")]
    assert nameless == []


@pytest.mark.parametrize("path", DMN_FILES, ids=lambda p: p.name)
def test_every_decision_has_a_diagram_shape(path):
    root = etree.parse(str(path)).getroot()
    decisions = {d.get("id") for d in root if etree.QName(d).localname == "decision"}
    shapes = {s.get("dmnElementRef") for s in root.iter(f"{DMNDI}DMNShape")}
    assert decisions and decisions <= shapes


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_every_form_has_a_chinese_title_and_valid_examples(path):
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    assert CHINESE.search(schema.get("title", ""))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for example in schema["examples"]:
        assert list(validator.iter_errors(example)) == []


@pytest.mark.parametrize("path", sorted((BPMN_DIR / "forms").glob("*.start.schema.json")), ids=lambda p: p.name)
def test_start_forms_take_every_project_field_unchanged(path):
    project = json.loads((BPMN_DIR / "forms" / "project.schema.json").read_text())
    start = json.loads(path.read_text())
    for name, definition in project["properties"].items():
        assert start["properties"].get(name) == definition, name
    assert set(project["required"]) <= set(start["required"])


def test_every_file_deploys_through_the_api(client):
    files = [("files", (p.name, p.read_bytes(), "application/xml")) for p in [*PROCESS_FILES, *DMN_FILES]]
    files += [("files", (p.name, p.read_bytes(), "application/json")) for p in FORMS]
    r = client.post("/api/v1/processes", headers=auth("admin"), files=files)
    assert r.status_code == 201, r.text
    deployed = {d["id"] for d in r.json()}
    assert deployed == {"parallel_review", "industrial_fast_track", "housing_relay", "joint_review"}
    listed = {p["id"]: p for p in client.get("/api/v1/processes", headers=auth("acme")).json()}
    for process_id in deployed:
        start_form = listed[process_id]["start_form"]
        example = start_form["examples"][0]
        assert list(Draft202012Validator(start_form).iter_errors(example)) == []


@pytest.mark.parametrize("path", PROCESS_FILES, ids=lambda p: p.name)
def test_every_user_task_names_its_stage(path):
    root = etree.parse(str(path)).getroot()
    spiff = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
    missing = []
    for task in root.iter(f"{BPMN}userTask"):
        props = {p.get("name"): p.get("value") for p in task.iter(f"{spiff}property")}
        if not props.get("stage") or not CHINESE.search(props.get("stage_name", "")):
            missing.append(task.get("id"))
    assert missing == []


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_every_string_and_list_of_a_form_is_bounded(path):
    from workflows.forms import _walk

    unbounded = []
    for where, node in _walk(json.loads(path.read_text()), []):
        kinds = node.get("type")
        kinds = set(kinds) if isinstance(kinds, list) else {kinds}
        if "string" in kinds and not ({"maxLength", "enum", "const"} & set(node)):
            unbounded.append("/".join(map(str, where)))
        if "array" in kinds and "maxItems" not in node:
            unbounded.append("/".join(map(str, where)))
    assert unbounded == []
