from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from app.auth.deps import CurrentActor
from app.common.concurrency import in_thread
from app.deps import DatabaseDep
from app.common.pagination import PageDep
from app.tasks import deadlines, service
from app.tasks.schemas import (
    AssignIn,
    CompleteIn,
    DeadlineExtensionOut,
    ExtensionIn,
    SpecialProcedureIn,
    SpecialProcedureOut,
    TaskOut,
    TaskPage,
)

router = APIRouter(tags=["tasks"])
TaskId = Annotated[str, Path(max_length=36, description="the task's id (a UUID)")]


@router.get("/tasks", response_model=TaskPage, summary="Your departments' inbox, most urgent first")
async def list_tasks(actor: CurrentActor, db: DatabaseDep, page: PageDep,
               department: Annotated[str | None, Query(max_length=40, description="one of your departments")] = None,
               status: Annotated[Literal["open", "claimed", "mine", "completed", "outstanding"] | None,
                                 Query(description="open (待认领), claimed (办理中), mine (claimed by me), "
                                                   "completed (已办结) or outstanding (open and claimed); "
                                                   "open by default, outstanding with `sla`")] = None,
               sla: Annotated[Literal["on_time", "warning", "overdue"] | None,
                              Query(description="on_time (正常), warning (临期预警) or overdue (已超期)")] = None,
               process: Annotated[str | None, Query(max_length=200, description="only this process")] = None,
               q: Annotated[str | None, Query(min_length=1, max_length=100,
                                              description="search: project name, enterprise name or credit code")] = None):
    return await in_thread(service.list_tasks, db, actor, department, status, page, process, q, sla)


@router.get("/tasks/{task_id}", response_model=TaskOut)
async def get_task(task_id: TaskId, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.get_task, db, actor, task_id)


@router.post("/tasks/{task_id}/claim", response_model=TaskOut, summary="Claim a task (409 if someone holds it)")
async def claim(task_id: TaskId, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.claim, db, actor, task_id)


@router.post("/tasks/{task_id}/release", response_model=TaskOut, summary="Give a claimed task back to the queue")
async def release(task_id: TaskId, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.release, db, actor, task_id)


@router.post("/tasks/{task_id}/assign", response_model=TaskOut, summary="Assign a task (department lead)")
async def assign(task_id: TaskId, body: AssignIn, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.assign, db, actor, task_id, body.username)


@router.post("/tasks/{task_id}/complete", response_model=TaskOut, summary="Decide a task you hold")
async def complete(task_id: TaskId, body: CompleteIn, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.complete, db, actor, task_id, body.decision, body.opinion, body.data,
                           [i.model_dump() for i in body.items_to_supplement] if body.items_to_supplement else None)


@router.post("/tasks/{task_id}/extensions", response_model=DeadlineExtensionOut, status_code=201,
             summary="Extend a task's deadline with a reason (the department's lead; beyond the statutory extension "
                     "only an administrator)")
async def extend(task_id: TaskId, body: ExtensionIn, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(deadlines.extend, db, actor, task_id, body.working_days, body.reason)


@router.post("/tasks/{task_id}/special-procedures", response_model=SpecialProcedureOut, status_code=201,
             summary="Start a special procedure (特别程序): the task's clock stops")
async def start_procedure(task_id: TaskId, body: SpecialProcedureIn, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(deadlines.start_procedure, db, actor, task_id, body.kind, body.reason)


@router.post("/tasks/{task_id}/special-procedures/{procedure_id}/end", response_model=SpecialProcedureOut,
             summary="End a special procedure: the clock runs again, the deadline moved by the working days it stood")
async def end_procedure(task_id: TaskId, procedure_id: Annotated[int, Path(ge=1, le=2**31 - 1)], actor: CurrentActor,
                        db: DatabaseDep):
    return await in_thread(deadlines.end_procedure, db, actor, task_id, procedure_id)
