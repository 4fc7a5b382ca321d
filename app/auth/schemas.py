from __future__ import annotations

from pydantic import BaseModel


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class EnterpriseOut(BaseModel):
    credit_code: str
    name: str
    barred_until: str | None = None


class Me(BaseModel):
    username: str
    role: str
    display_name: str | None = None
    departments: list[str]
    enterprise: EnterpriseOut | None
