"""One time format: every moment an answer carries is ISO 8601 with the offset of the service's zone
(BATON_TIMEZONE, default Asia/Shanghai: +08:00). Storage stays UTC."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer


@lru_cache(maxsize=1)
def zone() -> ZoneInfo:
    from app.config import get_settings

    return ZoneInfo(get_settings().timezone)


def local(moment: datetime) -> datetime:
    return moment.astimezone(zone())


def moment_text(moment: datetime) -> str:
    """'2026-12-01T09:30:00+08:00': the form every answer uses (never 'Z' or '+00:00')."""
    return local(moment).isoformat()


def with_local_moments(value: Any) -> Any:
    """A JSON-like value with every datetime in it written as `moment_text` (for stored event details)."""
    if isinstance(value, datetime):
        return moment_text(value)
    if isinstance(value, dict):
        return {k: with_local_moments(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_local_moments(v) for v in value]
    return value


# A datetime field of an answer: written in the service's zone with its offset.
Moment = Annotated[datetime, PlainSerializer(moment_text, return_type=str, when_used="json")]
