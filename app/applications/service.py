"""Applications: submit, read, track, supplement, withdraw. Each command is one transaction."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.applications.models import Application, Certificate, Commitment, MinorItems, Supplement
from app.audit.service import record, timeline
from app.auth.service import commitment_bar
from app.auth.policy import (
    Actor,
    may_read_engine_messages,
    require_applicant,
    require_role,
    require_see_application,
    visible_applications,
)
from app.clock import now
from app.common.forms import schema_errors
from app.common.pagination import PageParams, paginate
from app.db import Database
from app.documents import service as documents
from app.errors import Conflict, Invalid, NotFound
from app.instances import kernel
from app.processes.service import latest_definition, start_form_of
from app.applications.schemas import ApplicationOut, ApplicationPage, ApplicationSummary
from app.tasks.service import describe_task, tasks_of
from app.vocabulary import ACTIVE_STATUSES, ENDED_STATUSES, OUTSTANDING, ApplicationStatus, Role, TaskStatus
from workflows.calendar import CHINA
from workflows.instances import TaskNotReady

if TYPE_CHECKING:
    from app.tasks.models import Task


def _summary_fields(app) -> dict:
    return {"id": app.id, "process": app.process_id, "version": app.version, "status": app.status,
            "status_name": ApplicationStatus(app.status).label, "stage": app.stage,
            "project_name": (app.project or {}).get("name"), "required_items": app.required_items,
            "created_at": app.created_at, "updated_at": app.updated_at}


def summary(app) -> ApplicationSummary:
    return ApplicationSummary(**_summary_fields(app))


def detail(session: Session, app) -> ApplicationOut:
    """The application as its reader sees it, in a fixed number of queries however long its history."""
    every_task = tasks_of(session, app.id)
    open_tasks = [t for t in every_task if t.status in OUTSTANDING]
    stage_name = next((t.meta.get("stage_name") for t in open_tasks if t.stage == app.stage), None)
    today = now().astimezone(CHINA).date()
    return ApplicationOut.model_validate({
        **_summary_fields(app), "stage_name": stage_name, "project": app.project,
        "due_at": app.due_at, "decided_at": app.decided_at, "within_time_limit": within_time_limit(app),
        "open_tasks": [describe_task(t) for t in open_tasks],
        "timeline": timeline(session, app.id),
        "documents": documents.listed(session, app.id),
        "certificates": [dict(c) for c in session.execute(
            select(Certificate.code, Certificate.name, Certificate.number, Certificate.verification_code,
                   Certificate.status, Certificate.issued_at, Certificate.revoked_at)
            .where(Certificate.application_id == app.id).order_by(Certificate.id)).mappings()],
        "commitments": [dict(c) for c in session.execute(
            select(Commitment.text, Commitment.signer, Commitment.signed_at, Commitment.status, Commitment.recorded_at,
                   Commitment.status_changed_at)
            .where(Commitment.application_id == app.id).order_by(Commitment.id)).mappings()],
        "minor_items": [{"items": m.items, "promised_date": m.promised_date, "fulfilled_at": m.fulfilled_at,
                         "overdue": m.fulfilled_at is None and m.promised_date < today}
                        for m in session.execute(
                            select(MinorItems.items, MinorItems.promised_date, MinorItems.fulfilled_at)
                            .where(MinorItems.application_id == app.id).order_by(MinorItems.id))],
        "relay": relay_view(app, every_task),
    })


def within_time_limit(app: Application) -> bool | None:
    """For a process with its own limit (e.g. one working day): was it decided in time? None while open."""
    if app.due_at is None:
        return None
    if app.decided_at is None:
        return None if now() <= app.due_at else False
    return app.decided_at <= app.due_at


def relay_view(app: Application, every_task: list[Task]) -> dict | None:
    """The 4×100 relay: each leg's take-over (接棒) task, its deadline and time, and who holds the baton now."""
    legs = []
    for task in every_task:
        if task.status == TaskStatus.CANCELLED:
            continue
        leg = (task.meta or {}).get("handover")
        if not leg:
            continue
        team = [d for d in (task.meta.get("team") or "").split(",") if d]
        legs.append({"leg": leg, "name": task.meta.get("stage_name"), "lead_department": task.department, "team": team,
                     "handover_opened_at": task.created_at, "handover_due_at": task.due_at,
                     "taken_over_at": task.completed_at if task.status == TaskStatus.COMPLETED else None,
                     "taken_over_on_time": (task.completed_at <= task.due_at)
                     if task.status == TaskStatus.COMPLETED and task.due_at else None,
                     "finished": False})
    if not legs:
        return None
    for leg in legs[:-1]:
        leg["finished"] = True  # the next leg's take-over opens only when this leg's items are all done
    legs[-1]["finished"] = app.status == ApplicationStatus.APPROVED and legs[-1]["taken_over_at"] is not None
    holder = next((leg for leg in reversed(legs) if leg["taken_over_at"] is not None and not leg["finished"]), None)
    waiting = next((leg for leg in legs if leg["taken_over_at"] is None), None)
    return {"legs": legs,
            "baton": {"leg": holder["leg"], "department": holder["lead_department"], "team": holder["team"]} if holder else None,
            "handing_over_to": waiting["leg"] if waiting and app.status in ACTIVE_STATUSES else None}


