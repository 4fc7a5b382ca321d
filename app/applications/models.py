from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime, utcnow_column_default


class Application(Base):
    """One application = one process instance; `state` is SpiffWorkflow's serialized instance without its spec."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("created_by_id", "idempotency_key", name="uq_applications_idempotency"),
        Index("ix_applications_enterprise_status", "enterprise_id", "status"),
        Index("ix_applications_status", "status"),
        Index("ix_applications_district_created", "district", "created_at"),
        Index("ix_applications_receiving_status", "receiving_office", "status"),
        Index("ix_applications_next_timer", "next_timer_at"),
        Index("ix_applications_process", "process_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    process_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))  # what the Idempotency-Key was used for
    status: Mapped[str] = mapped_column(String(30))
    stage: Mapped[str | None] = mapped_column(String(100))
    project: Mapped[dict] = mapped_column(JSONType)
    # Copied at submission (and on corrections) so lists and inbox rows show and search them without a join.
    project_name: Mapped[str | None] = mapped_column(String(200))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    enterprise_credit_code: Mapped[str | None] = mapped_column(String(18))
    required_items: Mapped[list] = mapped_column(JSONType, default=list)
    committed_items: Mapped[list] = mapped_column(JSONType, default=list)  # done on the signed commitment
    state: Mapped[str] = mapped_column(Text, deferred=True)  # loaded only by the kernel: lists never read it
    state_version: Mapped[int] = mapped_column(Integer, default=1)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the process's own limit, e.g. one working day
    district: Mapped[str | None] = mapped_column(String(6))  # the project's 旗县区 code (reports rank by it)
    # 呼包鄂乌“四城通办”: where it was received, who handles it, and the hand-off between them.
    receiving_office: Mapped[str | None] = mapped_column(ForeignKey("offices.code"))
    handling_office: Mapped[str | None] = mapped_column(ForeignKey("offices.code"))
    forward_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    forwarded_by: Mapped[str | None] = mapped_column(String(64))
    # The process-level clock: runs from acceptance, stops while the applicant supplements.
    time_limit: Mapped[str | None] = mapped_column(String(20))
    clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Written when decided: working days from acceptance (paused time excluded), and whether every limit was kept.
    lead_time_days: Mapped[int | None] = mapped_column(Integer)
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # first reached approved or rejected
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow_column_default)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow_column_default)


class Supplement(Base):
    """What the enterprise sent back after a return for supplement (补正)."""

    __tablename__ = "supplements"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    note: Mapped[str] = mapped_column(Text, default="")
    documents: Mapped[list] = mapped_column(JSONType, default=list)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow_column_default)


class SupplementRequest(Base):
    """One complete notice (一次性告知): a department returned the application, listing every item it needs; the
    applicant task that opened with it is where the answer goes, and only that department resumes."""

    __tablename__ = "supplement_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    department: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    returned_task_id: Mapped[str] = mapped_column(String(36))
    answer_task_id: Mapped[str] = mapped_column(String(36), unique=True)
    items: Mapped[list] = mapped_column(JSONType)  # [{"item", "reason"}]
    opinion: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20))  # open, answered
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[dict | None] = mapped_column(JSONType)  # {"note", "documents", "corrections"}


class Certificate(Base):
    """A certificate or permit an approval issued; verifiable by number and code, revocable."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(100))
    number: Mapped[str] = mapped_column(String(60), unique=True)
    source_task_id: Mapped[str] = mapped_column(String(36))
    verification_code: Mapped[str] = mapped_column(String(40))
    conditions: Mapped[str | None] = mapped_column(Text)  # 附加条件 the issuing department entered
    department: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))  # 发证机关
    status: Mapped[str] = mapped_column(String(20), default="valid")  # valid or revoked; expired is read
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    start_by: Mapped[date | None] = mapped_column(Date)  # a construction permit: work starts by then (or extended)
    started_on: Mapped[date | None] = mapped_column(Date)


class PermitExtension(Base):
    """An extension of a construction permit's start-by date (建筑法 art. 9: at most two, each ≤ 3 months)."""

    __tablename__ = "permit_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"), index=True)
    months: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    previous_start_by: Mapped[date] = mapped_column(Date)
    new_start_by: Mapped[date] = mapped_column(Date)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    granted_by_name: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Filing(Base):
    """An item done by filing (备案), immediate at acceptance: no review task, a filing number."""

    __tablename__ = "filings"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(100))
    number: Mapped[str] = mapped_column(String(60), unique=True)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source_task_id: Mapped[str] = mapped_column(String(36))
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitments.id", ondelete="SET NULL"))


class AppliedEffect(Base):
    """A task's effects (issue, revoke, bar …) are applied once: this row says they were."""

    __tablename__ = "applied_effects"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow_column_default)


class Commitment(Base):
    """A signed credit commitment (信用承诺) and its post-verification (事后核查)."""

    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    signer: Mapped[str] = mapped_column(String(100))
    signed_at: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="signed")  # signed, verified, broken, rectified, revoked
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow_column_default)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CreditRecord(Base):
    """A bad-credit record (失信记录); while `barred_until` is ahead, commitment-based tracks are closed."""

    __tablename__ = "credit_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow_column_default)
    barred_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rectified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the breach was rectified in time


class MinorItems(Base):
    """Accepted with minor items missing (容缺受理): what is missing and by when it was promised."""

    __tablename__ = "minor_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    items: Mapped[list] = mapped_column(JSONType)
    promised_date: Mapped[date] = mapped_column(Date)
    delivered: Mapped[list | None] = mapped_column(JSONType)  # the items delivered so far
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow_column_default)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
