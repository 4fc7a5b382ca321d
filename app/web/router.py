"""The pages' frame: sign-in and sign-out, each role's home, and the public certificate check. Every user's pages
(app/web/*.py) call the same use cases and the same authoriser as the API; every form carries a CSRF token;
errors render as pages that say what to do."""
from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.auth.service import sign_in
from app.certificates import service as certificates
from app.errors import BatonError
from app.web import session
from app.web.pages import LANGUAGE, back_to, error, render

router = APIRouter(include_in_schema=False)
HOMES = {"admin": "/admin", "lead": "/lead", "reviewer": "/inbox", "helpdesk": "/helpdesk", "enterprise": "/my"}
PRE_SESSION = "baton_csrf"  # the sign-in form's double-submit token, before there is a session


@router.get("/")
def home(request: Request) -> Response:
    actor, _ = session.current(request)
    if actor is None:
        return RedirectResponse("/sign-in", status_code=303)
    return RedirectResponse(HOMES.get(actor.role, "/my"), status_code=303)


@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    pre = secrets.token_urlsafe(24)
    response = render(request, "sign_in.html", None, None, csrf=pre)
    response.set_cookie(PRE_SESSION, pre, httponly=True, samesite="strict", secure=session.secure(request), max_age=3600)
    return response


@router.post("/sign-in")
def sign_in_submit(request: Request, username: Annotated[str, Form(max_length=64)],
                   password: Annotated[str, Form(max_length=1024)], csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    pre = request.cookies.get(PRE_SESSION)
    if not pre or not secrets.compare_digest(pre, csrf):
        return error(request, None, None, title="页面已过期", message="登录表单缺少安全校验或已过期，请重新打开登录页后再试。",
                      status_code=403, back="/sign-in")
    settings = request.app.state.settings
    try:
        token = sign_in(request.app.state.db, username, password, settings.secret_key or "", settings.token_minutes,
                        address=request.client.host if request.client else None)
    except BatonError as exc:
        fresh = secrets.token_urlsafe(24)
        response = render(request, "sign_in.html", None, None, status_code=exc.status_code, csrf=fresh,
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
    actor, token = session.current(request)
    if actor is not None and not session.csrf_ok(request, token, csrf):
        return error(request, actor, token, title="页面已过期", message="请刷新页面后再退出。", status_code=403)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(session.COOKIE)
    return response


@router.get("/language")
def language(to: str = "zh", next: str = "/") -> Response:
    """The English switch: the choice is kept in a cookie for a year; back to the page the reader was on."""
    response = RedirectResponse(back_to(next[:500], "/"), status_code=303)
    response.set_cookie(LANGUAGE, "en" if to == "en" else "zh", max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


@router.get("/verify")
def verifyrender(request: Request, code: str = "") -> Response:
    """Anyone checks a certificate by its code (the QR code on it leads here), without signing in."""
    actor, token = session.current(request)
    code = code.strip()[:40]
    if not code:
        return render(request, "verify.html", actor, token, code="")
    if not code.isalnum() or len(code) < 4:
        return render(request, "verify.html", actor, token, status_code=422, code=code,
                     error="核验码由 4 至 40 位字母或数字组成，请核对后重新输入。")
    try:
        found = certificates.verify(request.app.state.db, code, request.client.host if request.client else None)
    except BatonError as exc:
        message = "查无此证：请核对核验码。" if exc.status_code == 404 else "查询过于频繁，请稍后再试。" \
            if exc.status_code == 429 else str(exc.detail)
        return render(request, "verify.html", actor, token, status_code=exc.status_code, code=code, error=message)
    return render(request, "verify.html", actor, token, code=code, found=found)


def install(app) -> None:
    """Every user's pages, in one router the app includes, and their errors as pages."""
    from app.web import admin, applicant, enterprise, helpdesk, lead, reviewer

    for pages in (reviewer, applicant, enterprise, helpdesk, lead, admin):
        app.include_router(pages.router)
    app.include_router(router)
    install_error_pages(app)


def is_page(path: str) -> bool:
    return not path.startswith(("/api/", "/docs", "/static/")) and path not in ("/openapi.json", "/metrics")


def install_error_pages(app) -> None:
    """What the API answers as JSON (a bad address, no such page, a refusal, a busy database) a person at the pages
    reads as a page saying what to do; the API's own answers stay as they are."""
    from fastapi.exceptions import RequestValidationError
    from sqlalchemy.exc import OperationalError
    from starlette.exceptions import HTTPException

    from app.errors import is_busy

    def page_for(request: Request, exc: Exception) -> Response:
        if isinstance(exc, OperationalError):  # busy: no reading of the session either
            return error(request, None, None, title="系统繁忙", message="系统繁忙，请稍后刷新重试。", status_code=503)
        actor, token = session.current(request)
        if isinstance(exc, RequestValidationError):
            fields = "、".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors()[:5])
            return error(request, actor, token, title="地址或表单有误",
                         message=f"以下内容不正确：{fields}。请从页面上的链接或按钮进入，不要手动修改地址。", status_code=422)
        if isinstance(exc, BatonError):
            return error(request, actor, token, exc)
        status = getattr(exc, "status_code", 500)
        title, message = {404: ("页面不存在", "您访问的地址不存在，请从首页进入。"),
                          405: ("不支持此操作", "此地址不接受这种请求，请从页面上的按钮操作。")}.get(
            status, ("无法完成操作", "请返回后重试。"))
        return error(request, actor, token, title=title, message=message, status_code=status)

    for kind in (RequestValidationError, HTTPException, BatonError, OperationalError):
        api_answer = app.exception_handlers.get(kind)

        async def handler(request: Request, exc: Exception, api_answer=api_answer):
            if is_page(request.url.path) and not (isinstance(exc, OperationalError) and not is_busy(exc)):
                return page_for(request, exc)
            if api_answer is None:
                raise exc
            return await api_answer(request, exc)

        app.add_exception_handler(kind, handler)
