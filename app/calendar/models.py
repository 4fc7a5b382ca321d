from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class CalendarYear(Base):
    """A year of the holiday table: seeded from chinese-calendar where it knows the year, or loaded by an admin
    from the State Council's notice. A year absent here counts on its fixed statutory holidays (provisional)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(200))  # "chinesecalendar 1.11.0", or the notice an admin named
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    loaded_by: Mapped[str | None] = mapped_column(String(64))


class CalendarDay(Base):
    """An exception to Monday–Friday: a resting day of a holiday (named) or a weekend day made working (调休上班)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(100))


class ItemTimeLimit(Base):
    """An approval item's statutory time limit (domain.md's table), changeable by an admin: every task of the item
    takes its deadline from here."""

    __tablename__ = "item_time_limits"

    item: Mapped[str] = mapped_column(String(100), primary_key=True)
    time_limit: Mapped[str] = mapped_column(String(20))  # "20wd", "60d", "7d"
    extension_working_days: Mapped[int] = mapped_column(Integer, default=0)  # what a lead may add without the admin
    source: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(64))
