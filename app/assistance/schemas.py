from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.common.moments import Moment


class AssistanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district: str = Field(pattern="^[0-9]{6}$", description="项目所在旗县区 (division code): its helpdesk takes it")
    project_name: str = Field(min_length=2, max_length=200, description="项目名称")
    description: str = Field(min_length=2, max_length=5000, description="需要帮办的事项")
    contact_name: str = Field(min_length=1, max_length=100, description="联系人")
    contact_phone: str = Field(pattern=r"^[0-9+\-() ]{5,30}$", description="联系电话")
    enterprise: str | None = Field(default=None, pattern="^[0-9A-Z]{18}$",
                                   description="an agent, for a walk-in: the enterprise's credit code, if it has one")


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    application: int = Field(ge=1, le=2**31 - 1, description="an application filed for the request")


class EscalateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project: dict[str, Any] = Field(description="the joint_review start form: the project, lead department, topic")


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=2, max_length=5000, description="办结说明")


class EnterpriseRef(BaseModel):
    credit_code: str
    name: str


class DepartmentOpinion(BaseModel):
    department: str | None
    department_name: str | None
    decision: str | None
    decision_name: str | None
    opinion: str | None


class Conclusion(BaseModel):
    decision: str | None
    decision_name: str | None
    summary: str | None
    opinion: str | None
    department: str | None
    department_name: str | None
    opinions: list[DepartmentOpinion]


class AssistedApplicationOut(BaseModel):
    id: int
    process: str
    kind: Literal["filed", "consultation"]
    kind_name: str
    status: str
    status_name: str
    conclusion: Conclusion | None = Field(description="a joint consultation's conclusion, once the lead concluded")


class AssistanceOut(BaseModel):
    id: int
    office: str
    office_name: str | None
    enterprise: EnterpriseRef | None
    project_name: str
    description: str
    contact_name: str
    contact_phone: str
    status: str = Field(description="open, claimed, filed or closed")
    status_name: str
    due_at: Moment
    created_by: str
    created_at: Moment
    claimed_by: str | None
    claimed_at: Moment | None
    closed_at: Moment | None
    close_note: str | None
    applications: list[AssistedApplicationOut]


class AssistancePage(BaseModel):
    items: list[AssistanceOut]
    total: int
    page: int
    page_size: int
