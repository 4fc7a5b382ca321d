"""Instances without their spec: stored small, restored with the restricted engine attached."""
from __future__ import annotations

from tests.helpers import deployed_spec, form_examples
from workflows import instances
from workflows.scripting import SCRIPT_ENGINE


def test_state_is_stored_without_the_spec_and_restores_with_the_restricted_engine():
    spec = deployed_spec("parallel_review")
    wf = instances.start(spec, {"project": form_examples("project.schema.json")[0]})
    state = instances.dump(wf)
    assert '"spec"' not in state[:200] and "task_specs" not in state
    restored = instances.load(spec, state)
    assert restored.script_engine is SCRIPT_ENGINE
    [accept] = [v for v in instances.user_tasks(restored) if v.state == "ready"]
    assert accept.department == "service-window" and accept.time_limit
    instances.complete(restored, accept.id, {"decision": "approve", "opinion": ""})
    ready = {v.department for v in instances.user_tasks(restored) if v.state == "ready"}
    assert len(ready) >= 2
    assert instances.dump(instances.load(spec, instances.dump(restored))) == instances.dump(restored)


def test_completing_a_task_that_is_not_ready_is_refused():
    spec = deployed_spec("parallel_review")
    wf = instances.start(spec, {"project": form_examples("project.schema.json")[0]})
    [accept] = [v for v in instances.user_tasks(wf) if v.state == "ready"]
    instances.complete(wf, accept.id, {"decision": "approve"})
    try:
        instances.complete(wf, accept.id, {"decision": "approve"})
    except LookupError:
        pass
    else:
        raise AssertionError("a completed task was completed twice")
