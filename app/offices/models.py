from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

# Seeded by migration 0009: the 市本级 government service centre, one helpdesk per 旗县区, and the receiving windows of
# Baotou, Ordos and Ulanqab (呼包鄂乌“四城通办”).


class Office(Base):
    __tablename__ = "offices"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    city: Mapped[str] = mapped_column(String(20))  # hohhot, baotou, ordos, ulanqab
    district: Mapped[str | None] = mapped_column(String(6))  # the 旗县区 a Hohhot office serves
    position: Mapped[int] = mapped_column(Integer)
