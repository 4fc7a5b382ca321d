"""帮办申请: the queue of each district's helpdesk, with its own deadline; claims race like tasks (compare-and-set,
409 to the loser); a request is worked to applications filed on the enterprise's behalf, may be escalated to a joint
consultation (会商联审) whose conclusion comes back on the request, and is closed with a note."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.applications import service as applications
from app.applications.models import Application
from app.assistance.models import AssistanceRequest, AssistedApplication
from app.audit.service import record
from app.auth.models import Enterprise
from app.auth.policy import Actor, require_role, require_see_application
from app.clock import now
from app.common import clocks
from app.common.pagination import PageParams, paginate
from app.db import Database
from app.departments import directory
from app.errors import Conflict, Invalid, NotFound
from app.offices.directory import names as office_names
from app.offices.models import Office
from app.tasks.models import Task
from app.vocabulary import ApplicationStatus, Decision, Role, TaskStatus

TIME_LIMIT = "2wd"  # a request is claimed and worked within two working days (a design assumption of the city's 帮办)
STATUS_NAMES = {"open": "待认领", "claimed": "办理中", "filed": "已代办申报", "closed": "已办结"}


def ask(db: Database, actor: Actor, *, district: str, project_name: str, description: str, contact_name: str,
        contact_phone: str, enterprise: str | None) -> dict:
    require_role(actor, Role.ENTERPRISE, Role.HELPDESK)
    moment = now()
    with db.transaction() as session:
        office = session.scalar(select(Office).where(Office.city == "hohhot", Office.district == district))
        if office is None:
            raise Invalid([{"loc": ["body", "district"], "msg": f"所在旗县区 (district) {district[:6]!r} 无帮办窗口 / no office "
                                                                "serves it (see GET /api/v1/districts)"}])
        enterprise_id = actor.enterprise_id
        if actor.role == Role.HELPDESK and enterprise:
            found = session.scalar(select(Enterprise).where(Enterprise.credit_code == enterprise.upper()))
            enterprise_id = found.id if found else None
        due = clocks.due(TIME_LIMIT, moment)
        row = AssistanceRequest(office_code=office.code, enterprise_id=enterprise_id, project_name=project_name.strip(),
                                description=description.strip(), contact_name=contact_name.strip(),
                                contact_phone=contact_phone.strip(), status="open", due_at=due.at,
                                created_by_id=actor.id, created_by_name=actor.username, created_at=moment)
        session.add(row)
        session.flush()
        return _describe(session, row, actor)


def _visible(session: Session, actor: Actor, request_id: int, *, lock: bool = False) -> AssistanceRequest:
    query = select(AssistanceRequest).where(AssistanceRequest.id == request_id)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None or not _may_see(actor, row):
        raise NotFound(f"assistance request {request_id} not found")
    return row


def _may_see(actor: Actor, row: AssistanceRequest) -> bool:
    if actor.is_admin:
        return True
    if actor.role == Role.HELPDESK:
        return actor.office_code == row.office_code or row.claimed_by_id == actor.id
    return actor.role == Role.ENTERPRISE and row.enterprise_id == actor.enterprise_id


def listed(db: Database, actor: Actor, params: PageParams, status: str | None) -> dict:
    require_role(actor, Role.ENTERPRISE, Role.HELPDESK, Role.ADMIN)
    query = select(AssistanceRequest)
    if actor.role == Role.HELPDESK:
        query = query.where(AssistanceRequest.office_code == actor.office_code)
    elif actor.role == Role.ENTERPRISE:
        query = query.where(AssistanceRequest.enterprise_id == actor.enterprise_id)
    if status:
        query = query.where(AssistanceRequest.status == status)
    query = query.order_by(AssistanceRequest.due_at, AssistanceRequest.id)
    with db.read() as session:
        rows, total = paginate(session, query, params)
        wanted = {r.enterprise_id for r in rows if r.enterprise_id}
        if wanted:  # one query: each row's session.get then finds its enterprise in the identity map
            session.scalars(select(Enterprise).where(Enterprise.id.in_(wanted))).all()
        return {"items": [_describe(session, r, actor, linked=False) for r in rows], "total": total,
                "page": params.page, "page_size": params.page_size}


def get(db: Database, actor: Actor, request_id: int) -> dict:
    with db.read() as session:
        return _describe(session, _visible(session, actor, request_id), actor)


def claim(db: Database, actor: Actor, request_id: int) -> dict:
    require_role(actor, Role.HELPDESK)
    with db.transaction() as session:
        row = _visible(session, actor, request_id)
        if row.claimed_by_id == actor.id:
            return _describe(session, row, actor)
        won = session.execute(update(AssistanceRequest).where(AssistanceRequest.id == row.id,
                                                              AssistanceRequest.status == "open")
                              .values(status="claimed", claimed_by_id=actor.id, claimed_by_name=actor.username,
                                      claimed_at=now()).execution_options(synchronize_session=False)).rowcount
        if not won:
            session.refresh(row)
            raise Conflict(f"assistance request {row.id} is already claimed by {row.claimed_by_name or 'someone'}"
                           if row.status != "open" else f"assistance request {row.id} changed; reload")
        session.refresh(row)
        return _describe(session, row, actor)


def _worked_by(session: Session, actor: Actor, request_id: int) -> AssistanceRequest:
    row = _visible(session, actor, request_id, lock=True)
    if row.claimed_by_id != actor.id:
        raise Conflict(f"assistance request {row.id} is {row.status}: claim it first (it is worked by the agent who "
                       f"claimed it{', ' + row.claimed_by_name if row.claimed_by_name else ''})")
    if row.status == "closed":
        raise Conflict(f"assistance request {row.id} is closed")
    return row


def link(db: Database, actor: Actor, request_id: int, application_id: int, kind: str = "filed") -> dict:
    """An application the agent filed for this request (it must be able to see it: filed on the enterprise's
    behalf, under an authorisation)."""
    require_role(actor, Role.HELPDESK)
    with db.transaction() as session:
        row = _worked_by(session, actor, request_id)
        require_see_application(session, actor, application_id)
        app = session.get(Application, application_id)
        if row.enterprise_id is None:
            row.enterprise_id = app.enterprise_id  # a walk-in's enterprise, known once it is filed for
        elif app.enterprise_id != row.enterprise_id:
            raise Invalid([{"loc": ["body", "application"], "msg": f"application {application_id} is another "
                                                                   "enterprise's"}])
        if session.get(AssistedApplication, (row.id, application_id)) is None:
            session.add(AssistedApplication(request_id=row.id, application_id=application_id, kind=kind,
                                            linked_at=now()))
        row.status = "filed"
        record(session, application_id, actor.username, "assistance_linked", {"request": row.id, "kind": kind})
        session.flush()
        return _describe(session, row, actor)


def escalate(db: Database, actor: Actor, request_id: int, project: dict) -> dict:
    """A difficult case goes to joint consultation: a joint_review filed on the enterprise's behalf, linked here."""
    with db.read() as session:
        row = _worked_by(session, actor, request_id)
        enterprise = session.get(Enterprise, row.enterprise_id) if row.enterprise_id else None
    if enterprise is None:
        raise Conflict(f"assistance request {request_id} has no enterprise yet: file for it first")
    filed = applications.submit(db, actor, process="joint_review", project=project, document_ids=[],
                                idempotency_key=None, on_behalf_of=enterprise.credit_code)
    return link(db, actor, request_id, filed.id, "consultation")


