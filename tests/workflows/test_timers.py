"""Timers read the one clock (extended at SpiffWorkflow's seams, not patched into it), never the machine's zone."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from tests.helpers import DEPARTMENT_CODES
from tests.processes.bpmn_samples import timed
from workflows import clock, instances
from workflows.definitions import SourceFile, build_deployment
from workflows.timers import ClockCycle, ClockDuration, ClockTimeDate, moment


def spec_of(content: bytes) -> instances.ProcessSpec:
    [bundle] = build_deployment([SourceFile("t.bpmn", content)], departments=DEPARTMENT_CODES,
                                serializer_registry=instances.REGISTRY)
    return instances.restore_spec(json.dumps(bundle.spec))


def test_spiffworkflow_is_not_patched():
    assert spiff_timer.datetime is datetime


def test_a_duration_timer_fires_on_the_frozen_clock_not_the_wall_clock():
    clock.freeze(datetime(2030, 5, 6, 9, 0, tzinfo=timezone.utc))
    spec = spec_of(timed("t_dur", "x = 1"))
    started = instances.run_command(spec, "start", payload={"project": {}})
    assert started.next_timer_at == datetime(2030, 5, 6, 9, 1, tzinfo=timezone.utc)
    assert not [t for t in started.tasks if t.state == "ready"]
    clock.advance(timedelta(seconds=59))
    assert not [t for t in instances.run_command(spec, "advance", state=started.state).tasks if t.state == "ready"]
    clock.advance(timedelta(seconds=2))
    fired = instances.run_command(spec, "advance", state=started.state)
    assert [t.department for t in fired.tasks if t.state == "ready"] == ["water-affairs"]


def test_a_computed_date_without_offset_is_beijing_time():
    clock.freeze(datetime(2030, 5, 6, 0, 0, tzinfo=timezone.utc))
    naive = '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">"2030-05-06T09:00" + ""</bpmn:timeDate>'
    started = instances.run_command(spec_of(timed("t_date", "x = 1", naive)), "start", payload={"project": {}})
    assert started.next_timer_at == datetime(2030, 5, 6, 1, 0, tzinfo=timezone.utc)  # 09:00 in Beijing
    assert moment("2030-05-06T09:00") == moment("2030-05-06T09:00+08:00")


def test_a_cycle_runs_on_the_clock():
    clock.freeze(datetime(2030, 5, 6, 9, 0, tzinfo=timezone.utc))
    cycle = '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"R2/PT1H"</bpmn:timeCycle>'
    started = instances.run_command(spec_of(timed("t_cycle", "x = 1", cycle)), "start", payload={"project": {}})
    assert started.next_timer_at == datetime(2030, 5, 6, 10, 0, tzinfo=timezone.utc)


def test_stored_instances_and_specs_with_spiffworkflows_names_load_as_the_clocks_timers():
    for cls, typename in ((ClockTimeDate, "TimeDateEventDefinition"), (ClockDuration, "DurationTimerEventDefinition"),
                          (ClockCycle, "CycleTimerEventDefinition")):
        restored = instances.REGISTRY.restore({"typename": typename, "name": "t", "description": None,
                                               "expression": '"PT1M"'})
        assert type(restored) is cls
        assert instances.REGISTRY.convert(restored)["typename"] == typename


@pytest.fixture(autouse=True)
def _thaw():
    yield
    clock.reset()
