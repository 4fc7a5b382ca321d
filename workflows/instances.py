"""Process instances: start, load, advance, complete user tasks, and read what the inbox needs.

Instances are stored without their spec (it is stored once per deployed version) and always run with the
restricted script engine, re-attached on every load.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from .definitions import (
    is_pass_through,
    is_applicant_task,
    is_user_task,
    task_actions,
    task_department,
    task_properties,
    task_title,
)
from . import timers
from .calendar import CHINA, add_working_days
from .scripting import SCRIPT_ENGINE, ScriptCompileError
from .timers import TIMER_KINDS, serializer_config
from .vocabulary import ApplicationStatus


class SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    """Writes instances without their spec; on load the caller hands in the (cached) spec objects."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        spec = dct.pop("spec")
        subprocess_specs = dct.pop("subprocess_specs")
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_CONFIG = serializer_config(dict(SPIFF_CONFIG))  # timers on the one clock
_CONFIG[BpmnWorkflow] = SpecFreeWorkflowConverter
REGISTRY = BpmnWorkflowSerializer.configure(_CONFIG)
SERIALIZER = BpmnWorkflowSerializer(REGISTRY)


MAX_PASS_THROUGH_ROUNDS = 1000


MAX_TREE_DEPTH = 900  # SpiffWorkflow stops looking for tasks below depth 1000: refuse well before it, by name
MAX_OPEN_TASKS = 200  # one instance's open user tasks (multi-instance fan-out included)


class EngineError(Exception):
    """A script, condition or decision table failed while the engine ran; names the BPMN element.

    `kind` is "process" for the process's own failure, "budget" when its code ran out of CPU time or memory."""

    def __init__(self, element_id: str | None, message: str, kind: str = "process"):
        super().__init__(f"{element_id or 'process'}: {message}")
        self.element_id = element_id
        self.message = message
        self.kind = kind


class TaskNotReady(LookupError):
    """The task to complete is not (or no longer) ready in its process."""


@dataclass(frozen=True)
class ProcessSpec:
    spec: Any
    subprocess_specs: dict[str, Any]


@lru_cache(maxsize=256)
def _restore_spec(key: str, spec_json: str) -> ProcessSpec:
    return restore_spec(spec_json)


def restore_spec(spec_json: str) -> ProcessSpec:
    data = json.loads(spec_json)
    return ProcessSpec(
        spec=REGISTRY.restore(data["spec"]),
        subprocess_specs={name: REGISTRY.restore(sub) for name, sub in data["subprocess_specs"].items()},
    )


def process_spec(key: str, spec_json: str) -> ProcessSpec:
    """The restored spec of a deployed version, cached per process (specs are read-only while instances run)."""
    return _restore_spec(key, spec_json)


@dataclass(frozen=True)
class UserTaskView:
    """What the inbox projection needs of one user task."""

    id: str
    bpmn_id: str
    title: str
    lane: str | None
    department: str | None
    applicant: bool
    form: str | None
    actions: tuple[str, ...]
    time_limit: str | None  # the limit ("20wd") its expression gives on the task's data, while the task is ready
    state: str  # ready, completed, cancelled
    stage: str | None
    meta: dict  # what views need besides: stage_name, handover leg, team
    item: str | None = None  # the approval item its `item` expression names (its statutory limit applies)


def _wrap(exc: Exception) -> EngineError:
    task = getattr(exc, "task", None)
    spec = getattr(task, "task_spec", None) or getattr(exc, "task_spec", None)
    element = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
    # SpiffWorkflow's own str() fails when a note is None (a NameError it has no suggestion for).
    notes = [str(n) for n in getattr(exc, "notes", []) if n]
    message = ". ".join([str(exc.args[0]) if exc.args else exc.__class__.__name__, *notes])
    cause = getattr(exc, "exception", None) or exc.__cause__
    if isinstance(cause, ScriptCompileError):
        message = f"does not compile: {exc}"
    elif cause is not None and str(cause) not in message:
        message = f"{message}: {cause.__class__.__name__}: {cause}"
    return EngineError(element, message[:4000])


