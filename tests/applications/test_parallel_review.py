"""The parallel_review lifecycle over HTTP on SQLite and PostgreSQL: filings done at acceptance, establishment, EIA,
energy and soil-water reviewed in parallel, the construction permit only after them (domain.md: stage order)."""
from __future__ import annotations

from datetime import date

import pytest

from tests.helpers import application, auth, decide, open_task, project, submit

CLEAN = dict(industry="office", sensitive_area=False, annual_energy_tce=10, annual_electricity_kwh=1000,
             land_area_ha=0.1, earthwork_m3=100, total_investment_yuan=5_000_000, floor_area_m2=2_000,
             investment_type="enterprise", in_verification_catalogue=False)
# A chemical plant on a big site in a sensitive area: EIA report book, provincial energy review, soil-water book.
CHEMICAL_PLANT = dict(name="某化工园区年产10万吨精细化工项目", industry="chemical", sensitive_area=True,
                      annual_energy_tce=12_000, annual_electricity_kwh=30_000_000, land_area_ha=8, earthwork_m3=90_000,
                      total_investment_yuan=900_000_000, floor_area_m2=50_000, investment_type="enterprise",
                      in_verification_catalogue=True)
PROVINCIAL = {"decision_number": "内发改环资字〔2025〕1024号", "decided_on": "2025-08-15"}


def accept(client, app_id, decision="approve", data=None):
    return decide(client, open_task(client, app_id, "service-window"), decision, data=data)


def open_names(client, app_id) -> dict[str, str]:
    return {t["name"]: t["department"] for t in application(client, app_id)["open_tasks"]}


def review_departments(client, app_id) -> set[str]:
    return {t["department"] for t in application(client, app_id)["open_tasks"]}


def upload(client, user: str) -> str:
    r = client.post("/api/v1/documents", headers=auth(user),
                    files={"file": ("意见.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
                                    "application/pdf")})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def approve_parallel_items(client, app_id) -> None:
    """Decide every open department task but the construction permit's, until none is left."""
    for _ in range(10):
        tasks = [t for t in application(client, app_id)["open_tasks"]
                 if t["department"] and t["department"] != "housing-construction"]
        if not tasks:
            return
        for task in tasks:
            if task["name"] == "登记自治区节能审查意见":
                decide(client, task, data={**PROVINCIAL, "documents": [upload(client, "devref")]})
            elif task["name"] == "转报自治区节能审查":
                decide(client, task, data={"forwarded_to": "内蒙古自治区发展和改革委员会", "reference_number": "呼发改〔2025〕88号"})
            else:
                decide(client, task)


def test_first_example_files_at_acceptance_reviews_in_parallel_then_issues_the_permit(client):
    app = submit(client)
    assert app["status"] == "in_review" and (app["stage"], app["stage_name"]) == ("acceptance", "受理")
    assert app["committed_items"] == ["swc_report_form"] and app["filings"] == []
    accept(client, app["id"])
    after = application(client, app["id"], "acme")
    # enterprise filing and the soil-water report form are done at acceptance, with numbers, and no task
    filed = {f["item"]: f for f in after["filings"]}
    assert set(filed) == {"enterprise_filing", "swc_report_form"}
    assert filed["swc_report_form"]["on_commitment"] and not filed["enterprise_filing"]["on_commitment"]
    assert filed["swc_report_form"]["item_name"] == "水土保持方案报告表（承诺制）"
    assert all(f["number"].startswith("BA") and f["filed_at"].endswith("+08:00") for f in filed.values())
    assert open_names(client, app["id"]) == {"环境影响评价审批": "ecology-environment", "节能审查": "development-reform"}
    assert after["stage_name"] == "并联审批"
    decide(client, open_task(client, app["id"], "ecology-environment"))
    assert "housing-construction" not in review_departments(client, app["id"])
    decide(client, open_task(client, app["id"], "development-reform"))
    permit = open_task(client, app["id"], "housing-construction")
    assert permit["name"] == "施工许可审批" and permit["stage_name"] == "施工许可"
    decide(client, permit, data={"certificate_number": "150105202507010101", "conditions": "开工前落实扬尘防治措施。"})
    final = application(client, app["id"], "acme")
    assert final["status"] == "approved" and final["open_tasks"] == []
    (certificate,) = final["certificates"]
    assert (certificate["code"], certificate["number"], certificate["status"]) == (
        "construction_permit", "150105202507010101", "valid")
    issued = date.fromisoformat(certificate["issued_at"][:10])
    assert date.fromisoformat(certificate["start_by"]) > issued and certificate["extensions_left"] == 2
    events = [e["event"] for e in final["timeline"]]
    assert events[0] == "submitted" and "filings_recorded" in events and "certificates_issued" in events


