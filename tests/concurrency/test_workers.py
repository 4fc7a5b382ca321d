"""Workers on PostgreSQL: two `baton worker` processes fire 1,000 due timers, each exactly once; one is killed with
SIGKILL mid-run and nothing is lost (its transaction rolls back, the other takes its rows)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from app.applications.models import Application
from app.audit.models import AuditEvent, Incident
from app.auth.models import User
from app.clock import now
from app.config import PROJECT_ROOT
from app.db import Database
from app.processes.service import deploy, latest_definition
from app.tasks.models import Task
from tests.processes.bpmn_samples import timed
from workflows import clock, instances
from workflows.definitions import SourceFile

pytestmark = pytest.mark.postgres_only
TIMERS = 1000


def due_instances(db: Database, count: int) -> None:
    """`count` instances of a process waiting on a one-minute timer that fell due minutes ago."""
    deploy(db, [SourceFile("worker_race.bpmn", timed("worker_race", "fired = True"))], "test")
    with db.transaction() as session:
        definition = latest_definition(session, "worker_race")
        acme = session.scalar(select(User).where(User.username == "acme"))
        spec = instances.process_spec("worker-race", definition.spec_json)
        clock.freeze(now() - timedelta(minutes=5))
        try:
            rows = []
            for _ in range(count):
                started = instances.run_command(spec, "start", payload={"project": {}})
                rows.append({"definition_id": definition.id, "process_id": "worker_race", "version": definition.version,
                             "enterprise_id": acme.enterprise_id, "created_by_id": acme.id, "status": "in_review",
                             "project": {}, "project_name": "定时触发", "required_items": [], "committed_items": [],
                             "state": started.state, "state_version": 1, "next_timer_at": started.next_timer_at,
                             "created_at": now(), "updated_at": now()})
        finally:
            clock.reset()
        session.execute(insert(Application), rows)


def start_worker(pg_url: str, logs, name: str) -> subprocess.Popen:
    env = {**os.environ, "BATON_DATABASE_URL": pg_url, "BATON_SECRET_KEY": "worker-test-secret-0123456789abcdef",
           "PYTHONUNBUFFERED": "1"}
    out = open(logs / f"{name}.log", "wb")
    return subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--interval", "0.2"], cwd=PROJECT_ROOT,
                            env=env, stdout=out, stderr=subprocess.STDOUT)


def test_two_workers_fire_a_thousand_timers_once_each_and_a_killed_one_loses_nothing(pg_url, tmp_path):
    db = Database(pg_url)
    try:
        due_instances(db, TIMERS)

        def waiting() -> int:
            with db.read() as session:
                return session.scalar(select(func.count()).select_from(Application).where(
                    Application.process_id == "worker_race", Application.next_timer_at.is_not(None)))

        assert waiting() == TIMERS
        a, b = start_worker(pg_url, tmp_path, "worker-a"), start_worker(pg_url, tmp_path, "worker-b")
        try:
            deadline = time.monotonic() + 90
            while waiting() > TIMERS * 0.8 and time.monotonic() < deadline:
                time.sleep(0.05)
            left_at_kill = waiting()
            a.send_signal(signal.SIGKILL)  # mid-run: whatever it held rolls back with its connection
            a.wait(timeout=10)
            assert 0 < left_at_kill < TIMERS, "the kill should fall in the middle of the run"
            while waiting() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert waiting() == 0, (tmp_path / "worker-b.log").read_text()[-3000:]
        finally:
            for p in (a, b):
                if p.poll() is None:
                    p.terminate()
                    p.wait(timeout=15)
        with db.read() as session:
            apps = select(Application.id).where(Application.process_id == "worker_race").scalar_subquery()
            reviews = session.execute(select(func.count(), func.count(func.distinct(Task.application_id)))
                                      .where(Task.bpmn_id == "review", Task.application_id.in_(apps))).one()
            opened = session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.event == "task_opened", AuditEvent.application_id.in_(apps)))
            incidents = session.scalar(select(func.count()).select_from(Incident))
        assert tuple(reviews) == (TIMERS, TIMERS)  # every instance moved on, each once
        assert opened == TIMERS and incidents == 0
    finally:
        db.dispose()
