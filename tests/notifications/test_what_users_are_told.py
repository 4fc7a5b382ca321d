"""What the enterprise is told in the API: a supplement asked for, the decision, its certificates — its own only."""
from __future__ import annotations

from tests.applications.test_fast_track import issue_all, submit_fast
from tests.helpers import auth, decide, open_task, submit


def test_the_enterprise_is_told_of_a_supplement_request_the_decision_and_its_certificates(client):
    app = submit(client)
    decide(client, open_task(client, app["id"], "service-window"), "return",
           items=[{"item": "建设工程施工合同", "reason": "缺少合同原件扫描件"}], opinion="请补正")
    told = client.get("/api/v1/notifications", headers=auth("acme")).json()
    assert told["unread"] == 1 and told["items"][0]["event"] == "supplement_requested"
    assert told["items"][0]["title"].startswith("【补正通知】") and "要求补正 1 项材料" in told["items"][0]["title"]
    assert told["items"][0]["application_id"] == app["id"]
    fast = submit_fast(client).json()
    issue_all(client, fast["id"])
    events = [n["event"] for n in client.get("/api/v1/notifications", headers=auth("acme")).json()["items"]]
    assert {"certificate_issued", "decision"} <= set(events)
    assert client.get("/api/v1/notifications", headers=auth("other")).json()["total"] == 0  # another enterprise
    first = client.get("/api/v1/notifications", headers=auth("acme")).json()["items"][-1]
    assert client.post(f"/api/v1/notifications/{first['id']}/read", headers=auth("other")).status_code == 404
    assert client.post(f"/api/v1/notifications/{first['id']}/read", headers=auth("acme")).json() == {"marked": 1}
    listed = client.get("/api/v1/notifications", headers=auth("acme")).json()["items"]
    assert listed[-1]["read_at"] is not None and all(n["read_at"] is None for n in listed[:-1])  # unread first
