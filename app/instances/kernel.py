"""The instance kernel: the one unit of work every command on a process instance goes through.

lock the application row → hand the command its instance → the command asks the engine (in the sandbox) to act →
save the new state with its version bumped, apply the declared effects, set status, stage and next timer, rebuild the
inbox rows, append the audit events → commit. Any failure rolls all of it back; an engine failure is recorded as an
incident and answered as one 422 naming the element.
"""
from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace
from typing import Callable, Iterator, TypeVar

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from app.applications.models import Application, SupplementRequest
from app.audit.models import Incident
from app.audit.service import record
from app.calendar.limits import item_limits
from app.clock import now
from app.common import clocks
from app.common.metrics import COMMANDS
from app.db import Database
from app.departments import directory
from app.errors import Invalid, NotFound, ServiceUnavailable
from app.instances.effects import apply_effects, minor_items_pending
from app.notifications.outbox import emit, tell_enterprise
from app.processes.models import ProcessDefinition
from app.tasks.models import Task
from app.vocabulary import ACTIVE_STATUSES, DECIDED_STATUSES, OUTSTANDING, ApplicationStatus, TaskStatus
from workflows import sandbox
from workflows.calendar import Deadline, TimeLimitError, working_days_between
from workflows.instances import EngineError, Snapshot, UserTaskView

T = TypeVar("T")
_log = logging.getLogger(__name__)

EMPTY_FORM = {"type": "object", "title": "无需填写", "properties": {}, "additionalProperties": False, "examples": [{}]}


# ---------------------------------------------------------------- the engine, as the kernel calls it


def spec_key(definition: ProcessDefinition) -> str:
    return f"{definition.process_id}@{definition.version}#{definition.content_hash}"


@lru_cache(maxsize=256)
def _start_properties(key: str, spec_json: str) -> dict:
    spec = json.loads(spec_json)["spec"]
    specs = spec["task_specs"]
    for name in specs.get("Start", {}).get("outputs", []):
        props = (specs.get(name, {}).get("extensions") or {}).get("properties") or {}
        if props:
            return dict(props)
    return {}


def start_properties(definition: ProcessDefinition) -> dict:
    """Properties of the process's start event (start_form, time_limit, commitment), read from the stored spec."""
    return _start_properties(spec_key(definition), definition.spec_json)


def start(db: Database, definition: ProcessDefinition, data: dict, known_departments: set[str], *, actor: str,
          reveal: bool = False) -> Snapshot:
    """Run a new instance up to where people must act, before any row is written (nothing is locked meanwhile)."""
    with _translated(db, command="submit", actor=actor, reveal=reveal, definition=definition):
        return sandbox.default().run_command(spec_key(definition), definition.spec_json, "start", now=now(),
                                             departments=known_departments, payload=data)


def evaluate(db: Database, definition: ProcessDefinition, data: dict, expression: str, *, actor: str,
             reveal: bool = False):
    """A property expression of the process (e.g. the start event's time limit) on plain data."""
    with _translated(db, command="submit", actor=actor, reveal=reveal, definition=definition):
        return sandbox.default().evaluate(expression, data, now=now())


@contextmanager
def _translated(db: Database, *, command: str, actor: str, reveal: bool, application_id: int | None = None,
                definition: ProcessDefinition | None = None) -> Iterator[None]:
    """Engine failures become one incident and one 422 naming the element; a busy engine, a 503."""
    try:
        yield
    except EngineError as exc:
        raise failure(db, exc, application_id=application_id, command=command, actor=actor, reveal=reveal,
                      definition=definition) from exc
    except sandbox.EngineUnavailable as exc:
        raise ServiceUnavailable(f"the process engine is busy ({exc}); try again in a moment") from exc


def departments(session: Session) -> frozenset[str]:
    """The department codes, from their table (app.departments.directory)."""
    return directory.codes(session)


_definitions: dict[int, ProcessDefinition] = {}


