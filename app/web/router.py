"""Server-rendered pages for the people who never see JSON: sign-in, the reviewer's inbox, the enterprise's (and
the agent's) applications and an application's page. They call the same use cases and the same authoriser as the
API; every form carries a CSRF token; errors render as pages that say what to do."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from app.applications import service as applications
from app.auth.service import sign_in
from app.certificates import service as certificates
from app.common.pagination import PageParams
from app.errors import BatonError
from app.processes import service as processes
from app.tasks import service as tasks
from app.vocabulary import Role
from app.web import session
from workflows.calendar import CHINA

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters["beijing"] = lambda moment: moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else "—"
PRE_SESSION = "baton_csrf"  # the sign-in form's double-submit token, before there is a session


def _page(request: Request, name: str, actor, token: str | None, status_code: int = 200, **context) -> HTMLResponse:
    secret = request.app.state.settings.secret_key or ""
    csrf = session.csrf_token(secret, token) if token else context.pop("csrf", "")
    return templates.TemplateResponse(request, name, {"actor": actor, "csrf": csrf,
                                                      "role_name": Role(actor.role).label if actor else None,
                                                      **context}, status_code=status_code)


def _error(request: Request, actor, token, exc: BatonError | None = None, *, title: str = "无法完成操作",
           message: str | None = None, status_code: int | None = None, back: str = "/") -> HTMLResponse:
    detail = message or (exc.detail if exc and isinstance(exc.detail, str) else
                         "；".join(p.get("msg", "") for p in exc.detail) if exc and isinstance(exc.detail, list) else "")
    return _page(request, "error.html", actor, token, status_code or (exc.status_code if exc else 400), title=title,
                 message=detail, back=back)


def _signed_in(request: Request):
    actor, token = session.current(request)
    return actor, token


@router.get("/")
def home(request: Request) -> Response:
    actor, _ = _signed_in(request)
    if actor is None:
        return RedirectResponse("/sign-in", status_code=303)
    if actor.is_department_staff or actor.is_admin:
        return RedirectResponse("/inbox", status_code=303)
    return RedirectResponse("/my", status_code=303)


@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    pre = secrets.token_urlsafe(24)
    response = _page(request, "sign_in.html", None, None, csrf=pre)
    response.set_cookie(PRE_SESSION, pre, httponly=True, samesite="strict", secure=session.secure(request), max_age=3600)
    return response


@router.post("/sign-in")
def sign_in_submit(request: Request, username: Annotated[str, Form(max_length=64)],
                   password: Annotated[str, Form(max_length=1024)], csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    pre = request.cookies.get(PRE_SESSION)
    if not pre or not secrets.compare_digest(pre, csrf):
        return _error(request, None, None, title="页面已过期", message="登录表单缺少安全校验或已过期，请重新打开登录页后再试。",
                      status_code=403, back="/sign-in")
    settings = request.app.state.settings
    try:
        token = sign_in(request.app.state.db, username, password, settings.secret_key or "", settings.token_minutes,
                        address=request.client.host if request.client else None)
    except BatonError as exc:
        fresh = secrets.token_urlsafe(24)
        response = _page(request, "sign_in.html", None, None, status_code=exc.status_code, csrf=fresh,
                         username=username, error="用户名或密码不正确，请重新输入。" if exc.status_code == 401
                         else "尝试次数过多，请稍后再试。" if exc.status_code == 429 else str(exc.detail))
        response.set_cookie(PRE_SESSION, fresh, httponly=True, samesite="strict", secure=session.secure(request))
        return response
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(session.COOKIE, token, httponly=True, samesite="lax", secure=session.secure(request),
                        max_age=settings.token_minutes * 60)
    response.delete_cookie(PRE_SESSION)
    return response


@router.post("/sign-out")
def sign_out(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    actor, token = _signed_in(request)
    if actor is not None and not session.csrf_ok(request, token, csrf):
        return _error(request, actor, token, title="页面已过期", message="请刷新页面后再退出。", status_code=403)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(session.COOKIE)
    return response


def _needs_sign_in(request: Request):
    actor, token = _signed_in(request)
    if actor is None:
        return None, None, RedirectResponse("/sign-in", status_code=303)
    return actor, token, None


@router.get("/inbox")
def inbox(request: Request, status: str = "outstanding", sla: str = "", process: str = "", q: str = "",
          page: int = 1) -> Response:
    actor, token, away = _needs_sign_in(request)
    if away:
        return away
    status = status if status in tasks.LIST_STATUSES else "outstanding"
    sla = sla if sla in ("on_time", "warning", "overdue") else ""
    db = request.app.state.db
    try:
        listing = tasks.list_tasks(db, actor, None, status, PageParams(max(page, 1), 20), process or None,
                                   q.strip()[:100] or None, sla or None)
    except BatonError as exc:
        return _error(request, actor, token, exc, title="无法打开待办")

    def page_url(n: int) -> str:
        return "/inbox?" + urlencode({"status": status, "sla": sla, "process": process, "q": q, "page": n})

    return _page(request, "inbox.html", actor, token, page=listing, status=status, sla=sla, process=process, q=q,
                 processes=_processes(db), page_url=page_url, here=page_url(listing.page))


def _processes(db) -> list[dict]:
    return [{"id": p["id"], "name": p.get("name") or p["id"]} for p in processes.list_processes(db)]


@router.post("/tasks/{task_id}/{action}")
def task_action(request: Request, task_id: str, action: str, csrf: Annotated[str, Form(max_length=200)] = "",
                next: Annotated[str, Form(max_length=500)] = "/inbox") -> Response:
    actor, token, away = _needs_sign_in(request)
    if away:
        return away
    if not session.csrf_ok(request, token, csrf):
        return _error(request, actor, token, title="页面已过期", message="表单缺少安全校验或已过期，请刷新页面后重试。",
                      status_code=403, back="/inbox")
    command = {"claim": tasks.claim, "release": tasks.release}.get(action)
    if command is None:
        return _error(request, actor, token, title="无此操作", message=f"不支持的操作：{action[:20]}", status_code=404,
                      back="/inbox")
    try:
        command(request.app.state.db, actor, task_id[:36])
    except BatonError as exc:
        return _error(request, actor, token, exc, title="操作未完成", back="/inbox")
    # back where the reviewer was (its filters), never off this site
    return RedirectResponse(next if next.startswith("/inbox") else "/inbox", status_code=303)


@router.get("/my")
def my_applications(request: Request, page: int = 1) -> Response:
    actor, token, away = _needs_sign_in(request)
    if away:
        return away
    db = request.app.state.db
    try:
        listing = applications.list_applications(db, actor, None, PageParams(max(page, 1), 50))
    except BatonError as exc:
        return _error(request, actor, token, exc, title="无法打开申请列表")
    names = {p["id"]: p["name"] for p in _processes(db)}
    return _page(request, "my_applications.html", actor, token, page=listing, process_names=names)


@router.get("/verify")
def verify_page(request: Request, code: str = "") -> Response:
    """Anyone checks a certificate by its code (the QR code on it leads here), without signing in."""
    actor, token = _signed_in(request)
    code = code.strip()[:40]
    if not code:
        return _page(request, "verify.html", actor, token, code="")
    if not code.isalnum() or len(code) < 4:
        return _page(request, "verify.html", actor, token, status_code=422, code=code,
                     error="核验码由 4 至 40 位字母或数字组成，请核对后重新输入。")
    try:
        found = certificates.verify(request.app.state.db, code, request.client.host if request.client else None)
    except BatonError as exc:
        message = "查无此证：请核对核验码。" if exc.status_code == 404 else "查询过于频繁，请稍后再试。" \
            if exc.status_code == 429 else str(exc.detail)
        return _page(request, "verify.html", actor, token, status_code=exc.status_code, code=code, error=message)
    return _page(request, "verify.html", actor, token, code=code, found=found)


@router.get("/applications/{application_id}")
def application_page(request: Request, application_id: int) -> Response:
    actor, token, away = _needs_sign_in(request)
    if away:
        return away
    try:
        app = applications.get(request.app.state.db, actor, application_id)
    except BatonError as exc:
        return _error(request, actor, token, exc, title="无法打开申请", back="/my")
    return _page(request, "application.html", actor, token, app=app)
