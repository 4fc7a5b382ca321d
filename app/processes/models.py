from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, JSONType, UTCDateTime, utcnow_column_default


class ProcessDefinition(Base):
    """One deployed version of one process; its spec is stored here once, not inside every instance."""

    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    spec_json: Mapped[str] = mapped_column(Text)
    forms: Mapped[dict] = mapped_column(JSONType)
    start_form: Mapped[dict | None] = mapped_column(JSONType)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow_column_default)
    deployed_by: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # new applications start on it

    files: Mapped[list[DeployedFile]] = relationship(lazy="select", cascade="all, delete-orphan")


class DeployedFile(Base):
    """A source file as deployed with a version (BPMN, DMN or form), kept for audit and for later uploads to refer to."""

    __tablename__ = "deployed_files"
    __table_args__ = (Index("ix_deployed_files_decision", "decision_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))  # bpmn, dmn, form
    decision_id: Mapped[str | None] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
