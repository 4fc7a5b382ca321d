"""Webhooks on both backends: a receiver that fails twice, then succeeds, gets the event a third time, signed, with
the same event id; the outbox outlives the process that wrote it."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.db import Database
from app.notifications import webhooks
from tests.helpers import auth, submit
from workflows import clock

SECRET = "s3cret-for-the-receiver-0123"


class Receiver:
    """A webhook receiver answering each POST with the next status of `answers` (then 200)."""

    def __init__(self, answers):
        self.answers, self.seen = list(answers), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.seen.append((dict(self.headers), body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver([500, 503])
    yield r
    r.close()


def test_a_failing_receiver_gets_the_event_again_signed_with_the_same_id(client, db, receiver):
    r = client.post("/api/v1/webhooks", headers=auth("admin"),
                    json={"url": receiver.url, "events": ["task_opened"], "secret": SECRET})
    assert r.status_code == 201, r.text
    hook = r.json()
    assert "secret" not in hook and hook["events"] == ["task_opened"]
    clock.freeze()
    app = submit(client)  # the acceptance task opens
    assert webhooks.fan_out(db) >= 1
    assert webhooks.deliver_due(db) == 1 and len(receiver.seen) == 1  # 500
    assert webhooks.deliver_due(db) == 0  # not yet: it waits 10 s
    clock.advance(timedelta(seconds=11))
    assert webhooks.deliver_due(db) == 1  # 503; now 20 s
    clock.advance(timedelta(seconds=15))
    assert webhooks.deliver_due(db) == 0
    clock.advance(timedelta(seconds=6))
    assert webhooks.deliver_due(db) == 1 and len(receiver.seen) == 3  # 200
    ids = {headers["X-Baton-Event-Id"] for headers, _ in receiver.seen}
    assert len(ids) == 1
    for headers, body in receiver.seen:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Baton-Signature"], expected)
        event = json.loads(body)
        assert event["event"] == "task_opened" and event["event_name"] == "事项到达"
        assert event["data"]["application_id"] == app["id"] and event["occurred_at"].endswith("+08:00")
    listed = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=auth("admin")).json()
    [delivery] = listed["items"]
    assert delivery["status"] == "delivered" and delivery["status_name"] == "已送达"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 200]
    assert delivery["event_id"] in ids
    clock.advance(timedelta(hours=1))
    assert webhooks.deliver_due(db) == 0  # delivered once it was received: never again


def test_the_outbox_outlives_the_process_that_wrote_it(client, db, backend, receiver):
    receiver.answers = []
    client.post("/api/v1/webhooks", headers=auth("admin"),
                json={"url": receiver.url, "events": ["task_opened", "task_claimed"], "secret": SECRET})
    submit(client)  # committed with its events; nothing delivered them yet — then this process "stops"
    restarted = Database(backend.url)  # a new process's engine and pool, on the same database
    try:
        assert webhooks.fan_out(restarted) >= 1 and webhooks.deliver_due(restarted) == 1
    finally:
        restarted.dispose()
    assert len(receiver.seen) == 1 and json.loads(receiver.seen[0][1])["event"] == "task_opened"


def test_only_an_administrator_subscribes_and_the_subscription_is_checked(client):
    body = {"url": "https://example.org/hook", "events": ["task_opened"], "secret": SECRET}
    assert client.post("/api/v1/webhooks", headers=auth("window"), json=body).status_code == 403
    r = client.post("/api/v1/webhooks", headers=auth("admin"),
                    json={**body, "url": "ftp://example.org/x", "events": ["no_such_event"]})
    assert r.status_code == 422
    assert {tuple(e["loc"]) for e in r.json()["detail"]} == {("body", "url"), ("body", "events")}
