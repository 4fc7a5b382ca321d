"""Accepted with minor items missing (容缺受理): what is missing, by when, and its delivery."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from app.applications.models import MinorItems
from app.audit.service import record
from app.clock import now


def record_minor_items(session: Session, application_id: int, task_id: str, items: list[str], promised: str) -> None:
    """The decision goes on; the promise is kept in view on the application."""
    session.add(MinorItems(application_id=application_id, task_id=task_id, items=list(items),
                           promised_date=date.fromisoformat(promised), recorded_at=now()))
    record(session, application_id, "system", "minor_items_pending", {"items": list(items), "promised_date": promised})
