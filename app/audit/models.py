from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime, utcnow_column_default


class AuditEvent(Base):
    """Append-only: who did what, when; an application's timeline is read from here."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow_column_default)
    actor: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)
    # An action taken on behalf (帮办代办): the agent is `actor`, of this office, for this enterprise.
    actor_office: Mapped[str | None] = mapped_column(String(40))
    on_behalf_of: Mapped[str | None] = mapped_column(String(18))  # the enterprise's credit code


class Incident(Base):
    """A process that failed: the command was rolled back (or the timer set aside); the engine's full message is here,
    for administrators, never in what an applicant reads."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id", ondelete="SET NULL"), index=True)
    process_id: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int | None]
    element_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # process, budget, crash
    command: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow_column_default)
