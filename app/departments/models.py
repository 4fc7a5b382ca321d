from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

# The seven departments of domain.md are seeded by migration 0001 (data: a city can add more).


class Department(Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
