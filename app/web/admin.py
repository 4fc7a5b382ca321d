"""The administrator's pages: deploy BPMN/DMN/form files (each file's and element's problems listed beside it),
process versions (deploy time, running counts, the version new applications start on, the diagram), users (add,
disable, reset a password, departments, office), the holiday calendar and time limits, webhooks and their
deliveries; and the city view: the ledger and the district ranking, filterable by period."""
from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.auth.policy import require_admin
from app.calendar import service as calendar
from app.common.downloads import attachment
from app.calendar.schemas import HolidayIn
from app.clock import now
from app.common.pagination import PageParams
from app.errors import BatonError, Invalid
from app.notifications import webhooks
from app.notifications.outbox import EVENTS
from app.processes import service as processes
from app.reports import service as reports
from app.users import service as users
from app.web import charts
from app.web.pages import Visit, checked, day_or_none, messages, posted_form, visit
from workflows.calendar import CHINA

router = APIRouter(include_in_schema=False)


def _admin(request: Request) -> Visit | Response:
    v = visit(request)
    if not isinstance(v, Visit):
        return v
    try:
        require_admin(v.actor)
    except BatonError as exc:
        return v.error(exc, title="无权访问", message="此页面只对系统管理员开放。", status_code=403)
    return v



@router.get("/admin")
def overview(request: Request) -> Response:
    v = _admin(request)
    return v.page("admin/overview.html", processes=processes.list_processes(v.db)) if isinstance(v, Visit) else v


# ---------------------------------------------------------------- processes


def _processes_page(v: Visit, problems: list[dict] | None = None, deployed: list | None = None,
                    status_code: int = 200) -> Response:
    by_file: dict[str, list[dict]] = {}
    for p in problems or []:
        by_file.setdefault(p.get("file") or "（整体）", []).append(p)
    return v.page("admin/processes.html", status_code, processes=processes.list_processes(v.db), by_file=by_file,
                  deployed=deployed or [])


@router.get("/admin/processes")
def process_list(request: Request) -> Response:
    v = _admin(request)
    return _processes_page(v) if isinstance(v, Visit) else v


@router.post("/admin/processes")
async def deploy(request: Request) -> Response:
    v, form = await posted_form(request, "/admin/processes", _admin)
    if form is None:
        return v
    uploads = [(u.filename, u.file) for u in form.getlist("files") if getattr(u, "filename", None)]
    if not uploads:
        return _processes_page(v, [{"file": None, "element_id": None, "message": "请选择要部署的 .bpmn、.dmn 或表单 .json 文件"}],
                               status_code=422)
    try:
        done = processes.deploy(v.db, processes.sources_of(uploads, v.settings.max_deploy_files), v.actor.username)
    except BatonError as exc:
        problems = exc.detail if isinstance(exc.detail, list) else [{"file": None, "element_id": None,
                                                                     "message": str(exc.detail)}]
        return _processes_page(v, [{"file": p.get("file"), "element_id": p.get("element_id"),
                                    "message": p.get("message") or p.get("msg")} for p in problems],
                               status_code=exc.status_code)
    return _processes_page(v, deployed=done)


@router.get("/admin/processes/{process_id}")
def process_page(request: Request, process_id: str, version: int = 0) -> Response:
    v = _admin(request)
    if not isinstance(v, Visit):
        return v
    try:
        found = processes.get_process(v.db, process_id[:200])
        shown = version if version in found["versions"] else found["active_version"]
        picture = processes.version_picture(v.db, found["id"], shown).svg
    except BatonError as exc:
        return v.error(exc, title="无法打开流程", back="/admin/processes")
    return v.page("admin/process.html", process=found, shown=shown, picture=picture)


@router.get("/admin/processes/{process_id}/versions/{version}/files/{file_name}")
def deployed_file(request: Request, process_id: str, version: int, file_name: str) -> Response:
    v = _admin(request)
    if not isinstance(v, Visit):
        return v
    try:
        found = processes.deployed_file(v.db, process_id[:200], version, file_name[:255])
    except BatonError as exc:
        return v.error(exc, title="没有此文件", back=f"/admin/processes/{process_id[:200]}")
    return Response(found.content, media_type=processes.MEDIA_TYPES.get(found.kind),
                    headers={"content-disposition": attachment(found.file_name, f"{found.kind}-file")})