def advance(wf: BpmnWorkflow) -> None:
    """Run everything automatic (scripts, gateways, decisions, due timers, plain and manual tasks) until people must act."""
    try:
        wf.refresh_timers()
        wf.do_engine_steps()
        for _ in range(MAX_PASS_THROUGH_ROUNDS):
            passing = [t for t in wf.get_tasks(state=TaskState.READY) if is_pass_through(t.task_spec)]
            if not passing:
                break
            for task in passing:
                task.run()
            wf.do_engine_steps()
        else:
            raise EngineError(passing[0].task_spec.bpmn_id, f"still looping after {MAX_PASS_THROUGH_ROUNDS} passes "
                              "through plain tasks: a loop without an end (set loopMaximum or a reachable condition)")
    except (SpiffWorkflowException, ScriptCompileError) as exc:
        raise _wrap(exc) from exc


def start(spec: ProcessSpec, data: dict) -> BpmnWorkflow:
    wf = BpmnWorkflow(spec.spec, spec.subprocess_specs, script_engine=SCRIPT_ENGINE)
    for task in wf.get_tasks(state=TaskState.READY):
        task.data.update(data)
    advance(wf)
    return wf


def dump(wf: BpmnWorkflow) -> str:
    """The instance as JSON without its spec; text no database can store (NUL, lone surrogates) is refused."""
    REGISTRY._encoder_mode = True
    try:
        dct = SERIALIZER.to_dict(wf)
        dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
        state = json.dumps(dct, cls=SERIALIZER._encoder_cls, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:  # non-JSON data would only fail here, after the engine moved
        raise EngineError(None, f"process data cannot be stored: {exc}") from exc
    finally:
        REGISTRY._encoder_mode = False
    if "\x00" in state:
        raise EngineError(None, "process data holds a NUL character, which cannot be stored")
    try:
        state.encode("utf-8")
    except UnicodeEncodeError:
        raise EngineError(None, "process data holds a lone surrogate (half of a UTF-16 pair), which cannot be stored") from None
    return state


def load(spec: ProcessSpec, state: str) -> BpmnWorkflow:
    dct = json.loads(state)
    SERIALIZER.migrate(dct)
    dct["spec"] = spec.spec
    dct["subprocess_specs"] = spec.subprocess_specs
    wf = SERIALIZER.from_dict(dct)
    wf.script_engine = SCRIPT_ENGINE  # the engine is not serialized: without this the instance runs unrestricted
    return wf


_STATES = {TaskState.READY: "ready", TaskState.COMPLETED: "completed", TaskState.CANCELLED: "cancelled"}


META_PROPERTIES = ("stage_name", "handover", "team", "waiting_status", "answer_event", "opens_leg")


def user_tasks(wf: BpmnWorkflow, departments: set[str] | None = None) -> list[UserTaskView]:
    """Every user task that has been reached (ready, completed or cancelled), across subprocesses."""
    views = []
    for task in wf.get_tasks(state=TaskState.READY | TaskState.COMPLETED | TaskState.CANCELLED):
        spec = task.task_spec
        if not is_user_task(spec) or isinstance(spec, MultiInstanceTask):
            continue  # a multi-instance task shows as its children, one per item
        props = task_properties(spec)
        department = None
        if not is_applicant_task(spec):
            department = (_evaluate(task, props["department_from"]) if props.get("department_from")
                          else task_department(spec, departments))
        state = _STATES[task.state]
        limit = _evaluate(task, props["time_limit"]) if state == "ready" and props.get("time_limit") else None
        item = _evaluate(task, props["item"]) if state == "ready" and props.get("item") else None
        views.append(UserTaskView(
            id=str(task.id),
            bpmn_id=result_key(task),
            title=task_title(spec),
            lane=spec.lane,
            department=department,
            applicant=is_applicant_task(spec),
            form=props.get("form"),
            actions=task_actions(spec),
            time_limit=str(limit) if limit else None,
            state=state,
            stage=props.get("stage"),
            meta={k: props[k] for k in META_PROPERTIES if props.get(k)},
            item=str(item)[:100] if item else None,
        ))
    return views


def result_key(task) -> str:
    """Where a user task's result lands in the data: its own id (a multi-instance child: its parent's id)."""
    spec = task.task_spec
    return spec.bpmn_id or spec.name


def _evaluate(task, expression: str):
    try:
        return SCRIPT_ENGINE.evaluate(task, expression)
    except (SpiffWorkflowException, ScriptCompileError) as exc:
        raise _wrap(exc) from exc


# Properties of completed tasks and events that the service acts on (milestones and effects).
MARKS = ("application_status", "issue_certificates", "commitment_status", "revoke_certificates", "bar_enterprise",
         "minor_items", "filings")
# Expression properties of marks, evaluated on the marked task's data for the service to use.
MARK_EXPRESSIONS = ("bar_enterprise", "minor_items", "filings")


@dataclass(frozen=True)
class Mark:
    """A completed task or event that carries properties the service acts on (milestones, effects)."""

    id: str
    bpmn_id: str
    properties: dict
    order: int  # 1, 2, 3 … in the order the marked tasks completed, kept in the instance
    values: dict = field(default_factory=dict)  # MARK_EXPRESSIONS evaluated: {"bar_enterprise": 6}


_ORDER = "baton_mark_order"


def marked(wf: BpmnWorkflow, names: tuple[str, ...]) -> list[Mark]:
    """Completed tasks whose spec carries any of `names`, in the order they completed.

    The order is a number each marked task gets when first seen completed (kept in its internal data), so it
    never depends on a clock; tasks completed by one command are numbered in the engine's own order."""
    every = [t for t in wf.get_tasks(state=TaskState.COMPLETED)
             if any(name in task_properties(t.task_spec) for name in MARKS)]  # numbered alike, whatever is asked
    numbered = [t._get_internal_data(_ORDER) for t in every if t._get_internal_data(_ORDER) is not None]
    last = max(numbered, default=0)
    for task in sorted((t for t in every if t._get_internal_data(_ORDER) is None), key=lambda t: t.last_state_change):
        last += 1
        task._set_internal_data(**{_ORDER: last})
    marks = []
    for task in every:
        if not any(name in task_properties(task.task_spec) for name in names):
            continue
        props = task_properties(task.task_spec)
        values = {name: _evaluate(task, props[name]) for name in MARK_EXPRESSIONS if props.get(name)}
        if props.get("issue_certificates"):
            values["issue_certificates"] = _certificates_as_entered(task, props["issue_certificates"])
        marks.append(Mark(str(task.id), result_key(task), props, task._get_internal_data(_ORDER), values))
    return sorted(marks, key=lambda m: m.order)


def start_properties(spec: ProcessSpec) -> dict:
    """Properties of the process's start event (start_form, time_limit, commitment)."""
    for task_spec in spec.spec.start.outputs:
        props = task_properties(task_spec)
        if props:
            return props
    return {}


def evaluate_on(data: dict, expression: str):
    """Evaluate a property expression on plain data (before an instance exists)."""
    try:
        return SCRIPT_ENGINE.environment.evaluate(expression, dict(data))
    except ScriptCompileError as exc:
        raise EngineError(None, f"expression {expression!r} does not compile: {exc}") from exc
    except Exception as exc:  # the expression's own error, reported to the modeller
        raise EngineError(None, f"expression {expression!r} failed: {exc.__class__.__name__}: {exc}") from exc


def ready_task(wf: BpmnWorkflow, task_id: str):
    try:
        task = wf.get_task_from_id(UUID(str(task_id)))
    except (ValueError, SpiffWorkflowException, KeyError):
        return None
    if task is None or task.state != TaskState.READY or not is_user_task(task.task_spec):
        return None
    return task


def complete(wf: BpmnWorkflow, task_id: str, result: dict, updates: dict | None = None) -> None:
    """Store the result under the task's own id (so parallel branches never overwrite each other), then run on.

    `updates` replace data keys from this task on (an applicant's corrections of the project)."""
    task = ready_task(wf, task_id)
    if task is None:
        raise TaskNotReady(f"task {task_id} is not ready")
    key = task.task_spec.bpmn_id or task.task_spec.name
    task.set_data(**(updates or {}), **{key: result})
    try:
        task.run()
    except (SpiffWorkflowException, ScriptCompileError) as exc:
        raise _wrap(exc) from exc
    advance(wf)


def evaluate(wf: BpmnWorkflow, task_id: str, expression: str) -> Any:
    return _evaluate(wf.get_task_from_id(UUID(str(task_id))), expression)


def _certificates_as_entered(task, declared: str) -> list[dict]:
    """`issue_certificates` = "code:issuing_task, …": each certificate with the number and conditions its issuing
    department entered on that task's form (a code without a task has neither)."""
    certificates = []
    for entry in (e.strip() for e in declared.split(",") if e.strip()):
        code, _, source = entry.partition(":")
        result = task.data.get(source.strip()) if source.strip() else None
        result = result if isinstance(result, dict) else {}
        number, conditions = result.get("certificate_number"), result.get("conditions")
        certificates.append({"code": code.strip(), "source": source.strip() or None,
                             "number": str(number)[:60] if number else None,
                             "conditions": str(conditions)[:5000] if conditions else None})
    return certificates


def milestone_status(wf: BpmnWorkflow) -> str | None:
    """The `application_status` of the latest completed milestone (task or event), None if none reached yet."""
    marks = marked(wf, ("application_status",))
    if marks:
        return marks[-1].properties["application_status"]
    return ApplicationStatus.APPROVED if wf.completed else None


def waiting_status(views: list[UserTaskView]) -> str | None:
    """While the applicant must act, the status that says so (awaiting_supplement unless the task names another)."""
    for view in views:
        if view.applicant and view.state == "ready":
            return view.meta.get("waiting_status", ApplicationStatus.AWAITING_SUPPLEMENT)
    return None


def move_boundary_timers(wf: BpmnWorkflow, task_id: str | None, working_days: int) -> int:
    """An extended deadline moves the timers waiting on its task's boundary by the same working days (the moment
    each computed when reached, kept in its internal data). Returns how many moved."""
    task = wf.get_task_from_id(UUID(task_id)) if task_id else None
    if task is None or task.parent is None or not working_days:
        return 0
    moved = 0
    for sibling in task.parent.children:
        definition = getattr(sibling.task_spec, "event_definition", None)
        value = sibling._get_internal_data("event_value")
        if sibling is task or value is None or sibling._get_internal_data("event_fired") or \
                not isinstance(definition, TimerEventDefinition):
            continue
        at = timers.moment(value).astimezone(CHINA)
        later = datetime.combine(add_working_days(at.date(), working_days), at.timetz())
        sibling._set_internal_data(event_value=later.isoformat())
        moved += 1
    return moved


def cancel(wf: BpmnWorkflow) -> None:
    wf.cancel()


def next_timer_at(wf: BpmnWorkflow) -> datetime | None:
    """The earliest time a waiting timer fires, so a worker knows when to wake this instance."""
    earliest = None
    for event in wf.waiting_events():
        if event.event_type not in TIMER_KINDS:
            continue
        value = event.value.get("next") if isinstance(event.value, dict) else event.value  # cycles keep the next firing
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        except ValueError:
            continue
        if isinstance(moment, datetime):
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=CHINA)  # as workflows.timers reads it, never the machine's zone
            earliest = moment if earliest is None or moment < earliest else earliest
    return earliest


