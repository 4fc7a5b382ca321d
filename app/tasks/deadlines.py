"""A task's deadline under the law: a lead extends it (延长办理期限, up to the statutory extension; more only by an
administrator), a reviewer stops its clock for a special procedure (特别程序) and starts it again."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth import policy
from app.auth.policy import Actor
from app.calendar.limits import item_limits
from app.clock import now
from app.common import clocks
from app.db import Database
from app.departments import directory
from app.errors import Conflict, Invalid
from app.instances import kernel
from app.notifications.outbox import emit
from app.tasks.models import DeadlineExtension, SpecialProcedure
from app.vocabulary import OUTSTANDING, SPECIAL_PROCEDURE_CAPS, SpecialProcedureKind
from workflows.calendar import working_days_between

# 行政许可法 第四十二条: twenty working days may be extended by ten; joint handling's forty-five by fifteen.
EXTENSION_BY_LIMIT = {"20wd": 10, "45wd": 15}


def statutory_extension(session: Session, task) -> int:
    limits = item_limits(session)
    if task.item in limits:
        return limits[task.item].extension_working_days
    return EXTENSION_BY_LIMIT.get(task.time_limit or "", 0)


def _running_clock(task) -> None:
    if task.status not in OUTSTANDING:
        raise Conflict(f"task {task.id} is {task.status}: only an open task's deadline changes")
    if not task.time_limit or task.clock_started_at is None:
        raise Conflict(f"task {task.id} ({task.name}) has no time limit")


def _moved(task, *, paused_days: int, extended_days: int, moment) -> dict:
    """The columns of a deadline recomputed from its inputs; a warning or overdue notice already sent is forgotten
    when the new deadline is no longer warning or overdue (it will be sent again when it is)."""
    due = clocks.due(task.time_limit, task.clock_started_at, paused_days, extended_days)
    columns = {"paused_days": paused_days, "extended_days": extended_days,
               **clocks.deadline_columns(task.clock_started_at, due)}
    if columns["warn_at"] > moment:
        columns["warned_at"] = None
    if due.at > moment:
        columns["overdue_notified_at"] = None
    return columns


def extend(db: Database, actor: Actor, task_id: str, working_days: int, reason: str) -> dict:
    reason = reason.strip()
    if len(reason) < 2:
        raise Invalid([{"loc": ["body", "reason"], "msg": "延长理由 (reason) 必填 / an extension needs its reason"}])
    granted: list[int] = []

    def grant(instance: kernel.Instance) -> None:
        session, task = instance.session, instance.task
        policy.require_work_on(actor, task)
        policy.require_lead_of(actor, task.department)
        _running_clock(task)
        allowed = statutory_extension(session, task)
        total = (task.extended_days or 0) + working_days
        beyond = total > allowed
        if beyond and not actor.is_admin:
            raise Invalid([{"loc": ["body", "working_days"],
                            "msg": f"延长期限 (working_days) 超出法定可延长的 {allowed} 个工作日（已延长 {task.extended_days or 0} 个）："
                                   f"更长的延期须经系统管理员批准 / beyond the statutory extension of {allowed} working "
                                   f"days ({task.extended_days or 0} granted): only an administrator may grant more"}])
        moment = now()
        columns = _moved(task, paused_days=task.paused_days or 0, extended_days=total, moment=moment)
        instance.write_task(task.id, **columns)
        instance.run("move_timers", task_id=task.id, payload={"working_days": working_days})  # its boundary timers
        row = DeadlineExtension(application_id=task.application_id, task_id=task.id, task_name=task.name,
                                department=task.department, working_days=working_days, reason=reason,
                                beyond_statutory=beyond, previous_due_at=task.due_at, new_due_at=columns["due_at"],
                                granted_by_id=actor.id, granted_by_name=actor.username, granted_at=moment)
        session.add(row)
        session.flush()
        granted.append(row.id)
        detail = {"task_id": task.id, "name": task.name, "working_days": working_days, "reason": reason,
                  "from": task.due_at, "to": columns["due_at"], "beyond_statutory": beyond}
        record(session, task.application_id, actor.username, "deadline_extended", detail)
        emit(session, "deadline_extended", task.application_id, {**detail, "department": task.department})

    kernel.run(db, kernel.ForTask(task_id), actor.username, grant)
    with db.read() as session:
        return describe_extension(session.get(DeadlineExtension, granted[0]), directory.names(session), staff=True)


def describe_extension(e: DeadlineExtension, names: dict, *, staff: bool) -> dict:
    return {"id": e.id, "task_id": e.task_id, "task_name": e.task_name, "department": e.department,
            "department_name": names.get(e.department, e.department), "working_days": e.working_days,
            "reason": e.reason, "beyond_statutory": e.beyond_statutory, "previous_due_at": e.previous_due_at,
            "new_due_at": e.new_due_at, "granted_by": e.granted_by_name if staff else None, "granted_at": e.granted_at}


def describe_procedure(p: SpecialProcedure, *, staff: bool) -> dict:
    return {"id": p.id, "task_id": p.task_id, "kind": p.kind, "kind_name": SpecialProcedureKind(p.kind).label,
            "reason": p.reason, "cap_days": p.cap_days, "started_at": p.started_at,
            "started_by": p.started_by if staff else None, "ended_at": p.ended_at,
            "paused_working_days": p.paused_days}


def start_procedure(db: Database, actor: Actor, task_id: str, kind: str, reason: str) -> dict:
    reason = reason.strip()
    started: list[int] = []

    def begin(instance: kernel.Instance) -> None:
        session, task = instance.session, instance.task
        policy.require_work_on(actor, task)
        _running_clock(task)
        if task.paused_since is not None:
            raise Conflict(f"task {task.id}'s clock already stands still: {task.paused_reason}")
        moment = now()
        label = SpecialProcedureKind(kind).label
        row = SpecialProcedure(application_id=task.application_id, task_id=task.id, kind=kind, reason=reason,
                               cap_days=SPECIAL_PROCEDURE_CAPS.get((kind, task.item)), started_at=moment,
                               started_by=actor.username)
        session.add(row)
        session.flush()
        started.append(row.id)
        instance.write_task(task.id, paused_since=moment, paused_reason=f"{label}：{reason}")
        record(session, task.application_id, actor.username, "special_procedure_started",
               {"task_id": task.id, "name": task.name, "kind": kind, "kind_name": label, "reason": reason,
                "cap_days": row.cap_days})

    kernel.run(db, kernel.ForTask(task_id), actor.username, begin)
    with db.read() as session:
        return describe_procedure(session.get(SpecialProcedure, started[0]), staff=True)


def end_procedure(db: Database, actor: Actor, task_id: str, procedure_id: int) -> dict:
    def finish(instance: kernel.Instance) -> None:
        session, task = instance.session, instance.task
        policy.require_work_on(actor, task)
        row = session.scalar(select(SpecialProcedure).where(SpecialProcedure.id == procedure_id,
                                                            SpecialProcedure.task_id == task.id).with_for_update())
        if row is None:
            raise Invalid([{"loc": ["path", "procedure_id"], "msg": f"task {task.id} has no special procedure {procedure_id}"}])
        if row.ended_at is not None:
            raise Conflict(f"special procedure {procedure_id} ended at {row.ended_at.isoformat()}")
        moment = now()
        # only the days the rule allows stand still: beyond a cap, the clock runs again
        counted_until = min(moment, row.started_at + timedelta(days=row.cap_days)) if row.cap_days else moment
        paused = working_days_between(row.started_at, counted_until)
        row.ended_at, row.ended_by, row.paused_days = moment, actor.username, paused
        columns = _moved(task, paused_days=(task.paused_days or 0) + paused, extended_days=task.extended_days or 0,
                         moment=moment) if task.status in OUTSTANDING and task.time_limit else {}
        instance.write_task(task.id, paused_since=None, paused_reason=None, **columns)
        record(session, task.application_id, actor.username, "special_procedure_ended",
               {"task_id": task.id, "name": task.name, "kind": row.kind, "paused_working_days": paused,
                "to": columns.get("due_at")})

    kernel.run(db, kernel.ForTask(task_id), actor.username, finish)
    with db.read() as session:
        return describe_procedure(session.get(SpecialProcedure, procedure_id), staff=True)


def of_application(session: Session, application_id: int, *, staff: bool) -> dict:
    names = directory.names(session)
    extensions = session.scalars(select(DeadlineExtension).where(DeadlineExtension.application_id == application_id)
                                 .order_by(DeadlineExtension.id))
    procedures = session.scalars(select(SpecialProcedure).where(SpecialProcedure.application_id == application_id)
                                 .order_by(SpecialProcedure.id))
    return {"deadline_extensions": [describe_extension(e, names, staff=staff) for e in extensions],
            "special_procedures": [describe_procedure(p, staff=staff) for p in procedures]}
