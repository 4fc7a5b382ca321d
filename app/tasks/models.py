from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime, utcnow_column_default

class Task(Base):
    """The inbox: a projection of each instance's user tasks, rebuilt in the same transaction as every change."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_department_status", "department", "status", "due_at"),
        Index("ix_tasks_assignee_status", "assignee_id", "status"),
        Index("ix_tasks_application", "application_id"),
        Index("ix_tasks_status_warn", "status", "warn_at"),
        Index("ix_tasks_department_completed", "department", "completed_at"),
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
    # The department's clock: due_at is recomputed from these alone (a loaded calendar, an extension, a pause).
    item: Mapped[str | None] = mapped_column(String(100))  # the approval item whose statutory limit applies
    time_limit: Mapped[str | None] = mapped_column(String(20))
    clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # working days, ended pauses
    extended_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # working days granted
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a special procedure now running
    paused_reason: Mapped[str | None] = mapped_column(Text)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # from then on the task shows `warning`
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # its lead was told
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Handling time in working days, written when the task completes (the reports add these up in SQL).
    days_to_claim: Mapped[int | None] = mapped_column(Integer)
    days_claimed: Mapped[int | None] = mapped_column(Integer)
    days_total: Mapped[int | None] = mapped_column(Integer)


class DeadlineExtension(Base):
    """A lead's extension of a task's deadline (延长办理期限), with its reason; the enterprise sees it."""

    __tablename__ = "deadline_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36), index=True)
    task_name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(40))
    working_days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    beyond_statutory: Mapped[bool] = mapped_column(Boolean, default=False)  # granted by an admin past the rule
    previous_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    new_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    granted_by_name: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SpecialProcedure(Base):
    """A special procedure (特别程序: expert review, hearing, public notice, technical review) during which the task's
    clock stops; its working days are added to the deadline when it ends."""

    __tablename__ = "special_procedures"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    cap_days: Mapped[int | None] = mapped_column(Integer)  # the rule's cap in working days, e.g. 30
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_by: Mapped[str] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by: Mapped[str | None] = mapped_column(String(64))
    paused_days: Mapped[int | None] = mapped_column(Integer)  # working days the clock stood still
