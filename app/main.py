"""The FastAPI application: routers under /api/v1, error handlers, the worker's lifetime."""
from __future__ import annotations

import logging
import re
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from app.applications.router import router as applications_router
from app.audit.router import router as audit_router
from app.authorizations.router import router as authorizations_router
from app.calendar import service as calendar_service
from app.users.router import router as users_router
from app.assistance.router import router as assistance_router
from app.calendar.router import router as calendar_router
from app.certificates.router import router as certificates_router
from app.common import clocks
from app.auth.router import router as auth_router
from app.auth.service import configure_sign_in
from app.config import Settings, get_settings
from app.db import Database
from app.departments.router import router as departments_router
from app.districts.router import router as districts_router
from app.documents.router import router as documents_router
from app.errors import ERROR_RESPONSES, install_handlers
from app.guard import BodyLimits, RequestGuard
from app.platform import metrics
from app.platform.worker import Worker
from app.notifications import webhooks
from app.notifications.router import router as notifications_router
from app.processes.router import router as processes_router
from app.reports.router import router as reports_router
from app.tasks.router import router as tasks_router
from workflows import sandbox

API_PREFIX = "/api/v1"


def page_upload_limits(document_bytes: int) -> tuple:
    """The pages' forms that carry files: up to five documents of the largest size at once (each checked alone)."""
    limit = 5 * document_bytes + 256 * 1024
    return tuple(("POST", re.compile(pattern), limit) for pattern in (
        r"/apply/[^/]+", r"/applications/\d+/(supplement|minor-items)", r"/tasks/[^/]+/decision", r"/authorizations"))


class HealthOut(BaseModel):
    status: str
    database: str


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.require_secret()
    db = db or Database(settings.database_url, settings.sqlite_busy_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        calendar_service.install(db)  # deadlines count on the database's holiday table
        worker = Worker(db, settings.worker_interval_seconds) if settings.worker_enabled else None
        if worker:
            worker.start()
        yield
        if worker:
            worker.stop()

    app = FastAPI(title="Baton", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="建设项目并联审批引擎 — approval chains as BPMN, department inboxes, application tracking.")
    install_docs(app)
    app.add_middleware(RequestGuard, limits=BodyLimits(settings.max_json_bytes, {
        ("POST", f"{API_PREFIX}/documents"): settings.max_document_bytes + 64 * 1024,
        ("POST", f"{API_PREFIX}/processes"): settings.max_deploy_bytes,
        ("POST", "/admin/processes"): settings.max_deploy_bytes,
    }, page_upload_limits(settings.max_document_bytes)), api_prefix=API_PREFIX)
    configure_sign_in(settings.sign_in_concurrency, settings.sign_in_failures_before_lock, settings.sign_in_lock_minutes)
    sandbox.configure(sandbox.Budget(settings.script_cpu_seconds, settings.script_memory_mb), settings.engine_processes)
    app.state.settings = settings
    app.state.db = db
    clocks.configure(settings.sla_warning_share)
    webhooks.configure(settings.webhook_retry_seconds)
    install_handlers(app)

    api = APIRouter(prefix=API_PREFIX)
    for router in (auth_router, departments_router, processes_router, applications_router, certificates_router, tasks_router,
                   documents_router, audit_router, calendar_router, notifications_router, districts_router,
                   reports_router, authorizations_router, users_router, assistance_router):
        api.include_router(router, responses=ERROR_RESPONSES)

    @api.get("/healthz", tags=["health"], response_model=HealthOut, responses={503: {"model": HealthOut}},
             summary="Liveness, with a database check (for load balancers)")
    def healthz() -> dict:
        try:
            with db.read() as session:  # a read: it never waits for (or takes) SQLite's write lock
                session.execute(text("SELECT 1"))
            return {"status": "ok", "database": "ok"}
        except Exception:  # report, don't crash: load balancers read this; the details go to the log only
            logging.getLogger(__name__).exception("health check: database unreachable")
            return JSONResponse(status_code=503, content={"status": "error", "database": "unreachable"})

    app.include_router(api)
    install_pages(app)
    metrics.install(app, db, API_PREFIX)
    return app


def install_pages(app: FastAPI) -> None:
    """The pages (Jinja2, same use cases as the API) and their one stylesheet, served by Baton itself."""
    from pathlib import Path

    from fastapi.staticfiles import StaticFiles

    from app.web.router import install

    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "web" / "static")), name="static")
    install(app)


def install_docs(app: FastAPI) -> None:
    """/docs with Swagger UI served from the installed package: government intranets reach no CDN."""
    import swagger_ui_bundle
    from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
    from fastapi.staticfiles import StaticFiles

    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(openapi_url=app.openapi_url, title="Baton — API",
                                   oauth2_redirect_url="/docs/oauth2-redirect",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon-32x32.png")

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def docs_oauth2_redirect():
        return get_swagger_ui_oauth2_redirect_html()


def app_from_environment() -> FastAPI:
    """The app of one of several server processes (`baton serve --workers N`): settings from BATON_*."""
    return create_app(get_settings())
