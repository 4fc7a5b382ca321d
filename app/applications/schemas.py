from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from app.tasks.schemas import TaskOut


class ApplicationIn(BaseModel):
    process: str = Field(description="id of a deployed process, e.g. parallel_review")
    project: dict[str, Any] = Field(description="the project, as the process's start_form describes it")
    documents: list[str] = Field(default_factory=list, description="ids of documents uploaded with POST /documents")


class SupplementIn(BaseModel):
    note: str = Field(default="", max_length=5000)
    documents: list[str] = Field(default_factory=list)


class TimelineEntry(BaseModel):
    at: datetime
    actor: str
    event: str
    detail: dict


class CertificateOut(BaseModel):
    code: str
    name: str
    number: str
    verification_code: str
    status: str
    issued_at: datetime
    revoked_at: datetime | None


class DocumentRef(BaseModel):
    id: str
    name: str
    content_type: str
    size: int
    sha256: str


class CommitmentOut(BaseModel):
    text: str
    signer: str
    signed_at: str
    status: str = Field(description="signed, verified, broken, rectified or revoked")
    recorded_at: datetime
    status_changed_at: datetime | None


class MinorItemsOut(BaseModel):
    items: list[str]
    promised_date: date
    fulfilled_at: datetime | None
    overdue: bool


class RelayLeg(BaseModel):
    leg: str
    name: str | None
    lead_department: str | None
    team: list[str]
    handover_opened_at: datetime
    handover_due_at: datetime | None
    taken_over_at: datetime | None
    taken_over_on_time: bool | None
    finished: bool


class Baton(BaseModel):
    leg: str
    department: str | None
    team: list[str]


class RelayOut(BaseModel):
    legs: list[RelayLeg]
    baton: Baton | None = Field(description="the leg whose team holds the dossier now")
    handing_over_to: str | None = Field(description="the leg waiting to take over (接棒)")


class ApplicationOut(BaseModel):
    id: int
    process: str
    version: int
    status: str = Field(description="in_review, awaiting_supplement, rectifying, approved, rejected, withdrawn, revoked")
    status_name: str = Field(description="the status in Chinese (审查中, 待补正, 已办结（准予许可）…)")
    stage: str | None = Field(description="the step or relay leg the open tasks belong to")
    stage_name: str | None
    project: dict
    required_items: list[str]
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None = Field(description="the process's own time limit, where it has one")
    decided_at: datetime | None
    within_time_limit: bool | None
    open_tasks: list[TaskOut]
    timeline: list[TimelineEntry]
    documents: list[DocumentRef]
    certificates: list[CertificateOut]
    commitments: list[CommitmentOut]
    minor_items: list[MinorItemsOut]
    relay: RelayOut | None


class ApplicationSummary(BaseModel):
    id: int
    process: str
    version: int
    status: str
    status_name: str
    stage: str | None
    project_name: str | None
    required_items: list[str]
    created_at: datetime
    updated_at: datetime


class ApplicationPage(BaseModel):
    items: list[ApplicationSummary]
    total: int
    page: int
    page_size: int