def data(wf: BpmnWorkflow) -> dict:
    """The instance's data as seen at its newest completed task (what scripts and decisions produced)."""
    if wf.completed:
        return dict(wf.data)
    merged: dict = {}
    for task in wf.get_tasks(state=TaskState.COMPLETED):
        merged.update(task.data)
    return merged


# ---------------------------------------------------------------- snapshots: what the service reads of an instance



# What the service reads of an instance's data (the rest stays in the stored state): the items the routing tables
# chose, and the eligibility failures a submission is refused with.
SERVICE_DATA = ("required_items", "committed_items", "eligibility_failures")


@dataclass(frozen=True)
class Snapshot:
    """Everything the service needs of an instance after a command, as plain values (it never holds a workflow)."""

    state: str
    tasks: list[UserTaskView]
    marks: list[Mark]
    data: dict
    completed: bool
    milestone_status: str | None
    next_timer_at: datetime | None

    @property
    def waiting_status(self) -> str | None:
        return waiting_status(self.tasks)

    def to_dict(self) -> dict:
        dct = asdict(self)
        dct["next_timer_at"] = self.next_timer_at.isoformat() if self.next_timer_at else None
        return dct

    @classmethod
    def from_dict(cls, dct: dict) -> Snapshot:
        return cls(
            state=dct["state"],
            tasks=[UserTaskView(**{**t, "actions": tuple(t["actions"])}) for t in dct["tasks"]],
            marks=[Mark(**m) for m in dct["marks"]],
            data=dct["data"],
            completed=dct["completed"],
            milestone_status=dct["milestone_status"],
            next_timer_at=datetime.fromisoformat(dct["next_timer_at"]) if dct["next_timer_at"] else None,
        )


