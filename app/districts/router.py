from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from app.auth.deps import CurrentActor
from app.deps import DatabaseDep
from app.districts import directory

router = APIRouter(tags=["districts"])


class DistrictOut(BaseModel):
    code: str
    name: str


@router.get("/districts", response_model=list[DistrictOut], summary="市本级 and the nine 旗县区, by division code")
def list_districts(_actor: CurrentActor, db: DatabaseDep) -> list[dict]:
    with db.read() as session:
        return [{"code": c, "name": n} for c, n in directory.names(session).items()]
