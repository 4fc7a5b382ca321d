from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.deps import CurrentActor
from app.common.concurrency import in_thread
from app.deps import DatabaseDep
from app.reports import service
from app.reports.schemas import DepartmentReport, DistrictReport, FastTrackReport

router = APIRouter(tags=["reports"])
From = Annotated[date | None, Query(alias="from", description="起始日期 (Beijing), default: the 1st of this month")]
To = Annotated[date | None, Query(alias="to", description="截止日期 (included), default: today")]


@router.get("/reports/departments", response_model=DepartmentReport, response_model_by_alias=True,
            summary="调度台账: per department, open, warning, overdue, completed, on-time rate, handling times")
async def departments(actor: CurrentActor, db: DatabaseDep, start: From = None, end: To = None):
    return await in_thread(service.departments, db, actor, start, end)


@router.get("/reports/districts", response_model=DistrictReport, response_model_by_alias=True,
            summary="大排名: per district, applications, on-time rate, median lead time, ranked")
async def districts(actor: CurrentActor, db: DatabaseDep, start: From = None, end: To = None):
    return await in_thread(service.districts, db, actor, start, end)


@router.get("/reports/fast-track", response_model=FastTrackReport, response_model_by_alias=True,
            summary="五证联发: applications, and the share issued within one working day")
async def fast_track(actor: CurrentActor, db: DatabaseDep, start: From = None, end: To = None):
    return await in_thread(service.fast_track, db, actor, start, end)
