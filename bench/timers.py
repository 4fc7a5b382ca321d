"""Timer lag: how late a `baton worker` process fires timers falling due over a few seconds (target: p99 < 2 s)."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from app.config import PROJECT_ROOT

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs_bench_timer" targetNamespace="http://baton.example/bench">
  <bpmn:process id="bench_timer" name="定时基准" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane_w" name="water-affairs">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>wait</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>review</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="t"><bpmn:timeDate xsi:type="bpmn:tFormalExpression">fire_at</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="review" name="审查"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="review"/>
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def timer_lag(n: int, url: str | None, interval: float, spread_seconds: float = 10.0) -> dict:
    """Start `n` instances whose timers fall due evenly over `spread_seconds`, run one worker process, and return
    the lags (seconds from each due moment to its task opening) at p50, p99 and max."""
    from sqlalchemy import insert, select

    from app.applications.models import Application
    from app.audit.models import AuditEvent
    from app.auth.service import add_user, credit_code_check_char
    from app.clock import now
    from app.db import Database
    from app.platform.migrate import upgrade
    from app.processes.service import deploy, latest_definition
    from workflows import instances
    from workflows.definitions import SourceFile

    url = url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='baton-bench-timers-')) / 'timers.db'}"
    upgrade(url)
    db = Database(url)
    deploy(db, [SourceFile("bench_timer.bpmn", PROCESS.encode())], "bench")
    with db.transaction() as session:
        base = "91150105MA0TMR000"
        user = add_user(session, username=f"bench_timer_{time.time_ns()}", password="bench-password",
                        role="enterprise", enterprise_code=base + credit_code_check_char(base))
        definition = latest_definition(session, "bench_timer")
        spec = instances.process_spec("bench-timer", definition.spec_json)
        first = now() + timedelta(seconds=3)  # time for the worker to start
        rows, due = [], []
        for i in range(n):
            at = first + timedelta(seconds=spread_seconds * i / n)
            started = instances.run_command(spec, "start", payload={"project": {}, "fire_at": at.isoformat()})
            due.append(started.next_timer_at)
            rows.append({"definition_id": definition.id, "process_id": "bench_timer", "version": definition.version,
                         "enterprise_id": user.enterprise_id, "created_by_id": user.id, "status": "in_review",
                         "project": {}, "project_name": "定时基准", "required_items": [], "committed_items": [],
                         "state": started.state, "state_version": 1, "next_timer_at": started.next_timer_at,
                         "created_at": now(), "updated_at": now()})
        ids = [r for r in session.execute(insert(Application).returning(Application.id), rows).scalars()]
    env = {**os.environ, "BATON_DATABASE_URL": url, "BATON_SECRET_KEY": "bench-secret-0123456789abcdef0123"}
    worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--interval", str(interval)],
                              cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + spread_seconds + 60
        fired: dict[int, object] = {}
        while len(fired) < n and time.monotonic() < deadline:
            time.sleep(0.5)
            with db.read() as session:
                fired = dict(session.execute(select(AuditEvent.application_id, AuditEvent.at).where(
                    AuditEvent.event == "task_opened", AuditEvent.application_id.in_(ids))).all())
    finally:
        worker.terminate()
        worker.wait(timeout=15)
        db.dispose()
    lags = sorted((fired[i] - d).total_seconds() for i, d in zip(ids, due) if i in fired)
    if len(lags) < n:
        raise SystemExit(f"only {len(lags)} of {n} timers fired within a minute")
    return {"p50": lags[len(lags) // 2], "p99": lags[min(len(lags) - 1, (len(lags) * 99 + 99) // 100 - 1)],
            "max": lags[-1], "n": n}