def _check_limits(wf: BpmnWorkflow) -> None:
    """Refuse, naming the element, what SpiffWorkflow would otherwise get silently wrong or what would flood the inbox."""
    for workflow in (wf, *wf.subprocesses.values()):
        depths: dict = {}
        deepest, deepest_depth = None, -1
        for task in workflow.tasks.values():
            if task.state & TaskState.FINISHED_MASK:
                continue
            chain, node = [], task
            while node is not None and node.id not in depths:
                chain.append(node)
                node = node.parent
            depth = depths[node.id] if node is not None else -1
            for link in reversed(chain):
                depth += 1
                depths[link.id] = depth
            if depths[task.id] > deepest_depth:
                deepest, deepest_depth = task, depths[task.id]
        if deepest_depth > MAX_TREE_DEPTH:
            seen: dict[str, int] = {}
            node = deepest
            while node is not None:
                seen[node.task_spec.bpmn_id] = seen.get(node.task_spec.bpmn_id, 0) + 1
                node = node.parent
            loop = max((k for k in seen if k), key=lambda k: seen[k], default=None)
            raise EngineError(loop, f"the process has gone round its loop through {loop!r} {seen.get(loop, 0)} times; "
                              f"an instance can hold at most {MAX_TREE_DEPTH} steps in a row, so it cannot go on: "
                              "end the loop (a round limit in its condition) or start a new application")
    ready = [t for t in wf.get_tasks(state=TaskState.READY) if is_user_task(t.task_spec)]
    if len(ready) > MAX_OPEN_TASKS:
        counts: dict[str, int] = {}
        for task in ready:
            counts[result_key(task)] = counts.get(result_key(task), 0) + 1
        element = max(counts, key=counts.get)
        raise EngineError(element, f"opens {counts[element]} user tasks at once; an application may have at most "
                          f"{MAX_OPEN_TASKS} open (bound the multi-instance cardinality or its input list)")


