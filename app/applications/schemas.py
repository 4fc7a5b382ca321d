from __future__ import annotations

from datetime import datetime
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


class ApplicationOut(BaseModel):
    id: int
    process: str
    version: int
    status: str
    stage: str | None
    project: dict
    required_items: list[str]
    created_at: datetime
    updated_at: datetime
    open_tasks: list[TaskOut]
    timeline: list[TimelineEntry]
    documents: list[DocumentRef]
    certificates: list[CertificateOut]


class ApplicationSummary(BaseModel):
    id: int
    process: str
    version: int
    status: str
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
