"""The audit trail: append an event; read an application's timeline."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.clock import now


def record(session: Session, application_id: int | None, actor: str, event: str, detail: dict | None = None) -> None:
    session.add(AuditEvent(application_id=application_id, at=now(), actor=actor, event=event, detail=detail or {}))


def timeline(session: Session, application_id: int) -> list[dict]:
    events = session.scalars(select(AuditEvent).where(AuditEvent.application_id == application_id)
                             .order_by(AuditEvent.at, AuditEvent.id))
    return [{"at": e.at, "actor": e.actor, "event": e.event, "detail": e.detail} for e in events]