def snapshot(wf: BpmnWorkflow, departments: set[str] | None = None) -> Snapshot:
    _check_limits(wf)
    marks = marked(wf, MARKS)  # numbers newly completed marks, so before the state is written
    status = next((m.properties["application_status"] for m in reversed(marks) if "application_status" in m.properties),
                  ApplicationStatus.APPROVED if wf.completed else None)
    merged = data(wf)
    return Snapshot(state=dump(wf), tasks=user_tasks(wf, departments), marks=marks,
                    data={key: merged[key] for key in SERVICE_DATA if key in merged},
                    completed=wf.completed, milestone_status=status, next_timer_at=next_timer_at(wf))


def run_command(spec: ProcessSpec, command: str, *, state: str | None = None, departments: set[str] | None = None,
                task_id: str | None = None, payload: dict | None = None, updates: dict | None = None) -> Snapshot:
    """One command on an instance, from its stored state to the snapshot of its new state:
    start (payload = initial data), complete (task_id, payload = the result), advance (due timers), cancel."""
    if command == "start":
        wf = start(spec, payload or {})
    else:
        wf = load(spec, state or "{}")
        if command == "complete":
            complete(wf, task_id, payload or {}, updates)
        elif command == "advance":
            advance(wf)
        elif command == "cancel":
            cancel(wf)
        elif command == "move_timers":
            move_boundary_timers(wf, task_id, int((payload or {}).get("working_days", 0)))
        else:
            raise ValueError(f"unknown command {command!r}")
    return snapshot(wf, departments)
