"""What Baton counts for Prometheus (GET /metrics): requests, commands, timer lag, webhook failures; the gauges that
are state (open tasks by SLA state, the outbox backlog) are read from the database when scraped."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter("baton_http_requests_total", "HTTP requests by route template, method and status",
                   ["route", "method", "status"], registry=REGISTRY)
LATENCY = Histogram("baton_http_request_seconds", "HTTP request latency by route template", ["route", "method"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=REGISTRY)
COMMANDS = Counter("baton_commands_total", "Commands run on instances through the kernel, by kind and outcome",
                   ["kind", "outcome"], registry=REGISTRY)
TIMER_LAG = Histogram("baton_timer_lag_seconds", "How late a due timer fired (now minus its due moment)",
                      buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300), registry=REGISTRY)
WEBHOOK_FAILURES = Counter("baton_webhook_failures_total", "Webhook delivery attempts that were not answered 2xx",
                           registry=REGISTRY)
