"""HTTP benchmark: real `baton serve` processes driven through full parallel_review lifecycles.

`python -m bench.http` (or `make bench`): for SQLite with one server process and PostgreSQL with two, at 1, 4 and 16
clients, each client submits an application and then claims and completes every task as each department would,
until the run's lifecycles are done. Printed: lifecycles/s, completions/s and their ratio to the engine limit
measured in the same run (SpiffWorkflow alone, in this process: start, then load → complete → save around every
task), claim and complete p50/p95, and the SQL statements each command costs.

`--project DIR` benchmarks another checkout of Baton (for before/after figures); it only needs its CLI and API.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
DEPARTMENTS = ["service-window", "development-reform", "natural-resources", "real-estate-registry",
               "ecology-environment", "water-affairs", "housing-construction"]
PASSWORD = "bench-password-2026"
SECRET = "bench-secret-key-0123456789abcdef0123"
PG_ADMIN = os.environ.get("BATON_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
console = Console(width=160)


def first_project() -> dict:
    return json.loads((ROOT / "bpmn" / "forms" / "project.schema.json").read_text())["examples"][0]


def credit_code() -> str:
    from app.auth.service import credit_code_check_char

    base = "91150105MA0BENCH0"
    return base + credit_code_check_char(base)


# ---------------------------------------------------------------- the engine limit


def engine_limit(seconds: float = 5.0) -> tuple[float, int]:
    """Completions/s of SpiffWorkflow alone: start, then load → complete → save around every task, in-process."""
    from app.processes.service import read_directory
    from workflows import instances
    from workflows.definitions import build_deployment

    bundle = next(b for b in build_deployment(read_directory(ROOT / "bpmn"), departments=DEPARTMENTS,
                                              serializer_registry=instances.REGISTRY) if b.process_id == "parallel_review")
    spec = instances.process_spec("bench-engine", json.dumps(bundle.spec))
    project = first_project()
    completions, lifecycles = 0, 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        state = instances.dump(instances.start(spec, {"project": copy.deepcopy(project)}))
        while True:
            wf = instances.load(spec, state)
            ready = [v for v in instances.user_tasks(wf) if v.state == "ready"]
            if not ready:
                break
            instances.complete(wf, ready[0].id, {"decision": "approve", "opinion": ""})
            state = instances.dump(wf)
            completions += 1
        lifecycles += 1
    elapsed = time.perf_counter() - started
    return completions / elapsed, completions // max(lifecycles, 1)


# ---------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Deployment:
    project: Path
    url: str
    tmp: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)

    def env(self) -> dict:
        return {**os.environ, "BATON_DATABASE_URL": self.url, "BATON_SECRET_KEY": SECRET,
                "BATON_STORAGE_DIR": str(self.tmp / "files"), "PYTHONPATH": str(self.project),
                "BATON_WORKER_INTERVAL_SECONDS": "5"}

    def cli(self, *args: str, stdin: str | None = None) -> None:
        subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=self.project, env=self.env(), input=stdin,
                       text=True, check=True, capture_output=True)

    def prepare(self) -> None:
        self.cli("migrate")
        self.cli("user", "add", "bench_ent", "--role", "enterprise", "--enterprise", credit_code(),
                 "--enterprise-name", "基准测试企业", "--password-stdin", stdin=PASSWORD + "\n")
        for department in DEPARTMENTS:
            self.cli("user", "add", f"bench_{department}", "--role", "reviewer", "--department", department,
                     "--password-stdin", stdin=PASSWORD + "\n")

    def start(self, server_processes: int) -> None:
        help_text = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--help"], cwd=self.project,
                                   env=self.env(), capture_output=True, text=True).stdout
        if server_processes > 1 and "--workers" in help_text:
            port = free_port()
            self._spawn(["--port", str(port), "--workers", str(server_processes)])
            self.bases = [f"http://127.0.0.1:{port}"]
        else:  # a checkout without --workers: one process per port, the clients alternate between them
            for _ in range(server_processes):
                port = free_port()
                self._spawn(["--port", str(port)])
                self.bases.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 90
        for base in self.bases:
            while True:
                try:
                    if httpx.get(base + "/api/v1/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                    raise SystemExit(f"server did not start; see {self.tmp}")
                time.sleep(0.3)

    def _spawn(self, args: list[str]) -> None:
        log = open(self.tmp / f"server-{len(self.processes)}.log", "wb")
        self.processes.append(subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", *args],
                                               cwd=self.project, env=self.env(), stdout=log, stderr=log,
                                               stdin=subprocess.DEVNULL))

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def fresh_database(kind: str, tmp: Path) -> tuple[str, callable]:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}", lambda: None
    import psycopg

    name = f"baton_bench_{uuid.uuid4().hex[:8]}"
    admin = PG_ADMIN.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, drop


# ---------------------------------------------------------------- clients


@dataclass
class Measured:
    lifecycles: int = 0
    completions: int = 0
    claim_ms: list[float] = field(default_factory=list)
    complete_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def sign_in(base: str, username: str) -> dict:
    r = httpx.post(base + "/api/v1/auth/token", data={"username": username, "password": PASSWORD}, timeout=30)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def lifecycle(client: httpx.Client, tokens: dict, measured: Measured, lock: threading.Lock) -> None:
    r = client.post("/api/v1/applications", json={"process": "parallel_review", "project": first_project()},
                    headers=tokens["bench_ent"])
    if r.status_code != 201:
        raise RuntimeError(f"submit: {r.status_code} {r.text[:200]}")
    app_id = r.json()["id"]
    open_tasks = r.json()["open_tasks"]
    claims, completes, done = [], [], 0
    while open_tasks:
        for task in open_tasks:
            headers = tokens[f"bench_{task['department']}"]
            started = time.perf_counter()
            r = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=headers)
            claims.append((time.perf_counter() - started) * 1000)
            if r.status_code != 200:
                raise RuntimeError(f"claim: {r.status_code} {r.text[:200]}")
            started = time.perf_counter()
            r = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=headers,
                            json={"decision": "approve", "opinion": "", "data": {}})
            completes.append((time.perf_counter() - started) * 1000)
            if r.status_code != 200:
                raise RuntimeError(f"complete: {r.status_code} {r.text[:200]}")
            done += 1
        r = client.get(f"/api/v1/applications/{app_id}", headers=tokens["bench_ent"])
        open_tasks = r.json()["open_tasks"]
    if r.json()["status"] != "approved":
        raise RuntimeError(f"application {app_id} ended {r.json()['status']}")
    with lock:
        measured.lifecycles += 1
        measured.completions += done
        measured.claim_ms += claims
        measured.complete_ms += completes


def drive(bases: list[str], tokens_by_base: dict, clients: int, lifecycles: int) -> tuple[Measured, float]:
    measured, lock = Measured(), threading.Lock()
    remaining = [lifecycles]

    def run(index: int) -> None:
        base = bases[index % len(bases)]
        with httpx.Client(base_url=base, timeout=60) as client:
            while True:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                try:
                    lifecycle(client, tokens_by_base[base], measured, lock)
                except Exception as exc:  # noqa: BLE001 - counted and shown, the run goes on
                    with lock:
                        measured.errors.append(str(exc)[:300])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return measured, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# ---------------------------------------------------------------- statements per command


def statements_per_command(kind: str) -> dict[str, int] | None:
    """SQL statements (transaction control aside) of submit, claim, complete and an inbox page, in-process."""
    try:
        from fastapi.testclient import TestClient
        from sqlalchemy import event

        from app.config import Settings
        from app.db import Database
        from app.main import create_app
        from app.platform.migrate import upgrade
        from app.processes.service import deploy, read_directory
    except ImportError:
        return None
    tmp = Path(tempfile.mkdtemp(prefix="baton-bench-sql-"))
    url, drop = fresh_database(kind, tmp)
    try:
        upgrade(url)
        db = Database(url)
        deploy(db, read_directory(ROOT / "bpmn"), "bench")
        from app.auth.service import add_user

        with db.transaction() as session:
            add_user(session, username="bench_ent", password=PASSWORD, role="enterprise", enterprise_code=credit_code())
            add_user(session, username="bench_window", password=PASSWORD, role="reviewer", departments=["service-window"])
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")):
                seen.append(statement)

        settings = Settings(database_url=url, secret_key=SECRET, storage_dir=tmp / "files", worker_enabled=False)
        counts = {}
        with TestClient(create_app(settings, db)) as client:
            ent = sign_in_client(client, "bench_ent")
            window = sign_in_client(client, "bench_window")
            client.post("/api/v1/applications", json={"process": "parallel_review", "project": first_project()}, headers=ent)
            event.listen(db.engine, "before_cursor_execute", count)
            for name, call in (
                ("submit", lambda: client.post("/api/v1/applications", headers=ent,
                                               json={"process": "parallel_review", "project": first_project()})),
                ("inbox page", lambda: client.get("/api/v1/tasks", headers=window)),
            ):
                seen.clear()
                response = call()
                counts[name] = len(seen)
            task = response.json()["items"][0]["id"]
            seen.clear()
            client.post(f"/api/v1/tasks/{task}/claim", headers=window)
            counts["claim"] = len(seen)
            seen.clear()
            client.post(f"/api/v1/tasks/{task}/complete", headers=window, json={"decision": "approve"})
            counts["complete"] = len(seen)
            event.remove(db.engine, "before_cursor_execute", count)
        db.dispose()
        return counts
    finally:
        drop()


def sign_in_client(client, username: str) -> dict:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


# ---------------------------------------------------------------- the run


def run_config(project: Path, kind: str, server_processes: int, client_counts: list[int], lifecycles_per_client: int,
               limit: float) -> list[tuple]:
    tmp = Path(tempfile.mkdtemp(prefix=f"baton-bench-{kind}-"))
    (tmp / "files").mkdir()
    url, drop = fresh_database(kind, tmp)
    deployment = Deployment(project, url, tmp)
    rows = []
    try:
        with console.status(f"{kind}: preparing the database and users …"):
            deployment.prepare()
            deployment.start(server_processes)
            users = ["bench_ent", *(f"bench_{d}" for d in DEPARTMENTS)]
            tokens = {base: {u: sign_in(base, u) for u in users} for base in deployment.bases}
            drive(deployment.bases, tokens, 1, 3)  # warm caches in every process
        for clients in client_counts:
            lifecycles = max(10, lifecycles_per_client * clients)
            with console.status(f"{kind}, {server_processes} server process(es), {clients} client(s), "
                                f"{lifecycles} lifecycles …"):
                measured, elapsed = drive(deployment.bases, tokens, clients, lifecycles)
            completions_per_s = measured.completions / elapsed
            rows.append((f"{kind}", server_processes, clients, measured.lifecycles / elapsed, completions_per_s,
                         completions_per_s / limit, percentile(measured.claim_ms, 0.5), percentile(measured.claim_ms, 0.95),
                         percentile(measured.complete_ms, 0.5), percentile(measured.complete_ms, 0.95),
                         len(measured.errors), measured.errors[:2]))
    finally:
        deployment.stop()
        drop()
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=ROOT, help="the Baton checkout to run (default: this one)")
    parser.add_argument("--clients", default="1,4,16", help="client counts, e.g. 1,4,16")
    parser.add_argument("--lifecycles", type=int, default=6, help="lifecycles per client in each run")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one backend only")
    parser.add_argument("--processes", type=int, help="server processes for every backend (default: 1 SQLite, 2 PostgreSQL)")
    args = parser.parse_args(argv)
    client_counts = [int(c) for c in args.clients.split(",")]
    with console.status("engine limit …"):
        engine_limit(1.0)  # warm
        limit, per_lifecycle = engine_limit(5.0)
    configs = [("sqlite", 1), ("postgresql", 2)]
    if args.only:
        configs = [c for c in configs if c[0] == args.only]
    if args.processes:
        configs = [(kind, args.processes) for kind, _ in configs]
    rows = []
    for kind, processes in configs:
        rows += run_config(args.project.resolve(), kind, processes, client_counts, args.lifecycles, limit)
    title = (f"parallel_review over HTTP ({per_lifecycle} task completions a lifecycle), {args.project.resolve().name}; "
             f"engine limit {limit:,.0f} completions/s in this run")
    table = Table("backend", "server processes", "clients", "lifecycles/s", "completions/s", "ratio to the engine limit",
                  "claim p50 / p95 ms", "complete p50 / p95 ms", "errors", title=title)
    for kind, processes, clients, lps, cps, ratio, c50, c95, k50, k95, errors, samples in rows:
        table.add_row(kind, str(processes), str(clients), f"{lps:.1f}", f"{cps:.0f}", f"{ratio:.3f}",
                      f"{c50:.1f} / {c95:.1f}", f"{k50:.1f} / {k95:.1f}", str(errors))
    console.print(table)
    for row in rows:
        if row[-1]:
            console.print(f"[red]errors in {row[0]} × {row[2]} clients:[/] {row[-1]}")
    if args.project.resolve() == ROOT:
        statements = Table("backend", "submit", "claim", "complete", "inbox page", title="SQL statements per command")
        for kind, _ in configs:
            counts = statements_per_command(kind)
            if counts:
                statements.add_row(kind, *(str(counts[k]) for k in ("submit", "claim", "complete", "inbox page")))
        console.print(statements)


if __name__ == "__main__":
    main()
