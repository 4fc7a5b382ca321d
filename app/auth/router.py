from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from app.auth import service
from app.auth.schemas import Me, Token
from app.auth.deps import CurrentActor
from app.deps import DatabaseDep, SettingsDep

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=Token, summary="Sign in (OAuth2 password flow)")
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], db: DatabaseDep, settings: SettingsDep,
          request: Request) -> Token:
    access = service.sign_in(db, form.username, form.password, settings.secret_key or "", settings.token_minutes,
                             address=request.client.host if request.client else None)
    return Token(access_token=access, token_type="bearer")


@router.get("/me", response_model=Me, summary="Who am I")
def me(actor: CurrentActor, db: DatabaseDep) -> dict:
    return service.me(db, actor)
