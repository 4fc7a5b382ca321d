from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.common.moments import Moment

RoleCode = Literal["reviewer", "lead", "enterprise", "helpdesk", "admin"]


class EnterpriseRef(BaseModel):
    credit_code: str
    name: str


class UserOut(BaseModel):
    username: str
    display_name: str | None
    role: str
    role_name: str
    departments: list[str]
    department_names: list[str]
    office: str | None
    office_name: str | None
    enterprise: EnterpriseRef | None
    active: bool
    created_at: Moment
    claimed_tasks: int = Field(description="tasks this person holds now (办理中)")
    open_tasks: int = Field(default=0, description="unclaimed tasks waiting in this person's departments")


class UserPage(BaseModel):
    items: list[UserOut]
    total: int
    page: int
    page_size: int


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=8, max_length=1024)
    role: RoleCode
    departments: list[str] = Field(default_factory=list, max_length=10)
    enterprise: str | None = Field(default=None, max_length=18, description="an enterprise user's credit code")
    enterprise_name: str | None = Field(default=None, max_length=200)
    office: str | None = Field(default=None, max_length=40, description="a helpdesk agent's office")
    display_name: str | None = Field(default=None, max_length=100)


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: RoleCode | None = None
    departments: list[str] | None = Field(default=None, max_length=10)
    office: str | None = Field(default=None, max_length=40)
    display_name: str | None = Field(default=None, max_length=100)
    active: bool | None = Field(default=None, description="false disables the account: its sessions end at once and "
                                                           "its claimed tasks go back to the queue")


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_password: str = Field(min_length=8, max_length=1024)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=1024)
    new_password: str = Field(min_length=8, max_length=1024)
