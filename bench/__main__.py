"""Benchmarks: `make bench` (or `python -m bench [--applications N] [--database URL]`).

Every figure is printed beside a baseline measured in the same run, as a ratio, so a noisy shared machine
changes both alike:
- lifecycle: parallel_review from submission to approval, in memory (SpiffWorkflow alone) vs through Baton's
  use cases (one database transaction per command, instance stored without its spec, inbox projected);
- storage: the serialized instance with its spec (SpiffWorkflow's default) vs without (Baton's);
- timers: how late one `baton worker` process fires timers falling due over ten seconds, against its own polling
  interval (the floor it cannot beat); the target is p99 < 2 s.
"""
from __future__ import annotations

import argparse
import copy
import json
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from app.config import PROJECT_ROOT
from app.processes.service import read_directory
from workflows import instances
from workflows.definitions import build_deployment

DEPARTMENTS = ["service-window", "development-reform", "natural-resources", "real-estate-registry",
               "ecology-environment", "water-affairs", "housing-construction"]
console = Console()


def first_project() -> dict:
    return json.loads((PROJECT_ROOT / "bpmn" / "forms" / "project.schema.json").read_text())["examples"][0]


def in_memory(n: int) -> tuple[float, int]:
    """Applications per second and completions, SpiffWorkflow alone (restricted scripts, no storage)."""
    bundle = next(b for b in build_deployment(read_directory(PROJECT_ROOT / "bpmn"), departments=DEPARTMENTS,
                                              serializer_registry=instances.REGISTRY) if b.process_id == "parallel_review")
    spec = instances.process_spec("bench", json.dumps(bundle.spec))
    completions = 0
    started = time.perf_counter()
    for _ in range(n):
        wf = instances.start(spec, {"project": copy.deepcopy(first_project())})
        while ready := [v for v in instances.user_tasks(wf) if v.state == "ready"]:
            for view in ready:
                instances.complete(wf, view.id, {"decision": "approve", "opinion": ""})
                completions += 1
        assert instances.milestone_status(wf) == "approved"
    return n / (time.perf_counter() - started), completions


def through_service(n: int, url: str | None) -> tuple[float, int, int]:
    """Applications per second through the use cases, every command its own transaction."""
    from app.applications import service as applications
    from app.auth.service import add_user, credit_code_check_char, to_actor
    from app.db import Database
    from app.platform.migrate import upgrade
    from app.processes.service import deploy
    from app.tasks import service as tasks

    tmp = tempfile.mkdtemp(prefix="baton-bench-")
    url = url or f"sqlite:///{Path(tmp) / 'bench.db'}"
    upgrade(url)
    db = Database(url)
    deploy(db, read_directory(PROJECT_ROOT / "bpmn"), "bench")
    with db.transaction() as session:
        base = "91150105MA0BENCH0"
        ent = to_actor(add_user(session, username="bench_ent", password="bench-password", role="enterprise",
                                enterprise_code=base + credit_code_check_char(base)))
        reviewers = {d: to_actor(add_user(session, username=f"bench_{d}", password="bench-password", role="reviewer",
                                          departments=[d])) for d in DEPARTMENTS}
    admin_view = ent
    completions = 0
    started = time.perf_counter()
    for _ in range(n):
        app = applications.submit(db, ent, process="parallel_review", project=copy.deepcopy(first_project()),
                                  document_ids=[], idempotency_key=None)
        while app.open_tasks:
            for task in app.open_tasks:
                actor = reviewers[task.department]
                tasks.claim(db, actor, task.id)
                tasks.complete(db, actor, task.id, "approve", "", {})
                completions += 1
            app = applications.get(db, admin_view, app.id)
        assert app.status == "approved"
    rate = n / (time.perf_counter() - started)
    from sqlalchemy import func, select

    from app.applications.models import Application

    with db.transaction() as session:
        stored = session.scalar(select(func.avg(func.length(Application.state))))
    db.dispose()
    return rate, completions, int(stored or 0)


def storage() -> tuple[int, int]:
    """Bytes of one approved parallel_review instance, with and without its spec."""
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

    bundle = next(b for b in build_deployment(read_directory(PROJECT_ROOT / "bpmn"), departments=DEPARTMENTS,
                                              serializer_registry=instances.REGISTRY) if b.process_id == "parallel_review")
    spec = instances.process_spec("bench-size", json.dumps(bundle.spec))
    wf = instances.start(spec, {"project": first_project()})
    with_spec = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG)).serialize_json(wf)
    return len(with_spec), len(instances.dump(wf))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--applications", type=int, default=40)
    parser.add_argument("--database", help="a database URL (default: a fresh SQLite file)")
    parser.add_argument("--timers", type=int, default=300, help="timers falling due over ten seconds (0: skip)")
    parser.add_argument("--interval", type=float, default=0.5, help="the worker's polling interval, seconds")
    args = parser.parse_args()
    n = args.applications
    with console.status("in memory …"):
        in_memory(3)  # warm caches (compiled expressions, restored spec)
        memory_rate, memory_completions = in_memory(n)
    with console.status("through the service …"):
        service_rate, service_completions, stored = through_service(n, args.database)
    with_spec, without_spec = storage()
    table = Table("measure", "baseline", "Baton", "ratio", title=f"parallel_review, {n} applications, "
                  f"{memory_completions // n} task completions each")
    table.add_row("applications/s (in memory vs transactions)", f"{memory_rate:,.1f}", f"{service_rate:,.1f}",
                  f"{service_rate / memory_rate:.3f}")
    table.add_row("completions/s", f"{memory_rate * memory_completions / n:,.0f}",
                  f"{service_rate * service_completions / n:,.0f}", f"{service_rate / memory_rate:.3f}")
    table.add_row("instance bytes (with spec vs without)", f"{with_spec:,}", f"{without_spec:,}",
                  f"{without_spec / with_spec:.3f}")
    table.add_row("stored state bytes, approved instance (avg)", "", f"{stored:,}", "")
    console.print(table)
    if args.timers:
        from bench.timers import timer_lag

        with console.status(f"{args.timers} timers, one worker process …"):
            lag = timer_lag(args.timers, args.database, args.interval)
        timers = Table("measure", "baseline (poll interval)", "Baton", "ratio", "target",
                       title=f"timer lag, {lag['n']} timers due over 10 s, one `baton worker`")
        for key in ("p50", "p99", "max"):
            timers.add_row(f"lag {key} (s)", f"{args.interval:.2f}", f"{lag[key]:.3f}",
                           f"{lag[key] / args.interval:.2f}", "< 2 s" if key == "p99" else "")
        console.print(timers)
        verdict = "[green]met[/]" if lag["p99"] < 2 else "[red]missed[/]"
        console.print(f"timer lag p99 {lag['p99']:.3f} s: target {verdict}")


if __name__ == "__main__":
    main()
