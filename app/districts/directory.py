"""The districts as every layer reads them (seeded by migration; they change with one), read at most once a minute."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.common.cached import CachedRead
from app.districts.models import District

_NAMES = CachedRead(lambda session: {d.code: d.name for d in session.scalars(select(District).order_by(District.position))})


def names(session: Session) -> dict[str, str]:
    """District code -> Chinese name, in the city's order."""
    return _NAMES.get(session)
