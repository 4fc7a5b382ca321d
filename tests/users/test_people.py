"""The people, over HTTP on both backends: who lists whom, an account disabled ends its sessions and gives its
claimed tasks back, passwords reset and changed."""
from __future__ import annotations

from tests.helpers import application, auth, open_task, submit


def sign_in(client, username, password):
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    return {"Authorization": f"Bearer {r.json()['access_token']}"} if r.status_code == 200 else None


def create(client, username, **fields):
    body = {"username": username, "password": "first-password-1", **fields}
    r = client.post("/api/v1/users", headers=auth("admin"), json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_admins_list_everyone_and_leads_their_departments_staff_with_workload(client):
    app = submit(client)
    task = open_task(client, app["id"], "service-window")
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth("window"))
    everyone = client.get("/api/v1/users", params={"page_size": 200}, headers=auth("admin")).json()
    by_name = {u["username"]: u for u in everyone["items"]}
    assert {"acme", "agent_a", "eco_lead", "window"} <= set(by_name)
    assert by_name["window"]["claimed_tasks"] == 1 and by_name["window"]["role_name"] == "审批人员"
    assert by_name["agent_a"]["office_name"] == "赛罕区政务服务中心帮办代办窗口"
    lead = client.get("/api/v1/users", headers=auth("window_lead")).json()
    assert {u["username"] for u in lead["items"]} >= {"window", "window2", "window_lead"}
    assert all("service-window" in u["departments"] for u in lead["items"])
    assert next(u for u in lead["items"] if u["username"] == "window2")["claimed_tasks"] == 0
    assert client.get("/api/v1/users", headers=auth("window")).status_code == 403
    assert client.get("/api/v1/users", headers=auth("acme")).status_code == 403


def test_disabling_an_account_ends_its_sessions_and_gives_back_its_tasks(client):
    create(client, "window_temp", role="reviewer", departments=["service-window"], display_name="临时窗口")
    token = sign_in(client, "window_temp", "first-password-1")
    app = submit(client)
    task = open_task(client, app["id"], "service-window")
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=token).status_code == 200
    assert client.patch("/api/v1/users/window_temp", headers=auth("window_lead"), json={"active": False}).status_code == 403
    r = client.patch("/api/v1/users/window_temp", headers=auth("admin"), json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/api/v1/me", headers=token).status_code == 401  # at once
    back = open_task(client, app["id"], "service-window")
    assert back["status"] == "open" and back["assignee"] is None
    assert "task_released" in [e["event"] for e in application(client, app["id"])["timeline"]]
    assert sign_in(client, "window_temp", "first-password-1") is None


def test_moving_a_reviewer_and_checking_what_a_change_may_be(client):
    create(client, "mover", role="reviewer", departments=["water-affairs"])
    r = client.patch("/api/v1/users/mover", headers=auth("admin"), json={"departments": ["ecology-environment"]})
    assert r.status_code == 200 and r.json()["department_names"] == ["生态环境局"]
    bad = client.patch("/api/v1/users/mover", headers=auth("admin"), json={"departments": ["no-such"]})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "departments", 0]
    office = client.patch("/api/v1/users/mover", headers=auth("admin"), json={"office": "hh-150105"})
    assert office.status_code == 422 and office.json()["detail"][0]["loc"] == ["body", "office"]
    agent = create(client, "agent_new", role="helpdesk", office="hh-150102")
    assert agent["office"] == "hh-150102"
    r = client.post("/api/v1/users", headers=auth("admin"),
                    json={"username": "agent_x", "password": "first-password-1", "role": "helpdesk", "office": "nowhere"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["office"]
    assert client.patch("/api/v1/users/nobody_here", headers=auth("admin"), json={"active": False}).status_code == 404


def test_passwords_reset_by_the_admin_and_changed_by_oneself(client):
    create(client, "forgetful", role="reviewer", departments=["water-affairs"])
    old = sign_in(client, "forgetful", "first-password-1")
    assert client.post("/api/v1/users/forgetful/password", headers=auth("window"),
                       json={"new_password": "second-password-2"}).status_code == 404
    assert client.post("/api/v1/users/forgetful/password", headers=auth("admin"),
                       json={"new_password": "second-password-2"}).status_code == 204
    assert client.get("/api/v1/me", headers=old).status_code == 401
    new = sign_in(client, "forgetful", "second-password-2")
    wrong = client.post("/api/v1/me/password", headers=new,
                        json={"current_password": "not-it-at-all", "new_password": "third-password-3"})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "current_password"]
    assert client.post("/api/v1/me/password", headers=new,
                       json={"current_password": "second-password-2", "new_password": "third-password-3"}).status_code == 204
    assert sign_in(client, "forgetful", "third-password-3") is not None


def test_the_cli_lists_disables_and_sets_passwords(client, backend, monkeypatch, capsys):
    import io

    from app import cli
    from app.config import get_settings

    monkeypatch.setenv("BATON_DATABASE_URL", backend.url)
    get_settings.cache_clear()
    try:
        create(client, "cli_target", role="reviewer", departments=["water-affairs"])
        assert cli.main(["user", "list", "--role", "reviewer"]) == 0
        assert "cli_target" in capsys.readouterr().out
        monkeypatch.setattr("sys.stdin", io.StringIO("cli-password-9\n"))
        assert cli.main(["user", "set-password", "cli_target", "--password-stdin"]) == 0
        assert sign_in(client, "cli_target", "cli-password-9") is not None
        assert cli.main(["user", "disable", "cli_target"]) == 0
        assert sign_in(client, "cli_target", "cli-password-9") is None
        assert cli.main(["user", "disable", "no_such_user"]) == 1
    finally:
        get_settings.cache_clear()
