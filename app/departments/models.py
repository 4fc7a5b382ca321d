from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

# The seven departments of domain.md; the migration seeds them (data, so a city can add more).
SEED = [
    ("service-window", "政务服务中心综合窗口"),
    ("development-reform", "发展和改革委员会"),
    ("natural-resources", "自然资源局"),
    ("real-estate-registry", "不动产登记中心"),
    ("ecology-environment", "生态环境局"),
    ("water-affairs", "水务局"),
    ("housing-construction", "住房和城乡建设局"),
]


class Department(Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
