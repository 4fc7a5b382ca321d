from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime, utcnow_column_default

STATUSES = ("in_review", "awaiting_supplement", "approved", "rejected", "withdrawn")


class Application(Base):
    """One application = one process instance; `state` is SpiffWorkflow's serialized instance without its spec."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("created_by_id", "idempotency_key", name="uq_applications_idempotency"),
        Index("ix_applications_enterprise_status", "enterprise_id", "status"),
        Index("ix_applications_status", "status"),
        Index("ix_applications_next_timer", "next_timer_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    process_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(30))
    stage: Mapped[str | None] = mapped_column(String(100))
    project: Mapped[dict] = mapped_column(JSONType)
    required_items: Mapped[list] = mapped_column(JSONType, default=list)
    state: Mapped[str] = mapped_column(Text)
    state_version: Mapped[int] = mapped_column(Integer, default=1)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
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


class Certificate(Base):
    """A certificate or permit an approval issued; verifiable by number and code, revocable."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(100))
    number: Mapped[str] = mapped_column(String(60), unique=True)
    verification_code: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="valid")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
