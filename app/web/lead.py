"""The department lead's dashboard: open, warning and overdue work; handling times per reviewer and per item as
charts; and, on a task's page, assigning it to a staff member picked from a list and extending its deadline."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.common.pagination import PageParams
from app.errors import BatonError
from app.reports import service as reports
from app.tasks import deadlines
from app.tasks import service as tasks
from app.users import service as users
from app.vocabulary import item_name
from app.web import charts
from app.web.pages import Visit, back_to, checked, day_or_none, visit

router = APIRouter(include_in_schema=False)


@router.get("/lead")
def dashboard(request: Request, department: str = "", sla: str = "", page: int = 1, start: str = "",
              end: str = "") -> Response:
    v = visit(request)
    if not isinstance(v, Visit):
        return v
    if v.actor.role not in ("lead", "admin"):
        return v.error(title="无权访问", message="部门看板只对部门负责人和管理员开放。", status_code=403)
    sla = sla if sla in ("warning", "overdue", "on_time") else ""
    try:
        ledger = reports.departments(v.db, v.actor, day_or_none(start), day_or_none(end))
        mine = [d for d in ledger["departments"] if v.actor.is_admin or d["department"] in v.actor.departments]
        department = department if any(d["department"] == department for d in mine) else \
            (mine[0]["department"] if mine else "")
        listing = tasks.list_tasks(v.db, v.actor, department or None, "outstanding", PageParams(max(page, 1), 20),
                                   None, None, sla or None)
        handled = reports.handling(v.db, v.actor, department, ledger["from"], ledger["to"]) if department else None
    except BatonError as exc:
        return v.error(exc, title="无法打开部门看板")
    reviewer_chart = charts.bars([(r["key"] or "—", r["median_days"], f"（{r['completed']} 件）")
                                  for r in (handled or {}).get("reviewers", [])], unit="个工作日")
    item_chart = charts.bars([(item_name(r["key"]) if r["key"] else "—", r["median_days"], f"（{r['completed']} 件）")
                              for r in (handled or {}).get("items", [])], unit="个工作日", colour="#2e7d32")

    def page_url(n: int) -> str:
        return "/lead?" + urlencode({"department": department, "sla": sla, "page": n,
                                     "start": ledger["from"].isoformat(), "end": ledger["to"].isoformat()})

    return v.page("lead.html", departments=mine, department=department, listing=listing, sla=sla,
                  staff=staff_for(v, department) if department else [], here=page_url(listing.page),
                  ledger=ledger, handled=handled, reviewer_chart=reviewer_chart, item_chart=item_chart,
                  page_url=page_url)


def staff_for(v: Visit, department: str | None) -> list[dict]:
    """Who a lead may hand a task of `department` to: its active reviewers and leads."""
    if not department or not (v.actor.is_admin or v.actor.is_lead_of(department)):
        return []
    found = users.list_users(v.db, v.actor, PageParams(1, 200), None, None, department)
    return [u for u in found["items"] if u["active"] and u["role"] in ("reviewer", "lead")]


@router.post("/tasks/{task_id}/assignment")
def assign(request: Request, task_id: str, csrf: Annotated[str, Form(max_length=200)] = "",
           username: Annotated[str, Form(max_length=64)] = "",
           next: Annotated[str, Form(max_length=500)] = "") -> Response:
    here = f"/tasks/{task_id[:36]}"
    v = checked(request, csrf, here)
    if not isinstance(v, Visit):
        return v
    try:
        tasks.assign(v.db, v.actor, task_id[:36], username)
    except BatonError as exc:
        return v.error(exc, title="未能分派", back=here)
    return RedirectResponse(back_to(next, here + "?assigned=1"), status_code=303)


@router.post("/tasks/{task_id}/extension")
def extend(request: Request, task_id: str, csrf: Annotated[str, Form(max_length=200)] = "",
           working_days: Annotated[str, Form(max_length=4)] = "", reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    here = f"/tasks/{task_id[:36]}"
    v = checked(request, csrf, here)
    if not isinstance(v, Visit):
        return v
    if not working_days.isdigit() or not 1 <= int(working_days) <= 60:
        return v.error(title="延长天数不正确", message="延长的工作日数 (working_days) 应为 1 至 60 的整数。", status_code=422,
                       back=here)
    try:
        deadlines.extend(v.db, v.actor, task_id[:36], int(working_days), reason)
    except BatonError as exc:
        return v.error(exc, title="未能延长期限", back=here)
    return RedirectResponse(here + "?extended=1", status_code=303)
