"""The request guard: text a database can store, bounded bodies, safe headers — on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import event, func, select

from app.applications.models import Application
from tests.helpers import application, auth, decide, open_task, project, submit


def count_applications(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Application))


def post_json(client, url: str, raw: str, user: str = "acme"):
    return client.post(url, content=raw.encode(), headers={**auth(user), "Content-Type": "application/json"})


@pytest.mark.parametrize("poison", ["\\ud800", "\\u0000", "\\udfff"])
def test_unstorable_text_in_a_project_is_refused_by_field_and_the_lists_stay_readable(client, db, poison):
    body = {"process": "parallel_review", "project": project(name="PLACEHOLDER")}
    raw = json.dumps(body, ensure_ascii=False).replace("PLACEHOLDER", f"a{poison}b")
    r = post_json(client, "/api/v1/applications", raw)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "project", "name"]
    assert count_applications(db) == 0
    submit(client)  # an ordinary filing still goes through, and every list still answers
    for user in ("admin", "window", "acme"):
        assert client.get("/api/v1/applications", headers=auth(user)).status_code == 200


def test_unstorable_keys_and_nested_values_are_named(client):
    raw = '{"process": "parallel_review", "project": {"a\\u0000": 1, "list": ["ok", "x\\ud800"]}}'
    r = post_json(client, "/api/v1/applications", raw)
    assert r.status_code == 422
    locs = [e["loc"] for e in r.json()["detail"]]
    assert ["body", "project", "list", 1] in locs and any(loc[:2] == ["body", "project"] for loc in locs)


def test_reviewer_form_data_with_a_lone_surrogate_is_refused_before_anything_moves(client):
    app = submit(client)
    task = open_task(client, app["id"], "service-window")
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth("window")).status_code == 200
    raw = ('{"decision": "approve", "opinion": "ok", "data": {"minor_items_pending": ["\\ud800"], '
           '"promised_date": "2030-01-01"}}')
    r = post_json(client, f"/api/v1/tasks/{task['id']}/complete", raw, "window")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "data", "minor_items_pending", 0]
    after = application(client, app["id"])
    assert after["open_tasks"][0]["status"] == "claimed"
    assert client.get("/api/v1/applications", headers=auth("window")).status_code == 200
    assert client.get(f"/api/v1/applications/{app['id']}", headers=auth("acme")).status_code == 200


def test_nul_in_sign_in_paths_and_query_parameters_is_422(client):
    r = client.post("/api/v1/auth/token", content=b"username=ad%00min&password=x",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "username"]
    for path in ("/api/v1/tasks/%00", "/api/v1/documents/%00", "/api/v1/processes/%00"):
        r = client.get(path, headers=auth("admin"))
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path"], path
    r = client.get("/api/v1/applications?status=%00", headers=auth("admin"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "status"]


def test_deep_json_is_refused_by_name(client):
    r = post_json(client, "/api/v1/applications", '{"process": "x", "project": ' + "[" * 5000 + "]" * 5000 + "}")
    assert r.status_code == 422 and "nested" in r.text
    r = post_json(client, "/api/v1/applications", "[" * 200_000 + "]" * 200_000)
    assert r.status_code == 422 and "nested" in r.text


def test_bodies_over_their_limit_are_413_before_anything_is_parsed(client, settings):
    big = b'{"process": "parallel_review", "project": {}, "documents": [' + b'"x",' * 400_000 + b'"x"]}'
    assert len(big) > settings.max_json_bytes
    r = client.post("/api/v1/applications", content=big, headers={**auth("acme"), "Content-Type": "application/json"})
    assert r.status_code == 413 and "larger than" in r.json()["detail"]

    def chunks():  # no Content-Length: counted while it is read
        for _ in range(2000):
            yield b" " * 1024
    r = client.post("/api/v1/applications", content=chunks(), headers={**auth("acme"), "Content-Type": "application/json"})
    assert r.status_code == 413
    r = client.post("/api/v1/auth/token", content=b"username=" + b"a" * (settings.max_json_bytes + 1),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_anonymous_writes_are_refused_before_their_body_is_read(client):
    r = client.post("/api/v1/applications", content=b"{" * 10, headers={"Content-Type": "application/json"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_a_deployment_is_bounded_in_files_and_bytes(client, settings):
    files = [("files", (f"f{i}.json", b"{}", "application/json")) for i in range(settings.max_deploy_files + 1)]
    r = client.post("/api/v1/processes", headers=auth("admin"), files=files)
    assert r.status_code == 413 and "at most" in r.json()["detail"]
    r = client.post("/api/v1/processes", headers=auth("admin"),
                    files=[("files", ("big.bpmn", b"<" * (settings.max_deploy_bytes + 1), "application/xml"))])
    assert r.status_code == 413


def test_at_most_fifty_documents_looked_up_in_one_query(client, db):
    ids = [client.post("/api/v1/documents", headers=auth("acme"),
                       files={"file": (f"{i}.pdf", b"%PDF-1.4", "application/pdf")}).json()["id"] for i in range(50)]
    r = client.post("/api/v1/applications", headers=auth("acme"),
                    json={"process": "parallel_review", "project": project(), "documents": ids + ["extra"]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "documents"]
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if "FROM documents" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        app = submit(client, documents=ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(application(client, app["id"], "acme")["documents"]) == 50
    lookups = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "documents.application_id =" not in s]
    assert len(lookups) == 2, lookups  # one check before the engine runs, one inside the transaction


def test_every_response_carries_the_security_headers(client):
    for r in (client.get("/api/v1/healthz"), client.get("/api/v1/applications"), client.get("/docs")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_lists_do_not_load_the_stored_workflow_state(client, db):
    app = submit(client)
    decide(client, open_task(client, app["id"], "service-window"))
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert client.get("/api/v1/applications", headers=auth("admin")).status_code == 200
        assert client.get("/api/v1/tasks", headers=auth("eco")).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert statements and not [s for s in statements if re.search(r"applications\.state\b(?!_)", s)]


def test_file_names_that_cannot_be_stored_are_refused(client):
    body = (b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a\x00b.pdf"\r\n'
            b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--XyZ--\r\n")
    r = client.post("/api/v1/documents", content=body,
                    headers={**auth("acme"), "Content-Type": "multipart/form-data; boundary=XyZ"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["file"]


@pytest.fixture(scope="module")
def sqlite_backend(tmp_path_factory):
    from tests.conftest import make_backend

    backend, cleanup = make_backend("sqlite", tmp_path_factory.mktemp("busy"))
    yield backend
    backend.db.dispose()
    cleanup()


def test_a_busy_sqlite_answers_503_with_retry_after_and_healthz_still_reads(sqlite_backend):
    """SQLite's one write lock held by another process: a command waits its busy timeout, then 503."""
    import sqlite3

    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.db import Database
    from app.main import create_app
    from tests.helpers import SECRET

    backend = sqlite_backend
    settings = Settings(database_url=backend.url, secret_key=SECRET, storage_dir=backend.storage,
                        worker_enabled=False, sqlite_busy_seconds=0.2)
    impatient = Database(backend.url, busy_seconds=0.2)
    holder = sqlite3.connect(backend.url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        with TestClient(create_app(settings, impatient)) as c:
            holder.execute("BEGIN IMMEDIATE")  # another process holds the one write lock
            r = c.post("/api/v1/applications", json={"process": "parallel_review", "project": project()},
                       headers=auth("acme"))
            assert r.status_code == 503 and r.headers["retry-after"] == "2" and "稍后" in r.json()["detail"]
            assert c.get("/api/v1/healthz").json() == {"status": "ok", "database": "ok"}
            holder.execute("ROLLBACK")
            r = c.post("/api/v1/applications", json={"process": "parallel_review", "project": project()},
                       headers=auth("acme"))
            assert r.status_code == 201
    finally:
        holder.close()
        impatient.dispose()
