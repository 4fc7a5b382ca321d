from __future__ import annotations

from pydantic import BaseModel, Field

from app.common.moments import Moment


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class CreditRecordOut(BaseModel):
    """A bad-credit record (失信记录) of the enterprise, written at the breach."""

    application_id: int | None
    kind: str
    kind_name: str
    reason: str
    recorded_at: Moment
    rectified_at: Moment | None = Field(description="marked when the breach was rectified in time (已整改)")
    barred_until: Moment | None = Field(description="commitment-based tracks closed until then (not rectified)")


class EnterpriseOut(BaseModel):
    credit_code: str
    name: str
    barred_until: str | None = None
    credit_records: list[CreditRecordOut] = Field(default_factory=list)


class Me(BaseModel):
    username: str
    role: str
    display_name: str | None = None
    departments: list[str]
    enterprise: EnterpriseOut | None
