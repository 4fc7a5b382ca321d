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
    element: str | None = Field(default=None, description="the task's element in the process's BPMN model")
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
    item: str | None = Field(default=None, description="the approval item whose statutory time limit applies")
    item_name: str | None = None
    time_limit: str | None = Field(default=None, description="20wd working days, 7d days (holidays not counted), 4h")
    due_provisional: bool = Field(default=False, description="counted on the fixed statutory holidays of a year whose "
                                                             "official schedule is not loaded yet")
    sla_state: str | None = Field(default=None, description="on_time, warning or overdue (open tasks)")
    sla_state_name: str | None = None
    paused: bool = Field(default=False, description="the clock stands still (a special procedure runs)")
    paused_since: Moment | None = None
    paused_reason: str | None = None
    working_days_used: int | None = None
    working_days_left: int | None = Field(default=None, description="negative when overdue")
    paused_working_days: int = Field(default=0, description="working days paused so far (supplements, procedures)")
    extended_working_days: int = Field(default=0, description="working days added by extensions")
    within_time_limit: bool | None = Field(default=None, description="a completed task: decided by its deadline")


class ExtensionIn(BaseModel):
    """A lead extends a task's deadline (延长办理期限)."""

    model_config = ConfigDict(extra="forbid")

    working_days: int = Field(ge=1, le=60, description="延长的工作日数")
    reason: str = Field(min_length=2, max_length=2000, description="延长理由")


class SpecialProcedureIn(BaseModel):
    """A special procedure (特别程序) during which the clock stops."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["expert_review", "hearing", "public_notice", "technical_review"] = Field(
        description="expert_review 专家评审, hearing 听证, public_notice 公示, technical_review 技术评审")
    reason: str = Field(min_length=2, max_length=2000, description="启动理由")


class SpecialProcedureOut(BaseModel):
    id: int
    task_id: str
    kind: str
    kind_name: str
    reason: str
    cap_days: int | None = Field(description="the rule's cap in days; time beyond it counts again")
    started_at: Moment
    started_by: str | None
    ended_at: Moment | None
    paused_working_days: int | None


class DeadlineExtensionOut(BaseModel):
    id: int
    task_id: str
    task_name: str
    department: str | None
    department_name: str | None = None
    working_days: int
    reason: str
    beyond_statutory: bool = Field(description="granted by an administrator beyond the statutory extension")
    previous_due_at: Moment
    new_due_at: Moment
    granted_by: str | None = Field(description="staff readers only")
    granted_at: Moment


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
