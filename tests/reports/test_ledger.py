"""The ledger and the ranking over a seeded month on both backends, checked against what the test itself did."""
from __future__ import annotations

from datetime import datetime, timedelta

from tests.applications.test_fast_track import issue_all, submit_fast
from tests.helpers import application, auth, decide, open_task, project, submit
from workflows import clock
from workflows.calendar import CHINA, working_days_between

SAIHAN, XINCHENG, YUQUAN = "150105", "150102", "150104"
PERIOD = {"from": "2026-03-01", "to": "2026-05-31"}


def decide_all(client, app_id):
    while True:
        tasks = [t for t in application(client, app_id)["open_tasks"] if t["department"]]
        if not tasks:
            return
        for t in tasks:
            decide(client, t)


def test_a_month_of_applications_in_three_districts(client):
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA))
    for _ in range(3):  # 赛罕区: three, every limit kept
        decide_all(client, submit(client, project(district=SAIHAN))["id"])
        clock.advance(timedelta(days=1))
    kept = submit(client, project(district=XINCHENG))  # 新城区: one kept …
    decide_all(client, kept["id"])
    pending = submit(client, project(district=YUQUAN))  # 玉泉区: filed, accepted, not decided
    decide(client, open_task(client, pending["id"], "service-window"))
    late = submit(client, project(district=XINCHENG))  # … and one whose EIA review runs past its 30 days
    decide(client, open_task(client, late["id"], "service-window"))
    eco = open_task(client, late["id"], "ecology-environment")
    clock.advance(timedelta(days=45))
    opened = datetime.fromisoformat(eco["created_at"])
    decide_all(client, late["id"])
    late_days = working_days_between(opened, clock.now())

    ranking = client.get("/api/v1/reports/districts", params=PERIOD, headers=auth("admin")).json()
    by_code = {d["district"]: d for d in ranking["districts"]}
    assert len(by_code) == 10 and by_code[SAIHAN]["district_name"] == "赛罕区"
    assert (by_code[SAIHAN]["applications"], by_code[SAIHAN]["decided"], by_code[SAIHAN]["on_time"]) == (3, 3, 3)
    assert (by_code[XINCHENG]["applications"], by_code[XINCHENG]["decided"], by_code[XINCHENG]["on_time"]) == (2, 2, 1)
    assert by_code[XINCHENG]["on_time_rate"] == 0.5 and by_code[SAIHAN]["on_time_rate"] == 1.0
    assert (by_code[YUQUAN]["applications"], by_code[YUQUAN]["decided"], by_code[YUQUAN]["rank"]) == (1, 0, None)
    assert [d["district"] for d in ranking["districts"][:2]] == [SAIHAN, XINCHENG]
    assert [d["rank"] for d in ranking["districts"][:2]] == [1, 2]

    ledger = client.get("/api/v1/reports/departments", params=PERIOD, headers=auth("admin")).json()
    eco_line = next(d for d in ledger["departments"] if d["department"] == "ecology-environment")
    assert eco_line["department_name"] == "生态环境局"
    assert eco_line["completed"] == 5 and eco_line["on_time_rate"] == 0.8  # four of five by their deadline
    assert eco_line["open"] == 1 and eco_line["overdue"] == 1  # 玉泉区's review, 45 days on
    assert eco_line["total_days"]["median"] == 0 and eco_line["total_days"]["p90"] == late_days
    window = next(d for d in ledger["departments"] if d["department"] == "service-window")
    assert window["completed"] == 6 and window["on_time_rate"] == 1.0
    # a lead reads its own department's line only
    mine = client.get("/api/v1/reports/departments", params=PERIOD, headers=auth("eco_lead")).json()
    assert [d["department"] for d in mine["departments"]] == ["ecology-environment"]
    assert client.get("/api/v1/reports/districts", headers=auth("eco")).status_code == 403
    bad = client.get("/api/v1/reports/districts", params={"from": "2026-05-01", "to": "2026-04-01"},
                     headers=auth("admin"))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "to"]


def test_the_fast_track_share_issued_within_one_working_day(client):
    clock.freeze(datetime(2026, 3, 3, 9, 0, tzinfo=CHINA))
    issue_all(client, submit_fast(client).json()["id"])  # the same day
    slow = submit_fast(client).json()
    clock.advance(timedelta(days=3))  # one working day long past
    issue_all(client, slow["id"])
    report = client.get("/api/v1/reports/fast-track", params=PERIOD, headers=auth("admin")).json()
    assert (report["applications"], report["issued"], report["issued_within_one_working_day"]) == (2, 2, 1)
    assert report["share_within_one_working_day"] == 0.5 and report["from"] == "2026-03-01"


def test_districts_are_codes_from_the_list(client):
    r = client.post("/api/v1/applications", headers=auth("acme"),
                    json={"process": "parallel_review", "project": project(district="海淀区")})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "project", "district"]
    assert "所在旗县区" in r.json()["detail"][0]["msg"]
    listed = client.get("/api/v1/districts", headers=auth("acme")).json()
    assert listed[0] == {"code": "150100", "name": "市本级"} and len(listed) == 10
    app = submit(client, project(district=SAIHAN))
    assert app["district"] == SAIHAN and app["district_name"] == "赛罕区"
    found = client.get("/api/v1/applications", params={"district": SAIHAN}, headers=auth("admin")).json()
    assert [a["id"] for a in found["items"]] == [app["id"]]
