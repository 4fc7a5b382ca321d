"""/metrics in Prometheus's text format, read back with prometheus_client's own parser."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import auth, submit


def test_metrics_parse_and_count_what_happened(client):
    submit(client)
    client.get("/api/v1/tasks", headers=auth("window"))
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    assert {"baton_http_requests", "baton_http_request_seconds", "baton_commands", "baton_timer_lag_seconds",
            "baton_webhook_failures", "baton_open_tasks", "baton_outbox_backlog",
            "baton_webhook_deliveries_pending"} <= set(families)
    requests = [s for s in families["baton_http_requests"].samples
                if s.labels.get("route") == "/api/v1/tasks" and s.name.endswith("_total")]
    assert requests and requests[0].labels["method"] == "GET" and requests[0].value >= 1
    opened = [s for s in families["baton_open_tasks"].samples if s.labels["department"] == "service-window"]
    assert [(s.labels["sla_state"], s.value) for s in opened] == [("on_time", 1.0)]
    assert families["baton_outbox_backlog"].samples[0].value >= 1  # no worker ran in this test
    assert any(s.labels.get("kind") for s in families["baton_commands"].samples)
