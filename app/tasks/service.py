"""The department inbox: list, claim, release, assign and complete tasks."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.applications.models import Application
from app.audit.service import record
from app.auth.models import User
from app.auth.policy import Actor, require_lead_of, require_task_department
from app.clock import now
from app.db import Database
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.platform.forms import schema_errors
from app.platform.pagination import PageParams, paginate
from app.tasks.models import Task

LIST_STATUSES = ("open", "claimed", "mine", "completed")


def describe_task(session: Session, task: Task, application: Application | None = None) -> dict:
    application = application or session.get(Application, task.application_id)
    assignee = session.get(User, task.assignee_id).username if task.assignee_id else None
    return {"id": task.id, "application_id": task.application_id, "process": application.process_id,
            "name": task.name, "department": task.department, "status": task.status, "assignee": assignee,
            "created_at": task.created_at, "due_at": task.due_at, "stage": task.stage,
            "stage_name": (task.meta or {}).get("stage_name"), "form": task.form, "actions": task.actions,
            "decision": task.decision, "completed_at": task.completed_at}


def _task(session: Session, task_id: str) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task


def list_tasks(db: Database, actor: Actor, department: str | None, status: str, params: PageParams) -> dict:
    if status not in LIST_STATUSES:
        raise Invalid([{"loc": ["query", "status"], "msg": f"must be one of {', '.join(LIST_STATUSES)}"}])
    if not (actor.is_department_staff or actor.is_admin):
        raise Forbidden("the inbox is for department staff")
    query = select(Task).where(Task.for_applicant.is_(False))
    if department:
        if not actor.is_admin and department not in actor.departments:
            raise Forbidden(f"you are not a member of {department}")
        query = query.where(Task.department == department)
    elif not actor.is_admin:
        query = query.where(Task.department.in_(actor.departments))
    if status == "mine":
        query = query.where(Task.assignee_id == actor.id, Task.status == "claimed")
    else:
        query = query.where(Task.status == status)
    # Most urgent first: tasks with a deadline by deadline, then the oldest.
    query = query.order_by(Task.due_at.is_(None), Task.due_at, Task.created_at, Task.id)
    with db.read() as session:
        rows, total = paginate(session, query, params)
        return {"items": [describe_task(session, t) for t in rows], "total": total, "page": params.page,
                "page_size": params.page_size}


def get_task(db: Database, actor: Actor, task_id: str) -> dict:
    with db.read() as session:
        task = _task(session, task_id)
        require_task_department(actor, task)
        return describe_task(session, task)


def claim(db: Database, actor: Actor, task_id: str) -> dict:
    with db.transaction() as session:
        task = _task(session, task_id)
        require_task_department(actor, task)
        # Compare-and-set: only an open task can be claimed, whoever gets here first.
        result = session.execute(update(Task).where(Task.id == task_id, Task.status == "open")
                                 .values(status="claimed", assignee_id=actor.id, claimed_at=now()))
        session.refresh(task)
        if result.rowcount != 1:
            if task.status == "claimed" and task.assignee_id == actor.id:
                return describe_task(session, task)
            raise Conflict(_why_not_open(session, task))
        record(session, task.application_id, actor.username, "task_claimed", {"task_id": task.id, "name": task.name})
        return describe_task(session, task)


def _why_not_open(session: Session, task: Task) -> str:
    if task.status == "claimed":
        holder = session.get(User, task.assignee_id)
        return f"task {task.id} is already claimed by {holder.username if holder else 'someone else'}"
    return f"task {task.id} is {task.status}"


def release(db: Database, actor: Actor, task_id: str) -> dict:
    with db.transaction() as session:
        task = _task(session, task_id)
        require_task_department(actor, task)
        if task.status != "claimed":
            raise Conflict(f"task {task.id} is {task.status}, not claimed")
        if task.assignee_id != actor.id:
            require_lead_of(actor, task.department)
        result = session.execute(update(Task).where(Task.id == task_id, Task.status == "claimed",
                                                    Task.assignee_id == task.assignee_id)
                                 .values(status="open", assignee_id=None, claimed_at=None))
        if result.rowcount != 1:
            raise Conflict(f"task {task.id} changed meanwhile; reload")
        session.refresh(task)
        record(session, task.application_id, actor.username, "task_released", {"task_id": task.id, "name": task.name})
        return describe_task(session, task)


def assign(db: Database, actor: Actor, task_id: str, username: str) -> dict:
    with db.transaction() as session:
        task = _task(session, task_id)
        require_task_department(actor, task)
        require_lead_of(actor, task.department)
        user = session.scalar(select(User).where(User.username == username))
        if user is None or user.role not in ("reviewer", "lead") or task.department not in user.departments:
            raise Invalid([{"loc": ["body", "username"], "msg": f"{username!r} is not a reviewer or lead of {task.department}"}])
        # Compare-and-set, like a claim: a task completed or cancelled meanwhile stays as it is.
        result = session.execute(update(Task).where(Task.id == task_id, Task.status.in_(("open", "claimed")))
                                 .values(status="claimed", assignee_id=user.id, claimed_at=now()))
        session.refresh(task)
        if result.rowcount != 1:
            raise Conflict(f"task {task.id} is {task.status}")
        record(session, task.application_id, actor.username, "task_assigned",
               {"task_id": task.id, "name": task.name, "to": user.username})
        return describe_task(session, task)


def complete(db: Database, actor: Actor, task_id: str, decision: str, opinion: str, data: dict) -> dict:
    from app.applications.minor_items import record_minor_items
    from app.instances import kernel
    from workflows.instances import TaskNotReady

    with db.read() as session:
        peek = _task(session, task_id)
        require_task_department(actor, peek)

    def decide(instance: kernel.Instance) -> None:
        session = instance.session
        task = _task(session, task_id)
        session.refresh(task)  # read again under the instance's lock
        if task.status == "open":
            raise Conflict(f"claim task {task.id} before completing it")
        if task.status != "claimed" or task.assignee_id != actor.id:
            raise Conflict(_why_not_open(session, task))
        if decision not in task.actions:
            raise Invalid([{"loc": ["body", "decision"], "msg": f"{decision!r} is not allowed here; allowed: {', '.join(task.actions)}"}])
        problems = schema_errors(task.form, data, ["body", "data"], instance.definition.forms)
        if problems:
            raise Invalid(problems)
        try:
            instance.run("complete", task_id=task.id, payload={**data, "decision": decision, "opinion": opinion})
        except TaskNotReady:
            raise Conflict(f"task {task.id} is no longer ready in its process; reload")
        task.decision, task.opinion, task.completed_by_id = decision, opinion, actor.id
        if decision == "approve" and data.get("minor_items_pending"):
            record_minor_items(session, instance.application.id, task.id, data["minor_items_pending"], data["promised_date"])
        record(session, instance.application.id, actor.username, "task_completed",
               {"task_id": task.id, "name": task.name, "department": task.department, "decision": decision,
                "opinion": opinion})

    kernel.run(db, peek.application_id, actor.username, decide, reveal_errors=actor.is_admin)
    return get_task(db, actor, task_id)
