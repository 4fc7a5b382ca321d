"""The applicant's pages (an enterprise, or a helpdesk agent filing for one): choose a process and file its start
form with documents, my applications, an application's page with its progress, picture, supplement answers, minor
items and certificates (PDF), and downloads of the dossier's documents."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from app.applications import service as applications
from app.authorizations import service as authorizations
from app.certificates.router import pdf_download
from app.common.pagination import PageParams
from app.documents import service as documents
from app.errors import BatonError, NotFound
from app.processes import service as processes
from app.vocabulary import ACTIVE_STATUSES, ApplicationStatus
from app.web import forms, pages
from app.web.pages import Visit, messages, posted_form, process_names, take_uploads, visit

router = APIRouter(include_in_schema=False)
FILING_ROLES = ("enterprise", "helpdesk")


@router.get("/files/{document_id}")
def download(request: Request, document_id: str) -> Response:
    v = visit(request)
    if not isinstance(v, Visit):
        return v
    try:
        doc = documents.for_download(v.db, v.actor, document_id[:36])
        path = documents.file_of(v.settings, doc)
    except BatonError as exc:
        return v.error(exc, title="无法下载材料")
    return FileResponse(path, media_type=doc.content_type, filename=doc.name)


@router.get("/my")
def my_applications(request: Request, page: int = 1, status: str = "", q: str = "") -> Response:
    v = visit(request)
    if not isinstance(v, Visit):
        return v
    status = status if status in {s.value for s in ApplicationStatus} else ""
    try:
        listing = applications.list_applications(v.db, v.actor, status or None, PageParams(max(page, 1), 20),
                                                 q=q.strip()[:100] or None)
    except BatonError as exc:
        return v.error(exc, title="无法打开申请列表")
    return v.page("my_applications.html", page=listing, process_names=process_names(v.db), status=status, q=q,
                  statuses=[(s.value, s.label) for s in ApplicationStatus])


def grants_for(v: Visit, process: str | None = None) -> list[dict]:
    """The enterprises that authorised this agent (for `process`), each once."""
    if v.actor.role != "helpdesk":
        return []
    seen, out = set(), []
    for g in authorizations.listed(v.db, v.actor):
        if g["status"] != "active" or (process and g["processes"] is not None and process not in g["processes"]):
            continue
        if g["enterprise"]["credit_code"] not in seen:
            seen.add(g["enterprise"]["credit_code"])
            out.append(g)
    return out


@router.get("/apply")
def choose_process(request: Request) -> Response:
    v = visit(request)
    if not isinstance(v, Visit):
        return v
    if v.actor.role not in FILING_ROLES:
        return v.error(title="无权申报", message="只有企业或帮办代办员可以提交申请。", status_code=403)
    return v.page("apply.html", processes=processes.list_processes(v.db), grants=grants_for(v))


def _start_form(v: Visit, process: str) -> dict:
    found = pages.process_of(v.db, process)
    if found is None:
        raise NotFound(f"没有此流程：{process[:50]}")
    return found


def _filing_page(v: Visit, p: dict, *, values=None, errors=None, problems=None, uploads=None, on_behalf_of="",
                 key: str | None = None, status_code: int = 200) -> Response:
    return v.page("file.html", status_code, process=p, fields=forms.fields(p["start_form"], values, errors),
                  problems=problems or [], uploads=uploads or [], grants=grants_for(v, p["id"]),
                  on_behalf_of=on_behalf_of, key=key or str(uuid.uuid4()))


@router.get("/apply/{process}")
def filing_form(request: Request, process: str, enterprise: str = "") -> Response:
    v = visit(request)
    if not isinstance(v, Visit):
        return v
    if v.actor.role not in FILING_ROLES:
        return v.error(title="无权申报", message="只有企业或帮办代办员可以提交申请。", status_code=403)
    try:
        p = _start_form(v, process[:200])
    except BatonError as exc:
        return v.error(exc, title="无法申报", back="/apply")
    return _filing_page(v, p, on_behalf_of=enterprise[:18])


@router.post("/apply/{process}")
async def file_application(request: Request, process: str) -> Response:
    v, form = await posted_form(request, f"/apply/{process[:200]}")
    if form is None:
        return v
    try:
        p = _start_form(v, process[:200])
    except BatonError as exc:
        return v.error(exc, title="无法申报", back="/apply")
    stored, upload_problems = await take_uploads(v, form, ["documents"])
    carried = documents.uploads_of(v.db, v.actor, [str(i) for i in form.getlist("documents")])
    uploads = carried + stored.get("documents", [])
    project = forms.value_of(p["start_form"], form)
    on_behalf_of = str(form.get("on_behalf_of") or "").strip()[:18]
    key = str(form.get("key") or "")[:200] or None
    if upload_problems:
        return _filing_page(v, p, values=project, problems=upload_problems["documents"], uploads=uploads,
                            on_behalf_of=on_behalf_of, key=key, status_code=422)
    try:
        filed = applications.submit(v.db, v.actor, process=p["id"], project=project,
                                    document_ids=[d["id"] for d in uploads], idempotency_key=key,
                                    on_behalf_of=on_behalf_of or None)
    except BatonError as exc:
        by_field, _ = forms.errors_by_field(exc.detail if isinstance(exc.detail, list) else [], 2)
        return _filing_page(v, p, values=project, errors=by_field, problems=messages(exc), uploads=uploads,
                            on_behalf_of=on_behalf_of, key=key, status_code=exc.status_code)
    return RedirectResponse(f"/applications/{filed.id}?filed=1", status_code=303)


def progress(app, stages: list[tuple[str, str]]) -> list[dict]:
    """The stages (or the relay's legs) as steps: done, current, or still to come; and the end."""
    reached = {t.stage for t in app.history} | {t.stage for t in app.open_tasks}
    ended = not app.open_tasks and app.status not in ACTIVE_STATUSES
    steps = []
    for code, name in stages:
        if code == app.stage and not ended:
            state = "current"
        elif code in reached:
            state = "done"
        else:
            state = "skipped" if ended else "todo"
        steps.append({"code": code, "name": name, "state": state})
    steps.append({"code": "end", "name": app.status_name if ended else "办结", "state": "done" if ended else "todo"})
    return steps


def _application_page(v: Visit, application_id: int, *, problems=None, errors=None, status_code: int = 200,
                      notice: str | None = None) -> Response:
    try:
        app = applications.get(v.db, v.actor, application_id)
    except BatonError as exc:
        return v.error(exc, title="无法打开申请", back="/my")
    start_form = pages.start_form(v.db, app.process)
    applicant = v.actor.role in FILING_ROLES
    drawn = applications.picture(v.db, app)
    return v.page("application.html", status_code, app=app, notice=notice, problems=problems or [],
                  project_fields=forms.fields(start_form, app.project),
                  correction_fields=forms.fields(start_form, app.project, errors) if applicant else [],
                  steps=progress(app, drawn.stages), picture=drawn.svg, applicant=applicant)


NOTICES = {"filed": "申请已提交，请留意办理进度。", "answered": "补正材料已提交，原审查部门将继续办理。",
           "delivered": "容缺材料已提交。", "done": "审批意见已提交。"}


@router.get("/applications/{application_id}")
def application_page(request: Request, application_id: int) -> Response:
    v = visit(request)
    if not isinstance(v, Visit):
        return v
    notice = next((text for flag, text in NOTICES.items() if flag in request.query_params), None)
    return _application_page(v, application_id, notice=notice)


async def _applicant_acts(request: Request, application_id: int, act, done: str) -> Response:
    """An applicant's form on the application page (a supplement, the minor items): its files stored, then `act`
    (visit, form, document ids); its refusals shown on the page by field, or back to the page saying it is done."""
    v, form = await posted_form(request, f"/applications/{application_id}")
    if form is None:
        return v
    stored, upload_problems = await take_uploads(v, form, ["documents"])
    if upload_problems:
        return _application_page(v, application_id, problems=upload_problems["documents"], status_code=422)
    try:
        act(v, form, [d["id"] for d in stored.get("documents", [])])
    except BatonError as exc:
        by_field, _ = forms.errors_by_field(exc.detail if isinstance(exc.detail, list) else [], 3)
        return _application_page(v, application_id, problems=messages(exc), errors=by_field,
                                 status_code=exc.status_code)
    return RedirectResponse(f"/applications/{application_id}?{done}=1", status_code=303)


@router.post("/applications/{application_id}/supplement")
async def answer_supplement(request: Request, application_id: int) -> Response:
    def answer(v: Visit, form, document_ids: list[str]) -> None:
        app = applications.get(v.db, v.actor, application_id)
        typed = forms.value_of(pages.start_form(v.db, app.process), form)
        corrections = {k: value for k, value in typed.items() if app.project.get(k) != value}  # changed fields only
        request_id = str(form.get("request") or "")
        applications.supplement(v.db, v.actor, application_id, int(request_id) if request_id.isdigit() else None,
                                str(form.get("note") or "")[:5000], document_ids, corrections)

    return await _applicant_acts(request, application_id, answer, "answered")


@router.post("/applications/{application_id}/minor-items")
async def deliver_minor_items(request: Request, application_id: int) -> Response:
    def deliver(v: Visit, form, document_ids: list[str]) -> None:
        applications.deliver_minor_items(v.db, v.actor, application_id, [str(i) for i in form.getlist("item")],
                                         document_ids)

    return await _applicant_acts(request, application_id, deliver, "delivered")


@router.get("/certificates/{certificate_id}/pdf")
def certificate_pdf(request: Request, certificate_id: int) -> Response:
    v = visit(request)
    if not isinstance(v, Visit):
        return v
    try:
        return pdf_download(v.db, v.actor, certificate_id, v.settings, str(request.base_url))
    except BatonError as exc:
        return v.error(exc, title="无法生成证照 PDF", back="/my")
