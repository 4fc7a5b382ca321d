from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import select

from app.auth.deps import CurrentActor
from app.authorizations import service
from app.authorizations.schemas import AuthorizationIn, AuthorizationOut, OfficeOut
from app.common.concurrency import in_thread
from app.deps import DatabaseDep
from app.offices.models import Office

router = APIRouter(tags=["authorizations"])


@router.post("/authorizations", response_model=AuthorizationOut, status_code=201,
             summary="Authorise a helpdesk agent or office to act for the enterprise (授权委托)")
async def grant(body: AuthorizationIn, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.grant, db, actor, grantee=body.grantee, grantee_office=body.grantee_office,
                           processes=body.processes, valid_until=body.valid_until, letter=body.letter)


@router.get("/authorizations", response_model=list[AuthorizationOut],
            summary="The enterprise's grants, or those an agent may use")
async def listed(actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.listed, db, actor)


@router.post("/authorizations/{authorization_id}/revoke", response_model=AuthorizationOut,
             summary="Revoke an authorisation (the granting enterprise): every further action on its strength stops")
async def revoke(authorization_id: Annotated[int, Path(ge=1, le=2**31 - 1)], actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.revoke, db, actor, authorization_id)


@router.get("/offices", response_model=list[OfficeOut], tags=["offices"],
            summary="The helpdesk offices (市本级 and each 旗县区) and the receiving windows of Baotou, Ordos, Ulanqab")
def offices(_actor: CurrentActor, db: DatabaseDep):
    with db.read() as session:
        return [{"code": o.code, "name": o.name, "city": o.city, "district": o.district}
                for o in session.scalars(select(Office).order_by(Office.position))]
