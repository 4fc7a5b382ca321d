from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from app.common.moments import Moment
from pydantic import BaseModel

from app.audit import service
from app.auth.policy import require_admin
from app.auth.deps import CurrentActor
from app.deps import DatabaseDep
from app.common.pagination import PageDep

router = APIRouter(tags=["incidents"])


class IncidentOut(BaseModel):
    id: int
    application_id: int | None
    process: str | None
    version: int | None
    element_id: str | None
    kind: str
    command: str
    actor: str
    message: str
    at: Moment


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    total: int
    page: int
    page_size: int


@router.get("/incidents", response_model=IncidentPage, summary="Process failures with the engine's message (admin)")
def list_incidents(actor: CurrentActor, db: DatabaseDep, page: PageDep,
                   application: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> dict:
    require_admin(actor)
    return service.list_incidents(db, page, application)
