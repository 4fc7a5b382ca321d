"""Escalation and what users are told: a task turning warning or overdue tells its department's leads (and the
outbox), once per state, by any number of workers side by side (SKIP LOCKED on the due rows)."""
from __future__ import annotations

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth.models import User, UserDepartment
from app.auth.policy import Actor
from app.clock import now
from app.common.pagination import PageParams, paginate
from app.db import Database
from app.departments import directory
from app.errors import NotFound
from app.notifications.models import Notification
from app.notifications.outbox import EVENTS, emit, notify
from app.tasks.models import Task
from app.vocabulary import OUTSTANDING, Role
from workflows.calendar import CHINA


def leads_of(session: Session, department: str | None) -> list[int]:
    if not department:
        return []
    return list(session.scalars(select(User.id).join(UserDepartment, UserDepartment.user_id == User.id)
                                .where(UserDepartment.department_code == department, User.role == Role.LEAD,
                                       User.is_active.is_(True))))


def escalate(db: Database, batch: int = 100) -> int:
    """Tell the leads of every task that turned warning or overdue since the last pass. Returns how many."""
    told = 0
    for kind, due_column, marker in (("task_warning", Task.warn_at, Task.warned_at),
                                     ("task_overdue", Task.due_at, Task.overdue_notified_at)):
        with db.transaction() as session:
            moment = now()
            rows = list(session.scalars(
                select(Task).where(Task.status.in_(OUTSTANDING), Task.paused_since.is_(None), due_column <= moment,
                                   marker.is_(None), Task.due_at.is_not(None))
                .order_by(due_column).limit(batch).with_for_update(skip_locked=True)))
            names = directory.names(session)
            leads: dict[str | None, list[int]] = {}  # each department's leads read once per pass
            for task in rows:
                if kind == "task_overdue":
                    if task.due_at >= moment:
                        continue
                    task.overdue_notified_at = moment
                    task.warned_at = task.warned_at or moment  # an overdue task needs no warning after the fact
                else:
                    task.warned_at = moment
                due = task.due_at.astimezone(CHINA).strftime("%Y-%m-%d")
                label = "临期预警" if kind == "task_warning" else "办理超期"
                title = (f"【{label}】{task.project_name or ''}：{task.name}（{names.get(task.department, task.department)}）"
                         f"办理期限 {due}")
                if task.department not in leads:
                    leads[task.department] = leads_of(session, task.department)
                notify(session, leads[task.department], kind, title, task.application_id, task.id)
                detail = {"task_id": task.id, "name": task.name, "department": task.department, "due_at": task.due_at}
                record(session, task.application_id, "system", kind, detail)
                emit(session, kind, task.application_id, detail)
                told += 1
    return told


def list_notifications(db: Database, actor: Actor, params: PageParams, unread: bool) -> dict:
    query = select(Notification).where(Notification.user_id == actor.id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    query = query.order_by(case((Notification.read_at.is_(None), 0), else_=1), Notification.id.desc())
    with db.read() as session:
        rows, total = paginate(session, query, params)
        unread_count = session.scalar(select(func.count()).select_from(Notification)
                                      .where(Notification.user_id == actor.id, Notification.read_at.is_(None)))
        return {"items": [describe(n) for n in rows], "total": total, "unread": unread_count or 0,
                "page": params.page, "page_size": params.page_size}


def describe(n: Notification) -> dict:
    return {"id": n.id, "event": n.event, "event_name": EVENTS.get(n.event, n.event), "title": n.title,
            "application_id": n.application_id, "task_id": n.task_id, "created_at": n.created_at,
            "read_at": n.read_at}


def mark_read(db: Database, actor: Actor, notification_id: int | None) -> int:
    """Mark one notification (or, with None, all of them) read. Returns how many changed."""
    with db.transaction() as session:
        query = update(Notification).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        if notification_id is not None:
            if session.scalar(select(Notification.id).where(Notification.id == notification_id,
                                                            Notification.user_id == actor.id)) is None:
                raise NotFound(f"notification {notification_id} not found")
            query = query.where(Notification.id == notification_id)
        return session.execute(query.values(read_at=now())).rowcount

