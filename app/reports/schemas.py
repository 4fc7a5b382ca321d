from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class Spread(BaseModel):
    median: int | None
    p90: int | None


class DepartmentLine(BaseModel):
    department: str
    department_name: str
    open: int
    warning: int
    overdue: int
    completed: int = Field(description="completed in the period")
    on_time_rate: float | None = Field(description="share of the period's completed tasks decided by their deadline")
    waiting_days: Spread = Field(description="working days from arrival to claim")
    working_days: Spread = Field(description="working days from claim to decision")
    total_days: Spread = Field(description="working days from arrival to decision, paused time excluded")


class DepartmentReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    start: date = Field(alias="from")
    end: date = Field(alias="to")
    departments: list[DepartmentLine]


class DistrictLine(BaseModel):
    district: str
    district_name: str
    rank: int | None = Field(description="大排名: by on-time rate, then median lead time; none without decisions")
    applications: int = Field(description="submitted in the period")
    decided: int
    on_time: int
    on_time_rate: float | None
    median_lead_time_days: int | None = Field(description="working days from acceptance to decision, paused excluded")


class DistrictReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    start: date = Field(alias="from")
    end: date = Field(alias="to")
    districts: list[DistrictLine]


class FastTrackReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    start: date = Field(alias="from")
    end: date = Field(alias="to")
    applications: int
    issued: int
    issued_within_one_working_day: int
    share_within_one_working_day: float | None
