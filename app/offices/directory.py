"""The offices as every layer reads them (seeded by migration), read at most once a minute."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.common.cached import CachedRead
from app.offices.models import Office

_NAMES = CachedRead(lambda session: {o.code: o.name for o in session.scalars(select(Office).order_by(Office.position))})


def names(session: Session) -> dict[str, str]:
    """Office code -> Chinese name, in the city's order."""
    return _NAMES.get(session)
