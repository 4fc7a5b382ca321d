"""What process code may not do: escape or shadow the sandbox, loop the task tree past its depth, flood the inbox."""
from __future__ import annotations

import json

import pytest

from tests.helpers import DEPARTMENT_CODES
from tests.processes.bpmn_samples import mini
from workflows import instances
from workflows.definitions import SourceFile, build_deployment
from workflows.scripting import SCRIPT_ENGINE, ScriptCompileError, compile_expression

env = SCRIPT_ENGINE.environment


def spec_of(name: str, content: bytes) -> instances.ProcessSpec:
    [bundle] = build_deployment([SourceFile(name, content)], departments=DEPARTMENT_CODES,
                                serializer_registry=instances.REGISTRY)
    return instances.restore_spec(json.dumps(bundle.spec))


@pytest.mark.parametrize("expression", ["Exception.mro()[1]", "ValueError.mro()", "KeyError.mro",
                                        "[c for c in StopIteration.mro()]"])
def test_base_exception_cannot_be_reached(expression):
    with pytest.raises(AttributeError, match="not available"):
        env.evaluate(expression, {})


def test_task_data_cannot_replace_the_guards():
    data = {"_getattr_": lambda obj, name, default=None: "replaced", "__builtins__": {"__import__": __import__},
            "_getitem_": lambda obj, key: "replaced"}
    assert env.evaluate("(3).real", data) == 3
    assert env.evaluate("[1, 2][0]", data) == 1
    with pytest.raises(Exception):
        env.evaluate("__import__('os')", data)
    env.execute("y = len([1])", data)
    assert data["y"] == 1 and data["_getattr_"](1, "x") == "replaced"  # the data itself is kept as it was


@pytest.mark.parametrize("expression", ["+".join(["1"] * 100_000), "(" * 3000 + "1" + ")" * 3000])
def test_huge_and_deep_expressions_are_refused_not_crashed(expression):
    with pytest.raises(ScriptCompileError):
        compile_expression(expression)


@pytest.mark.parametrize("script, says", [("raise ValueError(1)", "ValueError: 1"), ("raise KeyError(5)", "KeyError: 5"),
                                          ("class Thing:\n    pass", "prepare")])
def test_odd_exceptions_name_the_element(script, says):
    spec = spec_of("odd.bpmn", mini("mini_odd", script=script))
    with pytest.raises(instances.EngineError) as caught:
        instances.run_command(spec, "start", payload={"project": {}})
    assert caught.value.element_id == "prepare" and says in str(caught.value)


LOOP = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://x">
  <bpmn:process id="loop" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="water-affairs"><bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="again"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f_back</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:userTask id="review" name="review"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="gw" default="f_back"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f_end</bpmn:outgoing><bpmn:outgoing>f_back</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="end"><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="again"/>
    <bpmn:sequenceFlow id="f2" sourceRef="again" targetRef="review"/>
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="gw"/>
    <bpmn:sequenceFlow id="f_end" sourceRef="gw" targetRef="end"><bpmn:conditionExpression>review["decision"] == "approve"</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_back" sourceRef="gw" targetRef="again"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_loop_reaching_the_tree_depth_limit_is_refused_naming_it_never_silently_stopped():
    spec = spec_of("loop.bpmn", LOOP)
    snapshot = instances.run_command(spec, "start", payload={})
    rounds = 0
    with pytest.raises(instances.EngineError) as caught:
        while True:
            [ready] = [t for t in snapshot.tasks if t.state == "ready"]  # never zero: no silent stop
            snapshot = instances.run_command(spec, "complete", state=snapshot.state, task_id=ready.id,
                                             payload={"decision": "return"})
            rounds += 1
            assert rounds < 1000
    assert caught.value.element_id in ("review", "again", "gw") and "loop" in caught.value.message
    assert rounds > 200  # the limit is far beyond any real number of return rounds


MULTI = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://x">
  <bpmn:process id="fan" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="water-affairs"><bpmn:flowNodeRef>opinions</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="opinions" name="opinions"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3000</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="opinions"/>
    <bpmn:sequenceFlow id="f2" sourceRef="opinions" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_multi_instance_fan_out_beyond_the_inbox_limit_is_refused_naming_it():
    with pytest.raises(instances.EngineError) as caught:
        instances.run_command(spec_of("fan.bpmn", MULTI), "start", payload={})
    assert caught.value.element_id == "opinions" and "3000" in caught.value.message
