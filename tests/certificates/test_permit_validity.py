"""A construction permit's validity (建筑法 art. 9): work starts within three months of issue; housing-construction
may extend it twice, by at most three months each, with a reason; past its day without a start it has lapsed."""
from __future__ import annotations

from datetime import date, timedelta

from tests.applications.test_fast_track import issue_all, submit_fast
from tests.helpers import auth
from workflows import clock
from workflows.calendar import CHINA, add_months


def issued_permit(client) -> dict:
    app = submit_fast(client).json()
    done = issue_all(client, app["id"])
    [permit] = [c for c in done["certificates"] if c["code"] == "construction_permit"]
    return permit


def extend(client, permit_id, user="housing", months=3, reason="冬季停工，无法按期开工"):
    return client.post(f"/api/v1/certificates/{permit_id}/extensions", headers=auth(user),
                       json={"months": months, "reason": reason})


def test_a_permit_starts_within_three_months_and_is_extended_twice_then_refused(client):
    permit = issued_permit(client)
    issued = date.fromisoformat(permit["issued_at"][:10])
    assert permit["start_by"] == add_months(issued, 3).isoformat() and permit["extensions_left"] == 2
    first = extend(client, permit["id"], months=2)
    assert first.status_code == 200, first.text
    assert first.json()["start_by"] == add_months(issued, 5).isoformat()
    second = extend(client, permit["id"], months=3, reason="配套资金延迟到位")
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["start_by"] == add_months(issued, 8).isoformat() and body["extensions_left"] == 0
    assert [(e["months"], e["reason"]) for e in body["extensions"]] == [(2, "冬季停工，无法按期开工"), (3, "配套资金延迟到位")]
    assert body["extensions"][0]["granted_by"] == "housing" and body["extensions"][0]["granted_at"].endswith("+08:00")
    third = extend(client, permit["id"], months=1)
    assert third.status_code == 409 and "两次为限" in third.json()["detail"]
    # the enterprise reads its extensions, without the officer's login name
    mine = client.get(f"/api/v1/certificates/{permit['id']}", headers=auth("acme")).json()
    assert mine["start_by"] == body["start_by"] and mine["extensions"][1]["granted_by"] is None
    timeline = client.get(f"/api/v1/applications/{permit['application_id']}", headers=auth("acme")).json()["timeline"]
    assert [e["event_name"] for e in timeline].count("施工许可延期") == 2


def test_extensions_are_housing_constructions_and_bounded(client):
    permit = issued_permit(client)
    assert extend(client, permit["id"], user="natres").status_code == 403
    assert extend(client, permit["id"], user="acme").status_code == 403
    too_long = extend(client, permit["id"], months=4)
    assert too_long.status_code == 422 and too_long.json()["detail"][0]["loc"] == ["body", "months"]
    assert extend(client, permit["id"], reason=" ").status_code == 422
    others = [c for c in client.get(f"/api/v1/applications/{permit['application_id']}", headers=auth("acme"))
              .json()["certificates"] if c["code"] != "construction_permit"]
    assert extend(client, others[0]["id"]).status_code == 409  # only a construction permit has a start-by day


def test_a_permit_past_its_day_without_a_start_has_lapsed(client):
    permit = issued_permit(client)
    clock.advance(timedelta(days=95))
    lapsed = client.get(f"/api/v1/certificates/{permit['id']}", headers=auth("acme")).json()
    assert lapsed["status"] == "expired" and lapsed["status_name"] == "已失效（逾期未开工）"
    checked = client.get("/api/v1/certificates/verify", params={"code": permit["verification_code"]}).json()
    assert checked["status"] == "expired" and checked["start_by"] == permit["start_by"]
    assert extend(client, permit["id"]).status_code == 409  # a lapsed permit is not revived by an extension


def test_the_start_is_recorded_once_and_keeps_the_permit_valid(client):
    permit = issued_permit(client)
    today = clock.now().astimezone(CHINA).date()
    ahead = client.post(f"/api/v1/certificates/{permit['id']}/start", headers=auth("acme"),
                        json={"started_on": (today + timedelta(days=1)).isoformat()})
    assert ahead.status_code == 422 and ahead.json()["detail"][0]["loc"] == ["body", "started_on"]
    assert client.post(f"/api/v1/certificates/{permit['id']}/start", headers=auth("natres"),
                       json={"started_on": today.isoformat()}).status_code == 403
    started = client.post(f"/api/v1/certificates/{permit['id']}/start", headers=auth("acme"),
                          json={"started_on": today.isoformat()})
    assert started.status_code == 200, started.text
    assert started.json()["started_on"] == today.isoformat()
    again = client.post(f"/api/v1/certificates/{permit['id']}/start", headers=auth("housing"),
                        json={"started_on": today.isoformat()})
    assert again.status_code == 409
    assert extend(client, permit["id"]).status_code == 409  # a started permit needs no extension
    clock.advance(timedelta(days=200))
    assert client.get(f"/api/v1/certificates/{permit['id']}", headers=auth("acme")).json()["status"] == "valid"
