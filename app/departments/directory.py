"""The departments as every layer reads them: from their table (seeded by the migration), read again at most once
a minute (they change with a migration, not per request)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.common.cached import CachedRead
from app.departments.models import Department

_NAMES = CachedRead(lambda session: {d.code: d.name for d in session.scalars(select(Department))})


def names(session: Session) -> dict[str, str]:
    """Department code -> Chinese name."""
    return _NAMES.get(session)


def codes(session: Session) -> frozenset[str]:
    return frozenset(names(session))


def name_of(session: Session, code: str | None) -> str | None:
    return names(session).get(code, code) if code else None
