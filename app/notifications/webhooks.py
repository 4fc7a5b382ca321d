"""Webhooks: administrators subscribe a URL to events; each outbox event is fanned out to its subscribers and
delivered at least once — signed (HMAC-SHA256 of the body), with the event id to de-duplicate on, retried with
exponential backoff — by any number of workers (SKIP LOCKED; a worker killed mid-send leaves the row to expire)."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.auth.policy import Actor, require_admin
from app.clock import now
from app.common.metrics import WEBHOOK_FAILURES
from app.common.moments import moment_text
from app.common.pagination import PageParams, paginate
from app.db import Database
from app.errors import Invalid, NotFound
from app.notifications.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from app.notifications.outbox import EVENTS

SIGNATURE_HEADER = "X-Baton-Signature"  # "sha256=" + hex HMAC-SHA256 of the raw body with the subscription's secret
EVENT_ID_HEADER = "X-Baton-Event-Id"
RETRY_BASE_SECONDS = 10.0  # 10 s, 20 s, 40 s … between attempts, at most RETRY_CAP (BATON_WEBHOOK_RETRY_SECONDS)
RETRY_CAP = timedelta(hours=6)
MAX_ATTEMPTS = 15  # about two days of trying; then the delivery is marked failed (and listed so)
SEND_TIMEOUT = 10.0
LEASE = timedelta(seconds=60)  # a worker sending a delivery holds it this long; a dead worker's lease expires


def configure(retry_seconds: float) -> None:
    global RETRY_BASE_SECONDS
    RETRY_BASE_SECONDS = retry_seconds


def subscribe(db: Database, actor: Actor, url: str, events: list[str], secret: str) -> dict:
    require_admin(actor)
    problems = []
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append({"loc": ["body", "url"], "msg": "地址 (url) 须为 http:// 或 https:// 开头的完整地址 / an absolute "
                                                        "http(s) URL"})
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        problems.append({"loc": ["body", "events"], "msg": f"事件 (events) 须取自：{', '.join(EVENTS)} / unknown: "
                                                           f"{', '.join(u[:40] for u in unknown) or '(none given)'}"})
    if len(secret) < 16:
        problems.append({"loc": ["body", "secret"], "msg": "签名密钥 (secret) 至少 16 个字符 / at least 16 characters"})
    if problems:
        raise Invalid(problems)
    with db.transaction() as session:
        row = WebhookSubscription(url=url, events=sorted(set(events)), secret=secret, active=True, created_at=now(),
                                  created_by=actor.username)
        session.add(row)
        session.flush()
        return describe(row)


def describe(s: WebhookSubscription) -> dict:
    return {"id": s.id, "url": s.url, "events": s.events, "active": s.active, "created_at": s.created_at,
            "created_by": s.created_by}


def listed(db: Database, actor: Actor) -> list[dict]:
    require_admin(actor)
    with db.read() as session:
        return [describe(s) for s in session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id))]


def unsubscribe(db: Database, actor: Actor, subscription_id: int) -> None:
    require_admin(actor)
    with db.transaction() as session:
        row = session.get(WebhookSubscription, subscription_id)
        if row is None:
            raise NotFound(f"webhook {subscription_id} not found")
        row.active = False  # its deliveries stay listed; no new ones are queued


def deliveries(db: Database, actor: Actor, subscription_id: int, params: PageParams) -> dict:
    require_admin(actor)
    with db.read() as session:
        if session.get(WebhookSubscription, subscription_id) is None:
            raise NotFound(f"webhook {subscription_id} not found")
        query = (select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
                 .order_by(WebhookDelivery.id.desc()))
        rows, total = paginate(session, query, params)
        return {"items": [{"id": d.id, "event_id": d.event_id, "event": d.event,
                           "event_name": EVENTS.get(d.event, d.event), "status": d.status,
                           "status_name": {"pending": "待投递", "delivered": "已送达", "failed": "投递失败"}[d.status],
                           "attempts": d.attempts or [], "next_attempt_at": d.next_attempt_at,
                           "delivered_at": d.delivered_at, "created_at": d.created_at} for d in rows],
                "total": total, "page": params.page, "page_size": params.page_size}


# ---------------------------------------------------------------- the worker's side


def fan_out(db: Database, batch: int = 200) -> int:
    """Queue a delivery of each new outbox event for every active subscription that asked for it."""
    with db.transaction() as session:
        events = list(session.scalars(select(OutboxEvent).where(OutboxEvent.fanned_out_at.is_(None))
                                      .order_by(OutboxEvent.id).limit(batch).with_for_update(skip_locked=True)))
        if not events:
            return 0
        subscriptions = list(session.scalars(select(WebhookSubscription).where(WebhookSubscription.active.is_(True))))
        moment = now()
        for event in events:
            for s in subscriptions:
                if event.event in s.events:
                    session.add(WebhookDelivery(subscription_id=s.id, outbox_id=event.id, event_id=event.event_id,
                                                event=event.event, status="pending", attempts=[],
                                                next_attempt_at=moment, created_at=moment))
            event.fanned_out_at = moment
        return len(events)


def body_of(event: OutboxEvent) -> bytes:
    return json.dumps({"event_id": event.event_id, "event": event.event, "event_name": EVENTS.get(event.event),
                       "occurred_at": moment_text(event.created_at), "data": event.payload}, ensure_ascii=False,
                      sort_keys=True).encode()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver_due(db: Database, batch: int = 20, client: httpx.Client | None = None) -> int:
    """Send the deliveries that are due; each attempt recorded. Returns how many were attempted."""
    with db.transaction() as session:
        moment = now()
        due = list(session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= moment,
                                          or_(WebhookDelivery.locked_until.is_(None),
                                              WebhookDelivery.locked_until < moment))
            .order_by(WebhookDelivery.next_attempt_at).limit(batch).with_for_update(skip_locked=True)))
        for d in due:
            d.locked_until = moment + LEASE
        work = [(d.id, *_request(session, d)) for d in due]
    if not work:
        return 0
    own = client is None
    client = client or httpx.Client(timeout=SEND_TIMEOUT, follow_redirects=False)
    try:
        for delivery_id, url, headers, body in work:
            started = time.monotonic()
            try:
                response = client.post(url, content=body, headers=headers)
                result = {"status_code": response.status_code, "error": None}
            except httpx.HTTPError as exc:
                result = {"status_code": None, "error": f"{exc.__class__.__name__}: {str(exc)[:200]}"}
            result["ms"] = round((time.monotonic() - started) * 1000)
            _record(db, delivery_id, result)
    finally:
        if own:
            client.close()
    return len(work)


def _request(session: Session, d: WebhookDelivery) -> tuple[str, dict, bytes]:
    s = session.get(WebhookSubscription, d.subscription_id)
    body = body_of(session.get(OutboxEvent, d.outbox_id))
    return s.url, {"Content-Type": "application/json", "User-Agent": "Baton-Webhooks/1", "X-Baton-Event": d.event,
                   EVENT_ID_HEADER: d.event_id, "X-Baton-Delivery": str(d.id), SIGNATURE_HEADER: sign(s.secret, body)}, body


def _record(db: Database, delivery_id: int, result: dict) -> None:
    with db.transaction() as session:
        d = session.get(WebhookDelivery, delivery_id)
        moment = now()
        d.attempts = [*(d.attempts or []), {"at": moment_text(moment), **result}]
        d.locked_until = None
        code = result["status_code"]
        if code is not None and 200 <= code < 300:
            d.status, d.delivered_at, d.next_attempt_at = "delivered", moment, None
        elif len(d.attempts) >= MAX_ATTEMPTS:
            d.status, d.next_attempt_at = "failed", None
        else:
            wait = min(timedelta(seconds=RETRY_BASE_SECONDS * 2 ** (len(d.attempts) - 1)), RETRY_CAP)
        if not (code is not None and 200 <= code < 300):
            WEBHOOK_FAILURES.inc()
            d.next_attempt_at = moment + wait
