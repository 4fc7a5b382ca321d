from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from app.assistance import service
from app.assistance.schemas import AssistanceIn, AssistanceOut, AssistancePage, CloseIn, EscalateIn, LinkIn
from app.auth.deps import CurrentActor
from app.common.concurrency import in_thread
from app.common.pagination import PageDep
from app.deps import DatabaseDep

router = APIRouter(tags=["assistance"])
RequestId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the assistance request's number")]


@router.post("/assistance-requests", response_model=AssistanceOut, status_code=201,
             summary="Ask the district's helpdesk for help (帮办申请): an enterprise, or an agent for a walk-in")
async def ask(body: AssistanceIn, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.ask, db, actor, district=body.district, project_name=body.project_name,
                           description=body.description, contact_name=body.contact_name,
                           contact_phone=body.contact_phone, enterprise=body.enterprise)


@router.get("/assistance-requests", response_model=AssistancePage,
            summary="An agent: its office's queue, most urgent first; an enterprise: its own requests")
async def listed(actor: CurrentActor, db: DatabaseDep, page: PageDep,
                 status: Annotated[Literal["open", "claimed", "filed", "closed"] | None, Query()] = None):
    return await in_thread(service.listed, db, actor, page, status)


@router.get("/assistance-requests/{request_id}", response_model=AssistanceOut)
async def get(request_id: RequestId, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.get, db, actor, request_id)


@router.post("/assistance-requests/{request_id}/claim", response_model=AssistanceOut,
             summary="Claim a request (409 if another agent holds it)")
async def claim(request_id: RequestId, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.claim, db, actor, request_id)


@router.post("/assistance-requests/{request_id}/applications", response_model=AssistanceOut,
             summary="Link an application filed for the request (the claiming agent)")
async def link(request_id: RequestId, body: LinkIn, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.link, db, actor, request_id, body.application)


@router.post("/assistance-requests/{request_id}/consultation", response_model=AssistanceOut, status_code=201,
             summary="Escalate to joint consultation (会商联审): a joint_review filed on the enterprise's behalf")
async def escalate(request_id: RequestId, body: EscalateIn, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.escalate, db, actor, request_id, body.project)


@router.post("/assistance-requests/{request_id}/close", response_model=AssistanceOut,
             summary="Close a request with a note (the claiming agent)")
async def close(request_id: RequestId, body: CloseIn, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.close, db, actor, request_id, body.note)