def definition(session: Session, definition_id: int) -> ProcessDefinition:
    """A deployed version (immutable once stored: a change is a new version), read once per process."""
    cached = _definitions.get(definition_id)
    if cached is None:
        cached = session.get(ProcessDefinition, definition_id)
        if cached is None:
            raise NotFound(f"process version {definition_id} not found")
        session.expunge(cached)
        if len(_definitions) > 256:
            _definitions.clear()
        _definitions[definition_id] = cached
    return cached


# ---------------------------------------------------------------- the unit of work


APPLICATIONS = Application.__table__
TASKS = Task.__table__
_TASK_AS = [c.label(f"task__{c.name}") for c in TASKS.c]


class Row(SimpleNamespace):
    """A row as the kernel read it (under the lock): read its columns as attributes."""


def _row(mapping) -> Row:
    return Row(**dict(mapping))


@dataclass
class Instance:
    """One command's view of its locked instance. What it changes is written once, by the kernel, at the end."""

    session: Session
    application: Row
    actor: str
    task: Row | None = None  # the task the command was aimed at (ForTask), read with the lock
    snapshot: Snapshot | None = None
    status: str | None = None  # set by a command that decides the status itself (withdrawal)
    deployed: ProcessDefinition | None = None
    task_writes: dict[str, dict] = field(default_factory=dict)  # task id -> columns to write with the projection
    application_writes: dict = field(default_factory=dict)  # columns of the application to write with the save
    every_task_writes: dict = field(default_factory=dict)  # columns to write on all of its tasks
    on_opened: list[Callable[[list[dict]], None]] = field(default_factory=list)  # told the tasks a save opened

    @property
    def definition(self) -> ProcessDefinition:
        """The deployed version the instance runs on (read only by commands that need it: a claim does not)."""
        if self.deployed is None:
            self.deployed = definition(self.session, self.application.definition_id)
        return self.deployed

    def run(self, command: str, *, task_id: str | None = None, payload: dict | None = None,
            updates: dict | None = None) -> Snapshot:
        """The engine acts on this instance's state; the kernel saves what comes back."""
        self.snapshot = sandbox.default().run_command(
            spec_key(self.definition), self.definition.spec_json, command, now=now(), state=self.application.state,
            departments=departments(self.session), task_id=task_id, payload=payload, updates=updates)
        return self.snapshot

    def write_task(self, task_id: str, **columns) -> None:
        """Columns of one of this instance's tasks to write when the command is saved (with its projection)."""
        self.task_writes.setdefault(task_id, {}).update(columns)

    def write_every_task(self, **columns) -> None:
        """Columns to write on every task of this instance (the dossier they carry changed: a corrected name)."""
        self.every_task_writes.update(columns)

    def write_application(self, **columns) -> None:
        """Columns of the application to write when the command is saved (one update with the kernel's own)."""
        self.application_writes.update(columns)


@dataclass(frozen=True)
class ForTask:
    """Aim a command at a task: its application is locked and the task read in the same statement."""

    task_id: str


Target = int | ForTask | Callable[[Session], int | None]


def lock(session: Session, application_id: int) -> Row:
    """The application row, locked for this transaction (SQLite: the transaction already holds the write lock).

    FOR NO KEY UPDATE: it serialises commands on the instance, yet lets a concurrent claim insert rows that
    refer to the application (their foreign-key check takes KEY SHARE), so a claim racing a completion
    cannot deadlock."""
    row = session.execute(select(APPLICATIONS).where(APPLICATIONS.c.id == application_id)
                          .with_for_update(key_share=True)).mappings().first()
    if row is None:
        raise NotFound(f"application {application_id} not found")
    return _row(row)


def lock_for_task(session: Session, task_id: str) -> tuple[Row, Row]:
    """The task and its application, the application locked the same way `lock` locks it (one statement)."""
    row = session.execute(select(APPLICATIONS, *_TASK_AS).join(TASKS, TASKS.c.application_id == APPLICATIONS.c.id)
                          .where(TASKS.c.id == task_id)
                          .with_for_update(of=APPLICATIONS, key_share=True)).mappings().first()
    if row is None:
        raise NotFound(f"task {task_id} not found")
    application = Row(**{k: v for k, v in row.items() if not k.startswith("task__")})
    task = Row(**{k[6:]: v for k, v in row.items() if k.startswith("task__")})
    return application, task


