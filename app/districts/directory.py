"""The districts as every layer reads them (seeded by migration; they change with one), read at most once a minute."""
from __future__ import annotations

import threading
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.districts.models import District

_SECONDS = 60.0
_read_at = 0.0
_names: dict[str, str] = {}
_lock = threading.Lock()


def names(session: Session) -> dict[str, str]:
    """District code -> Chinese name, in the city's order."""
    global _read_at, _names
    if time.monotonic() - _read_at > _SECONDS or not _names:
        fresh = {d.code: d.name for d in session.scalars(select(District).order_by(District.position))}
        with _lock:
            _names, _read_at = fresh, time.monotonic()
    return _names
