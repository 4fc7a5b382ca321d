"""The enterprise's own pages besides its applications: whom it authorised to file for it (帮办代办: grant with the
signed letter, revoke) and its assistance requests (ask a helpdesk office for help)."""
from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.assistance import service as assistance
from app.authorizations import service as authorizations
from app.common.pagination import PageParams
from app.errors import BatonError, Invalid
from app.users import service as users
from app.web.pages import Visit, checked, day_or_none, messages, posted_form, process_names, take_uploads, visit
from workflows.calendar import CHINA

router = APIRouter(include_in_schema=False)


def _enterprise(request: Request) -> Visit | Response:
    v = visit(request)
    if isinstance(v, Visit) and v.actor.role != "enterprise":
        return v.error(title="无权访问", message="此页面只对企业用户开放。", status_code=403)
    return v


def _grants_page(v: Visit, problems: list[str] | None = None, posted: dict | None = None,
                 status_code: int = 200) -> Response:
    return v.page("authorizations.html", status_code, grants=authorizations.listed(v.db, v.actor),
                  processes=process_names(v.db), known=users.choices(v.db), problems=problems or [],
                  posted=posted or {})


@router.get("/authorizations")
def grants(request: Request) -> Response:
    v = _enterprise(request)
    return _grants_page(v) if isinstance(v, Visit) else v


@router.post("/authorizations")
async def grant(request: Request) -> Response:
    v, form = await posted_form(request, "/authorizations", _enterprise)
    if form is None:
        return v
    posted = {"grantee": str(form.get("grantee") or "").strip()[:64], "office": str(form.get("office") or "")[:40],
              "until": str(form.get("valid_until") or "")[:10], "processes": [str(p) for p in form.getlist("processes")]}
    stored, problems = await take_uploads(v, form, ["letter"])
    if problems:
        return _grants_page(v, problems["letter"], posted, 422)
    try:
        until = day_or_none(posted["until"])
        letter = stored.get("letter", [])
        if until is None or not letter:
            raise Invalid([{"loc": ["body", "valid_until"], "msg": "有效期至 (valid_until) 与授权委托书 (letter) 必填"}])
        authorizations.grant(v.db, v.actor, grantee=posted["grantee"] or None, grantee_office=posted["office"] or None,
                             processes=posted["processes"] or None,
                             valid_until=datetime.combine(until, time(23, 59, 59), tzinfo=CHINA),
                             letter=letter[0]["id"])
    except BatonError as exc:
        return _grants_page(v, messages(exc), posted, exc.status_code)
    return RedirectResponse("/authorizations?granted=1", status_code=303)


@router.post("/authorizations/{authorization_id}/revoke")
def revoke(request: Request, authorization_id: int, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    v = checked(request, csrf, "/authorizations", _enterprise)
    if not isinstance(v, Visit):
        return v
    try:
        authorizations.revoke(v.db, v.actor, authorization_id)
    except BatonError as exc:
        return v.error(exc, title="未能撤销授权", back="/authorizations")
    return RedirectResponse("/authorizations?revoked=1", status_code=303)


def _help_page(v: Visit, problems: list[str] | None = None, posted: dict | None = None,
               status_code: int = 200) -> Response:
    return v.page("assistance_requests.html", status_code,
                  requests=assistance.listed(v.db, v.actor, PageParams(1, 50), None), known=users.choices(v.db),
                  problems=problems or [], posted=posted or {})


@router.get("/assistance")
def my_requests(request: Request) -> Response:
    v = _enterprise(request)
    return _help_page(v) if isinstance(v, Visit) else v


@router.post("/assistance")
def ask(request: Request, csrf: Annotated[str, Form(max_length=200)] = "",
        district: Annotated[str, Form(max_length=6)] = "", project_name: Annotated[str, Form(max_length=200)] = "",
        description: Annotated[str, Form(max_length=5000)] = "",
        contact_name: Annotated[str, Form(max_length=100)] = "",
        contact_phone: Annotated[str, Form(max_length=40)] = "") -> Response:
    v = checked(request, csrf, "/assistance", _enterprise)
    if not isinstance(v, Visit):
        return v
    posted = {"district": district, "project_name": project_name, "description": description,
              "contact_name": contact_name, "contact_phone": contact_phone}
    missing = [title for key, title in (("project_name", "项目名称"), ("description", "需要帮办的事项"),
                                        ("contact_name", "联系人"), ("contact_phone", "联系电话")) if not posted[key].strip()]
    try:
        if missing:
            raise Invalid([{"loc": ["body"], "msg": f"{'、'.join(missing)} 必填"}])
        assistance.ask(v.db, v.actor, enterprise=None, **posted)
    except BatonError as exc:
        return _help_page(v, messages(exc), posted, exc.status_code)
    return RedirectResponse("/assistance?asked=1", status_code=303)
