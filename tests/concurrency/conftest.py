"""Live servers for the concurrency tests: a fresh PostgreSQL database and two `baton serve` processes sharing it."""
from __future__ import annotations

import pytest

from tests.conftest import _create_pg_database, _drop_pg_database, require_postgres
from tests.helpers import PASSWORD, create_users, remember
from tests.servers import RUNNING, Server, attach_server_logs, start_servers, stop_servers

CLAIMANT_DEPARTMENT = "service-window"
CLAIMANTS = [f"window_c{i}" for i in range(20)]  # 20 reviewers of one department, for the claim race


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    attach_server_logs(outcome.get_result())


@pytest.fixture(scope="module")
def pg_url():
    """A fresh, migrated PostgreSQL database with the test users and 20 extra service-window reviewers.

    Nothing is deployed here: the two servers deploy bpmn/ themselves, at the same moment, at start-up.
    """
    require_postgres()
    from app.auth.service import add_user
    from app.db import Database
    from app.platform.migrate import upgrade

    name, url = _create_pg_database()
    try:
        upgrade(url)
        db = Database(url)
        try:
            create_users(db)
            with db.transaction() as session:
                for username in CLAIMANTS:
                    remember(add_user(session, username=username, password=PASSWORD, role="reviewer",
                                      departments=[CLAIMANT_DEPARTMENT]))
        finally:
            db.dispose()
        yield url
    finally:
        _drop_pg_database(name)


@pytest.fixture(scope="module")
def servers(pg_url, tmp_path_factory) -> list[str]:
    """Two server processes on two ports sharing one database; yields their base URLs."""
    started = start_servers(pg_url, tmp_path_factory.mktemp("live"), ["server-a", "server-b"])
    try:
        yield [s.url for s in started]
    finally:
        stop_servers(started)


@pytest.fixture(scope="module")
def server_logs(servers) -> list[Server]:
    """The running servers themselves, for tests that read their logs."""
    return [s for s in RUNNING if s.url in servers]
