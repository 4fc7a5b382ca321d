"""Applications: submit, read, track, supplement, withdraw. Each command is one transaction."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.applications.models import Application, Commitment, Filing, MinorItems, Supplement, SupplementRequest
from app.audit.service import record, timeline
from app.auth.models import Enterprise
from app.documents.models import Document
from app.offices.models import Office
from app.auth.service import commitment_bar, enterprise_card
from app.auth.policy import (
    Actor,
    may_read_engine_messages,
    require_acting_for,
    require_role,
    require_see_application,
    visible_applications,
)
from app.certificates import service as certificates
from app.clock import now
from app.common import clocks
from app.common.moments import moment_text, zone
from app.common.search import contains
from app.common.forms import schema_errors
from app.common.pagination import PageParams, paginate
from app.db import Database
from app.departments import directory
from app.districts.directory import names as district_names
from app.offices.directory import names as office_names
from app.documents import service as documents
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.instances import kernel
from app.notifications.outbox import emit
from app.processes import diagram
from app.processes.service import Picture, active_definition, start_form_of, version_picture
from app.applications.schemas import ApplicationOut, ApplicationPage, ApplicationSummary
from app.tasks import deadlines
from app.tasks.models import Task
from app.tasks.service import describe_task, tasks_of
from app.vocabulary import (
    ACTIVE_STATUSES,
    ENDED_STATUSES,
    OUTSTANDING,
    ApplicationStatus,
    Role,
    SlaState,
    TaskStatus,
    event_name,
    item_name,
)
from workflows.calendar import CHINA
from workflows.instances import TaskNotReady



def _summary_fields(app, districts: dict[str, str]) -> dict:
    return {"id": app.id, "process": app.process_id, "version": app.version, "status": app.status,
            "district": app.district, "district_name": districts.get(app.district) if app.district else None,
            "status_name": ApplicationStatus(app.status).label, "stage": app.stage,
            "project_name": app.project_name or (app.project or {}).get("name"), "required_items": app.required_items,
            "enterprise": {"name": app.enterprise_name, "credit_code": app.enterprise_credit_code},
            "created_at": app.created_at, "updated_at": app.updated_at}


def summary(app, districts: dict[str, str], held_by: list[dict] | None = None) -> ApplicationSummary:
    return ApplicationSummary(**_summary_fields(app, districts), held_by=held_by or [])


def detail(session: Session, app, actor: Actor) -> ApplicationOut:
    """The application as its reader sees it, in a fixed number of queries however long its history.

    Staff read who did what; the applicant reads decisions, opinions and requests attributed to departments."""
    staff = actor.is_department_staff or actor.is_admin
    names = directory.names(session)
    every_task = tasks_of(session, app.id)
    open_tasks = [t for t in every_task if t.status in OUTSTANDING]
    stage_name = next((t.meta.get("stage_name") for t in open_tasks if t.stage == app.stage), None)
    today = now().astimezone(CHINA).date()
    department_of = {t.id: t.department for t in every_task}
    offices = office_names(session)
    moment = now()
    clock = clocks.clock_view(due_at=app.due_at if app.status in ACTIVE_STATUSES else None,
                              warn=clocks.warn_at(app.clock_started_at, app.due_at)
                              if app.due_at and app.clock_started_at else None,
                              started_at=app.clock_started_at, paused_days=app.paused_days,
                              paused_since=app.paused_since,
                              paused_reason="申请人补正材料中，办理时限暂停计算" if app.paused_since else None,
                              provisional=app.due_provisional, now=moment)
    state = clock.pop("sla_state")
    return ApplicationOut.model_validate({
        **clock, "sla_state": state, "sla_state_name": SlaState(state).label if state else None,
        "time_limit": app.time_limit, **deadlines.of_application(session, app.id, staff=staff),
        "applicant_due_at": min((t.due_at for t in open_tasks if t.for_applicant and t.due_at), default=None),
        "receiving_office": {"code": app.receiving_office, "name": offices.get(app.receiving_office)}
        if app.receiving_office else None,
        "handling_office": {"code": app.handling_office, "name": offices.get(app.handling_office)}
        if app.handling_office else None,
        "forwarding": {"due_at": app.forward_due_at, "forwarded_at": app.forwarded_at,
                       "forwarded_by": app.forwarded_by,
                       "on_time": (app.forwarded_at <= app.forward_due_at) if app.forwarded_at else None}
        if app.forward_due_at else None,
        **_summary_fields(app, district_names(session)), "stage_name": stage_name, "project": app.project,
        "required_item_names": {code: item_name(code) for code in
                                {*(app.required_items or []), *(app.committed_items or [])}},
        "due_at": app.due_at, "decided_at": app.decided_at, "within_time_limit": within_time_limit(app),
        "open_tasks": [describe_task(t, names, staff=staff, moment=moment) for t in open_tasks],
        "history": [describe_task(t, names, staff=staff, moment=moment) for t in every_task
                    if t.status == TaskStatus.COMPLETED],
        "supplement_requests": [
            {"id": r.id, "department": r.department, "department_name": names.get(r.department, r.department),
             "items": r.items, "opinion": r.opinion, "requested_at": r.requested_at, "status": r.status,
             "status_name": "待补正" if r.status == "open" else "已补正", "answered_at": r.answered_at,
             "answer": r.answer}
            for r in session.execute(select(SupplementRequest).where(SupplementRequest.application_id == app.id)
                                     .order_by(SupplementRequest.id)).scalars()],
        "timeline": [{**e, "event_name": event_name(e["event"]),
                      "actor": e["actor"] if staff or e["on_behalf_of"] else
                      _as_the_applicant_reads(e, actor, department_of, names),
                      "actor_office": {"code": e["actor_office"], "name": offices.get(e["actor_office"])}
                      if e["actor_office"] else None,
                      "on_behalf_of": {"credit_code": e["on_behalf_of"], "name": app.enterprise_name
                                       if e["on_behalf_of"] == app.enterprise_credit_code else None}
                      if e["on_behalf_of"] else None}
                     for e in timeline(session, app.id)],
        "documents": documents.listed(session, app.id),
        "certificates": certificates.listed(session, [app.id], staff=staff),
        "committed_items": app.committed_items or [],
        "filings": [{"item": f.item, "item_name": item_name(f.item), "number": f.number, "filed_at": f.filed_at,
                     "on_commitment": f.commitment_id is not None}
                    for f in session.execute(select(Filing.item, Filing.number, Filing.filed_at, Filing.commitment_id)
                                             .where(Filing.application_id == app.id).order_by(Filing.id))],
        "commitments": [dict(c) for c in session.execute(
            select(Commitment.text, Commitment.signer, Commitment.signed_at, Commitment.status, Commitment.recorded_at,
                   Commitment.status_changed_at)
            .where(Commitment.application_id == app.id).order_by(Commitment.id)).mappings()],
        "minor_items": [{"items": m.items, "delivered": m.delivered or [], "promised_date": m.promised_date,
                         "fulfilled_at": m.fulfilled_at, "overdue": m.fulfilled_at is None and m.promised_date < today}
                        for m in session.execute(
                            select(MinorItems.items, MinorItems.delivered, MinorItems.promised_date,
                                   MinorItems.fulfilled_at)
                            .where(MinorItems.application_id == app.id).order_by(MinorItems.id))],
        "relay": relay_view(app, every_task, names),
    })


def _as_the_applicant_reads(event: dict, reader: Actor, department_of: dict, names: dict) -> str:
    """Who acted, as the applicant reads it: its own people by name, the service itself as such, staff by their
    department (never a login name)."""
    if event["actor"] in (reader.username, "system", "timer"):
        return event["actor"]
    detail = event["detail"] or {}
    department = detail.get("department") or department_of.get(detail.get("task_id"))
    return names.get(department, "审批部门") if department else "审批部门"


def within_time_limit(app: Application) -> bool | None:
    """For a process with its own limit (e.g. one working day): was it decided in time? None while open."""
    if app.due_at is None:
        return None
    if app.decided_at is None:
        return None if now() <= app.due_at else False
    return app.decided_at <= app.due_at


def relay_view(app: Application, every_task: list[Task], names: dict) -> dict | None:
    """The 4×100 relay: each leg's take-over (接棒) task, its deadline and time, and who holds the baton now."""
    legs = []
    for task in every_task:
        if task.status == TaskStatus.CANCELLED:
            continue
        leg = (task.meta or {}).get("handover")
        if not leg:
            continue
        team = [d for d in (task.meta.get("team") or "").split(",") if d]
        legs.append({"leg": leg, "name": task.meta.get("stage_name"), "lead_department": task.department,
                     "lead_department_name": names.get(task.department, task.department), "team": team,
                     "team_names": [names.get(d, d) for d in team],
                     "handover_opened_at": task.created_at, "handover_due_at": task.due_at,
                     "taken_over_at": task.completed_at if task.status == TaskStatus.COMPLETED else None,
                     "taken_over_on_time": (task.completed_at <= task.due_at)
                     if task.status == TaskStatus.COMPLETED and task.due_at else None,
                     "finished": False})
    if not legs:
        return None
    # a leg that opens on the applicant's word (竣工验收申请): until then the project is being built
    declaring = next((t.meta["opens_leg"] for t in every_task
                      if t.status in OUTSTANDING and (t.meta or {}).get("opens_leg")), None)
    for leg in legs[:-1]:
        leg["finished"] = True  # the next leg's take-over opens only when this leg's items are all done
    legs[-1]["finished"] = (app.status == ApplicationStatus.APPROVED and legs[-1]["taken_over_at"] is not None
                            or declaring is not None)
    holder = next((leg for leg in reversed(legs) if leg["taken_over_at"] is not None and not leg["finished"]), None)
    waiting = next((leg for leg in legs if leg["taken_over_at"] is None), None)
    return {"legs": legs,
            "baton": {"leg": holder["leg"], "department": holder["lead_department"], "team": holder["team"]} if holder else None,
            "handing_over_to": waiting["leg"] if waiting and app.status in ACTIVE_STATUSES else None,
            "awaiting_declaration": declaring}


