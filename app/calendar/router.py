from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.auth.deps import CurrentActor
from app.calendar import service
from app.calendar.schemas import LoadOut, TimeLimitIn, TimeLimitOut, YearIn, YearOut
from app.common.concurrency import in_thread
from app.deps import DatabaseDep

router = APIRouter(tags=["calendar"])
Year = Annotated[int, Path(ge=2000, le=2099, description="公历年份")]


@router.get("/calendar/{year}", response_model=YearOut, response_model_by_alias=True,
            summary="A year's holidays and adjusted working days (provisional until its schedule is loaded)")
async def get_year(year: Year, _actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.year_view, db, year)


@router.put("/calendar/{year}", response_model=LoadOut, response_model_by_alias=True,
            summary="Load a year's official schedule (admin); open deadlines in it are recomputed")
async def load_year(year: Year, body: YearIn, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.load_year, db, actor, year, body.source, body.holidays, body.workdays)


@router.get("/time-limits", response_model=list[TimeLimitOut], tags=["time limits"],
            summary="Every approval item's statutory time limit and extension")
async def list_time_limits(_actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.time_limits, db)


@router.put("/time-limits/{item}", response_model=TimeLimitOut, tags=["time limits"],
            summary="Change an item's time limit (admin, audited); tasks opened from now on take it")
async def set_time_limit(item: Annotated[str, Path(max_length=100, pattern="^[a-z_]+$")], body: TimeLimitIn,
                         actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.set_time_limit, db, actor, item, body.time_limit, body.extension_working_days,
                           body.source)
