"""The one place that authorises: who may see and do what, as predicates every list, detail and command uses.

A refusal is an error naming what the caller lacks; what the caller may not even see answers 404, exactly as
what does not exist (ids are sequential: a 403 would let one count another enterprise's applications).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, false, select, true
from sqlalchemy.orm import Session

from app.applications.models import Application
from app.auth.models import Enterprise
from app.authorizations.models import Authorization, AuthorizationProcess
from app.clock import now
from app.common.moments import moment_text
from app.documents.models import Document
from app.errors import Forbidden, NotFound
from app.tasks.models import Task
from app.vocabulary import STAFF_ROLES, ApplicationStatus, Role


@dataclass(frozen=True)
class Actor:
    """The authenticated caller, as every use case receives it."""

    id: int
    username: str
    role: Role
    departments: frozenset[str]
    enterprise_id: int | None
    office_code: str | None = None  # a helpdesk agent's office

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_department_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def is_lead_of(self, department: str | None) -> bool:
        return self.role == Role.LEAD and department in self.departments


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        raise Forbidden(f"此操作须由{'或'.join(Role(r).label for r in roles)}办理，您是{Role(actor.role).label} / this needs "
                        f"the role {' or '.join(roles)}; you are {actor.role}")


# ---------------------------------------------------------------- applications


def visible_applications(actor: Actor) -> ColumnElement[bool]:
    """The applications `actor` may see, as a condition on the applications table (lists, details, downloads)."""
    if actor.is_admin:
        return true()
    if actor.role == Role.ENTERPRISE:
        return Application.enterprise_id == actor.enterprise_id
    if actor.is_department_staff and actor.departments:
        return exists().where(Task.application_id == Application.id, Task.department.in_(actor.departments))
    if actor.role == Role.HELPDESK:  # an agent: the applications of the enterprises that authorised it, in scope
        granted = usable_grants(actor, Application.enterprise_id, Application.process_id).exists()
        # … and, while it waits to be forwarded, what its window received (四城通办); after that the authorisation rules
        waiting = (Application.receiving_office == actor.office_code) & (Application.status == ApplicationStatus.FORWARDING)
        return granted | waiting if actor.office_code else granted
    return false()


def usable_grants(actor: Actor, enterprise_id, process_id, moment=None):
    """The authorisations `actor` may act on now for that enterprise and process: granted to it or to its office,
    not revoked, not expired, covering the process."""
    moment = moment or now()
    covered = exists().where(AuthorizationProcess.authorization_id == Authorization.id,
                             AuthorizationProcess.process_id == process_id)
    return select(Authorization.id).where(Authorization.enterprise_id == enterprise_id, _granted_to(actor),
                                          Authorization.revoked_at.is_(None), Authorization.valid_from <= moment,
                                          Authorization.valid_until > moment,
                                          Authorization.all_processes.is_(True) | covered)


def require_acting_for(session: Session, actor: Actor, enterprise_id: int, process_id: str,
                       application_id: int | None = None) -> None:
    """Acting as the applicant: the enterprise itself, or a helpdesk agent holding a usable authorisation — else 403
    saying why (none, expired, revoked, out of scope). The transaction's audit events then carry the agent, its office
    and the enterprise."""
    if actor.role == Role.ENTERPRISE and actor.enterprise_id == enterprise_id:
        return
    if actor.role != Role.HELPDESK:
        subject = f"application {application_id}" if application_id else "this enterprise"
        raise Forbidden(f"仅申请企业或其授权的帮办代办员可办理 / only the applying enterprise, or a helpdesk agent it "
                        f"authorised, can do this for {subject}")
    if session.scalar(usable_grants(actor, enterprise_id, process_id).limit(1)) is None:
        raise Forbidden(_why_no_grant(session, actor, enterprise_id, process_id))
    enterprise = session.get(Enterprise, enterprise_id)
    session.info["acting_for"] = {"actor_office": actor.office_code, "on_behalf_of": enterprise.credit_code}


def _why_no_grant(session: Session, actor: Actor, enterprise_id: int, process_id: str) -> str:
    enterprise = session.get(Enterprise, enterprise_id)
    who = f"{enterprise.name}（{enterprise.credit_code}）" if enterprise else f"enterprise {enterprise_id}"
    grants = list(session.scalars(select(Authorization).where(Authorization.enterprise_id == enterprise_id,
                                                              _granted_to(actor))
                                  .order_by(Authorization.id.desc())))
    if not grants:
        return f"{who} 未授权您（或您所在的帮办窗口）代办 / {who} has not authorised you or your office"
    moment = now()
    for g in grants:
        if g.revoked_at is not None:
            continue
        if g.valid_until <= moment:
            continue
        scope = [p.process_id for p in session.scalars(select(AuthorizationProcess)
                                                       .where(AuthorizationProcess.authorization_id == g.id))]
        return (f"授权委托 {g.id} 不包括流程 {process_id}（授权范围：{'、'.join(scope)}）/ authorisation {g.id} does not "
                f"cover {process_id}")
    latest = grants[0]
    if latest.revoked_at is not None:
        return (f"授权委托 {latest.id} 已于 {moment_text(latest.revoked_at)} 撤销 / authorisation {latest.id} was revoked "
                f"by {who}")
    return (f"授权委托 {latest.id} 已于 {moment_text(latest.valid_until)} 到期 / authorisation {latest.id} expired")


def require_see_application(session: Session, actor: Actor, application_id: int) -> None:
    """404 unless the application exists and `actor` may see it — but an agent once authorised by its enterprise
    learns why it may no longer (expired, revoked, out of scope): 403 saying which."""
    if session.scalar(select(exists().where(Application.id == application_id, visible_applications(actor)))):
        return
    if actor.role == Role.HELPDESK:
        app = session.execute(select(Application.enterprise_id, Application.process_id)
                              .where(Application.id == application_id)).first()
        if app is not None and session.scalar(select(exists().where(
                Authorization.enterprise_id == app.enterprise_id, _granted_to(actor)))):
            raise Forbidden(_why_no_grant(session, actor, app.enterprise_id, app.process_id))
    raise NotFound(f"application {application_id} not found")


def _granted_to(actor: Actor):
    grantee = Authorization.grantee_user_id == actor.id
    if actor.office_code:
        grantee = grantee | (Authorization.grantee_office == actor.office_code)
    return grantee


# ---------------------------------------------------------------- tasks


def require_inbox(actor: Actor) -> None:
    if not (actor.is_department_staff or actor.is_admin):
        raise Forbidden("待办箱仅供部门工作人员使用 / the inbox is for department staff")


def visible_tasks(actor: Actor, department: str | None = None) -> ColumnElement[bool]:
    """The department tasks `actor` may list: its departments' (one of them, if asked), or any for an admin."""
    if department is not None and not actor.is_admin and department not in actor.departments:
        raise Forbidden(f"您不属于部门 {department} / you are not a member of {department}")
    condition = Task.for_applicant.is_(False)
    if department is not None:
        return condition & (Task.department == department)
    return condition if actor.is_admin else condition & Task.department.in_(actor.departments)