def submit(db: Database, actor: Actor, *, process: str, project: dict, document_ids: list[str],
           idempotency_key: str | None, on_behalf_of: str | None = None,
           receiving_office: str | None = None) -> ApplicationOut:
    """Validate, run the new instance up to its first tasks, then store it all in one short transaction. A helpdesk
    agent files `on_behalf_of` an enterprise (its credit code) that authorised it for the process."""
    require_role(actor, Role.ENTERPRISE, Role.HELPDESK)
    request_hash = _request_hash(process, project, document_ids)
    with db.read() as session:
        enterprise_id, acting = _filing_enterprise(session, actor, on_behalf_of, process)
        receiving, handling, elsewhere = _offices(session, actor, receiving_office, project)
        if idempotency_key:
            earlier = _by_idempotency_key(session, actor, idempotency_key, request_hash)
            if earlier is not None:
                return detail(session, earlier, actor)
        definition = active_definition(session, process)
        if definition is None:
            raise Invalid([{"loc": ["body", "process"], "msg": f"process {process!r} is not deployed (see GET /api/v1/processes)"}])
        problems = schema_errors(start_form_of(session, definition), project, ["body", "project"], definition.forms)
        if problems:
            raise Invalid(problems)
        documents.check(session, actor, document_ids, ["body", "documents"])
        start = kernel.start_properties(definition)
        bar = barred_refusal(session, enterprise_id)
        known = kernel.departments(session)
        enterprise = enterprise_card(session, enterprise_id)
    moment = now()
    limit = None  # the process's own limit: its clock starts when acceptance is passed (kernel.application_clock)
    if start.get("time_limit"):
        limit = kernel.evaluate(db, definition, {"project": project}, start["time_limit"], actor=actor.username,
                                reveal=may_read_engine_messages(actor))
        if limit:
            limit = str(limit)
            kernel.due_by(moment, limit, "start event")  # a malformed limit is refused before anything is stored
    snapshot = kernel.start(db, definition, {"project": project, "documents": list(document_ids)}, known,
                            actor=actor.username, reveal=may_read_engine_messages(actor))
    # On commitment: the whole track, or the items the process lets the applicant's signed commitment stand for.
    committed = [str(i) for i in snapshot.data.get("committed_items") or []]
    commitment_based = start.get("commitment") == "required" or bool(committed)
    refusals = list(bar) if commitment_based else []
    failures = snapshot.data.get("eligibility_failures") or []
    refusals += [{"loc": ["body", "project", str(f.get("field", ""))], "msg": str(f.get("message", ""))}
                 for f in failures if isinstance(f, dict)]
    if refusals:
        raise Invalid(refusals)  # nothing of a refused submission is stored

    def build(session: Session) -> Application:
        app = Application(definition_id=definition.id, process_id=definition.process_id, version=definition.version,
                          enterprise_id=enterprise_id, created_by_id=actor.id, idempotency_key=idempotency_key,
                          request_hash=request_hash if idempotency_key else None,
                          status=ApplicationStatus.IN_REVIEW, project=project, project_name=_project_name(project),
                          enterprise_name=enterprise[0], enterprise_credit_code=enterprise[1], required_items=[],
                          state="{}", state_version=0, time_limit=limit, created_at=moment, updated_at=moment,
                          district=str(project.get("district") or "")[:6] or None, receiving_office=receiving,
                          handling_office=handling)
        if elsewhere:  # 四城通办: the receiving window forwards it within a working day; Hohhot's departments wait
            app.status = ApplicationStatus.FORWARDING
            app.forward_due_at = kernel.due_by(moment, FORWARDING_LIMIT, "forwarding").at
        session.add(app)
        session.flush()
        if acting:
            session.info["acting_for"] = acting  # the agent's events carry its office and the enterprise
        attached = documents.attach(session, actor, app.id, document_ids, ["body", "documents"])
        record(session, app.id, actor.username, "submitted", {"process": process, "version": definition.version,
                                                              "documents": attached})
        if commitment_based and project.get("commitment"):
            c = project.get("commitment") or {}
            session.add(Commitment(application_id=app.id, enterprise_id=enterprise_id, text=c.get("text", ""),
                                   signer=c.get("signer", ""), signed_at=_as_local_moment(c.get("signed_at")),
                                   status="signed", recorded_at=moment))
            record(session, app.id, actor.username, "commitment_signed",
                   {"signer": c.get("signer"), "signed_at": c.get("signed_at")})
        return app

    try:
        if elsewhere:
            with db.transaction() as session:
                application_id = build(session).id
                record(session, application_id, actor.username, "received_elsewhere",
                       {"receiving_office": receiving, "handling_office": handling})
        else:
            application_id = kernel.create(db, actor.username, definition, snapshot, build,
                                           reveal_errors=may_read_engine_messages(actor))
    except IntegrityError:
        # Two requests raced with one Idempotency-Key: the other one won; answer with its application.
        if not idempotency_key:
            raise
        with db.read() as session:
            earlier = _by_idempotency_key(session, actor, idempotency_key, request_hash)
            if earlier is None:
                raise
            return detail(session, earlier, actor)
    return get(db, actor, application_id)


