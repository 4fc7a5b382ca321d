"""One live `baton serve` on SQLite (the embedded default), with users, for what only a real process can show:
memory under hostile bodies, budgets on runaway process code, the worker thread, the server banner."""
from __future__ import annotations

import pytest

from tests.helpers import create_users
from tests.servers import RUNNING, Server, attach_server_logs, start_servers, stop_servers


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    attach_server_logs(outcome.get_result())


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Server:
    from app.db import Database
    from app.platform.migrate import upgrade

    tmp = tmp_path_factory.mktemp("live-sqlite")
    url = f"sqlite:///{tmp / 'baton.db'}"
    upgrade(url)
    db = Database(url)
    try:
        create_users(db)
    finally:
        db.dispose()
    [server] = start_servers(url, tmp, ["live-sqlite"], worker_interval_seconds="0.2")
    try:
        yield server
    finally:
        stop_servers([server])


__all__ = ["RUNNING", "live"]
