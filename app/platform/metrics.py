"""GET /metrics for Prometheus: the counters of this process, and the state read from the database when scraped."""
from __future__ import annotations

import time

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily

from app.common.metrics import LATENCY, REGISTRY, REQUESTS
from app.db import Database
from app.reports import service as reports


class StateCollector:
    """Registered once per process; reads the database of the app created last (one per process outside tests)."""

    db: Database | None = None

    def collect(self):
        if self.db is None:
            return
        state = reports.gauges(self.db)
        tasks = GaugeMetricFamily("baton_open_tasks", "Open department tasks by department and SLA state",
                                  labels=["department", "sla_state"])
        for department, sla, count in state["tasks"]:
            tasks.add_metric([department, sla], count)
        yield tasks
        yield GaugeMetricFamily("baton_outbox_backlog", "Outbox events not yet fanned out to subscribers",
                                value=state["outbox_backlog"])
        yield GaugeMetricFamily("baton_webhook_deliveries_pending", "Webhook deliveries waiting for (another) attempt",
                                value=state["deliveries_pending"])


class RequestMetrics:
    """Counts and times every request by its route template (never by raw path: ids would explode the labels)."""

    def __init__(self, app, prefix: str):
        self.app, self.prefix = app, prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), {"code": 500}

        async def sending(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "(unrouted)"
            if scope["path"].startswith(self.prefix) and route.startswith("/") and not route.startswith(self.prefix):
                route = self.prefix + route  # an included router's route knows its path without the prefix
            REQUESTS.labels(route, scope["method"], str(status["code"])).inc()
            LATENCY.labels(route, scope["method"]).observe(time.perf_counter() - started)


_STATE = StateCollector()
REGISTRY.register(_STATE)


def install(app: FastAPI, db: Database, api_prefix: str) -> None:
    _STATE.db = db
    app.add_middleware(RequestMetrics, prefix=api_prefix)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