@pytest.mark.parametrize("changes, parallel, permit", [
    # nothing but a construction permit: small, clean, no energy, tiny site
    (dict(), set(), True),
    # a chemical plant: EIA book, provincial energy (forwarded), soil-water book, verification — then the permit
    (CHEMICAL_PLANT, {"ecology-environment", "water-affairs", "development-reform"}, True),
    # tiny works below every threshold: approved at acceptance (the enterprise filing is done then)
    (dict(total_investment_yuan=200_000, floor_area_m2=100), set(), False),
])
def test_routing_branches(client, changes, parallel, permit):
    app = submit(client, project(**{**CLEAN, **changes}))
    accept(client, app["id"])
    assert review_departments(client, app["id"]) == (parallel or ({"housing-construction"} if permit else set()))
    approve_parallel_items(client, app["id"])
    if permit:
        decide(client, open_task(client, app["id"], "housing-construction"))
    final = application(client, app["id"])
    assert final["status"] == "approved"
    assert [c["code"] for c in final["certificates"]] == (["construction_permit"] if permit else [])


def test_the_permit_opens_only_when_establishment_eia_energy_and_soil_water_are_approved(client):
    app = submit(client, project(**CHEMICAL_PLANT))
    assert set(app["required_items"]) == {"enterprise_verification", "eia_report_book", "energy_review_provincial",
                                          "swc_report_book", "construction_permit"}
    accept(client, app["id"])
    opened = open_names(client, app["id"])
    assert opened == {"项目立项审批": "development-reform", "环境影响评价审批": "ecology-environment",
                      "转报自治区节能审查": "development-reform", "水土保持方案审批": "water-affairs"}
    order = ["项目立项审批", "环境影响评价审批", "水土保持方案审批"]
    for name in order:
        task = next(t for t in application(client, app["id"])["open_tasks"] if t["name"] == name)
        decide(client, task)
        assert "housing-construction" not in review_departments(client, app["id"]), f"permit opened after {name}"
    approve_parallel_items(client, app["id"])  # the provincial energy review, forwarded and recorded
    assert open_names(client, app["id"]) == {"施工许可审批": "housing-construction"}


def test_a_rejection_before_the_permit_means_it_never_opens(client):
    app = submit(client, project(**CHEMICAL_PLANT))
    accept(client, app["id"])
    decide(client, open_task(client, app["id"], "water-affairs"), "reject")
    final = application(client, app["id"])
    assert final["status"] == "rejected" and final["open_tasks"] == []
    assert not any(t["department"] == "housing-construction" for t in final["history"])
    r = client.get("/api/v1/tasks", params={"department": "housing-construction"}, headers=auth("admin"))
    assert r.json()["total"] == 0


