"""Concurrency on PostgreSQL, against two live server processes sharing one database.

- 20 threads claim one task at once: exactly one 200 and 19 × 409.
- The departments of one application complete their parallel reviews at the same instant (threads released by a
  threading.Barrier): every completion is kept, the join passes once, the application is approved.
Each is repeated 20 times; the threads alternate between the two servers by index.
"""
from __future__ import annotations

import threading
from collections import Counter
from contextlib import ExitStack

import httpx
import pytest

from tests.concurrency.conftest import CLAIMANTS
from tests.helpers import REVIEWER_OF, auth, project

pytestmark = [pytest.mark.postgres_only, pytest.mark.timeout(600)]

ROUNDS = 20
API = "/api/v1"


def client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url + API, timeout=60)


@pytest.fixture(scope="module")
def clients(servers):
    with ExitStack() as stack:
        yield [stack.enter_context(client(url)) for url in servers]


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
    return response.json()


# Three departments review in parallel, and nothing follows their join (under 300 m²: no construction permit).
PARALLEL_ONLY = dict(land_area_ha=6, floor_area_m2=280)


def submit(c: httpx.Client) -> dict:
    return ok(c.post("/applications", json={"process": "parallel_review", "project": project(**PARALLEL_ONLY)},
                     headers=auth("acme")), 201)


def application(c: httpx.Client, app_id: int) -> dict:
    return ok(c.get(f"/applications/{app_id}", headers=auth("admin")))


