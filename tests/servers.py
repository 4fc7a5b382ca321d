"""Live `baton serve` processes for tests that need real processes: concurrency, memory, budgets, banners."""
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
from tests.helpers import SECRET

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

    def rss_bytes(self) -> int:
        """Resident memory of the server process itself (its engine processes are separate)."""
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


RUNNING: list[Server] = []  # read by report hooks to attach the servers' stderr to a failure


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_servers(database_url: str, tmp: Path, names: list[str], **settings: str) -> list[Server]:
    """Start one server per name on its own port, all on one database; return once each answers /healthz."""
    (tmp / "files").mkdir(exist_ok=True)
    env = {**os.environ, "BATON_DATABASE_URL": database_url, "BATON_SECRET_KEY": SECRET,
           "BATON_STORAGE_DIR": str(tmp / "files"), "PYTHONUNBUFFERED": "1",
           **{f"BATON_{key.upper()}": value for key, value in settings.items()}}
    started: list[Server] = []
    for name in names:  # started back to back: they migrate and deploy at once
        port = free_port()
        out, err = tmp / f"{name}.out", tmp / f"{name}.err"
        with out.open("wb") as o, err.open("wb") as e:
            process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=PROJECT_ROOT, env=env, stdout=o, stderr=e, stdin=subprocess.DEVNULL)
        started.append(Server(name, f"http://127.0.0.1:{port}", process, out, err))
    RUNNING.extend(started)
    deadline = time.monotonic() + STARTUP_SECONDS
    waiting = list(started)
    try:
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
    except BaseException:
        stop_servers(started)
        raise
    return started


def stop_servers(servers: list[Server]) -> None:
    for server in servers:
        server.stop()
    for server in servers:
        if server in RUNNING:
            RUNNING.remove(server)


def attach_server_logs(report) -> None:
    """pytest_runtest_makereport helper: a failing test carries the running servers' stderr."""
    if report.failed and RUNNING:
        for server in RUNNING:
            report.sections.append((f"{server.name} ({server.url}) stderr, last lines", server.tail()))
