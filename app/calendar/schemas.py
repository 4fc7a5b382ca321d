from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.common.moments import Moment


class HolidayIn(BaseModel):
    """One holiday of the State Council's notice: its name and its resting days (from … to, weekends inside)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="节日名称，如 春节")
    start: date = Field(alias="from", description="放假起始日")
    end: date = Field(alias="to", description="放假截止日")


class YearIn(BaseModel):
    """A year's official schedule (国务院办公厅关于某年部分节假日安排的通知)."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=2, max_length=200, description="依据，如 国办发明电〔2026〕7号")
    holidays: list[HolidayIn] = Field(min_length=1, max_length=30, description="放假安排")
    workdays: list[date] = Field(default_factory=list, max_length=30, description="调休上班的周末日")


class HolidayOut(BaseModel):
    name: str
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")


class YearOut(BaseModel):
    year: int
    provisional: bool = Field(description="no official schedule loaded: counted on the fixed statutory holidays")
    source: str | None
    loaded_at: Moment | None
    loaded_by: str | None
    holidays: list[HolidayOut]
    workdays: list[date]


class TimeLimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time_limit: str = Field(max_length=20, description="办理时限：20wd 工作日, 60d 日（法定节假日不计）, 4h 小时")
    extension_working_days: int = Field(ge=0, le=60, description="科室负责人可延长的工作日数（法定延长期限）")
    source: str | None = Field(default=None, max_length=500, description="依据")


class TimeLimitOut(BaseModel):
    item: str
    item_name: str
    time_limit: str
    extension_working_days: int
    source: str | None
    updated_at: Moment
    updated_by: str | None


class LoadOut(YearOut):
    recomputed: int = Field(description="open deadlines the new schedule moved (each recorded on its application)")
