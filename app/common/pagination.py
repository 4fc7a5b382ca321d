"""Page parameters, and counting a query's rows for the {"items", "total"} envelope every list returns."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy import Select, func
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class PageParams:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


async def page_params(page: Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number")] = 1,
                page_size: Annotated[int, Query(ge=1, le=200, description="items per page, at most 200")] = 20) -> PageParams:
    return PageParams(page, page_size)


PageDep = Annotated[PageParams, Depends(page_params)]


def paginate(session: Session, query: Select, params: PageParams, rows: bool = False) -> tuple[list, int]:
    """One page and the total; `rows`: the query selects columns (Core rows), not mapped objects."""
    # count(*) over the same FROM and WHERE: no column (the stored workflow state least of all) is read for it
    total = session.scalar(query.order_by(None).with_only_columns(func.count(), maintain_column_froms=True))
    page = query.offset(params.offset).limit(params.page_size)
    items = list(session.execute(page)) if rows else list(session.scalars(page))
    return items, total or 0
