"""The reviewer's pages: the department queue and "mine", claim and release, and the task page with its decision
form (generated from the task's JSON Schema) — approve, reject, or return with the list of items."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.applications import service as applications
from app.common.pagination import PageParams
from app.documents import service as documents
from app.errors import BatonError, Invalid
from app.tasks import service as tasks
from app.vocabulary import Decision
from app.web import forms
from app.web.lead import staff_for
from app.web.pages import Visit, back_to, checked, messages, posted_form, process_names, start_form, take_uploads, visit

router = APIRouter(include_in_schema=False)
ITEM_ROWS = 6  # blank rows of the return's item list (no script needed to add one)


@router.get("/inbox")
def inbox(request: Request, status: str = "outstanding", sla: str = "", process: str = "", q: str = "",
          page: int = 1) -> Response:
    v = visit(request)
    if not isinstance(v, Visit):
        return v
    status = status if status in tasks.LIST_STATUSES else "outstanding"
    sla = sla if sla in ("on_time", "warning", "overdue") else ""
    try:
        listing = tasks.list_tasks(v.db, v.actor, None, status, PageParams(max(page, 1), 20), process or None,
                                   q.strip()[:100] or None, sla or None)
    except BatonError as exc:
        return v.error(exc, title="无法打开待办")

    def page_url(n: int) -> str:
        return "/inbox?" + urlencode({"status": status, "sla": sla, "process": process, "q": q, "page": n})

    return v.page("inbox.html", page=listing, status=status, sla=sla, process=process, q=q,
                  processes=process_names(v.db), page_url=page_url, here=page_url(listing.page))


def _task_page(v: Visit, task_id: str, *, values: dict | None = None, errors: dict | None = None,
               problems: list[str] | None = None, uploads: dict | None = None, posted: dict | None = None,
               status_code: int = 200) -> Response:
    try:
        task = tasks.get_task(v.db, v.actor, task_id)
        app = applications.get(v.db, v.actor, task.application_id)
    except BatonError as exc:
        return v.error(exc, title="无法打开任务", back="/inbox")
    posted = posted or {}
    rows = posted.get("items") or []
    rows = rows + [{"item": "", "reason": ""}] * max(ITEM_ROWS - len(rows), 1)
    return v.page("task.html", status_code, task=task, app=app, fields=forms.fields(task.form, values, errors),
                  project_fields=forms.fields(start_form(v.db, app.process), app.project),
                  problems=problems or [], uploads=uploads or {}, item_rows=rows, posted=posted,
                  verdicts=[(d, Decision(d).label) for d in task.actions], staff=staff_for(v, task.department),
                  leads=v.actor.is_admin or v.actor.is_lead_of(task.department),
                  notice={"assigned": "已分派。", "extended": "办理期限已延长。"}.get(
                      next((k for k in ("assigned", "extended") if k in v.request.query_params), ""), None),
                  mine=task.status == "claimed" and task.assignee == v.actor.username)


@router.get("/tasks/{task_id}")
def task_page(request: Request, task_id: str) -> Response:
    v = visit(request)
    return _task_page(v, task_id[:36]) if isinstance(v, Visit) else v


@router.post("/tasks/{task_id}/decision")
async def decide(request: Request, task_id: str) -> Response:
    task_id = task_id[:36]
    v, form = await posted_form(request, f"/tasks/{task_id}")
    if form is None:
        return v
    try:
        task = tasks.get_task(v.db, v.actor, task_id)
    except BatonError as exc:
        return v.error(exc, title="无法打开任务", back="/inbox")
    document_keys = [f.key for f in forms.fields(task.form) if f.kind == "documents"]
    stored, upload_problems = await take_uploads(v, form, document_keys)
    data = forms.value_of(task.form, form, documents={k: [d["id"] for d in ds] for k, ds in stored.items()})
    decision = str(form.get("decision") or "")
    opinion = str(form.get("opinion") or "")[:5000]
    items = [{"item": str(i).strip()[:200], "reason": str(r).strip()[:1000]}
             for i, r in zip(form.getlist("item"), form.getlist("reason")) if str(i).strip() or str(r).strip()]
    posted = {"decision": decision, "opinion": opinion, "items": items}
    carried = documents.uploads_of(v.db, v.actor, [i for k in document_keys for i in data.get(k, [])])
    uploads = {k: [d for d in carried if d["id"] in data.get(k, [])] for k in document_keys}
    if upload_problems:
        return _task_page(v, task_id, values=data, errors=upload_problems, uploads=uploads, posted=posted,
                          problems=[m for ms in upload_problems.values() for m in ms], status_code=422)
    missing_reason = [i["item"] or "?" for i in items if not i["item"] or not i["reason"]]
    try:
        if decision == "return" and missing_reason:
            raise Invalid([{"loc": ["body", "items_to_supplement"],
                            "msg": f"补正清单每一项须写明材料和理由：{'、'.join(missing_reason)} / each item needs its reason"}])
        tasks.complete(v.db, v.actor, task_id, decision, opinion, data, items if decision == "return" else None)
    except BatonError as exc:
        by_field, _ = forms.errors_by_field(exc.detail if isinstance(exc.detail, list) else [], 2)
        return _task_page(v, task_id, values=data, errors=by_field, problems=messages(exc), uploads=uploads,
                          posted=posted, status_code=exc.status_code)
    return RedirectResponse(f"/applications/{task.application_id}?done={task_id}", status_code=303)


@router.post("/tasks/{task_id}/claim")
def claim(request: Request, task_id: str, csrf: Annotated[str, Form(max_length=200)] = "",
          next: Annotated[str, Form(max_length=500)] = "/inbox") -> Response:
    return _take_or_give_back(request, tasks.claim, task_id, csrf, next)


@router.post("/tasks/{task_id}/release")
def release(request: Request, task_id: str, csrf: Annotated[str, Form(max_length=200)] = "",
            next: Annotated[str, Form(max_length=500)] = "/inbox") -> Response:
    return _take_or_give_back(request, tasks.release, task_id, csrf, next)


def _take_or_give_back(request: Request, command, task_id: str, csrf: str, next: str) -> Response:
    v = checked(request, csrf, "/inbox")
    if not isinstance(v, Visit):
        return v
    try:
        command(v.db, v.actor, task_id[:36])
    except BatonError as exc:
        return v.error(exc, title="操作未完成", back="/inbox")
    return RedirectResponse(back_to(next, "/inbox"), status_code=303)