def test_the_provincial_energy_review_is_forwarded_and_its_decision_recorded_not_made_by_the_city(client):
    app = submit(client, project(**{**CLEAN, "annual_energy_tce": 15_000, "annual_electricity_kwh": 40_000_000}))
    assert "energy_review_provincial" in app["required_items"]
    accept(client, app["id"])
    forward = open_task(client, app["id"], "development-reform")
    assert forward["name"] == "转报自治区节能审查" and forward["actions"] == ["approve"]
    assert forward["due_at"] is not None  # one working day
    decide(client, forward, data={"forwarded_to": "内蒙古自治区发展和改革委员会", "reference_number": "呼发改〔2025〕88号"})
    record = open_task(client, app["id"], "development-reform")
    assert record["name"] == "登记自治区节能审查意见" and record["due_at"] is None  # the city sets no limit on the region
    assert record["actions"] == ["approve", "reject"]  # no return: the city does not review it
    # the decision needs its number, date and document
    client.post(f"/api/v1/tasks/{record['id']}/claim", headers=auth("devref"))
    r = client.post(f"/api/v1/tasks/{record['id']}/complete", headers=auth("devref"),
                    json={"decision": "approve", "opinion": "自治区同意", "data": {"decision_number": "x"}})
    assert r.status_code == 422 and "decided_on" in r.text
    document = upload(client, "devref")
    r = client.post(f"/api/v1/tasks/{record['id']}/complete", headers=auth("devref"),
                    json={"decision": "approve", "opinion": "自治区原则同意该项目节能报告",
                          "data": {**PROVINCIAL, "documents": [document]}})
    assert r.status_code == 200, r.text
    after = application(client, app["id"], "acme")
    recorded = next(t for t in after["history"] if t["name"] == "登记自治区节能审查意见")
    assert recorded["opinion"] == "自治区原则同意该项目节能报告" and recorded["data"]["documents"] == [document]
    assert document in [d["id"] for d in after["documents"]]  # the region's document is in the dossier
    assert client.get(f"/api/v1/documents/{document}", headers=auth("acme")).status_code == 200
    assert open_names(client, app["id"]) == {"施工许可审批": "housing-construction"}


def test_the_region_refusing_rejects_the_application(client):
    app = submit(client, project(**{**CLEAN, "annual_energy_tce": 15_000}))
    accept(client, app["id"])
    decide(client, open_task(client, app["id"], "development-reform"),
           data={"forwarded_to": "内蒙古自治区发展和改革委员会", "reference_number": "呼发改〔2025〕89号"})
    decide(client, open_task(client, app["id"], "development-reform"), "reject",
           data={**PROVINCIAL, "documents": [upload(client, "devref")]})
    assert application(client, app["id"])["status"] == "rejected"


def test_registration_and_soil_water_form_are_filings_with_no_task(client):
    app = submit(client, project(**{**CLEAN, "industry": "hotel", "land_area_ha": 1.2, "earthwork_m3": 3000}))
    assert {"eia_registration", "swc_report_form", "enterprise_filing"} <= set(app["required_items"])
    accept(client, app["id"])
    after = application(client, app["id"])
    assert {f["item"] for f in after["filings"]} == {"eia_registration", "swc_report_form", "enterprise_filing"}
    assert review_departments(client, app["id"]) == {"housing-construction"}  # nothing to review for EIA or SWC
    assert not any(t["department"] in ("ecology-environment", "water-affairs") for t in after["history"])
    numbers = [f["number"] for f in after["filings"]]
    assert len(set(numbers)) == 3


def test_an_item_on_commitment_needs_the_signed_commitment(client):
    proj = project(land_area_ha=1.2)
    del proj["commitment"]
    r = client.post("/api/v1/applications", headers=auth("acme"), json={"process": "parallel_review", "project": proj})
    assert r.status_code == 422
    (problem,) = r.json()["detail"]
    assert problem["loc"] == ["body", "project", "commitment"] and "swc_report_form" in problem["msg"]
    assert client.get("/api/v1/applications", headers=auth("acme")).json()["total"] == 0


def test_return_at_acceptance_waits_for_the_supplement(client):
    app = submit(client)
    accept(client, app["id"], "return")
    assert application(client, app["id"])["status"] == "awaiting_supplement"
    r = client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("acme"),
                    json={"note": "已补充施工合同", "documents": []})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "in_review"
    assert [t["department"] for t in r.json()["open_tasks"]] == ["service-window"]
    assert r.json()["filings"] == []  # nothing is filed before acceptance


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
    decide(client, open_task(client, app["id"], "housing-construction"))
    assert application(client, app["id"])["status"] == "approved"


def test_the_permit_review_may_return_for_supplement_too(client):
    app = submit(client, project(**CLEAN))
    accept(client, app["id"])
    decide(client, open_task(client, app["id"], "housing-construction"), "return")
    assert application(client, app["id"])["status"] == "awaiting_supplement"
    client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("acme"), json={"note": "已补充施工合同"})
    decide(client, open_task(client, app["id"], "housing-construction"))
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
