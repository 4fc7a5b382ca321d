"""The helpdesk console (帮办代办): the enterprises that authorised me and their scopes, my office's assistance
requests (claim, work: file on the enterprise's behalf and link it, close), and the applications I follow."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.applications import service as applications
from app.assistance import service as assistance
from app.common.pagination import PageParams
from app.errors import BatonError
from app.web.applicant import grants_for
from app.web.pages import Visit, checked, process_names, visit

router = APIRouter(include_in_schema=False)
REQUEST_STATUSES = (("", "全部"), *assistance.STATUS_NAMES.items())


@router.get("/helpdesk")
def console(request: Request, status: str = "", page: int = 1) -> Response:
    v = visit(request)
    if not isinstance(v, Visit):
        return v
    if v.actor.role != "helpdesk":
        return v.error(title="无权访问", message="帮办代办工作台只对帮办代办员开放。", status_code=403)
    status = status if status in dict(REQUEST_STATUSES) else ""
    try:
        requests = assistance.listed(v.db, v.actor, PageParams(max(page, 1), 20), status or None)
        followed = applications.list_applications(v.db, v.actor, None, PageParams(1, 10))
    except BatonError as exc:
        return v.error(exc, title="无法打开工作台")
    return v.page("helpdesk.html", grants=grants_for(v), requests=requests, followed=followed, status=status,
                  statuses=REQUEST_STATUSES, process_names=process_names(v.db))


@router.get("/helpdesk/requests/{request_id}")
def request_page(request: Request, request_id: int) -> Response:
    v = visit(request)
    if not isinstance(v, Visit):
        return v
    try:
        row = assistance.get(v.db, v.actor, request_id)
        mine = applications.list_applications(v.db, v.actor, None, PageParams(1, 50)) \
            if v.actor.role == "helpdesk" else None
    except BatonError as exc:
        return v.error(exc, title="无法打开帮办请求", back="/helpdesk")
    linked = {a["id"] for a in row["applications"]}
    candidates = [a for a in (mine.items if mine else []) if a.id not in linked and
                  (row["enterprise"] is None or a.enterprise.credit_code == row["enterprise"]["credit_code"])]
    return v.page("assistance.html", row=row, candidates=candidates,
                  process_names=process_names(v.db))


@router.post("/helpdesk/requests/{request_id}/{action}")
def request_action(request: Request, request_id: int, action: str, csrf: Annotated[str, Form(max_length=200)] = "",
                   note: Annotated[str, Form(max_length=2000)] = "",
                   application: Annotated[str, Form(max_length=12)] = "") -> Response:
    here = f"/helpdesk/requests/{request_id}"
    v = checked(request, csrf, here)
    if not isinstance(v, Visit):
        return v
    try:
        if action == "claim":
            assistance.claim(v.db, v.actor, request_id)
        elif action == "close":
            assistance.close(v.db, v.actor, request_id, note)
        elif action == "link":
            if not application.isdigit():
                return v.error(title="请选择申请", message="请选择要关联的代办申请 (application)。", status_code=422,
                               back=here)
            assistance.link(v.db, v.actor, request_id, int(application))
        else:
            return v.error(title="无此操作", message=f"不支持的操作：{action[:20]}", status_code=404, back=here)
    except BatonError as exc:
        return v.error(exc, title="操作未完成", back=here)
    return RedirectResponse(here, status_code=303)
