"""The outbox: typed events written in the transaction of the command that caused them (one insert at commit),
so a delivery can never announce what rolled back nor miss what committed."""
from __future__ import annotations

import uuid

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from app.clock import now
from app.common.moments import with_local_moments
from app.auth.models import User
from app.notifications.models import Notification, OutboxEvent

# Every event a subscriber may ask for, with its Chinese name.
EVENTS = {
    "task_opened": "事项到达", "task_claimed": "认领办理", "baton_handed_over": "接力棒移交", "supplement_requested": "一次性告知补正",
    "supplement_answered": "提交补正材料", "task_warning": "临期预警", "task_overdue": "办理超期", "deadline_extended": "延长办理期限",
    "decision": "审批决定", "certificate_issued": "证照核发", "certificate_revoked": "证照撤销",
}
_PENDING, _NOTES = "baton_outbox", "baton_notifications"


def emit(session: Session, kind: str, application_id: int | None, payload: dict) -> None:
    assert kind in EVENTS, kind
    session.info.setdefault(_PENDING, []).append(
        {"event_id": str(uuid.uuid4()), "event": kind, "application_id": application_id,
         "payload": with_local_moments({"event": kind, "event_name": EVENTS[kind], "application_id": application_id,
                                        **payload}),
         "created_at": now(), "fanned_out_at": None, "note": None})


def notify(session: Session, user_ids, kind: str, title: str, application_id: int | None, task_id: str | None) -> None:
    moment = now()
    session.info.setdefault(_NOTES, []).extend(
        {"user_id": uid, "event": kind, "title": title[:300], "application_id": application_id, "task_id": task_id,
         "created_at": moment, "read_at": None} for uid in user_ids)


def tell_enterprise(session: Session, application, kind: str, title: str, task_id: str | None = None) -> None:
    """The applying enterprise's users are told (a supplement asked for, a decision, a certificate)."""
    users = session.scalars(select(User.id).where(User.enterprise_id == application.enterprise_id,
                                                  User.is_active.is_(True))).all()
    notify(session, users, kind, title, application.id, task_id)


@event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.execute(insert(OutboxEvent), pending)
    notes = session.info.pop(_NOTES, None)
    if notes:
        session.execute(insert(Notification), notes)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_NOTES, None)
