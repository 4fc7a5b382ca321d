"""呼包鄂乌“四城通办”: an application received at the Baotou window is forwarded within a working day, then runs and
completes in Hohhot; the enterprise sees both offices and the hand-off."""
from __future__ import annotations

from datetime import datetime, timedelta

from tests.authorizations.test_acting_on_behalf import authorise
from tests.helpers import ACME, application, auth, decide, project
from tests.users.test_people import create, sign_in
from workflows import clock
from workflows.calendar import CHINA


def test_received_in_baotou_forwarded_then_completed_in_hohhot(client):
    create(client, "baotou_window", role="helpdesk", office="bt-150200")
    window = sign_in(client, "baotou_window", "first-password-1")
    clock.freeze(datetime(2026, 6, 3, 15, 0, tzinfo=CHINA))  # a Wednesday afternoon
    authorise(client, office="bt-150200")
    r = client.post("/api/v1/applications", headers=window,
                    json={"process": "parallel_review", "project": project(), "on_behalf_of": ACME})
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["status"] == "forwarding" and app["status_name"] == "异地收件转办中" and app["open_tasks"] == []
    assert app["receiving_office"]["name"] == "包头市政务服务中心“四城通办”窗口"
    assert app["handling_office"] == {"code": "hh-150105", "name": "赛罕区政务服务中心帮办代办窗口"}
    assert app["forwarding"]["due_at"].startswith("2026-06-04T23:59:59") and app["forwarding"]["forwarded_at"] is None
    inbox = client.get("/api/v1/tasks", headers=auth("window")).json()["items"]
    assert app["id"] not in {t["application_id"] for t in inbox}  # Hohhot's departments wait for the hand-off
    assert client.post(f"/api/v1/applications/{app['id']}/forward", headers=auth("agent_a")).status_code in (403, 404)
    clock.advance(timedelta(hours=20))
    r = client.post(f"/api/v1/applications/{app['id']}/forward", headers=window)
    assert r.status_code == 200, r.text
    forwarded = r.json()
    assert forwarded["status"] == "in_review" and forwarded["forwarding"]["on_time"] is True
    assert forwarded["forwarding"]["forwarded_by"] == "baotou_window"
    assert client.post(f"/api/v1/applications/{app['id']}/forward", headers=window).status_code == 409
    # now it runs in Hohhot, from acceptance to the decision
    while tasks := [t for t in application(client, app["id"])["open_tasks"] if t["department"]]:
        for t in tasks:
            decide(client, t)
    seen = application(client, app["id"], "acme")
    assert seen["status"] == "approved"
    events = [e["event_name"] for e in seen["timeline"]]
    assert events.index("异地窗口收件（四城通办）") < events.index("转办至呼和浩特") < events.index("事项到达")
    assert seen["receiving_office"]["code"] == "bt-150200" and seen["forwarding"]["forwarded_at"]


def test_an_enterprise_names_the_ordos_window_and_an_unknown_one_is_refused(client):
    r = client.post("/api/v1/applications", headers=auth("acme"),
                    json={"process": "parallel_review", "project": project(), "receiving_office": "ord-150600"})
    assert r.status_code == 201 and r.json()["status"] == "forwarding"
    assert client.post(f"/api/v1/applications/{r.json()['id']}/forward", headers=auth("admin")).status_code == 200
    bad = client.post("/api/v1/applications", headers=auth("acme"),
                      json={"process": "parallel_review", "project": project(), "receiving_office": "nowhere"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "receiving_office"]
    local = client.post("/api/v1/applications", headers=auth("acme"),
                        json={"process": "parallel_review", "project": project(), "receiving_office": "hh-150100"})
    assert local.status_code == 201 and local.json()["status"] == "in_review" and local.json()["forwarding"] is None
