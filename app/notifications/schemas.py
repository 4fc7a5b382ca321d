from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.common.moments import Moment


class NotificationOut(BaseModel):
    id: int
    event: str
    event_name: str
    title: str
    application_id: int | None
    task_id: str | None
    created_at: Moment
    read_at: Moment | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    total: int
    unread: int
    page: int
    page_size: int


class MarkedOut(BaseModel):
    marked: int


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2000, description="接收地址 (http:// or https://)")
    events: list[str] = Field(min_length=1, max_length=20, description="订阅的事件")
    secret: str = Field(min_length=16, max_length=200, description="签名密钥：每次投递以 HMAC-SHA256 签名 (X-Baton-Signature)")


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: Moment
    created_by: str


class DeliveryAttempt(BaseModel):
    at: str
    status_code: int | None
    error: str | None
    ms: int


class DeliveryOut(BaseModel):
    id: int
    event_id: str = Field(description="the same on every attempt: receivers de-duplicate on it")
    event: str
    event_name: str
    status: str = Field(description="pending, delivered or failed (given up after the last retry)")
    status_name: str
    attempts: list[DeliveryAttempt]
    next_attempt_at: Moment | None
    delivered_at: Moment | None
    created_at: Moment


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int
    page: int
    page_size: int
