"""Sign-in, tokens, /me, and who may see and do what (401/403/404)."""
from __future__ import annotations

from app.auth.security import issue_token
from tests.helpers import ACME, PASSWORD, USER_IDS, auth, submit


def test_password_flow_issues_a_bearer_token(client):
    r = client.post("/api/v1/auth/token", data={"username": "eco", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {"username": "eco", "role": "reviewer", "display_name": None,
                         "departments": ["ecology-environment"], "enterprise": None}


def test_wrong_password_and_unknown_user_are_401(client):
    assert client.post("/api/v1/auth/token", data={"username": "eco", "password": "nope-nope"}).status_code == 401
    assert client.post("/api/v1/auth/token", data={"username": "ghost", "password": PASSWORD}).status_code == 401


def test_enterprise_me_names_its_credit_code(client):
    me = client.get("/api/v1/me", headers=auth("acme")).json()
    assert me["role"] == "enterprise" and me["enterprise"]["credit_code"] == ACME


def test_missing_expired_and_forged_tokens_are_401(client):
    assert client.get("/api/v1/me").status_code == 401
    expired = issue_token(USER_IDS["eco"], 1, "test-secret-key-0123456789abcdef", -1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    forged = issue_token(USER_IDS["admin"], 1, "another-secret", 60)
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and "detail" in r.json()


def test_departments_are_listed_with_chinese_names(client):
    r = client.get("/api/v1/departments", headers=auth("acme"))
    names = {d["code"]: d["name"] for d in r.json()}
    assert len(names) == 7 and names["natural-resources"] == "自然资源局"


def test_enterprise_sees_only_its_own_applications(client):
    mine = submit(client)
    # 404 like an application that does not exist: another enterprise cannot count the ids
    assert client.get(f"/api/v1/applications/{mine['id']}", headers=auth("other")).status_code == 404
    assert client.get("/api/v1/applications", headers=auth("other")).json()["total"] == 0
    assert client.get("/api/v1/applications", headers=auth("acme")).json()["total"] == 1
    assert client.get("/api/v1/applications/999999", headers=auth("acme")).status_code == 404


def test_reviewer_sees_applications_with_tasks_in_its_departments(client):
    app = submit(client)
    assert client.get(f"/api/v1/applications/{app['id']}", headers=auth("window")).status_code == 200
    assert client.get(f"/api/v1/applications/{app['id']}", headers=auth("eco")).status_code == 404
    assert client.get("/api/v1/applications", headers=auth("eco")).json()["total"] == 0


def test_only_enterprises_submit_and_only_the_owner_withdraws(client):
    r = client.post("/api/v1/applications", json={"process": "parallel_review", "project": {}}, headers=auth("eco"))
    assert r.status_code == 403
    app = submit(client)
    assert client.post(f"/api/v1/applications/{app['id']}/withdraw", headers=auth("other")).status_code == 404
    assert client.post(f"/api/v1/applications/{app['id']}/withdraw", headers=auth("window")).status_code == 403


def test_only_admins_deploy(client):
    r = client.post("/api/v1/processes", files={"files": ("x.bpmn", b"<x/>")}, headers=auth("window_lead"))
    assert r.status_code == 403


def _sign_in(client, username, password):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_repeated_failures_are_slowed_down_then_locked_and_the_lock_ends(client):
    from datetime import timedelta

    from workflows import clock

    for _ in range(3):  # the first failures answer at once
        assert _sign_in(client, "eco", "wrong-password").status_code == 401
    r = _sign_in(client, "eco", PASSWORD)  # from now on each attempt must wait longer, the right password too
    assert r.status_code == 429 and int(r.headers["retry-after"]) == 1 and "稍后" in r.json()["detail"]
    clock.advance(timedelta(seconds=2))
    assert _sign_in(client, "eco", "wrong-password").status_code == 401
    r = _sign_in(client, "eco", "wrong-password")
    assert r.status_code == 429 and int(r.headers["retry-after"]) == 2
    for _ in range(6):  # failures 5 to 10, each after its wait (at most 64 s)
        clock.advance(timedelta(minutes=2))
        assert _sign_in(client, "eco", "wrong-password").status_code == 401
    clock.advance(timedelta(minutes=1))
    r = _sign_in(client, "eco", PASSWORD)  # ten failures: locked, even with the right password
    assert r.status_code == 429 and 800 <= int(r.headers["retry-after"]) <= 900
    clock.advance(timedelta(minutes=16))
    assert _sign_in(client, "eco", PASSWORD).status_code == 200
    assert _sign_in(client, "eco", "wrong-password").status_code == 401  # a success starts the count afresh


def test_one_address_guessing_many_names_is_slowed_down(client):
    for i in range(10):
        assert _sign_in(client, f"ghost{i}", "wrong-password").status_code == 401
    r = _sign_in(client, "ghost-next", "wrong-password")
    assert r.status_code == 429 and "retry-after" in r.headers


def test_a_deleted_accounts_token_does_not_work_for_a_new_account_of_the_same_name(client, db):
    from sqlalchemy import delete

    from app.auth.models import User
    from app.auth.service import add_user

    with db.transaction() as session:
        old = add_user(session, username="temp.reviewer", password=PASSWORD, role="reviewer",
                       departments=["water-affairs"])
    token = _sign_in(client, "temp.reviewer", PASSWORD).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).json()["username"] == "temp.reviewer"
    with db.transaction() as session:
        session.execute(delete(User).where(User.id == old.id))
        add_user(session, username="temp.reviewer", password=PASSWORD, role="admin")
    r = client.get("/api/v1/me", headers=bearer)
    assert r.status_code == 401 and "sign in again" in r.json()["detail"]


def test_a_password_change_or_a_disable_ends_every_session(client, db):
    from sqlalchemy import select

    from app.auth.models import User
    from app.auth.service import add_user, set_password

    with db.transaction() as session:
        add_user(session, username="temp.lead", password=PASSWORD, role="lead", departments=["water-affairs"])
    bearer = {"Authorization": f"Bearer {_sign_in(client, 'temp.lead', PASSWORD).json()['access_token']}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    with db.transaction() as session:
        set_password(session, session.scalar(select(User).where(User.username == "temp.lead")), "a-new-password-1")
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    bearer = {"Authorization": f"Bearer {_sign_in(client, 'temp.lead', 'a-new-password-1').json()['access_token']}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.username == "temp.lead"))
        user.is_active = False
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    with db.transaction() as session:
        session.delete(session.scalar(select(User).where(User.username == "temp.lead")))


def test_knowing_who_calls_costs_one_query(client, db):
    from sqlalchemy import event

    statements = []

    def seen(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert client.get("/api/v1/departments", headers=auth("housing")).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert len(statements) == 2, statements  # the caller (with departments and enterprise), then the departments


def test_password_checks_run_at_most_n_at_once():
    import threading
    import time

    from app.auth.throttle import PasswordChecks

    checks, running, peak, lock = PasswordChecks(2), [0], [0], threading.Lock()

    def check():
        with checks:
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1

    threads = [threading.Thread(target=check) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2


def test_user_names_and_display_names_are_checked(db):
    import pytest

    from app.auth.service import add_user
    from app.errors import Invalid

    with db.transaction() as session:
        with pytest.raises(Invalid) as caught:
            add_user(session, username="admin2\n", password=PASSWORD, role="admin", display_name="x\udc80")
    assert {tuple(p["loc"]) for p in caught.value.detail} == {("username",), ("display_name",)}
