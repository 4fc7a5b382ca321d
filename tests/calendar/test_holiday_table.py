"""The holiday table on both backends: seeded from chinese-calendar, a year without its official schedule counted on
its fixed statutory holidays and marked provisional, an admin loading the year recomputing the open deadlines in it."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import delete

from app.calendar import service as calendar_service
from app.calendar.models import CalendarDay, CalendarYear
from tests.helpers import application, auth, decide, open_task, submit
from workflows import clock
from workflows.calendar import CHINA

# A schedule in the form of the State Council's notice (2027's is not out as this is written).
SCHEDULE_2027 = {
    "source": "国办发明电（测试用）2027年部分节假日安排",
    "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
                 {"name": "春节", "from": "2027-02-05", "to": "2027-02-13"}],
    "workdays": ["2027-01-31", "2027-02-20"],
}


@pytest.fixture
def forget_2027(db):
    yield
    with db.transaction() as session:
        session.execute(delete(CalendarDay).where(CalendarDay.year == 2027))
        session.execute(delete(CalendarYear).where(CalendarYear.year == 2027))
    calendar_service.install(db)


def test_the_seeded_years_carry_the_official_schedule_with_adjusted_weekends(client):
    year = client.get("/api/v1/calendar/2026", headers=auth("acme")).json()
    assert year["provisional"] is False and year["source"].startswith("chinesecalendar")
    spring = next(h for h in year["holidays"] if h["name"] == "春节")
    assert (spring["from"], spring["to"]) == ("2026-02-15", "2026-02-23")
    assert {"2026-02-14", "2026-02-28"} <= set(year["workdays"])  # 调休: Saturdays made working days


def test_a_year_without_its_schedule_counts_its_statutory_holidays_provisionally(client):
    year = client.get("/api/v1/calendar/2027", headers=auth("acme")).json()
    assert year["provisional"] is True and year["source"] is None and year["workdays"] == []
    names = {(h["name"], h["from"], h["to"]) for h in year["holidays"]}
    assert ("春节", "2027-02-05", "2027-02-08") in names  # 除夕 to 初三, from the lunar calendar
    assert ("国庆节", "2027-10-01", "2027-10-03") in names and ("中秋节", "2027-09-15", "2027-09-15") in names


def test_loading_2027_recomputes_a_provisional_deadline_and_records_the_change(client, forget_2027):
    clock.freeze(datetime(2027, 1, 20, 10, 0, tzinfo=CHINA))
    app = submit(client)
    decide(client, open_task(client, app["id"], "service-window"))
    task = open_task(client, app["id"], "development-reform")  # 20 working days
    assert task["due_provisional"] is True and task["due_at"].startswith("2027-02-19")  # 春节 counted as 4 days
    assert client.put("/api/v1/calendar/2027", headers=auth("devref"), json=SCHEDULE_2027).status_code == 403
    wrong = {**SCHEDULE_2027, "workdays": ["2027-02-22"]}
    r = client.put("/api/v1/calendar/2027", headers=auth("admin"), json=wrong)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "workdays", 0]
    r = client.put("/api/v1/calendar/2027", headers=auth("admin"), json=SCHEDULE_2027)
    assert r.status_code == 200, r.text
    assert r.json()["provisional"] is False and r.json()["recomputed"] >= 1
    moved = open_task(client, app["id"], "development-reform")
    # 春节 now nine days, and the two Sundays/Saturdays made working days count
    assert moved["due_provisional"] is False and moved["due_at"].startswith("2027-02-23")
    change = next(e for e in application(client, app["id"])["timeline"] if e["event"] == "deadline_recomputed"
                  and e["detail"].get("task_id") == task["id"])
    assert change["event_name"] == "办理期限重算"
    assert change["detail"]["from"].startswith("2027-02-19") and change["detail"]["to"].startswith("2027-02-23")
    assert client.get("/api/v1/calendar/2027", headers=auth("acme")).json()["loaded_by"] == "admin"


def test_an_items_time_limit_is_data_an_admin_changes_with_an_audit_entry(client, db):
    limits = {r["item"]: r for r in client.get("/api/v1/time-limits", headers=auth("devref")).json()}
    assert limits["energy_review_local"]["time_limit"] == "20wd" and limits["eia_report_book"]["time_limit"] == "60d"
    assert limits["swc_report_book"]["extension_working_days"] == 10 and limits["swc_report_book"]["item_name"]
    body = {"time_limit": "15wd", "extension_working_days": 5, "source": "呼和浩特市承诺时限（测试）"}
    assert client.put("/api/v1/time-limits/energy_review_local", headers=auth("devref"), json=body).status_code == 403
    bad = client.put("/api/v1/time-limits/energy_review_local", headers=auth("admin"), json={**body, "time_limit": "15 weeks"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "time_limit"]
    try:
        r = client.put("/api/v1/time-limits/energy_review_local", headers=auth("admin"), json=body)
        assert r.status_code == 200 and r.json()["updated_by"] == "admin"
        app = submit(client)
        decide(client, open_task(client, app["id"], "service-window"))
        task = open_task(client, app["id"], "development-reform")
        assert task["time_limit"] == "15wd"  # the task takes its item's limit
        from sqlalchemy import select

        from app.audit.models import AuditEvent

        with db.transaction() as session:
            [entry] = session.scalars(select(AuditEvent).where(AuditEvent.event == "time_limit_changed")).all()
            assert entry.detail["from"] == "20wd" and entry.detail["to"] == "15wd" and entry.actor == "admin"
    finally:
        client.put("/api/v1/time-limits/energy_review_local", headers=auth("admin"),
                   json={"time_limit": "20wd", "extension_working_days": 10, "source": "行政许可法 第四十二条"})