def submit(db: Database, actor: Actor, *, process: str, project: dict, document_ids: list[str],
           idempotency_key: str | None) -> ApplicationOut:
    """Validate, run the new instance up to its first tasks, then store it all in one short transaction."""
    require_role(actor, Role.ENTERPRISE)
    with db.read() as session:
        if idempotency_key:
            earlier = _by_idempotency_key(session, actor, idempotency_key)
            if earlier is not None:
                return detail(session, earlier)
        definition = latest_definition(session, process)
        if definition is None:
            raise Invalid([{"loc": ["body", "process"], "msg": f"process {process!r} is not deployed (see GET /api/v1/processes)"}])
        problems = schema_errors(start_form_of(session, definition), project, ["body", "project"], definition.forms)
        if problems:
            raise Invalid(problems)
        documents.check(session, actor, document_ids, ["body", "documents"])
        start = kernel.start_properties(definition)
        commitment_based = start.get("commitment") == "required"
        refusals = barred_refusal(session, actor) if commitment_based else []
        known = kernel.departments(session)
    moment = now()
    due = None
    if start.get("time_limit"):
        limit = kernel.evaluate(db, definition, {"project": project}, start["time_limit"], actor=actor.username,
                                reveal=may_read_engine_messages(actor))
        due = kernel.due_by(moment, str(limit), "start event") if limit else None
    snapshot = kernel.start(db, definition, {"project": project, "documents": list(document_ids)}, known,
                            actor=actor.username, reveal=may_read_engine_messages(actor))
    failures = snapshot.data.get("eligibility_failures") or []
    refusals += [{"loc": ["body", "project", str(f.get("field", ""))], "msg": str(f.get("message", ""))}
                 for f in failures if isinstance(f, dict)]
    if refusals:
        raise Invalid(refusals)  # nothing of a refused submission is stored

    def build(session: Session) -> Application:
        app = Application(definition_id=definition.id, process_id=definition.process_id, version=definition.version,
                          enterprise_id=actor.enterprise_id, created_by_id=actor.id, idempotency_key=idempotency_key,
                          status=ApplicationStatus.IN_REVIEW, project=project, required_items=[], state="{}", state_version=0,
                          due_at=due, created_at=moment, updated_at=moment)
        session.add(app)
        session.flush()
        attached = documents.attach(session, actor, app.id, document_ids, ["body", "documents"])
        record(session, app.id, actor.username, "submitted", {"process": process, "version": definition.version,
                                                              "documents": attached})
        if commitment_based:
            c = project.get("commitment") or {}
            session.add(Commitment(application_id=app.id, enterprise_id=actor.enterprise_id, text=c.get("text", ""),
                                   signer=c.get("signer", ""), signed_at=str(c.get("signed_at", "")), status="signed",
                                   recorded_at=moment))
            record(session, app.id, actor.username, "commitment_signed",
                   {"signer": c.get("signer"), "signed_at": c.get("signed_at")})
        return app

    try:
        application_id = kernel.create(db, actor.username, definition, snapshot, build, reveal_errors=may_read_engine_messages(actor))
    except IntegrityError:
        # Two requests raced with one Idempotency-Key: the other one won; answer with its application.
        if not idempotency_key:
            raise
        with db.read() as session:
            earlier = _by_idempotency_key(session, actor, idempotency_key)
            if earlier is None:
                raise
            return detail(session, earlier)
    return get(db, actor, application_id)


