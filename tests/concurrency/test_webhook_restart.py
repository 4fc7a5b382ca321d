"""No event is lost across a server restart: a real `baton serve` killed with SIGKILL between two attempts of a
delivery; the server started again delivers it, with the same event id."""
from __future__ import annotations

import signal
import time

import httpx
import pytest

from tests.helpers import auth, project
from tests.notifications.test_webhooks import SECRET, Receiver
from tests.servers import start_servers, stop_servers

pytestmark = pytest.mark.postgres_only


def test_a_delivery_survives_a_killed_server(pg_url, tmp_path):
    receiver = Receiver([500])
    servers = start_servers(pg_url, tmp_path, ["hooks-a"], webhook_retry_seconds="3", worker_interval_seconds="0.2")
    try:
        base = servers[0].url
        r = httpx.post(f"{base}/api/v1/webhooks", headers=auth("admin"),
                       json={"url": receiver.url, "events": ["task_opened"], "secret": SECRET})
        assert r.status_code == 201, r.text
        r = httpx.post(f"{base}/api/v1/applications", headers=auth("acme"),
                       json={"process": "parallel_review", "project": project()}, timeout=30)
        assert r.status_code == 201, r.text
        deadline = time.monotonic() + 20
        while not receiver.seen and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(receiver.seen) == 1  # the first attempt failed (500); the next is due in 3 s
        while time.monotonic() < deadline:  # kill between attempts: once the failure is recorded
            listed = httpx.get(f"{base}/api/v1/webhooks", headers=auth("admin")).json()
            deliveries = httpx.get(f"{base}/api/v1/webhooks/{listed[0]['id']}/deliveries", headers=auth("admin")).json()
            if deliveries["items"] and deliveries["items"][0]["attempts"]:
                break
            time.sleep(0.05)
        servers[0].process.send_signal(signal.SIGKILL)
        servers[0].process.wait(timeout=10)
        stop_servers(servers)
        servers = start_servers(pg_url, tmp_path, ["hooks-b"], webhook_retry_seconds="3",
                                worker_interval_seconds="0.2")
        deadline = time.monotonic() + 30
        while len(receiver.seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(receiver.seen) == 2, "the restarted server did not deliver the event"
        assert receiver.seen[0][0]["X-Baton-Event-Id"] == receiver.seen[1][0]["X-Baton-Event-Id"]
    finally:
        stop_servers(servers)
        receiver.close()
