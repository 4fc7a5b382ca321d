"""The instance store: lock, load, save an application's workflow, and keep its inbox rows and status in step.

Every command that changes an instance goes through `locked` and `save`, inside one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.applications.models import Application
from app.audit.service import record
from app.clock import now
from app.departments.models import Department
from app.errors import Invalid, NotFound
from app.processes.models import ProcessDefinition
from app.processes.service import spec_of
from app.tasks.models import Task
from workflows import instances
from workflows.calendar import TimeLimitError, due_at

EMPTY_FORM = {"type": "object", "title": "无需填写", "properties": {}, "additionalProperties": False, "examples": [{}]}


def engine_error(exc: instances.EngineError) -> Invalid:
    """A script/condition/decision failure: the command is rolled back and the element is named."""
    return Invalid([{"element_id": exc.element_id, "message": f"the process failed at {exc.element_id}: {exc.message}"}])


def locked(session: Session, application_id: int) -> Application:
    """The application row, locked for this transaction (SQLite: the transaction already holds the write lock).

    FOR NO KEY UPDATE: it serialises commands on the instance, yet lets a concurrent claim insert rows that
    refer to the application (their foreign-key check takes KEY SHARE), so a claim racing a completion
    cannot deadlock."""
    application = session.scalar(select(Application).where(Application.id == application_id)
                              .with_for_update(key_share=True))
    if application is None:
        raise NotFound(f"application {application_id} not found")
    return application


def definition_of(session: Session, application: Application) -> ProcessDefinition:
    return session.get(ProcessDefinition, application.definition_id)


def load(session: Session, application: Application):
    return instances.load(spec_of(definition_of(session, application)), application.state)


@dataclass
class Saved:
    opened: list[Task] = field(default_factory=list)
    closed: list[Task] = field(default_factory=list)


def status_of(wf, views: list[instances.UserTaskView]) -> str:
    return instances.waiting_status(views) or instances.milestone_status(wf) or "in_review"


def due_by(moment, limit: str, element_id: str | None):
    """The deadline a time limit ("20wd", "7d") sets from `moment`; a malformed limit is the process's fault."""
    try:
        return due_at(moment, limit)
    except TimeLimitError as exc:
        raise instances.EngineError(element_id, f"time_limit: {exc}") from exc


DECIDED = ("approved", "rejected")


def save(session: Session, application: Application, wf, actor: str, *, status: str | None = None) -> Saved:
    """Write the new state (version bumped), apply milestone effects, project the inbox, record what changed.

    A failure of the process (an unknown department, a bad time limit, a failing effect) raises Invalid naming the
    element; the caller's transaction then rolls everything back."""
    try:
        return _save(session, application, wf, actor, status)
    except instances.EngineError as exc:
        raise engine_error(exc) from exc


def _save(session: Session, application: Application, wf, actor: str, status: str | None) -> Saved:
    from app.applications.effects import apply_effects

    definition = definition_of(session, application)
    try:
        application.state = instances.dump(wf)
    except (TypeError, ValueError) as exc:  # non-JSON data would only fail here, after the engine moved
        raise Invalid([{"element_id": None, "message": f"process data cannot be stored: {exc}"}])
    application.state_version += 1
    data = instances.data(wf)
    if isinstance(data.get("required_items"), list):
        application.required_items = list(data["required_items"])
    apply_effects(session, application, wf)
    known = set(session.scalars(select(Department.code)))
    views = instances.user_tasks(wf, known)  # read once: status and inbox both come from it
    new_status = status or status_of(wf, views)
    moment = now()
    if new_status != application.status:
        record(session, application.id, actor, "status_changed", {"from": application.status, "to": new_status})
        application.status = new_status
        if new_status in DECIDED and application.decided_at is None:
            application.decided_at = moment
    application.next_timer_at = instances.next_timer_at(wf)
    application.updated_at = moment
    saved = project_tasks(session, application, definition, wf, views, known)
    open_rows = session.scalars(select(Task).where(Task.application_id == application.id,
                                                   Task.status.in_(("open", "claimed")))
                                .order_by(Task.for_applicant, Task.created_at)).first()
    application.stage = open_rows.stage if open_rows is not None else None
    for task in saved.opened:
        record(session, application.id, "system", "task_opened",
               {"task_id": task.id, "name": task.name, "department": task.department,
                "due_at": task.due_at.isoformat() if task.due_at else None})
    for task in saved.closed:
        if task.status == "cancelled":
            record(session, application.id, "system", "task_cancelled", {"task_id": task.id, "name": task.name})
    return saved


def project_tasks(session: Session, application: Application, definition: ProcessDefinition, wf,
                  views: list[instances.UserTaskView], known: set[str]) -> Saved:
    """Rebuild this instance's inbox rows from the workflow (tasks on discarded branches vanish from the tree)."""
    saved = Saved()
    rows = {t.id: t for t in session.scalars(select(Task).where(Task.application_id == application.id))}
    seen = set()
    moment = now()
    for view in views:
        seen.add(view.id)
        row = rows.get(view.id)
        if view.state == "ready" and row is None:
            if not view.applicant and view.department not in known:
                raise instances.EngineError(view.bpmn_id, f"names department {view.department!r}, which is not one of {', '.join(sorted(known))}")
            row = Task(
                id=view.id, application_id=application.id, bpmn_id=view.bpmn_id, name=view.title,
                department=view.department, for_applicant=view.applicant, status="open", created_at=moment,
                due_at=_due(wf, view, moment), form=definition.forms.get(view.form) if view.form else EMPTY_FORM,
                actions=[] if view.applicant else list(view.actions), stage=view.stage, meta=view.meta,
            )
            session.add(row)
            saved.opened.append(row)
        elif row is not None and row.status in ("open", "claimed") and view.state != "ready":
            row.status = "completed" if view.state == "completed" else "cancelled"
            row.completed_at = moment
            saved.closed.append(row)
    for task_id, row in rows.items():
        if task_id not in seen and row.status in ("open", "claimed"):
            row.status, row.completed_at = "cancelled", moment
            saved.closed.append(row)
    session.flush()
    return saved


def _due(wf, view: instances.UserTaskView, moment):
    if not view.time_limit:
        return None
    limit = instances.evaluate(wf, view.id, view.time_limit)
    return due_by(moment, str(limit), view.bpmn_id) if limit else None

