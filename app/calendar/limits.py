"""The items' time limits as every layer reads them: from their table, read again at most once a minute in other
processes (an admin's change is installed at once in the process that made it)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar.models import ItemTimeLimit
from app.common.cached import CachedRead


@dataclass(frozen=True)
class Limit:
    time_limit: str
    extension_working_days: int


_LIMITS = CachedRead(lambda session: {r.item: Limit(r.time_limit, r.extension_working_days)
                                      for r in session.scalars(select(ItemTimeLimit))})


def item_limits(session: Session) -> dict[str, Limit]:
    return _LIMITS.get(session)


def forget() -> None:
    _LIMITS.forget()