def run(db: Database, target: Target, actor: str, command: Callable[[Instance], T], *,
        reveal_errors: bool = False) -> T | None:
    """Run `command` on the locked instance in one transaction and save what it and the engine did.

    `target` is the instance's id, a task of it (ForTask), or a picker that chooses an id inside the transaction
    (the timer worker: SKIP LOCKED); either way the row is then locked the one way every command locks it.
    None when the picker found nothing."""
    application_id = target if isinstance(target, int) else None
    kind, outcome = getattr(command, "__name__", "command"), "error"
    try:
        with db.transaction() as session:
            task = None
            if isinstance(target, ForTask):
                row, task = lock_for_task(session, target.task_id)
            else:
                if application_id is None:
                    application_id = target(session)
                    if application_id is None:
                        return None
                row = lock(session, application_id)
            application_id = row.id
            instance = Instance(session, row, actor, task)
            result = command(instance)
            save(instance)
            outcome = "ok"
            return result
    except EngineError as exc:
        outcome = "engine_error"
        raise failure(db, exc, application_id=application_id, command=getattr(command, "__name__", "command"),
                      actor=actor, reveal=reveal_errors) from exc
    except sandbox.EngineUnavailable as exc:
        outcome = "engine_busy"
        raise ServiceUnavailable(f"the process engine is busy ({exc}); try again in a moment") from exc
    finally:
        COMMANDS.labels(kind, outcome).inc()


def create(db: Database, actor: str, definition: ProcessDefinition, snapshot: Snapshot,
           build: Callable[[Session], Application], *, reveal_errors: bool = False) -> int:
    """A new instance: `build` adds its application row (and what belongs to it) in the same transaction."""
    with _translated(db, command="submit", actor=actor, reveal=reveal_errors, definition=definition):
        with db.transaction() as session:
            application = build(session)
            save(Instance(session, Row(**{c.name: getattr(application, c.name) for c in APPLICATIONS.c}),
                          actor, snapshot=snapshot, deployed=definition))
            return application.id


def request_supplement(instance: Instance, task, items: list[dict], opinion: str, actor_id: int, actor: str) -> None:
    """A return for supplement (补正): its one complete notice is kept with the applicant task the save opens for
    it, where the answer goes, so only the department that returned resumes."""

    def keep(opened: list[dict]) -> None:
        for answer in (row for row in opened if row["for_applicant"]):
            instance.session.add(SupplementRequest(
                application_id=instance.application.id, department=task.department, returned_task_id=task.id,
                answer_task_id=answer["id"], items=items, opinion=opinion, requested_at=now(),
                requested_by_id=actor_id, status="open"))
            detail = {"task_id": task.id, "department": task.department, "items": items, "opinion": opinion,
                      "answer_task_id": answer["id"]}
            record(instance.session, instance.application.id, actor, "supplement_requested", detail)
            emit(instance.session, "supplement_requested", instance.application.id, detail)
            department = directory.name_of(instance.session, task.department) or "审批部门"
            tell_enterprise(instance.session, instance.application, "supplement_requested",
                            f"【补正通知】{instance.application.project_name or ''}：{department}要求补正 {len(items)} 项材料",
                            answer["id"])

    instance.on_opened.append(keep)


# ---------------------------------------------------------------- failures: one incident, one answer


def failure(db: Database, exc: EngineError, *, application_id: int | None, command: str, actor: str, reveal: bool,
            definition: ProcessDefinition | None = None) -> Invalid:
    """Record the incident (the command itself was rolled back) and answer 422 naming the element.

    The engine's own message goes to the log and the incident; an applicant sees which step failed, and that
    the administrators can read why."""
    incident_id = record_incident(db, exc, application_id=application_id, command=command, actor=actor,
                                  definition=definition)
    element = exc.element_id or "process"
    if exc.kind == "budget":
        message = f"the process code at {element} {exc.message} (incident {incident_id})"
    else:
        message = (f"the process failed at {element}; the administrators can read why in incident {incident_id}"
                   + (f": {exc.message}" if reveal else ""))
    error = Invalid([{"element_id": exc.element_id, "message": message}])
    error.incident_id = incident_id
    return error


