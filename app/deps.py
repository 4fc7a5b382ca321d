"""Typed dependencies for routes: the database, the settings and the authenticated caller."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.auth.policy import Actor
from app.config import Settings
from app.db import Database

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


DatabaseDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_actor(db: DatabaseDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]) -> Actor:
    from app.auth.service import actor_from_token

    return actor_from_token(db, token, settings.secret_key or "")


CurrentActor = Annotated[Actor, Depends(get_actor)]
