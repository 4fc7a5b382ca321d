"""Typed dependencies for routes: the database and the settings (the caller: app.auth.deps)."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.config import Settings
from app.db import Database


async def get_db(request: Request) -> Database:  # async: no I/O, so no thread-pool hop
    return request.app.state.db


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


DatabaseDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