def _by_idempotency_key(session: Session, actor: Actor, key: str):
    return session.execute(select(*_READABLE).where(Application.created_by_id == actor.id,
                                                     Application.idempotency_key == key)).first()


def barred_refusal(session: Session, actor: Actor) -> list[dict]:
    bar = commitment_bar(session, actor.enterprise_id)
    if bar is None:
        return []
    return [{"loc": ["body", "project", "commitment"], "msg": bar}]


# Everything of an application but its stored workflow state, which no reader needs.
_READABLE = [c for c in Application.__table__.c if c.name != "state"]


def get(db: Database, actor: Actor, application_id: int) -> ApplicationOut:
    with db.read() as session:
        app = session.execute(select(*_READABLE).where(Application.id == application_id,
                                                        visible_applications(actor))).first()
        if app is None:
            raise NotFound(f"application {application_id} not found")
        return detail(session, app)


def list_applications(db: Database, actor: Actor, status: str | None, params: PageParams) -> ApplicationPage:
    query = select(*_READABLE).where(visible_applications(actor))
    if status:
        query = query.where(Application.status == status)
    query = query.order_by(Application.updated_at.desc(), Application.id.desc())
    with db.read() as session:
        rows, total = paginate(session, query, params, rows=True)
        return ApplicationPage(items=[summary(a) for a in rows], total=total, page=params.page,
                               page_size=params.page_size)


def supplement(db: Database, actor: Actor, application_id: int, note: str, document_ids: list[str]) -> ApplicationOut:
    def answer(instance: kernel.Instance) -> None:
        session, app = instance.session, instance.application
        require_applicant(actor, app)
        task = next((t for t in tasks_of(session, app.id) if t.for_applicant and t.status == TaskStatus.OPEN), None)
        pending = list(session.scalars(select(MinorItems).where(MinorItems.application_id == app.id,
                                                                MinorItems.fulfilled_at.is_(None))))
        if task is None and not (pending and app.status not in ENDED_STATUSES):
            raise Conflict(f"application {app.id} is not awaiting a supplement (status {app.status})")
        attached = documents.attach(session, actor, app.id, document_ids, ["body", "documents"])
        if task is None:  # the minor items promised at acceptance (容缺受理) arrive; the process was never held up
            for item in pending:
                item.fulfilled_at = now()
            session.add(Supplement(application_id=app.id, task_id="", note=note, documents=attached,
                                   submitted_by_id=actor.id, submitted_at=now()))
            record(session, app.id, actor.username, "minor_items_fulfilled",
                   {"items": [i for m in pending for i in m.items], "note": note, "documents": attached})
            return
        try:
            instance.run("complete", task_id=task.id,
                         payload={"note": note, "documents": attached, "submitted_at": now().isoformat()})
        except TaskNotReady:
            raise Conflict(f"the supplement task of application {app.id} is no longer open; reload")
        session.add(Supplement(application_id=app.id, task_id=task.id, note=note, documents=attached,
                               submitted_by_id=actor.id, submitted_at=now()))
        instance.write_task(task.id, completed_by_id=actor.id)
        record(session, app.id, actor.username, "supplement_submitted",
               {"task_id": task.id, "note": note, "documents": attached})

    require_visible(db, actor, application_id)
    kernel.run(db, application_id, actor.username, answer, reveal_errors=may_read_engine_messages(actor))
    return get(db, actor, application_id)


def withdraw(db: Database, actor: Actor, application_id: int) -> ApplicationOut:
    def cancel(instance: kernel.Instance) -> None:
        app = instance.application
        require_applicant(actor, app)
        if app.status not in ACTIVE_STATUSES:
            raise Conflict(f"application {app.id} is {app.status}; only an application under way can be withdrawn")
        instance.run("cancel")
        instance.status = ApplicationStatus.WITHDRAWN
        record(instance.session, app.id, actor.username, "withdrawn", {})

    require_visible(db, actor, application_id)
    kernel.run(db, application_id, actor.username, cancel, reveal_errors=may_read_engine_messages(actor))
    return get(db, actor, application_id)


def require_visible(db: Database, actor: Actor, application_id: int) -> None:
    """404 for an application the caller may not see, as for one that does not exist (ids are not counted)."""
    with db.read() as session:
        require_see_application(session, actor, application_id)
