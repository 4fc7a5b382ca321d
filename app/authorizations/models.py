from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class Authorization(Base):
    """授权委托: an enterprise lets a named helpdesk agent, or every agent of an office, act for it — in all processes or
    the listed ones — from its grant until `valid_until` or its revocation, on the strength of a signed letter."""

    __tablename__ = "authorizations"
    __table_args__ = (Index("ix_authorizations_grantee", "grantee_user_id"),
                      Index("ix_authorizations_office", "grantee_office"),
                      Index("ix_authorizations_enterprise", "enterprise_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    grantee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    grantee_office: Mapped[str | None] = mapped_column(ForeignKey("offices.code"))
    all_processes: Mapped[bool] = mapped_column(default=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    letter_document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuthorizationProcess(Base):
    """One process an authorisation covers (none listed: all processes)."""

    __tablename__ = "authorization_processes"

    authorization_id: Mapped[int] = mapped_column(ForeignKey("authorizations.id", ondelete="CASCADE"), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
