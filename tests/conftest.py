"""Test fixtures: every API test runs on SQLite and on PostgreSQL, each migrated by Alembic once per session."""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from app.config import PROJECT_ROOT, Settings
from app.db import Database

PG_ADMIN_URL = os.environ.get("BATON_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SHARED = PROJECT_ROOT.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"
KEEP_TABLES = {"departments", "districts", "offices", "alembic_version", "process_definitions", "deployed_files", "users", "user_departments",
               "calendar_years", "calendar_days", "item_time_limits",
               "enterprises"}


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as exc:  # any connection failure means: not available here
        return str(exc).strip().splitlines()[0]


def require_postgres() -> None:
    reason = postgres_available()
    if reason:
        message = f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({reason}); start it, e.g. `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class Backend:
    name: str
    url: str
    db: Database
    storage: Path


def _create_pg_database() -> tuple[str, str]:
    import psycopg

    name = f"baton_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_backend(kind: str, tmp: Path) -> tuple[Backend, callable]:
    from app.platform.migrate import upgrade
    from app.processes.service import deploy, read_directory

    if kind == "postgresql":
        require_postgres()
        name, url = _create_pg_database()
        cleanup = lambda: _drop_pg_database(name)  # noqa: E731
    else:
        url = f"sqlite:///{tmp / 'baton-test.db'}"
        cleanup = lambda: None  # noqa: E731
    try:
        upgrade(url)
        db = Database(url)
        deploy(db, read_directory(PROJECT_ROOT / "bpmn"), "tests")
        from tests.helpers import create_users

        create_users(db)
    except BaseException:
        cleanup()  # a failed setup leaves no database behind
        raise
    storage = tmp / "files"
    storage.mkdir()
    return Backend(kind, url, db, storage), cleanup


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request, tmp_path_factory):
    b, cleanup = make_backend(request.param, tmp_path_factory.mktemp(request.param))
    yield b
    b.db.dispose()
    cleanup()


def wipe(db: Database) -> None:
    """Empty every table the tests write, keeping the migrated schema, departments and deployed processes."""
    from app.db import Base
    import app.models  # noqa: F401

    with db.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                session.execute(table.delete())
        session.execute(text("UPDATE enterprises SET barred_until = NULL, barred_reason = NULL"))


@pytest.fixture
def db(backend):
    wipe(backend.db)
    return backend.db


@pytest.fixture
def settings(backend) -> Settings:
    return Settings(database_url=backend.url, secret_key="test-secret-key-0123456789abcdef",
                    storage_dir=backend.storage, worker_enabled=False)


@pytest.fixture
def client(db, settings):
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(settings, db)) as c:
        yield c


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: the shared BPMN corpus is only beside the project in the workplace")
    return SHARED


@pytest.fixture(autouse=True)
def _real_time():
    """Tests that move the one clock get it back afterwards."""
    from workflows import clock

    yield
    clock.reset()


def pytest_terminal_summary(terminalreporter):
    import sys

    fuzz = sys.modules.get("tests.test_api_fuzz")
    line = fuzz.summary() if fuzz else None
    if line:
        terminalreporter.write_line(line)


def pytest_unconfigure(config):
    """The suite leaves gigabytes of objects behind (apps, schemas, fuzzing state): they need no final collection,
    and without this the interpreter's last garbage collection at exit takes over a minute."""
    import gc

    gc.freeze()
