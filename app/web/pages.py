"""What every page shares: the templates, rendering with the signed-in user and the form's CSRF token, error pages
that say what to do, and the guard every page and form passes."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from app.documents.detect import accepted_names
from app.errors import BatonError
from app.processes import service as processes
from app.vocabulary import Role
from app.web import session
from workflows.calendar import CHINA

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
LANGUAGE = "baton_lang"  # the page language chosen with the English switch: zh (default) or en
ENGLISH: dict[str, str] = json.loads((Path(__file__).parent / "english.json").read_text(encoding="utf-8"))


@pass_context
def translate(context, text) -> str:
    """A page's words in the reader's language: the English of a known phrase; of a service's message `中文 / English`,
    the reader's half; anything else (names, the processes' own labels) as it is."""
    if not isinstance(text, str):
        return text
    if context.get("lang") != "en":
        return text if text in ENGLISH or " / " not in text else text.split(" / ", 1)[0]
    if text in ENGLISH:
        return ENGLISH[text]
    return text.split(" / ", 1)[1] if " / " in text else text


templates.env.globals["_"] = translate
templates.env.filters["beijing"] = lambda moment: moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else "—"
templates.env.filters["size"] = lambda n: f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{max(n // 1024, 1)} KB"


def render(request: Request, name: str, actor, token: str | None, status_code: int = 200, **context) -> HTMLResponse:
    secret = request.app.state.settings.secret_key or ""
    csrf = session.csrf_token(secret, token) if token else context.pop("csrf", "")
    limit = request.app.state.settings.max_document_bytes
    upload_hint = f"可上传：{accepted_names()}；每个文件不超过 {limit // 1048576} MB。"
    lang = "en" if request.cookies.get(LANGUAGE) == "en" else "zh"
    return templates.TemplateResponse(request, name, {"actor": actor, "csrf": csrf, "upload_hint": upload_hint, "lang": lang,
                                                      "role_name": Role(actor.role).label if actor else None,
                                                      **context}, status_code=status_code)


def messages(exc: BatonError) -> list[str]:
    """An error's detail as sentences a person reads (a 422 lists one per field)."""
    if isinstance(exc.detail, list):
        return [str(p.get("msg", "")) for p in exc.detail if isinstance(p, dict)]
    return [str(exc.detail)]


def error(request: Request, actor, token, exc: BatonError | None = None, *, title: str = "无法完成操作",
          message: str | None = None, status_code: int | None = None, back: str = "/") -> HTMLResponse:
    detail = message or ("；".join(messages(exc)) if exc else "")
    return render(request, "error.html", actor, token, status_code or (exc.status_code if exc else 400), title=title,
                  message=detail, back=back)


class Visit:
    """A signed-in person on a page: who, their session token, and the database."""

    def __init__(self, request: Request, actor, token: str):
        self.request, self.actor, self.token = request, actor, token
        self.db = request.app.state.db
        self.settings = request.app.state.settings

    def page(self, name: str, status_code: int = 200, **context) -> HTMLResponse:
        return render(self.request, name, self.actor, self.token, status_code, **context)

    def error(self, exc: BatonError | None = None, **kwargs) -> HTMLResponse:
        return error(self.request, self.actor, self.token, exc, **kwargs)

    def expired(self, back: str = "/") -> HTMLResponse:
        return self.error(title="页面已过期", message="表单缺少安全校验或已过期，请刷新页面后重试。", status_code=403, back=back)

    def csrf_ok(self, posted: str | None) -> bool:
        return session.csrf_ok(self.request, self.token, posted)


def visit(request: Request) -> Visit | RedirectResponse:
    """The signed-in visit, or the way to the sign-in page."""
    actor, token = session.current(request)
    if actor is None:
        return RedirectResponse("/sign-in", status_code=303)
    return Visit(request, actor, token)


def checked(request: Request, csrf: str | None, back: str, guard=None) -> Visit | Response:
    """The signed-in visit whose form carries its CSRF token; else the page to show (sign in, not yours, expired).
    `guard` lets in whom the page is for (default: anyone signed in)."""
    v = (guard or visit)(request)
    if isinstance(v, Visit) and not v.csrf_ok(csrf):
        return v.expired(back=back)
    return v


async def posted_form(request: Request, back: str, guard=None) -> tuple[Visit | Response, FormData | None]:
    """A multipart or urlencoded form posted by a signed-in visit with its CSRF token, or (the page to show, None)."""
    v = (guard or visit)(request)
    if not isinstance(v, Visit):
        return v, None
    form = await request.form()
    return (v, form) if v.csrf_ok(form.get("csrf")) else (v.expired(back=back), None)


def back_to(target: str, default: str) -> str:
    """A redirect stays on this site: only a path of ours, never //host or a scheme."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else default


async def take_uploads(v: Visit, form, keys: list[str]) -> tuple[dict[str, list[dict]], dict[str, list[str]]]:
    """Store the files chosen for each documents field (`file.<key>`); what was stored and, by field, what was not."""
    from app.documents import service as documents  # the pages' one way to store files: the API's use case

    stored: dict[str, list[dict]] = {}
    problems: dict[str, list[str]] = {}
    for key in keys:
        for upload in form.getlist("file." + key):
            if not getattr(upload, "filename", None):
                continue  # the field was left empty
            try:
                stored.setdefault(key, []).append(documents.upload(v.db, v.settings, v.actor, upload.filename,
                                                                   upload.content_type or "", upload.file))
            except BatonError as exc:
                problems.setdefault(key, []).extend(f"{upload.filename}：{m}" for m in messages(exc))
    return stored, problems


def day_or_none(text: str):
    """A `YYYY-MM-DD` query value, or None (the period then takes its default)."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def process_names(db) -> dict[str, str]:
    """The deployed processes' names by id (filters, links, labels)."""
    return {p["id"]: p.get("name") or p["id"] for p in processes.list_processes(db)}


def process_of(db, process_id: str) -> dict | None:
    """A deployed process as new applications start it: its name, description and start form."""
    return next((p for p in processes.list_processes(db) if p["id"] == process_id), None)


def start_form(db, process_id: str) -> dict:
    """The start form a process files with now (its fields label an application's project)."""
    found = process_of(db, process_id)
    return found["start_form"] if found else {}
