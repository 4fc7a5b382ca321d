"""The audit trail: append an event; read an application's timeline."""
from __future__ import annotations

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent, Incident
from app.clock import now
from app.common.moments import with_local_moments


_PENDING = "baton_audit_events"


def record(session: Session, application_id: int | None, actor: str, event: str, detail: dict | None = None) -> None:
    """Append an event; the transaction's events are written together when it commits (one statement). In a
    transaction where an agent acts on behalf (policy.require_acting_for), each event names its office and the
    enterprise."""
    acting = session.info.get("acting_for") or {}
    session.info.setdefault(_PENDING, []).append(
        {"application_id": application_id, "at": now(), "actor": actor, "event": event,
         "detail": with_local_moments(detail or {}), "actor_office": acting.get("actor_office") if actor != "system" else None,
         "on_behalf_of": acting.get("on_behalf_of") if actor != "system" else None})


@event.listens_for(Session, "before_commit")
def _write_events(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.execute(insert(AuditEvent), pending)


@event.listens_for(Session, "after_rollback")
def _forget_events(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop("acting_for", None)


@event.listens_for(Session, "after_commit")
def _acted(session: Session) -> None:
    session.info.pop("acting_for", None)


def timeline(session: Session, application_id: int) -> list[dict]:
    events = session.execute(select(AuditEvent.at, AuditEvent.actor, AuditEvent.event, AuditEvent.detail,
                                    AuditEvent.actor_office, AuditEvent.on_behalf_of)
                             .where(AuditEvent.application_id == application_id).order_by(AuditEvent.at, AuditEvent.id))
    return [{"at": e.at, "actor": e.actor, "event": e.event, "detail": e.detail, "actor_office": e.actor_office,
             "on_behalf_of": e.on_behalf_of} for e in events]


def list_incidents(db, params, application_id: int | None = None) -> dict:
    from app.common.pagination import paginate

    query = select(Incident).order_by(Incident.at.desc(), Incident.id.desc())
    if application_id is not None:
        query = query.where(Incident.application_id == application_id)
    with db.read() as session:
        rows, total = paginate(session, query, params)
        return {"items": [describe_incident(i) for i in rows], "total": total, "page": params.page,
                "page_size": params.page_size}


def describe_incident(incident: Incident) -> dict:
    return {"id": incident.id, "application_id": incident.application_id, "process": incident.process_id,
            "version": incident.version, "element_id": incident.element_id, "kind": incident.kind,
            "command": incident.command, "actor": incident.actor, "message": incident.message, "at": incident.at}
