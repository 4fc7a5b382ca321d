"""The departments as every layer reads them: from their table (seeded by the migration), read again at most once
a minute (they change with a migration, not per request)."""
from __future__ import annotations

import threading
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.departments.models import Department

_SECONDS = 60.0
_read_at = 0.0
_names: dict[str, str] = {}
_lock = threading.Lock()


def names(session: Session) -> dict[str, str]:
    """Department code -> Chinese name."""
    global _read_at, _names
    if time.monotonic() - _read_at > _SECONDS or not _names:
        fresh = {d.code: d.name for d in session.scalars(select(Department))}
        with _lock:
            _names, _read_at = fresh, time.monotonic()
    return _names


def codes(session: Session) -> frozenset[str]:
    return frozenset(names(session))


def name_of(session: Session, code: str | None) -> str | None:
    return names(session).get(code, code) if code else None
