"""The authenticated caller as a route dependency: one indexed query per request (app.auth.service)."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from app.auth.policy import Actor
from app.auth.service import actor_from_token
from app.deps import DatabaseDep, SettingsDep

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_actor(db: DatabaseDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]) -> Actor:
    return actor_from_token(db, token, settings.secret_key or "")


CurrentActor = Annotated[Actor, Depends(get_actor)]
