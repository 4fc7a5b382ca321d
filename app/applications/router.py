from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query

from app.applications import service
from app.applications.schemas import ApplicationIn, ApplicationOut, ApplicationPage, MinorItemsIn, SupplementIn
from app.auth.deps import CurrentActor
from app.common.concurrency import in_thread
from app.deps import DatabaseDep
from app.vocabulary import ApplicationStatus
from app.common.pagination import PageDep

router = APIRouter(tags=["applications"])
ApplicationId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the application's number")]


@router.post("/applications", status_code=201, response_model=ApplicationOut, summary="Submit an application")
async def submit(body: ApplicationIn, actor: CurrentActor, db: DatabaseDep,
           idempotency_key: Annotated[str | None, Header(max_length=200)] = None):
    return await in_thread(service.submit, db, actor, process=body.process, project=body.project, document_ids=body.documents,
                          idempotency_key=idempotency_key, on_behalf_of=body.on_behalf_of,
                           receiving_office=body.receiving_office)


@router.get("/applications", response_model=ApplicationPage, summary="Applications you may see")
async def list_applications(actor: CurrentActor, db: DatabaseDep, page: PageDep,
                      status: Annotated[ApplicationStatus | None, Query(description="filter by status")] = None,
                      process: Annotated[str | None, Query(max_length=200, description="only this process")] = None,
                      q: Annotated[str | None, Query(min_length=1, max_length=100,
                                                     description="search: project name, enterprise name or credit code")] = None,
                      district: Annotated[str | None, Query(pattern="^[0-9]{6}$",
                                                            description="only this 旗县区 (division code)")] = None):
    return await in_thread(service.list_applications, db, actor, status, page, process, q, district)


@router.get("/applications/{application_id}", response_model=ApplicationOut, summary="One application, with its timeline")
async def get_application(application_id: ApplicationId, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.get, db, actor, application_id)


@router.post("/applications/{application_id}/supplements", response_model=ApplicationOut,
             summary="Send the supplement (补正) the departments asked for")
async def supplement(application_id: ApplicationId, body: SupplementIn, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.supplement, db, actor, application_id, body.request, body.note, body.documents,
                           body.corrections)


@router.post("/applications/{application_id}/minor-items", response_model=ApplicationOut,
             summary="Deliver minor items promised at 容缺受理")
async def deliver_minor_items(application_id: ApplicationId, body: MinorItemsIn, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.deliver_minor_items, db, actor, application_id, body.items, body.documents)


@router.post("/applications/{application_id}/withdraw", response_model=ApplicationOut, summary="Withdraw an application")
async def withdraw(application_id: ApplicationId, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.withdraw, db, actor, application_id)


@router.post("/applications/{application_id}/forward", response_model=ApplicationOut,
             summary="Hand an application received outside Hohhot to Hohhot (the receiving window; 四城通办)")
async def forward(application_id: ApplicationId, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.forward, db, actor, application_id)
