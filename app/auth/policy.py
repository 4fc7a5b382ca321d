"""The one place that authorises: who may see and do what."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.errors import Forbidden, NotFound


@dataclass(frozen=True)
class Actor:
    """The authenticated caller, as every use case receives it."""

    id: int
    username: str
    role: str
    departments: frozenset[str]
    enterprise_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_department_staff(self) -> bool:
        return self.role in ("reviewer", "lead")


def require_role(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise Forbidden(f"this needs the role {' or '.join(roles)}; you are {actor.role}")


def can_see_application(session: Session, actor: Actor, application) -> bool:
    from app.tasks.models import Task

    if actor.is_admin:
        return True
    if actor.role == "enterprise":
        return application.enterprise_id == actor.enterprise_id
    if actor.is_department_staff and actor.departments:
        return bool(session.scalar(select(exists().where(
            Task.application_id == application.id, Task.department.in_(actor.departments)))))
    return False


def require_see_application(session: Session, actor: Actor, application) -> None:
    """404, as for an application that does not exist: ids are sequential, and a 403 would let one count them."""
    if not can_see_application(session, actor, application):
        raise NotFound(f"application {application.id} not found")


def require_owner(actor: Actor, application) -> None:
    """Acting for an application (supplement, withdraw) belongs to its enterprise."""
    if actor.role != "enterprise" or application.enterprise_id != actor.enterprise_id:
        raise Forbidden(f"only the applying enterprise can do this for application {application.id}")


def require_task_department(actor: Actor, task) -> None:
    if task.for_applicant:
        raise Forbidden("this task is the applicant's: answer it with a supplement")
    if actor.is_admin:
        return
    if not actor.is_department_staff or task.department not in actor.departments:
        raise Forbidden(f"task {task.id} belongs to department {task.department}, not one of yours")


def require_lead_of(actor: Actor, department: str | None) -> None:
    if actor.is_admin:
        return
    if actor.role != "lead" or department not in actor.departments:
        raise Forbidden(f"only a lead of {department} can do this")
