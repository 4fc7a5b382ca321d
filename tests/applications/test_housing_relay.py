"""The 4×100 relay (接力跑): four legs, each taken over by its team of three departments or more, the dossier carried
forward, returns in a leg, and the completion leg opened by the enterprise's own declaration."""
from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select

from app.applications.models import Application
from tests.helpers import application, auth, decide, form_examples

LEGS = ["land", "planning", "construction", "completion"]
CORE_TEAM = {"development-reform", "natural-resources", "housing-construction"}
LEAD = {"land": "natres", "planning": "natres", "construction": "housing", "completion": "housing"}


def relay_project(index: int = 0, **changes):
    p = copy.deepcopy(form_examples("housing_relay.start.schema.json")[index])
    p.update(changes)
    return p


def submit_relay(client, project=None, documents=()):
    r = client.post("/api/v1/applications", headers=auth("acme"),
                    json={"process": "housing_relay", "project": project or relay_project(), "documents": list(documents)})
    assert r.status_code == 201, r.text
    return r.json()


def only_open(client, app_id):
    return application(client, app_id)["open_tasks"]


def take_over(client, app_id, leg, documents=()):
    [takeover] = only_open(client, app_id)  # only the take-over is open: the items wait for the team to take the baton
    assert takeover["stage"] == leg and takeover["due_at"]
    decide(client, takeover, user=LEAD[leg], data={"note": "材料齐全，接棒", "checked_documents": list(documents)})
    return takeover


def test_full_relay_with_teams_of_three_a_return_and_the_completion_declaration(client):
    doc = client.post("/api/v1/documents", headers=auth("acme"),
                      files={"file": ("总平面图.pdf", b"%PDF-site-plan", "application/pdf")}).json()
    app = submit_relay(client, documents=[doc["id"]])  # 86000 m3 of earthwork: a soil-water report book
    assert app["stage"] == "acceptance" and app["relay"] is None
    [accept] = app["open_tasks"]
    decide(client, accept)
    seen_items = {}
    for number, leg in enumerate(LEGS):
        view = application(client, app["id"])
        if leg == "completion":
            # the permit is issued and the project is being built: the completion leg waits for the enterprise
            mine = application(client, app["id"], "acme")
            assert mine["status"] == "under_construction" and mine["status_name"] == "施工中（待竣工验收申请）"
            assert mine["relay"]["awaiting_declaration"] == "completion" and mine["relay"]["baton"] is None
            [declaration] = mine["open_tasks"]
            assert declaration["name"] == "竣工验收申请" and declaration["department"] is None
            built = client.post("/api/v1/documents", headers=auth("acme"),
                                files={"file": ("竣工报告.pdf", b"%PDF-completion-report", "application/pdf")}).json()
            r = client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("acme"),
                            json={"note": "主体及配套工程已全部完工，申请竣工验收", "documents": [built["id"]]})
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "in_review" and r.json()["relay"]["handing_over_to"] == "completion"
            view = application(client, app["id"])
        assert view["relay"]["handing_over_to"] == leg
        # the dossier given once at submission is there for every leg's team
        assert client.get(f"/api/v1/documents/{doc['id']}", headers=auth(LEAD[leg])).status_code == 200
        take_over(client, app["id"], leg, [doc["id"]])
        view = application(client, app["id"])
        assert view["relay"]["baton"]["leg"] == leg
        relay_leg = view["relay"]["legs"][number]
        assert CORE_TEAM <= set(relay_leg["team"]), relay_leg["team"]
        assert {"发展和改革委员会", "自然资源局", "住房和城乡建设局"} <= set(relay_leg["team_names"])
        assert relay_leg["taken_over_at"] is not None and relay_leg["taken_over_on_time"] is True
        # a leg may run in steps (drawings, then the permit; acceptance, then registration) until the next team's
        # take-over opens (or, after the permit, the enterprise's declaration)
        while view["open_tasks"] and view["open_tasks"][0]["stage"] == leg and not view["relay"]["awaiting_declaration"]:
            items = view["open_tasks"]
            assert all(t["stage"] == leg for t in items), items
            for item in items:
                seen_items.setdefault(leg, []).append(item["name"])
                if item["department"] == "water-affairs" and "补正材料" not in seen_items[leg]:
                    # a return in the planning leg: the enterprise answers, the same reviewer decides again
                    decide(client, item, "return", items=[{"item": "水土保持方案报告书", "reason": "土石方平衡表数据不一致"}],
                           opinion="请补正土石方平衡表")
                    mine = application(client, app["id"], "acme")
                    assert mine["status"] == "awaiting_supplement"
                    [request] = mine["supplement_requests"]
                    assert request["department_name"] == "水务局" and request["items"][0]["reason"] == "土石方平衡表数据不一致"
                    r = client.post(f"/api/v1/applications/{app['id']}/supplements", headers=auth("acme"),
                                    json={"note": "已更正土石方平衡表"})
                    assert r.status_code == 200, r.text
                    [again] = [t for t in r.json()["open_tasks"] if t["department"] == "water-affairs"]
                    assert again["resubmitted"] is True and again["stage"] == "planning"
                    seen_items[leg].append("补正材料")
                    continue
                decide(client, item)
            view = application(client, app["id"])
    assert "国有建设用地使用权出让合同" in seen_items["land"] and "补正材料" in seen_items["planning"]
    assert {"施工图联合审查", "建筑工程施工许可"} <= set(seen_items["construction"])
    assert {"规划核实", "联合验收", "不动产首次登记"} <= set(seen_items["completion"])
    final = application(client, app["id"], "acme")
    assert final["status"] == "approved" and final["open_tasks"] == []
    legs = final["relay"]["legs"]
    assert [leg["leg"] for leg in legs] == LEGS
    assert all(leg["finished"] for leg in legs) and final["relay"]["baton"] is None
    assert [leg["lead_department"] for leg in legs] == ["natural-resources", "natural-resources",
                                                        "housing-construction", "housing-construction"]
    opened = [leg["handover_opened_at"] for leg in legs]
    assert opened == sorted(opened)
    # the completion filing (竣工验收备案) is recorded, the permit issued with its validity
    assert "completion_filing" in [f["item"] for f in final["filings"]]
    [permit] = [c for c in final["certificates"] if c["code"] == "construction_permit"]
    assert permit["start_by"] and permit["extensions_left"] == 2
    # the enterprise filed once; after that it only answered the return and declared completion
    own = [e["event"] for e in final["timeline"] if e["actor"] == "acme"]
    assert own.count("submitted") == 1 and own.count("supplement_submitted") == 1
    assert own.count("completion_declared") == 1
    assert "竣工验收申请" in {e["event_name"] for e in final["timeline"]}