@router.post("/admin/processes/{process_id}/versions/{version}/activate")
def activate(request: Request, process_id: str, version: int, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    here = f"/admin/processes/{process_id[:200]}"
    v = checked(request, csrf, here, _admin)
    if not isinstance(v, Visit):
        return v
    try:
        processes.activate(v.db, process_id[:200], version, v.actor.username)
    except BatonError as exc:
        return v.error(exc, title="未能切换版本", back=here)
    return RedirectResponse(here, status_code=303)


# ---------------------------------------------------------------- users


@router.get("/admin/users")
def user_list(request: Request, q: str = "", role: str = "", department: str = "", page: int = 1) -> Response:
    v = _admin(request)
    if not isinstance(v, Visit):
        return v
    known = users.choices(v.db)
    role = role if role in known["roles"] else ""
    department = department if department in known["departments"] else ""
    found = users.list_users(v.db, v.actor, PageParams(max(page, 1), 25), q.strip()[:64] or None, role or None,
                             department or None)

    def page_url(n: int) -> str:
        return "/admin/users?" + urlencode({"q": q, "role": role, "department": department, "page": n})

    return v.page("admin/users.html", found=found, known=known, q=q, role=role, department=department,
                  page_url=page_url, posted={}, problems=[])


@router.post("/admin/users")
async def add_user(request: Request) -> Response:
    v, form = await posted_form(request, "/admin/users", _admin)
    if form is None:
        return v
    posted = {k: str(form.get(k) or "").strip() for k in ("username", "display_name", "role", "office", "enterprise",
                                                           "enterprise_name")}
    departments = [str(d) for d in form.getlist("departments")]
    try:
        if len(posted["username"]) < 2 or len(str(form.get("password") or "")) < 8:
            raise Invalid([{"loc": ["body", "username"], "msg": "用户名 (username) 至少 2 个字符，初始密码 (password) 至少 8 个字符"}])
        users.create_user(v.db, v.actor, username=posted["username"][:64], password=str(form.get("password"))[:1024],
                          role=posted["role"], departments=departments, display_name=posted["display_name"][:100] or None,
                          office_code=posted["office"] or None, enterprise_code=posted["enterprise"][:18] or None,
                          enterprise_name=posted["enterprise_name"][:200] or None)
    except BatonError as exc:
        known = users.choices(v.db)
        found = users.list_users(v.db, v.actor, PageParams(1, 25), None, None, None)
        return v.page("admin/users.html", exc.status_code, found=found, known=known, q="", role="", department="",
                      page_url=lambda n: f"/admin/users?page={n}", posted={**posted, "departments": departments},
                      problems=messages(exc))
    return RedirectResponse(f"/admin/users/{posted['username']}?created=1", status_code=303)


@router.get("/admin/users/{username}")
def user_page(request: Request, username: str) -> Response:
    v = _admin(request)
    return _user_page(v, username) if isinstance(v, Visit) else v


def _user_page(v: Visit, username: str, problems: list[str] | None = None, status_code: int = 200) -> Response:
    request = v.request
    found = users.list_users(v.db, v.actor, PageParams(1, 50), username[:64], None, None)
    user = next((u for u in found["items"] if u["username"] == username), None)
    if user is None:
        return v.error(title="没有此用户", message=f"没有用户名为 {username[:64]} 的账号。", status_code=404, back="/admin/users")
    notice = {"created": "账号已创建。", "saved": "已保存。", "password": "密码已重置，该用户的其他登录已失效。"}
    return v.page("admin/user.html", status_code, user=user, known=users.choices(v.db), problems=problems or [],
                  notice=next((t for k, t in notice.items() if k in request.query_params), None))


@router.post("/admin/users/{username}")
async def change_user(request: Request, username: str) -> Response:
    here = f"/admin/users/{username[:64]}"
    v, form = await posted_form(request, here, _admin)
    if form is None:
        return v
    try:
        if form.get("action") == "password":
            users.set_password(v.db, v.actor, username[:64], str(form.get("new_password") or "")[:1024])
            return RedirectResponse(here + "?password=1", status_code=303)
        changes = {"role": str(form.get("role") or ""), "departments": [str(d) for d in form.getlist("departments")],
                   "office": str(form.get("office") or "") or None, "active": form.get("active") == "true",
                   "display_name": str(form.get("display_name") or "").strip()[:100] or None}
        users.update_user(v.db, v.actor, username[:64], changes)
    except BatonError as exc:
        return _user_page(v, username, messages(exc), exc.status_code)
    return RedirectResponse(here + "?saved=1", status_code=303)


# ---------------------------------------------------------------- calendar and time limits


@router.get("/admin/calendar")
def calendar_page(request: Request, year: int = 0) -> Response:
    v = _admin(request)
    return _calendar_page(v, year) if isinstance(v, Visit) else v


def _calendar_page(v: Visit, year: int, problems: list[str] | None = None, status_code: int = 200) -> Response:
    this_year = now().astimezone(CHINA).year
    year = year if 2000 <= year <= 2100 else this_year
    return v.page("admin/calendar.html", status_code, view=calendar.year_view(v.db, year), year=year,
                  years=range(this_year - 1, this_year + 3), limits=calendar.time_limits(v.db), problems=problems or [])


def _holidays(text: str, year: int) -> list[HolidayIn]:
    """Lines `春节 2027-02-06 2027-02-12` (a name, the first and last resting day)."""
    out, problems = [], []
    for i, line in enumerate(t for t in text.splitlines() if t.strip()):
        parts = line.split()
        try:
            out.append(HolidayIn.model_validate({"name": parts[0], "from": date.fromisoformat(parts[1]),
                                                 "to": date.fromisoformat(parts[2] if len(parts) > 2 else parts[1])}))
        except (IndexError, ValueError):
            problems.append({"loc": ["body", "holidays", i], "msg": f"第 {i + 1} 行“{line[:60]}”应写作：节日名称 起始日 截止日"
                                                                  f"（如 春节 {year}-02-06 {year}-02-12）"})
    if problems:
        raise Invalid(problems)
    return out


@router.post("/admin/calendar")
def load_calendar(request: Request, csrf: Annotated[str, Form(max_length=200)] = "", year: Annotated[int, Form()] = 0,
                  source: Annotated[str, Form(max_length=200)] = "", holidays: Annotated[str, Form(max_length=5000)] = "",
                  workdays: Annotated[str, Form(max_length=2000)] = "") -> Response:
    v = checked(request, csrf, "/admin/calendar", _admin)
    if not isinstance(v, Visit):
        return v
    try:
        days = []
        for token in workdays.replace("，", " ").replace(",", " ").split():
            try:
                days.append(date.fromisoformat(token))
            except ValueError:
                raise Invalid([{"loc": ["body", "workdays"], "msg": f"调休上班日“{token[:20]}”应为 YYYY-MM-DD 日期"}])
        calendar.load_year(v.db, v.actor, year, source.strip(), _holidays(holidays, year), days)
    except BatonError as exc:
        return _calendar_page(v, year, messages(exc), exc.status_code)
    return RedirectResponse(f"/admin/calendar?year={year}", status_code=303)


# ---------------------------------------------------------------- webhooks


@router.get("/admin/webhooks")
def webhook_list(request: Request, show: int = 0) -> Response:
    v = _admin(request)
    return _webhooks_page(v, show) if isinstance(v, Visit) else v


def _webhooks_page(v: Visit, show: int = 0, problems: list[str] | None = None, status_code: int = 200) -> Response:
    subscriptions = webhooks.listed(v.db, v.actor)
    shown = next((s for s in subscriptions if s["id"] == show), subscriptions[0] if subscriptions else None)
    delivered = webhooks.deliveries(v.db, v.actor, shown["id"], PageParams(1, 50)) if shown else None
    return v.page("admin/webhooks.html", status_code, subscriptions=subscriptions, shown=shown, delivered=delivered,
                  events=EVENTS, problems=problems or [])


@router.post("/admin/webhooks")
async def subscribe(request: Request) -> Response:
    v, form = await posted_form(request, "/admin/webhooks", _admin)
    if form is None:
        return v
    try:
        made = webhooks.subscribe(v.db, v.actor, str(form.get("url") or "").strip()[:2000],
                                  [str(e) for e in form.getlist("events")], str(form.get("secret") or "")[:200])
    except BatonError as exc:
        return _webhooks_page(v, 0, messages(exc), exc.status_code)
    return RedirectResponse(f"/admin/webhooks?show={made['id']}", status_code=303)


@router.post("/admin/webhooks/{subscription_id}/stop")
def unsubscribe(request: Request, subscription_id: int, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    v = checked(request, csrf, "/admin/webhooks", _admin)
    if not isinstance(v, Visit):
        return v
    try:
        webhooks.unsubscribe(v.db, v.actor, subscription_id)
    except BatonError as exc:
        return v.error(exc, title="未能停用", back="/admin/webhooks")
    return RedirectResponse(f"/admin/webhooks?show={subscription_id}", status_code=303)


# ---------------------------------------------------------------- the city view


@router.get("/city")
def city(request: Request, start: str = "", end: str = "") -> Response:
    v = visit(request)
    if not isinstance(v, Visit):
        return v
    try:
        ledger = reports.departments(v.db, v.actor, day_or_none(start), day_or_none(end))
        ranking = reports.districts(v.db, v.actor, ledger["from"], ledger["to"])
        track = reports.fast_track(v.db, v.actor, ledger["from"], ledger["to"])
    except BatonError as exc:
        return v.error(exc, title="无法打开全市统计")
    on_time = charts.bars([(r["district_name"], round(r["on_time_rate"] * 100, 1), f"（第 {r['rank']} 名）")
                           for r in ranking["districts"] if r["on_time_rate"] is not None], unit="%",
                          colour="#2e7d32")
    lead_time = charts.bars([(r["district_name"], r["median_lead_time_days"], "") for r in ranking["districts"]],
                            unit="个工作日")
    overdue = charts.bars([(d["department_name"], d["overdue"], f"／在办 {d['open']}") for d in ledger["departments"]
                           if d["open"]], unit="件超期", colour="#c62828")
    return v.page("city.html", ledger=ledger, ranking=ranking, track=track, on_time=on_time, lead_time=lead_time,
                  overdue=overdue)
