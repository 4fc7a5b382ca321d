from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.common.moments import Moment


class ExtensionOut(BaseModel):
    months: int
    reason: str
    previous_start_by: date
    new_start_by: date
    granted_by: str | None = Field(description="the housing-construction officer (staff readers only)")
    granted_at: Moment


class CertificateOut(BaseModel):
    id: int
    application_id: int
    code: str
    name: str
    number: str
    verification_code: str
    conditions: str | None = None
    status: str = Field(description="valid, revoked, or expired (a construction permit past its start-by date "
                                    "without a start)")
    status_name: str
    issued_at: Moment
    revoked_at: Moment | None
    start_by: date | None = Field(default=None, description="a construction permit: work must start by this day "
                                                            "(three months from issue, as extended)")
    started_on: date | None = None
    extensions: list[ExtensionOut] = Field(default_factory=list)
    extensions_left: int | None = Field(default=None, description="extensions still possible (at most two)")


class ExtensionIn(BaseModel):
    """An extension of a construction permit's start-by date (延期), granted by housing-construction."""

    model_config = ConfigDict(extra="forbid")

    months: int = Field(ge=1, le=3, description="延期月数：1 to 3 months")
    reason: str = Field(min_length=2, max_length=2000, description="延期理由")


class StartIn(BaseModel):
    """The day construction started (开工), reported by the enterprise or recorded by housing-construction."""

    model_config = ConfigDict(extra="forbid")

    started_on: date = Field(description="开工日期 (YYYY-MM-DD)")


class CertificateCheck(BaseModel):
    name: str
    number: str
    holder: str | None
    issued_at: Moment
    status: str = Field(description="valid, revoked or expired")
    status_name: str = Field(description="有效, 已撤销 or 已失效（逾期未开工）")
    revoked_at: Moment | None
    start_by: date | None = None
    started_on: date | None = None
