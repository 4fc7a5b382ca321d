from __future__ import annotations

from typing import Any, Literal

from app.common.moments import Moment
from pydantic import BaseModel, ConfigDict, Field


class EnterpriseRef(BaseModel):
    name: str | None
    credit_code: str | None


class TaskOut(BaseModel):
    id: str
    application_id: int
    process: str
    name: str
    department: str | None
    department_name: str | None = Field(default=None, description="the department in Chinese")
    status: str = Field(description="open, claimed, completed or cancelled")
    status_name: str = Field(description="the status in Chinese: 待认领, 办理中, 已办结, 已取消")
    assignee: str | None
    created_at: Moment
    due_at: Moment | None
    stage: str | None = None
    stage_name: str | None = None
    form: dict
    actions: list[str]
    project_name: str | None = None
    enterprise: EnterpriseRef | None = None
    enterprise_name: str | None = None
    received_at: Moment | None = Field(default=None, description="when the application was submitted")
    resubmitted: bool = Field(default=False, description="reopened after the applicant answered a return (补正)")
    decision: str | None = None
    decision_name: str | None = None
    opinion: str | None = None
    data: dict | None = Field(default=None, description="the form's answers given when it was completed")
    completed_by: str | None = Field(default=None, description="who completed it (staff see it; an applicant sees the department)")
    completed_at: Moment | None = None


class TaskPage(BaseModel):
    items: list[TaskOut]
    total: int
    page: int
    page_size: int


class SupplementItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str = Field(min_length=1, max_length=200, description="补正材料或事项")
    reason: str = Field(min_length=1, max_length=1000, description="补正理由")


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject", "return"]
    opinion: str = Field(default="", max_length=5000, description="审批意见 (required when returning)")
    data: dict[str, Any] = Field(default_factory=dict, description="fits the task's form (JSON Schema)")
    items_to_supplement: list[SupplementItem] | None = Field(
        default=None, max_length=50,
        description="一次性告知: with a return, every item the applicant must supplement and why (required then)")


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=64)