def record_incident(db: Database, exc: EngineError, *, application_id: int | None, command: str, actor: str,
                    definition: ProcessDefinition | None = None) -> int | None:
    _log.error("process failure (%s) in %s at %s of application %s: %s", exc.kind, command, exc.element_id,
               application_id, exc.message)
    try:
        with db.transaction() as session:
            application = session.get(Application, application_id) if application_id else None
            if definition is None and application is not None:
                definition = session.get(ProcessDefinition, application.definition_id)
            incident = Incident(application_id=application.id if application else None,
                                process_id=definition.process_id if definition else None,
                                version=definition.version if definition else None,
                                element_id=(exc.element_id or "")[:200] or None, kind=exc.kind, command=command[:40],
                                actor=actor[:64], message=_storable(exc.message)[:4000], at=now())
            session.add(incident)
            session.flush()
            return incident.id
    except Exception:  # noqa: BLE001 - the answer to the caller matters more than the record
        _log.exception("could not record the incident")
        return None


def _storable(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\\0")


# ---------------------------------------------------------------- saving what the engine did


@dataclass
class Saved:
    opened: list[dict] = field(default_factory=list)
    closed: list[dict] = field(default_factory=list)


def status_of(snapshot: Snapshot) -> str:
    return snapshot.waiting_status or snapshot.milestone_status or ApplicationStatus.IN_REVIEW


def due_by(moment, limit: str, element_id: str | None, shift_working_days: int = 0) -> Deadline:
    """The deadline a time limit ("20wd", "7d") sets from `moment`; a malformed limit is the process's fault."""
    try:
        return clocks.due(limit, moment, shift_working_days)
    except TimeLimitError as exc:
        raise EngineError(element_id, f"time_limit: {exc}") from exc


def handling_days(row: dict, moment) -> dict:
    """How long a completed task waited to be claimed, was worked on, and took, in working days (pauses excluded)."""
    claimed = row.get("claimed_at")
    paused = row.get("paused_days") or 0
    return {"days_to_claim": working_days_between(row["created_at"], claimed or moment),
            "days_claimed": working_days_between(claimed, moment) if claimed else 0,
            "days_total": max(working_days_between(row["created_at"], moment) - paused, 0)}


def decided(session: Session, application, moment) -> dict:
    """Kept with the decision for the ledger: lead time from acceptance in working days (paused time excluded), and
    whether the process's own limit and every task's were kept."""
    started = application.clock_started_at or application.created_at
    late = session.scalar(select(TASKS.c.id).where(TASKS.c.application_id == application.id,
                                                   TASKS.c.status == TaskStatus.COMPLETED,
                                                   TASKS.c.completed_at > TASKS.c.due_at).limit(1))
    return {"lead_time_days": max(working_days_between(started, moment) - (application.paused_days or 0), 0),
            "on_time": late is None and (application.due_at is None or moment <= application.due_at)}


def task_clock(view, limits: dict, returned: dict | None, moment) -> dict:
    """A new task's clock: its item's statutory limit (else the process's `time_limit`), started now — or, reopened
    after a return, started when it first opened, the working days the applicant took paused."""
    limit = limits[view.item].time_limit if view.item in limits else view.time_limit
    started, paused, extended = moment, 0, 0
    if returned is not None and returned.get("clock_started_at"):
        started, extended = returned["clock_started_at"], returned["extended_days"] or 0
        paused = (returned["paused_days"] or 0) + working_days_between(returned["completed_at"], moment)
    columns = {"item": view.item, "time_limit": limit, "clock_started_at": started if limit else None,
               "paused_days": paused, "extended_days": extended, "due_at": None, "due_provisional": False,
               "warn_at": None}
    if limit:
        due = due_by(started, limit, view.bpmn_id, paused + extended)
        columns.update(clocks.deadline_columns(started, due))
    return columns


def application_clock(application, new_status: str, stage: str | None, moment) -> dict:
    """The process-level limit: it starts when acceptance is passed (at once where there is no acceptance step),
    stops while the applicant supplements and resumes, moved by the working days paused."""
    if not application.time_limit or new_status not in ACTIVE_STATUSES and application.clock_started_at is None:
        return {}
    changes: dict = {}
    started, paused = application.clock_started_at, application.paused_days or 0
    if started is None:
        if stage == "acceptance":
            return {}
        started = changes["clock_started_at"] = moment
    waiting = new_status == ApplicationStatus.AWAITING_SUPPLEMENT
    if waiting and application.paused_since is None:
        changes["paused_since"] = moment
    elif not waiting and application.paused_since is not None:
        paused += working_days_between(application.paused_since, moment)
        changes.update(paused_since=None, paused_days=paused)
    if "clock_started_at" in changes or "paused_days" in changes:
        due = due_by(started, application.time_limit, "start event", paused)
        changes.update(due_at=due.at, due_provisional=due.provisional)
    return changes


def save(instance: Instance) -> Saved:
    """Write what the command did: with the engine's snapshot, the new state (version bumped), milestone effects,
    status, next timer and stage in one update of the application, the inbox rows rebuilt, the audit events."""
    session, application, snapshot = instance.session, instance.application, instance.snapshot
    if instance.every_task_writes:
        session.execute(update(TASKS).where(TASKS.c.application_id == application.id)
                        .values(**instance.every_task_writes))
    if snapshot is None:
        _write_tasks(session, {}, instance.task_writes)
        if instance.application_writes:
            session.execute(update(APPLICATIONS).where(APPLICATIONS.c.id == application.id)
                            .values(**instance.application_writes))
        return Saved()
    changes: dict = {**instance.application_writes, "state": snapshot.state,
                     "state_version": application.state_version + 1}
    for key in ("required_items", "committed_items"):
        items = snapshot.data.get(key)
        if isinstance(items, list):
            changes[key] = [str(item)[:100] for item in items][:100]
    # New inbox rows carry the application as this command leaves it (a corrected project name, say).
    current = Row(**{**vars(application), **instance.application_writes})
    saved, outstanding = project_tasks(session, current, instance.definition, snapshot.tasks,
                                       departments(session), instance.task_writes)
    apply_effects(session, application, snapshot.marks, saved.opened)
    new_status = instance.status or status_of(snapshot)
    if new_status == ApplicationStatus.APPROVED and minor_items_pending(session, application.id):
        new_status = ApplicationStatus.APPROVED_PENDING_ITEMS
    moment = now()
    if new_status != application.status:
        record(session, application.id, instance.actor, "status_changed", {"from": application.status, "to": new_status})
        if new_status in DECIDED_STATUSES or new_status == ApplicationStatus.REVOKED:
            tell_enterprise(session, application, "decision",
                            f"【审批结果】{application.project_name or ''}：{ApplicationStatus(new_status).label}")
        changes["status"] = new_status
        if new_status in DECIDED_STATUSES and application.decided_at is None:
            changes["decided_at"] = moment
            changes.update(decided(session, current, moment))
    changes["next_timer_at"] = snapshot.next_timer_at
    changes["updated_at"] = moment
    for tell in instance.on_opened:
        tell(saved.opened)
    first = min(outstanding, key=lambda t: (t["for_applicant"], t["created_at"]), default=None)
    changes["stage"] = first["stage"] if first is not None else None
    changes.update(application_clock(current, new_status, changes["stage"], moment))
    session.execute(update(APPLICATIONS).where(APPLICATIONS.c.id == application.id).values(**changes))
    for task in saved.opened:
        detail = {"task_id": task["id"], "name": task["name"], "department": task["department"],
                  "due_at": task["due_at"]}
        record(session, application.id, "system", "task_opened", detail)
        emit(session, "task_opened", application.id, {**detail, "for_applicant": task["for_applicant"]})
    for task in saved.closed:
        if task["status"] == TaskStatus.CANCELLED:
            record(session, application.id, "system", "task_cancelled", {"task_id": task["id"], "name": task["name"]})
    return saved


def project_tasks(session: Session, application: Row, definition: ProcessDefinition, views: list[UserTaskView],
                  known: frozenset[str], writes: dict[str, dict]) -> tuple[Saved, list[dict]]:
    """Rebuild this instance's inbox rows from the workflow (tasks on discarded branches vanish from the tree),
    writing each changed row once, together with what the command wrote on its tasks (`writes`).

    Returns what opened and closed, and the rows outstanding afterwards."""
    saved = Saved()
    rows = {r["id"]: dict(r) for r in session.execute(
        select(TASKS).where(TASKS.c.application_id == application.id)).mappings()}
    # a department's task reopened after a return (补正) resumes its clock: the time the applicant took is paused
    returned: dict[str, dict] = {}
    for r in sorted((r for r in rows.values() if r["decision"] == "return"), key=lambda r: r["completed_at"]):
        returned[r["bpmn_id"]] = r
    limits = item_limits(session)
    changed: dict[str, dict] = {task_id: dict(columns) for task_id, columns in writes.items()}
    seen, moment = set(), now()
    for view in views:
        seen.add(view.id)
        row = rows.get(view.id)
        if view.state == "ready" and row is None:
            if not view.applicant and view.department not in known:
                raise EngineError(view.bpmn_id, f"names department {str(view.department)[:100]!r}, which is not one "
                                  f"of {', '.join(sorted(known))}")
            row = {"id": view.id, "application_id": application.id, "process_id": application.process_id,
                   "bpmn_id": view.bpmn_id, "name": view.title, "department": view.department,
                   "for_applicant": view.applicant, "status": TaskStatus.OPEN, "assignee_id": None,
                   "assignee_name": None, "created_at": moment,
                   **task_clock(view, limits, returned.get(view.bpmn_id), moment),
                   "claimed_at": None, "completed_at": None, "completed_by_id": None, "completed_by_name": None,
                   "decision": None, "opinion": None, "data": None, "stage": view.stage, "meta": view.meta,
                   "project_name": application.project_name, "enterprise_name": application.enterprise_name,
                   "enterprise_credit_code": application.enterprise_credit_code,
                   "received_at": application.created_at, "resubmitted": view.bpmn_id in returned,
                   "paused_since": None, "paused_reason": None, "warned_at": None, "overdue_notified_at": None,
                   "form": definition.forms.get(view.form) if view.form else EMPTY_FORM,
                   "actions": [] if view.applicant else list(view.actions)}
            rows[row["id"]] = row
            saved.opened.append(row)
        elif row is not None and row["status"] in OUTSTANDING and view.state != "ready":
            closed = {"status": TaskStatus.COMPLETED if view.state == "completed" else TaskStatus.CANCELLED,
                      "completed_at": moment}
            if view.state == "completed":
                closed.update(handling_days(row, moment))
            row.update(closed)
            changed.setdefault(row["id"], {}).update(closed)
            saved.closed.append(row)
    for task_id, row in rows.items():
        if task_id not in seen and row["status"] in OUTSTANDING:
            closed = {"status": TaskStatus.CANCELLED, "completed_at": moment}
            row.update(closed)
            changed.setdefault(task_id, {}).update(closed)
            saved.closed.append(row)
    if saved.opened:
        session.execute(insert(TASKS), saved.opened)
    _write_tasks(session, rows, changed)
    return saved, [row for row in rows.values() if row["status"] in OUTSTANDING]


def _write_tasks(session: Session, rows: dict, changed: dict[str, dict]) -> None:
    """One UPDATE per changed task (rows changing the same columns go in one executemany)."""
    by_columns: dict[tuple, list[dict]] = {}
    for task_id, columns in changed.items():
        if columns:
            by_columns.setdefault(tuple(sorted(columns)), []).append(
                {"b_id": task_id, **{f"v_{name}": value for name, value in columns.items()}})
    for names, params in by_columns.items():
        session.execute(update(TASKS).where(TASKS.c.id == bindparam("b_id"))
                        .values({name: bindparam(f"v_{name}") for name in names}), params)
