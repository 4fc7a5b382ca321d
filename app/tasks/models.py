from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime, utcnow_column_default

class Task(Base):
    """The inbox: a projection of each instance's user tasks, rebuilt in the same transaction as every change."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_department_status", "department", "status", "due_at"),
        Index("ix_tasks_assignee_status", "assignee_id", "status"),
        Index("ix_tasks_application", "application_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the SpiffWorkflow task id
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    process_id: Mapped[str] = mapped_column(String(200))  # copied from the application: the inbox reads no other table
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    for_applicant: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assignee_name: Mapped[str | None] = mapped_column(String(64))  # the assignee's username, kept with the claim
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow_column_default)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_by_name: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict | None] = mapped_column(JSONType)  # the form's answers, kept for everyone who reads the dossier
    # The dossier, copied from the application so an inbox page reads one table.
    project_name: Mapped[str | None] = mapped_column(String(200))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    enterprise_credit_code: Mapped[str | None] = mapped_column(String(18))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resubmitted: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # reopened after 补正
    decision: Mapped[str | None] = mapped_column(String(20))
    opinion: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str | None] = mapped_column(String(60))
    meta: Mapped[dict] = mapped_column(JSONType, default=dict)  # stage_name, handover leg, team: what views need
    form: Mapped[dict] = mapped_column(JSONType)
    actions: Mapped[list] = mapped_column(JSONType)
