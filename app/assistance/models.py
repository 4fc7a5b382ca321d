from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class AssistanceRequest(Base):
    """帮办申请: an enterprise (or an agent, for a walk-in visitor) asks its district's helpdesk for help with a
    project; one agent claims it, works it to filed applications, and closes it with a note."""

    __tablename__ = "assistance_requests"
    __table_args__ = (Index("ix_assistance_office_status", "office_code", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_code: Mapped[str] = mapped_column(ForeignKey("offices.code"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    project_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))  # open, claimed, filed, closed
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_by_name: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_note: Mapped[str | None] = mapped_column(Text)


class AssistedApplication(Base):
    """An application an assistance request led to: filed for the enterprise, or a joint consultation (会商联审)."""

    __tablename__ = "assisted_applications"

    request_id: Mapped[int] = mapped_column(ForeignKey("assistance_requests.id", ondelete="CASCADE"), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # filed, consultation
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
