from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow_column_default

class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    barred_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    barred_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow_column_default)


class SignInThrottle(Base):
    """Failed sign-ins per username and per address: slowed down, then locked for a while."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "user:<name>" or "ip:<address>"
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UserDepartment(Base):
    __tablename__ = "user_departments"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), primary_key=True)


class User(Base):
    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused: tokens name them

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str | None] = mapped_column(String(100))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    office_code: Mapped[str | None] = mapped_column(ForeignKey("offices.code"))  # a helpdesk agent's office
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Every token carries it; a password change, a disable or a role change bumps it, ending every session at once.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow_column_default)

    enterprise: Mapped[Enterprise | None] = relationship(lazy="joined")
    department_links: Mapped[list[UserDepartment]] = relationship(lazy="selectin", cascade="all, delete-orphan")

    def end_sessions(self) -> None:
        self.session_version = (self.session_version or 1) + 1

    @property
    def departments(self) -> list[str]:
        return sorted(link.department_code for link in self.department_links)
