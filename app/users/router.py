from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from app.auth.deps import CurrentActor
from app.common.concurrency import in_thread
from app.common.pagination import PageDep
from app.deps import DatabaseDep
from app.users import service
from app.users.schemas import PasswordChange, PasswordReset, RoleCode, UserIn, UserOut, UserPage, UserPatch

router = APIRouter(tags=["users"])
Username = Annotated[str, Path(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]


@router.get("/users", response_model=UserPage, summary="People (admin: all; lead: its departments' staff, with workload)")
async def list_users(actor: CurrentActor, db: DatabaseDep, page: PageDep,
                     q: Annotated[str | None, Query(min_length=1, max_length=64, description="name")] = None,
                     role: Annotated[RoleCode | None, Query()] = None,
                     department: Annotated[str | None, Query(max_length=40)] = None):
    return await in_thread(service.list_users, db, actor, page, q, role, department)


@router.post("/users", response_model=UserOut, status_code=201, summary="Create an account (admin)")
async def create_user(body: UserIn, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.create_user, db, actor, username=body.username, password=body.password,
                           role=body.role, departments=body.departments, enterprise_code=body.enterprise,
                           enterprise_name=body.enterprise_name, display_name=body.display_name,
                           office_code=body.office)


@router.patch("/users/{username}", response_model=UserOut,
              summary="Change role, departments, office, name, or disable (admin)")
async def update_user(username: Username, body: UserPatch, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.update_user, db, actor, username, body.model_dump(exclude_unset=True))


@router.post("/users/{username}/password", status_code=204, summary="Reset a password (admin); its sessions end")
async def reset_password(username: Username, body: PasswordReset, actor: CurrentActor, db: DatabaseDep):
    await in_thread(service.set_password, db, actor, username, body.new_password)
    return Response(status_code=204)


@router.post("/me/password", status_code=204, summary="Change your own password; your other sessions end")
async def change_password(body: PasswordChange, actor: CurrentActor, db: DatabaseDep):
    await in_thread(service.set_password, db, actor, actor.username, body.new_password, body.current_password)
    return Response(status_code=204)
