"""The 4×100 relay (接力跑): four legs, each taken over by its team, the dossier carried forward."""
from __future__ import annotations

import copy

from tests.helpers import application, auth, decide, form_examples

LEGS = ["land", "planning", "construction", "completion"]


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


def test_full_relay_with_four_handovers(client):
    doc = client.post("/api/v1/documents", headers=auth("acme"),
                      files={"file": ("总平面图.pdf", b"%PDF-site-plan", "application/pdf")}).json()
    app = submit_relay(client, documents=[doc["id"]])
    assert app["stage"] == "acceptance" and app["relay"] is None
    [accept] = app["open_tasks"]
    decide(client, accept)
    for number, leg in enumerate(LEGS):
        tasks = only_open(client, app["id"])
        [takeover] = tasks  # only the take-over is open: the leg's items wait for the team to take the baton
        assert takeover["stage"] == leg and takeover["due_at"]
        view = application(client, app["id"])
        assert view["relay"]["handing_over_to"] == leg
        # the dossier given once at submission is there for every leg's team
        lead = {"land": "natres", "planning": "natres", "construction": "housing", "completion": "housing"}[leg]
        assert client.get(f"/api/v1/documents/{doc['id']}", headers=auth(lead)).status_code == 200
        decide(client, takeover, user=lead, data={"note": "材料齐全，接棒", "checked_documents": [doc["id"]]})
        view = application(client, app["id"])
        assert view["relay"]["baton"]["leg"] == leg
        assert view["relay"]["legs"][number]["taken_over_at"] is not None
        assert view["relay"]["legs"][number]["taken_over_on_time"] is True
        items = view["open_tasks"]
        assert items and all(t["stage"] == leg for t in items)
        assert len({t["department"] for t in items}) >= 1
        for item in items:
            decide(client, item)
    final = application(client, app["id"], "acme")
    assert final["status"] == "approved" and final["open_tasks"] == []
    legs = final["relay"]["legs"]
    assert [leg["leg"] for leg in legs] == LEGS
    assert all(leg["finished"] for leg in legs) and final["relay"]["baton"] is None
    assert [leg["lead_department"] for leg in legs] == ["natural-resources", "natural-resources",
                                                        "housing-construction", "housing-construction"]
    assert legs[1]["team"][0] == "natural-resources" and len(legs[1]["team"]) == 4
    opened = [leg["handover_opened_at"] for leg in legs]
    assert opened == sorted(opened)
    # the enterprise filed once: its only own actions are the submission and the upload
    actors = {e["actor"] for e in final["timeline"] if e["event"] in ("submitted", "supplement_submitted")}
    assert actors == {"acme"}


def test_planning_leg_runs_the_routed_items_in_parallel(client):
    app = submit_relay(client)
    decide(client, app["open_tasks"][0])
    decide(client, only_open(client, app["id"])[0], user="natres", data={"note": "接棒", "checked_documents": []})
    for item in only_open(client, app["id"]):
        decide(client, item)
    decide(client, only_open(client, app["id"])[0], user="natres", data={"note": "接棒", "checked_documents": []})
    planning = {t["department"] for t in only_open(client, app["id"])}
    required = set(application(client, app["id"])["required_items"])
    expected = {"natural-resources"}
    if any(i.startswith("eia_") for i in required):
        expected.add("ecology-environment")
    if any(i.startswith("swc_") for i in required):
        expected.add("water-affairs")
    if any(i.startswith("energy_") for i in required):
        expected.add("development-reform")
    assert planning == expected and len(expected) >= 2


def test_an_item_rejected_in_a_leg_ends_the_relay(client):
    app = submit_relay(client)
    decide(client, app["open_tasks"][0])
    decide(client, only_open(client, app["id"])[0], user="natres", data={"note": "接棒", "checked_documents": []})
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