def at_once(servers: list[str], calls: list) -> list[httpx.Response | BaseException]:
    """Run calls[i](client of servers[i % 2]) in one thread each, all released by one barrier."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int) -> None:
        try:
            with client(servers[i % len(servers)]) as c:
                ok(c.get("/healthz"))  # open the connection before the barrier, so the start is really shared
                barrier.wait(timeout=60)
                results[i] = calls[i](c)
        except BaseException as exc:  # reported by the caller's assertions, with the index
            barrier.abort()
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), name=f"call-{i}") for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request hung for 2 minutes (deadlock?)"
    failures = [(i, r) for i, r in enumerate(results) if isinstance(r, BaseException)]
    assert not failures, f"requests failed without an HTTP answer: {failures}"
    return results


def events(app: dict, name: str) -> list[dict]:
    return [e for e in app["timeline"] if e["event"] == name]


def test_both_servers_deployed_each_process_once(clients):
    """Both servers deployed bpmn/ at start-up into the empty catalogue at once: one version of each process."""
    seen = []
    for c in clients:
        processes = ok(c.get("/processes", headers=auth("admin")))
        assert "parallel_review" in {p["id"] for p in processes}
        for p in processes:
            assert ok(c.get(f"/processes/{p['id']}", headers=auth("admin")))["versions"] == [1], p["id"]
        seen.append(sorted((p["id"], p["version"]) for p in processes))
    assert seen[0] == seen[1]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_twenty_claimants_one_winner(servers, clients, round_):
    app = submit(clients[round_ % 2])
    [task] = app["open_tasks"]
    assert task["department"] == "service-window" and task["status"] == "open"

    def claim(username):
        return lambda c: c.post(f"/tasks/{task['id']}/claim", headers=auth(username))

    responses = at_once(servers, [claim(u) for u in CLAIMANTS])
    assert Counter(r.status_code for r in responses) == {200: 1, 409: 19}, [(r.status_code, r.text) for r in responses]
    [winner] = [u for u, r in zip(CLAIMANTS, responses) if r.status_code == 200]
    won = responses[CLAIMANTS.index(winner)].json()
    assert won["status"] == "claimed" and won["assignee"] == winner
    for r in responses:
        if r.status_code == 409:
            assert r.json()["detail"] == f"task {task['id']} is already claimed by {winner}"

    for c in clients:  # both processes read the one committed claim
        seen = ok(c.get(f"/tasks/{task['id']}", headers=auth("window")))
        assert (seen["status"], seen["assignee"]) == ("claimed", winner)
        claims = events(application(c, app["id"]), "task_claimed")
        assert [(e["actor"], e["detail"]["task_id"]) for e in claims] == [(winner, task["id"])]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_parallel_reviews_complete_at_once(servers, clients, round_):
    a, b = clients[round_ % 2], clients[(round_ + 1) % 2]
    app = submit(a)
    [window] = app["open_tasks"]
    ok(a.post(f"/tasks/{window['id']}/claim", headers=auth("window")))
    ok(b.post(f"/tasks/{window['id']}/complete", headers=auth("window"),
              json={"decision": "approve", "opinion": "ok", "data": {}}))

    reviews = application(a, app["id"])["open_tasks"]
    departments = [t["department"] for t in reviews]
    assert len(departments) >= 2 and len(set(departments)) == len(departments), reviews
    assert "service-window" not in departments
    for i, t in enumerate(reviews):  # each department's reviewer claims first, one after another
        claimed = ok(clients[i % 2].post(f"/tasks/{t['id']}/claim", headers=auth(REVIEWER_OF[t["department"]])))
        assert claimed["status"] == "claimed"

    def complete(t):
        return lambda c: c.post(f"/tasks/{t['id']}/complete", headers=auth(REVIEWER_OF[t["department"]]),
                                json={"decision": "approve", "opinion": "ok", "data": {}})

    responses = at_once(servers, [complete(t) for t in reviews])
    assert [r.status_code for r in responses] == [200] * len(reviews), [(r.status_code, r.text) for r in responses]
    for t, r in zip(reviews, responses):
        body = r.json()
        assert (body["id"], body["status"], body["decision"]) == (t["id"], "completed", "approve")

    for c in clients:
        final = application(c, app["id"])
        assert final["status"] == "approved", final["status"]
        assert final["open_tasks"] == []
        completed = Counter(e["detail"]["department"] for e in events(final, "task_completed"))
        assert completed == Counter({"service-window": 1, **{d: 1 for d in departments}})
        approved = [e for e in events(final, "status_changed") if e["detail"]["to"] == "approved"]
        assert len(approved) == 1, events(final, "status_changed")
        assert final["timeline"][-1]["event"] == "status_changed"  # nothing happens after the join
        assert Counter(e["detail"]["task_id"] for e in events(final, "task_opened")) == Counter(
            {window["id"]: 1, **{t["id"]: 1 for t in reviews}})  # no review opened twice, nothing reopened
    for t in reviews:
        seen = ok(b.get(f"/tasks/{t['id']}", headers=auth(REVIEWER_OF[t["department"]])))
        assert (seen["status"], seen["decision"]) == ("completed", "approve")


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_claims_racing_a_rejection_never_fail(servers, clients, round_):
    """A rejection cancels the other reviews while their reviewers claim them: no deadlock, no 500, one outcome."""
    a, b = clients[round_ % 2], clients[(round_ + 1) % 2]
    app = submit(a)
    [window] = app["open_tasks"]
    ok(a.post(f"/tasks/{window['id']}/claim", headers=auth("window")))
    ok(b.post(f"/tasks/{window['id']}/complete", headers=auth("window"), json={"decision": "approve", "data": {}}))
    first, *others = application(a, app["id"])["open_tasks"]
    ok(a.post(f"/tasks/{first['id']}/claim", headers=auth(REVIEWER_OF[first["department"]])))
    calls = [lambda c: c.post(f"/tasks/{first['id']}/complete", headers=auth(REVIEWER_OF[first["department"]]),
                              json={"decision": "reject", "opinion": "不予许可", "data": {}})]
    calls += [lambda c, t=t: c.post(f"/tasks/{t['id']}/claim", headers=auth(REVIEWER_OF[t["department"]])) for t in others]
    responses = at_once(servers, calls)
    assert responses[0].status_code == 200, f"the rejection: {responses[0].status_code} {responses[0].text}"
    assert all(r.status_code in (200, 409) for r in responses[1:]), [(r.status_code, r.text) for r in responses[1:]]
    final = application(a, app["id"])
    assert final["status"] == "rejected" and final["open_tasks"] == []


def test_servers_logged_no_errors(server_logs):
    """No request failed inside a server (a 500, a deadlock, a serialization failure) during the rounds above."""
    for server in server_logs:
        assert server.process.poll() is None, f"{server.name} died"
        text = server.stderr.read_text(errors="replace")
        assert "Traceback" not in text and " 500 " not in server.stdout.read_text(errors="replace"), server.tail()
