from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from app.auth.deps import CurrentActor
from app.common.concurrency import in_thread
from app.deps import DatabaseDep
from app.common.pagination import PageDep
from app.tasks import service
from app.tasks.schemas import AssignIn, CompleteIn, TaskOut, TaskPage

router = APIRouter(tags=["tasks"])
TaskId = Annotated[str, Path(max_length=36, description="the task's id (a UUID)")]


@router.get("/tasks", response_model=TaskPage, summary="Your departments' inbox, most urgent first")
async def list_tasks(actor: CurrentActor, db: DatabaseDep, page: PageDep,
               department: Annotated[str | None, Query(max_length=40, description="one of your departments")] = None,
               status: Annotated[Literal["open", "claimed", "mine", "completed", "outstanding"],
                                 Query(description="open (待认领), claimed (办理中), mine (claimed by me), "
                                                   "completed (已办结) or outstanding (open and claimed)")] = "open",
               process: Annotated[str | None, Query(max_length=200, description="only this process")] = None,
               q: Annotated[str | None, Query(min_length=1, max_length=100,
                                              description="search: project name, enterprise name or credit code")] = None):
    return await in_thread(service.list_tasks, db, actor, department, status, page, process, q)


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
