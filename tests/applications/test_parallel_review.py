"""The parallel_review lifecycle over HTTP, branch by branch, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from tests.helpers import application, auth, decide, open_task, project, submit

REVIEWS = {  # required item -> reviewing department
    "eia": "ecology-environment", "swc": "water-affairs", "energy": "development-reform",
    "permit": "housing-construction",
}


def accept(client, app_id, decision="approve", data=None):
    return decide(client, open_task(client, app_id, "service-window"), decision, data=data)


def review_departments(client, app_id) -> set[str]:
    return {t["department"] for t in application(client, app_id)["open_tasks"]}


def test_first_example_needs_two_departments_and_is_approved_when_all_approve(client):
    app = submit(client)
    assert app["status"] == "in_review" and (app["stage"], app["stage_name"]) == ("acceptance", "受理")
    assert [t["department"] for t in app["open_tasks"]] == ["service-window"]
    accept(client, app["id"])
    departments = review_departments(client, app["id"])
    assert len(departments) >= 2
    assert application(client, app["id"])["stage_name"] == "并联审批"
    for department in sorted(departments):
        decide(client, open_task(client, app["id"], department))
    final = application(client, app["id"], "acme")
    assert final["status"] == "approved"
    assert final["open_tasks"] == []
    events = [e["event"] for e in final["timeline"]]
    assert events[0] == "submitted" and "task_completed" in events and events[-1] == "status_changed"


@pytest.mark.parametrize("changes, expected", [
    # nothing but a construction permit: small, clean, no energy, tiny site
    (dict(industry="office", land_area_ha=0.1, earthwork_m3=500, annual_energy_tce=10, annual_electricity_kwh=1000,
          total_investment_yuan=5_000_000, floor_area_m2=2_000, sensitive_area=False), {"housing-construction"}),
    # chemical plant on a big site, big energy use
    (dict(industry="chemical", land_area_ha=6, earthwork_m3=1000, annual_energy_tce=12_000,
          total_investment_yuan=900_000_000, floor_area_m2=50_000),
     {"ecology-environment", "water-affairs", "development-reform", "housing-construction"}),
    # tiny works below every threshold: approved at once after acceptance
    (dict(industry="office", land_area_ha=0.01, earthwork_m3=10, annual_energy_tce=1, annual_electricity_kwh=10,
          total_investment_yuan=200_000, floor_area_m2=100, sensitive_area=False), set()),
])
def test_routing_branches(client, changes, expected):
    app = submit(client, project(investment_type="enterprise", in_verification_catalogue=False, **changes))
    accept(client, app["id"])
    assert review_departments(client, app["id"]) == expected
    for department in expected:
        decide(client, open_task(client, app["id"], department))
    assert application(client, app["id"])["status"] == "approved"


def test_return_at_acceptance_waits_for_the_supplement(client):
    app = submit(client)
    accept(client, app["id"], "return")
    assert application(client, app["id"])["status"] == "awaiting_supplement"
    r = client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("acme"),
                    json={"note": "已补充施工合同", "documents": []})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "in_review"
    assert [t["department"] for t in r.json()["open_tasks"]] == ["service-window"]


def test_return_by_a_department_goes_back_to_that_department(client):
    app = submit(client)
    accept(client, app["id"])
    departments = review_departments(client, app["id"])
    first, *others = sorted(departments)
    decide(client, open_task(client, app["id"], first), "return", items=[{"item": "环评报告表", "reason": "报告表缺少结论页"}])
    assert application(client, app["id"])["status"] == "awaiting_supplement"
    r = client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("acme"), json={"note": "补正"})
    assert r.status_code == 200
    assert review_departments(client, app["id"]) == departments  # the others kept their tasks, first got a new one
    for department in sorted(departments):
        decide(client, open_task(client, app["id"], department))
    assert application(client, app["id"])["status"] == "approved"


def test_one_rejection_rejects_and_cancels_the_other_reviews(client):
    app = submit(client)
    accept(client, app["id"])
    departments = sorted(review_departments(client, app["id"]))
    decide(client, open_task(client, app["id"], departments[0]), "reject")
    final = application(client, app["id"])
    assert final["status"] == "rejected"
    assert final["open_tasks"] == []
    r = client.get("/api/v1/tasks", params={"department": departments[1]}, headers=auth("admin"))
    assert r.json()["total"] == 0


def test_rejected_at_acceptance(client):
    app = submit(client)
    accept(client, app["id"], "reject")
    assert application(client, app["id"])["status"] == "rejected"


def test_withdrawal_cancels_open_tasks(client):
    app = submit(client)
    accept(client, app["id"])
    r = client.post(f"/api/v1/applications/{app['id']}/withdraw", headers=auth("acme"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn" and r.json()["open_tasks"] == []
    again = client.post(f"/api/v1/applications/{app['id']}/withdraw", headers=auth("acme"))
    assert again.status_code == 409