def _request_hash(process: str, project: dict, document_ids: list[str]) -> str:
    canonical = json.dumps({"process": process, "project": project, "documents": list(document_ids)},
                           sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _by_idempotency_key(session: Session, actor: Actor, key: str, request_hash: str):
    """The application this key already made, if it was made by the same request; another request → 422."""
    earlier = session.execute(select(*_READABLE).where(Application.created_by_id == actor.id,
                                                        Application.idempotency_key == key)).first()
    if earlier is not None and earlier.request_hash not in (None, request_hash):
        raise Invalid([{"loc": ["header", "Idempotency-Key"],
                        "msg": f"this Idempotency-Key was used for another request (application {earlier.id}); "
                               "use a new key for a new filing / 该幂等键已用于另一份申请，请换用新键"}])
    return earlier


def _project_name(project: dict) -> str | None:
    name = project.get("name") if isinstance(project, dict) else None
    return str(name)[:200] if name else None


def _as_local_moment(text) -> str:
    """A moment the applicant wrote, kept in the service's zone with its offset (as every answer shows moments)."""
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return str(text or "")[:40]
    return moment_text(moment if moment.tzinfo else moment.replace(tzinfo=zone()))


FORWARDING_LIMIT = "1wd"  # a window outside Hohhot hands an application on within one working day


def _offices(session: Session, actor: Actor, receiving_office: str | None, project: dict) -> tuple[str | None, str, bool]:
    """Where it is received (named, or the filing agent's office), who handles it in Hohhot (the project's district
    service centre), and whether it was received outside Hohhot (呼包鄂乌“四城通办”)."""
    code = receiving_office or (actor.office_code if actor.role == Role.HELPDESK else None)
    office = session.get(Office, code) if code else None
    if code and office is None:
        raise Invalid([{"loc": ["body", "receiving_office"], "msg": f"收件窗口 (receiving_office) {code[:40]!r} 不存在 / "
                                                                    "unknown office (see GET /api/v1/offices)"}])
    district = str(project.get("district") or "150100")
    handling = session.scalar(select(Office.code).where(Office.city == "hohhot", Office.district == district)) \
        or "hh-150100"
    return code, handling, office is not None and office.city != "hohhot"


def forward(db: Database, actor: Actor, application_id: int) -> ApplicationOut:
    """The receiving window hands the application to Hohhot: its process starts now, in Hohhot's departments."""

    def hand_on(instance: kernel.Instance) -> None:
        session, app = instance.session, instance.application
        if not (actor.is_admin or actor.role == Role.HELPDESK and actor.office_code == app.receiving_office):
            raise Forbidden(f"仅收件窗口 {app.receiving_office} 的工作人员可转办 / only the receiving window forwards it")
        if app.status != ApplicationStatus.FORWARDING:
            raise Conflict(f"application {app.id} is {app.status}: it was forwarded already")
        attached = list(session.scalars(select(Document.id).where(Document.application_id == app.id)))
        instance.run("start", payload={"project": app.project, "documents": attached})
        moment = now()
        instance.write_application(forwarded_at=moment, forwarded_by=actor.username)
        record(session, app.id, actor.username, "forwarded",
               {"from": app.receiving_office, "to": app.handling_office, "due_at": app.forward_due_at,
                "on_time": moment <= app.forward_due_at if app.forward_due_at else None})

    kernel.run(db, application_id, actor.username, hand_on, reveal_errors=may_read_engine_messages(actor))
    return get(db, actor, application_id)


def _filing_enterprise(session: Session, actor: Actor, on_behalf_of: str | None, process: str) -> tuple[int, dict | None]:
    """Whose application this is: the enterprise's own, or the one an agent files for (authorised for `process`)."""
    if actor.role == Role.ENTERPRISE:
        if on_behalf_of and on_behalf_of.upper() != enterprise_card(session, actor.enterprise_id)[1]:
            raise Invalid([{"loc": ["body", "on_behalf_of"], "msg": "企业只能以本企业名义申请 / an enterprise files for "
                                                                    "itself; on_behalf_of is for helpdesk agents"}])
        return actor.enterprise_id, None
    if not on_behalf_of:
        raise Invalid([{"loc": ["body", "on_behalf_of"], "msg": "帮办代办员须写明代办企业的统一社会信用代码 (on_behalf_of) / an agent "
                                                                "names the enterprise it files for"}])
    enterprise = session.scalar(select(Enterprise).where(Enterprise.credit_code == on_behalf_of.upper()))
    if enterprise is None:
        raise Invalid([{"loc": ["body", "on_behalf_of"], "msg": f"统一社会信用代码 {on_behalf_of[:18]} 无对应企业 / no "
                                                                "enterprise has this credit code"}])
    require_acting_for(session, actor, enterprise.id, process)
    return enterprise.id, session.info.pop("acting_for")


def barred_refusal(session: Session, enterprise_id: int) -> list[dict]:
    bar = commitment_bar(session, enterprise_id)
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
            require_see_application(session, actor, application_id)  # 404, or 403 saying why an agent may no longer
            raise NotFound(f"application {application_id} not found")
        return detail(session, app, actor)


def list_applications(db: Database, actor: Actor, status: str | None, params: PageParams,
                      process: str | None = None, q: str | None = None, district: str | None = None) -> ApplicationPage:
    query = select(*_READABLE).where(visible_applications(actor))
    if district:
        query = query.where(Application.district == district)
    if status:
        query = query.where(Application.status == status)
    if process:
        query = query.where(Application.process_id == process)
    if q:
        query = query.where(contains(Application.project_name, q) | contains(Application.enterprise_name, q)
                            | (Application.enterprise_credit_code == q.upper()))
    query = query.order_by(Application.updated_at.desc(), Application.id.desc())
    with db.read() as session:
        rows, total = paginate(session, query, params, rows=True)
        districts = district_names(session)
        holders = _holders(session, [a.id for a in rows])
        return ApplicationPage(items=[summary(a, districts, holders.get(a.id, [])) for a in rows], total=total,
                               page=params.page, page_size=params.page_size)


def _holders(session: Session, application_ids: list[int]) -> dict[int, list[dict]]:
    """Who holds each application now — the departments (or the applicant) with open tasks, each with its nearest
    deadline — in one query for the whole page."""
    if not application_ids:
        return {}
    names = directory.names(session)
    nearest: dict[int, dict[str | None, object]] = {}
    for application_id, department, for_applicant, due_at in session.execute(
            select(Task.application_id, Task.department, Task.for_applicant, Task.due_at)
            .where(Task.application_id.in_(application_ids), Task.status.in_(OUTSTANDING))):
        key = None if for_applicant else department
        held = nearest.setdefault(application_id, {})
        if key not in held or (due_at and (held[key] is None or due_at < held[key])):
            held[key] = due_at
    return {a: [{"department": d, "name": names.get(d, d) if d else "申请人", "due_at": due}
                for d, due in sorted(held.items(), key=lambda kv: str(kv[0]))] for a, held in nearest.items()}


def supplement(db: Database, actor: Actor, application_id: int, request_id: int | None, note: str,
               document_ids: list[str], corrections: dict) -> ApplicationOut:
    """Answer one supplement request (补正) — or a rectification (整改) — with a note, documents and corrections of
    the project; only the department that asked resumes."""
    require_visible(db, actor, application_id)
    if not note.strip() and not document_ids and not corrections:
        raise Invalid([{"loc": ["body"], "msg": "补正内容为空：请填写说明 (note)、上传材料 (documents) 或更正字段 (corrections) "
                                                 "/ an answer needs a note, documents or corrections"}])

    def answer(instance: kernel.Instance) -> None:
        session, app = instance.session, instance.application
        require_acting_for(session, actor, app.enterprise_id, app.process_id, app.id)
        waiting = [t for t in tasks_of(session, app.id) if t.for_applicant and t.status == TaskStatus.OPEN]
        requests = {r.answer_task_id: r for r in session.scalars(
            select(SupplementRequest).where(SupplementRequest.application_id == app.id,
                                            SupplementRequest.status == "open"))}
        task, request = _answered(app, waiting, requests, request_id)
        attached = documents.attach(session, actor, app.id, document_ids, ["body", "documents"])
        project, changes = _corrected(session, instance.definition, app.project, corrections)
        payload = {"note": note, "documents": attached, "corrections": corrections, "submitted_at": moment_text(now())}
        try:
            instance.run("complete", task_id=task.id, payload=payload, updates={"project": project} if changes else None)
        except TaskNotReady:
            raise Conflict(f"the supplement task of application {app.id} is no longer open; reload")
        # an applicant task may be other than a supplement (竣工验收申请): it names its own event
        event = (task.meta or {}).get("answer_event") or "supplement_submitted"
        if event == "supplement_submitted":
            session.add(Supplement(application_id=app.id, task_id=task.id, note=note, documents=attached,
                                   submitted_by_id=actor.id, submitted_at=now()))
        instance.write_task(task.id, completed_by_id=actor.id, completed_by_name=actor.username, data=payload)
        if request is not None:
            request.status, request.answered_at = "answered", now()
            request.answer = {"note": note, "documents": attached, "corrections": corrections}
        emit(session, "supplement_answered", app.id, {"task_id": task.id, "request": request.id if request else None,
                                                      "department": request.department if request else None})
        record(session, app.id, actor.username, event,
               {"task_id": task.id, "request": request.id if request else None,
                "department": request.department if request else None, "note": note, "documents": attached})
        if changes:
            instance.write_application(project=project, project_name=_project_name(project))
            if _project_name(project) != app.project_name:
                instance.write_every_task(project_name=_project_name(project))
            record(session, app.id, actor.username, "project_corrected",
                   {"request": request.id if request else None, "changes": changes})

    kernel.run(db, application_id, actor.username, answer, reveal_errors=may_read_engine_messages(actor))
    return get(db, actor, application_id)


def _answered(app, waiting: list, requests: dict, request_id: int | None):
    """The applicant task an answer completes, and its request: the one named, or the only one open."""
    if not waiting:
        raise Conflict(f"application {app.id} is not awaiting a supplement (status {app.status})")
    if request_id is None:
        if len(waiting) > 1:
            open_ids = sorted(r.id for r in requests.values())
            raise Invalid([{"loc": ["body", "request"],
                            "msg": f"几个部门同时要求补正，请指明答复哪一项 (request): {open_ids} / several requests "
                                   f"are open: name the one answered"}])
        return waiting[0], requests.get(waiting[0].id)
    for task in waiting:
        request = requests.get(task.id)
        if request is not None and request.id == request_id:
            return task, request
    raise Invalid([{"loc": ["body", "request"],
                    "msg": f"request {request_id} is not an open supplement request of application {app.id}; open: "
                           f"{sorted(r.id for r in requests.values())}"}])


def _corrected(session: Session, definition, project: dict, corrections: dict) -> tuple[dict, list[dict]]:
    """The project with the applicant's corrections, checked against the start form, and what changed."""
    if not corrections:
        return project, []
    form = start_form_of(session, definition)
    fields = form.get("properties") or {}
    unknown = [key for key in corrections if key not in fields]
    if unknown:
        raise Invalid([{"loc": ["body", "corrections", key], "msg": f"{key} 不是申请表中的字段 / not a field of the project"}
                       for key in unknown])
    corrected = {**project, **corrections}
    problems = schema_errors(form, corrected, ["body", "project"], definition.forms)
    for problem in problems:
        loc = problem["loc"]
        if len(loc) > 2 and loc[2] in corrections:
            problem["loc"] = ["body", "corrections", *loc[2:]]
    if problems:
        raise Invalid(problems)
    changes = [{"field": key, "title": fields[key].get("title", key), "old": project.get(key), "new": value}
               for key, value in corrections.items() if project.get(key) != value]
    return corrected, changes


def deliver_minor_items(db: Database, actor: Actor, application_id: int, items: list[str],
                        document_ids: list[str]) -> ApplicationOut:
    """The minor items promised at 容缺受理 arrive; the process was never held up for them."""

    def deliver(instance: kernel.Instance) -> None:
        session, app = instance.session, instance.application
        require_acting_for(session, actor, app.enterprise_id, app.process_id, app.id)
        if app.status in ENDED_STATUSES:
            raise Conflict(f"application {app.id} is {app.status}")
        pending = list(session.scalars(select(MinorItems).where(MinorItems.application_id == app.id,
                                                                MinorItems.fulfilled_at.is_(None))))
        promised = {item for row in pending for item in row.items if item not in (row.delivered or [])}
        if not promised:
            raise Conflict(f"application {app.id} has no minor items to deliver")
        unknown = [{"loc": ["body", "items", i], "msg": f"{item[:50]!r} is not among the promised items: "
                                                       f"{', '.join(sorted(promised))}"}
                   for i, item in enumerate(items) if item not in promised]
        if unknown:
            raise Invalid(unknown)
        attached = documents.attach(session, actor, app.id, document_ids, ["body", "documents"])
        for row in pending:
            row.delivered = sorted(set(row.delivered or []) | (set(items) & set(row.items)))
            if set(row.delivered) >= set(row.items):
                row.fulfilled_at = now()
        record(session, app.id, actor.username, "minor_items_fulfilled", {"items": items, "documents": attached})
        if app.status == ApplicationStatus.APPROVED_PENDING_ITEMS and all(row.fulfilled_at for row in pending):
            instance.write_application(status=ApplicationStatus.APPROVED, updated_at=now())
            record(session, app.id, "system", "status_changed",
                   {"from": app.status, "to": ApplicationStatus.APPROVED})

    require_visible(db, actor, application_id)
    kernel.run(db, application_id, actor.username, deliver)
    return get(db, actor, application_id)


def withdraw(db: Database, actor: Actor, application_id: int) -> ApplicationOut:
    def cancel(instance: kernel.Instance) -> None:
        app = instance.application
        require_acting_for(instance.session, actor, app.enterprise_id, app.process_id, app.id)
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




def picture(db: Database, app: ApplicationOut) -> Picture:
    """The application's process diagram (what it has completed, works on now, and is late on) and its stages."""
    marks: dict[str, str] = {}
    for t in app.history:
        if t.element:
            diagram.worst(marks, t.element, "completed")
    for t in app.open_tasks:
        if t.element:
            diagram.worst(marks, t.element, "overdue" if t.sla_state == SlaState.OVERDUE else "active")
    return version_picture(db, app.process, app.version, marks)
