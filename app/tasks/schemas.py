from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class TaskOut(BaseModel):
    id: str
    application_id: int
    process: str
    name: str
    department: str | None
    status: str = Field(description="open, claimed, completed or cancelled")
    status_name: str = Field(description="the status in Chinese: 待认领, 办理中, 已办结, 已取消")
    assignee: str | None
    created_at: datetime
    due_at: datetime | None
    stage: str | None = None
    stage_name: str | None = None
    form: dict
    actions: list[str]
    decision: str | None = None
    completed_at: datetime | None = None


class TaskPage(BaseModel):
    items: list[TaskOut]
    total: int
    page: int
    page_size: int


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject", "return"]
    opinion: str = Field(default="", max_length=5000, description="审批意见")
    data: dict[str, Any] = Field(default_factory=dict, description="fits the task's form (JSON Schema)")


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=64)
