"""The department inbox: list, claim, release, assign and complete tasks.

Every command goes through the instance kernel (aimed at the task: its application is locked and the task read
in one statement); every answer is read after the commit."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth import policy
from app.auth.policy import Actor
from app.auth.service import find_user
from app.clock import now
from app.common.forms import schema_errors
from app.common.pagination import PageParams, paginate
from app.common.search import contains
from app.db import Database
from app.departments import directory
from app.documents import service as documents
from app.errors import Conflict, Invalid, NotFound
from app.instances import kernel
from app.notifications.outbox import emit
from app.tasks.models import Task
from app.tasks.schemas import EnterpriseRef, TaskOut, TaskPage
from app.common import clocks
from app.vocabulary import OUTSTANDING, Decision, SlaState, TaskStatus, item_name
from workflows.instances import TaskNotReady

# What the inbox can list: the task statuses, "mine" (claimed by me), "outstanding" (open or claimed).
LIST_STATUSES = ("open", "claimed", "mine", "completed", "outstanding")


def describe_task(task, names: dict[str, str], *, staff: bool = True, moment=None) -> TaskOut:
    """The read model of a task, from its row (the inbox rows carry everything they show).

    `staff`: the reader is department staff or an administrator; an applicant reads decisions attributed to the
    department, never to a login name."""
    outstanding = task.status in OUTSTANDING
    clock = clocks.clock_view(due_at=task.due_at if outstanding else None, warn=task.warn_at,
                              started_at=task.clock_started_at, paused_days=task.paused_days,
                              paused_since=task.paused_since, paused_reason=task.paused_reason,
                              provisional=task.due_provisional, now=moment or now())
    state = clock.pop("sla_state")
    return TaskOut(**clock, sla_state=state, sla_state_name=SlaState(state).label if state else None,
                   item=task.item, item_name=item_name(task.item) if task.item else None, time_limit=task.time_limit,
                   paused_working_days=task.paused_days or 0, extended_working_days=task.extended_days or 0,
                   within_time_limit=(task.completed_at <= task.due_at) if task.status == TaskStatus.COMPLETED
                   and task.due_at and task.completed_at else None,
                   id=task.id, application_id=task.application_id, process=task.process_id, name=task.name, element=task.bpmn_id,
                   department=task.department, department_name=names.get(task.department, task.department),
                   status=task.status, status_name=TaskStatus(task.status).label,
                   assignee=task.assignee_name if staff else None, created_at=task.created_at, due_at=task.due_at,
                   stage=task.stage, stage_name=(task.meta or {}).get("stage_name"), form=task.form,
                   actions=task.actions, project_name=task.project_name,
                   enterprise=EnterpriseRef(name=task.enterprise_name, credit_code=task.enterprise_credit_code),
                   enterprise_name=task.enterprise_name, received_at=task.received_at, resubmitted=task.resubmitted,
                   decision=task.decision, decision_name=Decision(task.decision).label if task.decision else None,
                   opinion=task.opinion, data=task.data, completed_by=task.completed_by_name if staff else None,
                   completed_at=task.completed_at)


TASKS = Task.__table__


def tasks_of(session: Session, application_id: int) -> list:
    """Every task an application has had, in the order they opened (one query: details and relay views share it)."""
    return list(session.execute(select(TASKS).where(TASKS.c.application_id == application_id)
                                .order_by(TASKS.c.created_at, TASKS.c.id)))


def _task(session: Session, task_id: str):
    task = session.execute(select(TASKS).where(TASKS.c.id == task_id)).first()
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task


def sla_condition(sla: str, moment):
    """The SQL twin of clocks.sla_state, on indexed columns: a stopped clock is judged when it stopped."""
    at = func.coalesce(Task.paused_since, moment)
    if sla == SlaState.OVERDUE:
        return Task.due_at < at
    if sla == SlaState.WARNING:
        return (Task.warn_at <= at) & (Task.due_at >= at)
    return (Task.warn_at > at) | Task.due_at.is_(None)


def list_tasks(db: Database, actor: Actor, department: str | None, status: str | None, params: PageParams,
               process: str | None = None, q: str | None = None, sla: str | None = None) -> TaskPage:
    policy.require_inbox(actor)
    status = status or ("outstanding" if sla else "open")
    query = select(TASKS).where(policy.visible_tasks(actor, department))
    if sla:
        if status == "completed":
            raise Invalid([{"loc": ["query", "sla"], "msg": "sla 只用于未办结的任务 / sla filters open and claimed tasks"}])
        query = query.where(sla_condition(sla, now()))
    if process:
        query = query.where(TASKS.c.process_id == process)
    if q:
        query = query.where(contains(TASKS.c.project_name, q) | contains(TASKS.c.enterprise_name, q)
                            | (TASKS.c.enterprise_credit_code == q.upper()))
    if status == "mine":
        query = query.where(Task.assignee_id == actor.id, Task.status == TaskStatus.CLAIMED)
    elif status == "outstanding":
        query = query.where(Task.status.in_(OUTSTANDING))
    else:
        query = query.where(Task.status == status)
    # Most urgent first: tasks with a deadline by deadline, then the oldest.
    query = query.order_by(Task.due_at.is_(None), Task.due_at, Task.created_at, Task.id)
    with db.read() as session:
        rows, total = paginate(session, query, params, rows=True)
        names = directory.names(session)
        return TaskPage(items=[describe_task(t, names) for t in rows], total=total, page=params.page,
                        page_size=params.page_size)


def get_task(db: Database, actor: Actor, task_id: str) -> TaskOut:
    with db.lookup() as session:
        task = _task(session, task_id)
        policy.require_work_on(actor, task)
        return describe_task(task, directory.names(session))


def claim(db: Database, actor: Actor, task_id: str) -> TaskOut:
    def take(instance: kernel.Instance) -> None:
        task = instance.task
        policy.require_work_on(actor, task)
        if task.status == TaskStatus.CLAIMED and task.assignee_id == actor.id:
            return  # claiming twice is a no-op
        # Compare-and-set: only an open task can be claimed, whoever gets here first.
        won, now_is = _compare_and_set(instance.session, task, Task.status == TaskStatus.OPEN, status=TaskStatus.CLAIMED,
                                       assignee_id=actor.id, assignee_name=actor.username, claimed_at=now())
        if not won:
            raise Conflict(_why_not_open(now_is))
        record(instance.session, task.application_id, actor.username, "task_claimed", {"task_id": task.id, "name": task.name})
        emit(instance.session, "task_claimed", task.application_id,
             {"task_id": task.id, "name": task.name, "department": task.department, "by": actor.username})

    kernel.run(db, kernel.ForTask(task_id), actor.username, take)
    return get_task(db, actor, task_id)


def _compare_and_set(session: Session, task, *still, **values) -> tuple[bool, object]:
    """Change the task row only while the conditions `still` hold. Returns whether it did, and the task as it is
    now when it did not (a lost race: who won?)."""
    result = session.execute(update(Task).where(Task.id == task.id, *still).values(**values)
                             .execution_options(synchronize_session=False))
    if result.rowcount == 1:
        return True, task
    return False, _task(session, task.id)


def _why_not_open(task: Task) -> str:
    if task.status == TaskStatus.CLAIMED:
        return f"task {task.id} is already claimed by {task.assignee_name or 'someone else'}"
    return f"task {task.id} is {task.status}"


def release(db: Database, actor: Actor, task_id: str) -> TaskOut:
    def give_back(instance: kernel.Instance) -> None:
        task = instance.task
        policy.require_work_on(actor, task)
        if task.status != TaskStatus.CLAIMED:
            raise Conflict(f"task {task.id} is {task.status}, not claimed")
        if task.assignee_id != actor.id:
            policy.require_lead_of(actor, task.department)
        if not _compare_and_set(instance.session, task, Task.status == TaskStatus.CLAIMED,
                                Task.assignee_id == task.assignee_id, status=TaskStatus.OPEN, assignee_id=None,
                                assignee_name=None, claimed_at=None)[0]:
            raise Conflict(f"task {task.id} changed meanwhile; reload")
        record(instance.session, task.application_id, actor.username, "task_released", {"task_id": task.id, "name": task.name})

    kernel.run(db, kernel.ForTask(task_id), actor.username, give_back)
    return get_task(db, actor, task_id)


def assign(db: Database, actor: Actor, task_id: str, username: str) -> TaskOut:
    def hand_to(instance: kernel.Instance) -> None:
        task = instance.task
        policy.require_work_on(actor, task)
        policy.require_lead_of(actor, task.department)
        user = find_user(instance.session, username)
        if user is None or not user.is_active or not policy.may_be_assigned(user.role, user.departments, task.department):
            raise Invalid([{"loc": ["body", "username"], "msg": f"{username!r} is not a reviewer or lead of {task.department}"}])
        # Compare-and-set, like a claim: a task completed or cancelled meanwhile stays as it is.
        won, now_is = _compare_and_set(instance.session, task, Task.status.in_(OUTSTANDING), status=TaskStatus.CLAIMED,
                                       assignee_id=user.id, assignee_name=user.username, claimed_at=now())
        if not won:
            raise Conflict(f"task {task.id} is {now_is.status}")
        record(instance.session, task.application_id, actor.username, "task_assigned",
               {"task_id": task.id, "name": task.name, "to": user.username})

    kernel.run(db, kernel.ForTask(task_id), actor.username, hand_to)
    return get_task(db, actor, task_id)


def complete(db: Database, actor: Actor, task_id: str, decision: str, opinion: str, data: dict,
             items_to_supplement: list[dict] | None = None) -> TaskOut:
    if decision == Decision.RETURN:
        problems = []
        if not items_to_supplement:
            problems.append({"loc": ["body", "items_to_supplement"],
                             "msg": "补正清单 (items_to_supplement) 必填：退回补正须一次性列明全部补正事项及理由 / "
                                    "a return lists every item to supplement, each with its reason"})
        if not opinion.strip():
            problems.append({"loc": ["body", "opinion"], "msg": "审批意见 (opinion) 必填：退回补正须说明意见 / a return needs an opinion"})
        if problems:
            raise Invalid(problems)
    elif items_to_supplement:
        raise Invalid([{"loc": ["body", "items_to_supplement"],
                        "msg": "补正清单 (items_to_supplement) 只随退回补正提交 / only a return lists items to supplement"}])

    def decide(instance: kernel.Instance) -> None:
        session, task = instance.session, instance.task
        policy.require_work_on(actor, task)
        if task.status == TaskStatus.OPEN:
            raise Conflict(f"claim task {task.id} before completing it")
        if task.status != TaskStatus.CLAIMED or task.assignee_id != actor.id:
            raise Conflict(_why_not_open(task))
        if decision not in task.actions:
            raise Invalid([{"loc": ["body", "decision"], "msg": f"{decision!r} is not allowed here; allowed: {', '.join(task.actions)}"}])
        problems = schema_errors(task.form, data, ["body", "data"], instance.definition.forms)
        if problems:
            raise Invalid(problems)
        documents.attach_from_form(session, actor, instance.application.id, data, ["body", "data"])
        payload = {**data, "decision": decision, "opinion": opinion}
        if items_to_supplement:
            payload["items_to_supplement"] = items_to_supplement
            kernel.request_supplement(instance, task, items_to_supplement, opinion, actor.id, actor.username)
        try:
            instance.run("complete", task_id=task.id, payload=payload)
        except TaskNotReady:
            raise Conflict(f"task {task.id} is no longer ready in its process; reload")
        instance.write_task(task.id, decision=decision, opinion=opinion, data=data, completed_by_id=actor.id,
                            completed_by_name=actor.username)
        detail = {"task_id": task.id, "name": task.name, "department": task.department, "decision": decision,
                  "opinion": opinion}
        record(session, instance.application.id, actor.username, "task_completed", detail)
        emit(session, "decision", instance.application.id, detail)
        if (task.meta or {}).get("handover"):  # a take-over (接棒) completed: the baton changed hands
            emit(session, "baton_handed_over", instance.application.id,
                 {"leg": task.meta["handover"], "department": task.department, "task_id": task.id})

    kernel.run(db, kernel.ForTask(task_id), actor.username, decide, reveal_errors=policy.may_read_engine_messages(actor))
    return get_task(db, actor, task_id)