@pytest.mark.parametrize("changes, field", [
    (dict(investment_type="government", industry="chemical"), "investment_type"),
    (dict(works_type="linear"), "works_type"),
])
def test_the_relay_accepts_only_social_investment_building_works(client, db, changes, field):
    r = client.post("/api/v1/applications", headers=auth("acme"),
                    json={"process": "housing_relay", "project": relay_project(**changes)})
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["detail"]] == [["body", "project", field]]
    assert "接力跑" in r.json()["detail"][0]["msg"]
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Application)) == 0


def test_planning_leg_runs_the_routed_items_in_parallel(client):
    app = submit_relay(client)
    decide(client, app["open_tasks"][0])
    take_over(client, app["id"], "land")
    land = only_open(client, app["id"])
    assert {t["name"] for t in land} >= {"用地预审与选址意见书", "国有建设用地使用权出让合同", "建设用地规划许可证"}
    for item in land:
        decide(client, item)
    take_over(client, app["id"], "planning")
    planning = {t["department"] for t in only_open(client, app["id"])}
    required = set(application(client, app["id"])["required_items"])
    expected = {"natural-resources"}
    if required & {"eia_report_book", "eia_report_form"}:
        expected.add("ecology-environment")
    if "swc_report_book" in required:
        expected.add("water-affairs")
    if required & {"energy_review_local", "energy_review_provincial"}:
        expected.add("development-reform")
    assert planning == expected and len(expected) >= 2


def test_registrations_are_filed_at_acceptance_not_reviewed(client):
    # a small site: EIA unlisted, a soil-water report form on commitment, an enterprise filing
    project = relay_project(2, commitment={"text": "本企业承诺水土保持措施与主体工程同时设计、同时施工、同时投产使用。", "signer": "李明",
                                           "signed_at": "2026-11-30T09:00:00+08:00"}, land_area_ha=0.8, earthwork_m3=3000)
    app = submit_relay(client, project)
    decide(client, app["open_tasks"][0])
    filed = application(client, app["id"], "acme")
    assert "swc_report_form" in filed["committed_items"]
    assert {f["item"] for f in filed["filings"]} >= {"enterprise_filing", "swc_report_form"}
    [swc] = [f for f in filed["filings"] if f["item"] == "swc_report_form"]
    assert swc["on_commitment"] is True
    take_over(client, app["id"], "land")
    for item in only_open(client, app["id"]):
        decide(client, item)
    take_over(client, app["id"], "planning")
    assert "water-affairs" not in {t["department"] for t in only_open(client, app["id"])}


def test_an_item_rejected_in_a_leg_ends_the_relay(client):
    app = submit_relay(client)
    decide(client, app["open_tasks"][0])
    take_over(client, app["id"], "land")
    first, *others = only_open(client, app["id"])
    decide(client, first, "reject")
    final = application(client, app["id"], "acme")
    assert final["status"] == "rejected" and final["open_tasks"] == []
    assert final["relay"]["handing_over_to"] is None


def test_take_over_belongs_to_the_lead_department(client):
    app = submit_relay(client)
    decide(client, app["open_tasks"][0])
    takeover = only_open(client, app["id"])[0]
    assert takeover["department"] == "natural-resources" and takeover["actions"] == ["approve"]
    assert client.post(f"/api/v1/tasks/{takeover['id']}/claim", headers=auth("housing")).status_code == 403