def close(db: Database, actor: Actor, request_id: int, note: str) -> dict:
    require_role(actor, Role.HELPDESK)
    if len(note.strip()) < 2:
        raise Invalid([{"loc": ["body", "note"], "msg": "办结说明 (note) 必填 / closing needs a note"}])
    with db.transaction() as session:
        row = _worked_by(session, actor, request_id)
        row.status, row.closed_at, row.close_note = "closed", now(), note.strip()
        session.flush()
        return _describe(session, row, actor)


def _describe(session: Session, row: AssistanceRequest, actor: Actor, *, linked: bool = True) -> dict:
    offices = office_names(session)
    enterprise = session.get(Enterprise, row.enterprise_id) if row.enterprise_id else None
    view = {"id": row.id, "office": row.office_code, "office_name": offices.get(row.office_code),
            "enterprise": {"credit_code": enterprise.credit_code, "name": enterprise.name} if enterprise else None,
            "project_name": row.project_name, "description": row.description, "contact_name": row.contact_name,
            "contact_phone": row.contact_phone, "status": row.status, "status_name": STATUS_NAMES[row.status],
            "due_at": row.due_at, "created_by": row.created_by_name, "created_at": row.created_at,
            "claimed_by": row.claimed_by_name, "claimed_at": row.claimed_at, "closed_at": row.closed_at,
            "close_note": row.close_note, "applications": []}
    if linked:
        for link_row, app in session.execute(select(AssistedApplication, Application).join(
                Application, Application.id == AssistedApplication.application_id)
                .where(AssistedApplication.request_id == row.id).order_by(AssistedApplication.linked_at)):
            view["applications"].append({"id": app.id, "process": app.process_id, "kind": link_row.kind,
                                         "kind_name": "会商联审" if link_row.kind == "consultation" else "代办申报",
                                         "status": app.status, "status_name": ApplicationStatus(app.status).label,
                                         "conclusion": _conclusion(session, app.id) if link_row.kind == "consultation"
                                         else None})
    return view


def _conclusion(session: Session, application_id: int) -> dict | None:
    """A joint consultation's outcome as the agent and the enterprise read it: the lead's conclusion and each
    department's opinion (departments, never login names)."""
    names = directory.names(session)
    done = list(session.scalars(select(Task).where(Task.application_id == application_id,
                                                   Task.status == TaskStatus.COMPLETED).order_by(Task.completed_at)))
    final = next((t for t in reversed(done) if t.bpmn_id == "conclude"), None)
    if final is None:
        return None
    return {"decision": final.decision, "decision_name": Decision(final.decision).label if final.decision else None,
            "summary": (final.data or {}).get("summary"), "opinion": final.opinion,
            "department": final.department, "department_name": names.get(final.department, final.department),
            "opinions": [{"department": t.department, "department_name": names.get(t.department, t.department),
                          "decision": t.decision, "decision_name": Decision(t.decision).label if t.decision else None,
                          "opinion": t.opinion} for t in done if t.bpmn_id == "consult"]}