def require_work_on(actor: Actor, task: Task) -> None:
    """Seeing, claiming and deciding a department task belong to that department (and to admins)."""
    if task.for_applicant:
        raise Forbidden("此任务由申请人办理，请通过补正答复 / this task is the applicant's: answer it with a supplement")
    if actor.is_admin:
        return
    if not actor.is_department_staff or task.department not in actor.departments:
        raise Forbidden(f"任务 {task.id} 属于部门 {task.department}，不是您所在的部门 / task {task.id} belongs to department "
                        f"{task.department}, not one of yours")


def require_lead_of(actor: Actor, department: str | None) -> None:
    """Assigning and releasing someone else's task belong to the department's lead (and to admins)."""
    if not (actor.is_admin or actor.is_lead_of(department)):
        raise Forbidden(f"仅 {department} 的科室负责人可办理 / only a lead of {department} can do this")


def require_staff_of(actor: Actor, department: str) -> None:
    """A department's own decisions outside a task (a permit's extension) belong to its staff."""
    if not (actor.is_department_staff and department in actor.departments):
        raise Forbidden(f"仅 {department} 的工作人员可办理 / only staff of {department} can do this")


def require_holder_or_staff_of(actor: Actor, application: Application, department: str) -> None:
    """What the holder reports and the issuing department may record alike (the day construction started)."""
    if actor.role == Role.ENTERPRISE and application.enterprise_id == actor.enterprise_id:
        return
    if actor.is_department_staff and department in actor.departments:
        return
    raise Forbidden(f"仅申请 {application.id} 的持证企业或 {department} 的工作人员可办理 / only the holder of application "
                        f"{application.id}'s permit or staff of {department} can do this")


def may_be_assigned(role: Role, departments: list[str], department: str | None) -> bool:
    return role in STAFF_ROLES and department in departments


# ---------------------------------------------------------------- documents


def require_upload(actor: Actor) -> None:
    """Every signed-in user may upload (applicants, agents, staff for certificates); until a document is attached
    only its uploader sees it."""
    require_role(actor, *Role)


def require_see_document(session: Session, actor: Actor, document: Document) -> None:
    if document.uploaded_by_id == actor.id or actor.is_admin:
        return
    if document.application_id is not None and session.scalar(select(exists().where(
            Application.id == document.application_id, visible_applications(actor)))):
        return
    raise NotFound(f"document {document.id} not found")


# ---------------------------------------------------------------- processes and incidents


def require_admin(actor: Actor) -> None:
    require_role(actor, Role.ADMIN)


def require_admin_or_lead(actor: Actor) -> None:
    """The ledger and the ranking: administrators (the city) and department leads."""
    require_role(actor, Role.ADMIN, Role.LEAD)


def may_read_engine_messages(actor: Actor) -> bool:
    """The engine's own words (expression text, data keys) are for administrators, never for applicants."""
    return actor.is_admin
