from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from app.auth.deps import CurrentActor
from app.deps import DatabaseDep
from app.departments.models import Department

router = APIRouter(tags=["departments"])


class DepartmentOut(BaseModel):
    code: str
    name: str


@router.get("/departments", response_model=list[DepartmentOut], summary="The departments and their Chinese names")
def list_departments(_actor: CurrentActor, db: DatabaseDep) -> list[dict]:
    with db.read() as session:
        return [{"code": d.code, "name": d.name} for d in session.scalars(select(Department).order_by(Department.code))]
