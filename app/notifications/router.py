from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.auth.deps import CurrentActor
from app.common.concurrency import in_thread
from app.common.pagination import PageDep
from app.deps import DatabaseDep
from app.notifications import service, webhooks
from app.notifications.schemas import DeliveryPage, MarkedOut, NotificationPage, WebhookIn, WebhookOut

router = APIRouter(tags=["notifications"])


@router.get("/notifications", response_model=NotificationPage, summary="Your notifications, unread first")
async def list_notifications(actor: CurrentActor, db: DatabaseDep, page: PageDep,
                             unread: Annotated[bool, Query(description="only the unread ones")] = False):
    return await in_thread(service.list_notifications, db, actor, page, unread)


@router.post("/notifications/{notification_id}/read", response_model=MarkedOut, summary="Mark one read")
async def mark_read(notification_id: Annotated[int, Path(ge=1, le=2**31 - 1)], actor: CurrentActor, db: DatabaseDep):
    return {"marked": await in_thread(service.mark_read, db, actor, notification_id)}


@router.post("/notifications/read", response_model=MarkedOut, summary="Mark all read")
async def mark_all_read(actor: CurrentActor, db: DatabaseDep):
    return {"marked": await in_thread(service.mark_read, db, actor, None)}


WebhookId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the subscription's id")]


@router.post("/webhooks", response_model=WebhookOut, status_code=201, tags=["webhooks"],
             summary="Subscribe a URL to events (admin); deliveries are signed and retried until received")
async def subscribe(body: WebhookIn, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(webhooks.subscribe, db, actor, body.url, body.events, body.secret)


@router.get("/webhooks", response_model=list[WebhookOut], tags=["webhooks"], summary="The subscriptions (admin)")
async def list_webhooks(actor: CurrentActor, db: DatabaseDep):
    return await in_thread(webhooks.listed, db, actor)


@router.delete("/webhooks/{webhook_id}", status_code=204, tags=["webhooks"],
               summary="End a subscription (admin); its deliveries stay listed")
async def unsubscribe(webhook_id: WebhookId, actor: CurrentActor, db: DatabaseDep):
    await in_thread(webhooks.unsubscribe, db, actor, webhook_id)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=DeliveryPage, tags=["webhooks"],
            summary="A subscription's deliveries, newest first, each with its attempts (admin)")
async def list_deliveries(webhook_id: WebhookId, actor: CurrentActor, db: DatabaseDep, page: PageDep):
    return await in_thread(webhooks.deliveries, db, actor, webhook_id, page)
