"""Page parameters, and counting a query's rows for the {"items", "total"} envelope every list returns."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class PageParams:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def page_params(page: Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number")] = 1,
                page_size: Annotated[int, Query(ge=1, le=200, description="items per page, at most 200")] = 20) -> PageParams:
    return PageParams(page, page_size)


PageDep = Annotated[PageParams, Depends(page_params)]


def paginate(session: Session, query: Select, params: PageParams) -> tuple[list, int]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(session.scalars(query.offset(params.offset).limit(params.page_size)))
    return rows, total or 0
