from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.common.moments import Moment


class AuthorizationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grantee: str | None = Field(default=None, max_length=64, description="受托帮办代办员 (username), or null")
    grantee_office: str | None = Field(default=None, max_length=40, description="受托帮办窗口 (office code), or null")
    processes: list[str] | None = Field(default=None, max_length=20, description="授权范围: process ids; null = all")
    valid_until: datetime = Field(description="有效期至 (ISO date-time with offset)")
    letter: str = Field(max_length=36, description="签署的授权委托书 (an uploaded document's id)")


class EnterpriseRef(BaseModel):
    credit_code: str
    name: str


class AuthorizationOut(BaseModel):
    id: int
    grantee: str | None
    grantee_office: str | None
    grantee_office_name: str | None = None
    processes: list[str] | None
    valid_from: Moment
    valid_until: Moment
    status: str = Field(description="active, revoked or expired")
    status_name: str
    revoked_at: Moment | None = None
    letter: str
    enterprise: EnterpriseRef


class OfficeOut(BaseModel):
    code: str
    name: str
    city: str
    district: str | None
