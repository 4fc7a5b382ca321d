"""The process picture drawn on the server from BPMN DI: every shape of every model in bpmn/ drawn, an
application's marks (completed, active, overdue) on their elements with a legend, names escaped, and the real
models of other tools and teams (../shared/bpmn-corpus) drawn or passed over without an error."""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from app.config import PROJECT_ROOT
from app.processes import diagram

MODELS = sorted((PROJECT_ROOT / "bpmn").glob("*.bpmn"))


def flow_nodes_with_shapes(xml: bytes, process_id: str) -> set[str]:
    root = etree.fromstring(xml)
    shaped = {s.get("bpmnElement") for s in root.iter(f"{{{diagram.DI}}}BPMNShape")}
    kinds = ("Task", "Event", "Gateway")
    return {el.get("id") for p in root.iter(f"{{{diagram.BPMN}}}process") if p.get("id") == process_id for el in p.iter()
            if isinstance(el.tag, str) and etree.QName(el).localname.endswith(kinds) and el.get("id") in shaped}


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.name)
def test_every_flow_node_of_every_model_is_drawn_and_an_applications_marks_show(path: Path):
    xml, process_id = path.read_bytes(), path.stem
    nodes = flow_nodes_with_shapes(xml, process_id)
    some = sorted(nodes)[:3]
    svg = diagram.svg(xml, process_id, {some[0]: "completed", some[1]: "active", some[2]: "overdue"},
                      {"service-window": "政务服务中心综合窗口"})
    root = etree.fromstring(svg.encode())
    drawn = {g.get("data-element") for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("data-element")}
    assert nodes <= drawn, nodes - drawn
    marks = {g.get("data-element"): g.get("data-mark") for g in root.iter("{http://www.w3.org/2000/svg}g")
             if g.get("data-mark")}
    assert {marks[some[0]], marks[some[1]], marks[some[2]]} == {"completed", "active", "overdue"}
    assert "图例" in svg and "已超期" in svg and "办理中" in svg
    if b'name="service-window"' in xml:
        assert "政务服务中心综合窗口" in svg  # a lane named by its department's code reads as the department


def test_stages_come_in_the_models_order():
    xml = (PROJECT_ROOT / "bpmn" / "housing_relay.bpmn").read_bytes()
    assert [code for code, _ in diagram.stages(xml, "housing_relay")] == [
        "acceptance", "land", "planning", "construction", "completion"]


def test_names_and_ids_cannot_break_out_of_the_picture():
    xml = b'''<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC">
  <process id="p"><task id="t&quot; onload=&quot;alert(1)" name="&lt;script&gt;alert(1)&lt;/script&gt;"/></process>
  <bpmndi:BPMNDiagram><bpmndi:BPMNPlane bpmnElement="p">
    <bpmndi:BPMNShape bpmnElement="t&quot; onload=&quot;alert(1)"><dc:Bounds x="10" y="10" width="100" height="80"/></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</definitions>'''
    svg = diagram.svg(xml, "p", {'t" onload="alert(1)': "active"})
    root = etree.fromstring(svg.encode())  # still well-formed
    assert "<script>" not in svg and not any(a.startswith("on") for el in root.iter() for a in el.attrib)


def test_the_corpus_models_draw_or_have_no_diagram(shared_dir):
    drawn = 0
    for path in sorted((shared_dir / "bpmn-corpus").rglob("*.bpmn")):
        xml = path.read_bytes()
        try:
            root = etree.fromstring(xml)
        except etree.XMLSyntaxError:
            continue  # not XML at all: deployment refuses it (tests/workflows/test_corpus.py)
        for process in root.iter(f"{{{diagram.BPMN}}}process"):
            svg = diagram.svg(xml, process.get("id") or "")
            if svg is not None:
                etree.fromstring(svg.encode())
                drawn += 1
    assert drawn >= 20, drawn
