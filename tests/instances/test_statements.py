"""What a request costs in SQL statements (transaction control aside), on both backends: a constant, however many
rows a page or an application's history holds."""
from __future__ import annotations

from tests.helpers import Statements, auth, decide, open_task, project, submit

# the targets of the kernel issue, plus one insert of outbox events (written in the command's own transaction)
CLAIM, COMPLETE, INBOX_PAGE, DETAIL = 6, 16, 4, 12


def test_claim_and_complete_cost_a_fixed_number_of_statements(client, db):
    app = submit(client)
    task = open_task(client, app["id"], "service-window")
    with Statements(db) as claim:
        assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth("window")).status_code == 200
    with Statements(db) as complete:
        r = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=auth("window"),
                        json={"decision": "approve", "opinion": "受理", "data": {}})
        assert r.status_code == 200
    assert claim.count <= CLAIM, str(claim)
    assert complete.count <= COMPLETE, str(complete)
    # a review completed while three others stay open costs no more
    eco = open_task(client, app["id"], "ecology-environment")
    client.post(f"/api/v1/tasks/{eco['id']}/claim", headers=auth("eco"))
    with Statements(db) as review:
        client.post(f"/api/v1/tasks/{eco['id']}/complete", headers=auth("eco"), json={"decision": "approve"})
    assert review.count <= COMPLETE, str(review)


def test_an_inbox_page_costs_the_same_for_one_row_and_for_fifty(client, db):
    submit(client)
    with Statements(db) as one:
        assert len(client.get("/api/v1/tasks", headers=auth("window")).json()["items"]) == 1
    for _ in range(49):
        submit(client)
    with Statements(db) as fifty:
        page = client.get("/api/v1/tasks", params={"page_size": 50}, headers=auth("window")).json()
    assert len(page["items"]) == 50 and page["total"] == 50
    assert one.count == fifty.count <= INBOX_PAGE, str(fifty)


def test_an_application_detail_costs_the_same_however_long_its_history(client, db):
    app = submit(client, project(land_area_ha=6))  # reviewed by ecology and water-affairs (a report book)
    with Statements(db) as young:
        client.get(f"/api/v1/applications/{app['id']}", headers=auth("acme"))
    decide(client, open_task(client, app["id"], "service-window"))
    for department in ("ecology-environment", "water-affairs"):
        decide(client, open_task(client, app["id"], department))
    with Statements(db) as old:
        detail = client.get(f"/api/v1/applications/{app['id']}", headers=auth("acme")).json()
    assert len(detail["timeline"]) > 8 and len(detail["open_tasks"]) >= 1
    assert young.count == old.count <= DETAIL, str(old)


def test_a_list_of_applications_with_who_holds_each_costs_the_same_for_one_row_and_for_thirty(client, db):
    submit(client)
    with Statements(db) as one:
        page = client.get("/api/v1/applications", headers=auth("acme")).json()
    assert page["items"][0]["held_by"][0]["name"] == "政务服务中心综合窗口"
    for _ in range(29):
        submit(client)
    with Statements(db) as thirty:
        page = client.get("/api/v1/applications", params={"page_size": 30}, headers=auth("acme")).json()
    assert len(page["items"]) == 30 and all(a["held_by"] for a in page["items"])
    assert one.count == thirty.count, str(thirty)
