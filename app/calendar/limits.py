"""The items' time limits as every layer reads them: from their table, read again at most once a minute in other
processes (an admin's change is installed at once in the process that made it)."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar.models import ItemTimeLimit

_SECONDS = 60.0
_read_at = 0.0
_limits: dict[str, "Limit"] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Limit:
    time_limit: str
    extension_working_days: int


def item_limits(session: Session) -> dict[str, Limit]:
    global _read_at, _limits
    if time.monotonic() - _read_at > _SECONDS:
        fresh = {r.item: Limit(r.time_limit, r.extension_working_days) for r in session.scalars(select(ItemTimeLimit))}
        with _lock:
            _limits, _read_at = fresh, time.monotonic()
    return _limits


def forget() -> None:
    global _read_at
    _read_at = 0.0
