"""Live servers for the concurrency tests: a fresh PostgreSQL database and two `baton serve` processes sharing it."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.config import PROJECT_ROOT
from tests.conftest import _create_pg_database, _drop_pg_database, require_postgres
from tests.helpers import PASSWORD, SECRET, create_users, remember

CLAIMANT_DEPARTMENT = "service-window"
CLAIMANTS = [f"window_c{i}" for i in range(20)]  # 20 reviewers of one department, for the claim race
STARTUP_SECONDS = 60


@dataclass
class Server:
    """One `baton serve` process and the files its output goes to."""

    name: str
    url: str
    process: subprocess.Popen
    stdout: Path
    stderr: Path

    def tail(self, lines: int = 80) -> str:
        text = self.stderr.read_text(errors="replace") if self.stderr.exists() else ""
        return "\n".join(text.splitlines()[-lines:]) or "(stderr is empty)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


_RUNNING: list[Server] = []  # read by the report hook below to attach the servers' stderr to a failure


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _RUNNING:
        for server in _RUNNING:
            report.sections.append((f"{server.name} ({server.url}) stderr, last lines", server.tail()))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    tmp = tmp_path_factory.mktemp("live")
    (tmp / "files").mkdir()
    env = {**os.environ, "BATON_DATABASE_URL": pg_url, "BATON_SECRET_KEY": SECRET,
           "BATON_STORAGE_DIR": str(tmp / "files"), "PYTHONUNBUFFERED": "1"}
    started: list[Server] = []
    try:
        for name in ("server-a", "server-b"):  # started back to back: both migrate and deploy at once
            port = _free_port()
            out, err = tmp / f"{name}.out", tmp / f"{name}.err"
            with out.open("wb") as o, err.open("wb") as e:
                process = subprocess.Popen(
                    [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                    cwd=PROJECT_ROOT, env=env, stdout=o, stderr=e, stdin=subprocess.DEVNULL)
            started.append(Server(name, f"http://127.0.0.1:{port}", process, out, err))
        _RUNNING.extend(started)
        deadline = time.monotonic() + STARTUP_SECONDS
        waiting = list(started)
        while waiting:
            for server in list(waiting):
                if server.process.poll() is not None:
                    pytest.fail(f"{server.name} exited with {server.process.returncode} during start-up:\n"
                                f"{server.tail()}", pytrace=False)
                try:
                    if httpx.get(server.url + "/api/v1/healthz", timeout=2).status_code == 200:
                        waiting.remove(server)
                except httpx.TransportError:
                    pass
            if waiting and time.monotonic() > deadline:
                pytest.fail(f"no healthy answer within {STARTUP_SECONDS} s from "
                            + "; ".join(f"{s.name}:\n{s.tail()}" for s in waiting), pytrace=False)
            time.sleep(0.2)
        yield [s.url for s in started]
    finally:
        for server in started:
            server.stop()
        for server in started:
            if server in _RUNNING:
                _RUNNING.remove(server)


@pytest.fixture(scope="module")
def server_logs(servers) -> list[Server]:
    """The running servers themselves, for tests that read their logs."""
    return [s for s in _RUNNING if s.url in servers]
