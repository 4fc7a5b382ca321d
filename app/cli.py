"""The `baton` command: serve, worker, demo, migrate, deploy, calendar load, user add|list|disable|set-password."""
from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from app.config import Settings, get_settings
from app.errors import Invalid
from app.vocabulary import Role

console = Console()
err = Console(stderr=True)


def _print_refusals(exc: Invalid) -> None:
    for p in exc.detail:
        err.print(f"[red]{'.'.join(map(str, p['loc']))}:[/] {p['msg']}")


def _migrate(settings: Settings) -> None:
    from app.platform.migrate import upgrade

    with console.status(f"migrating {settings.database_url.split('@')[-1]} …"):
        upgrade(settings.database_url)
    console.print("[green]✓[/] database schema is at the newest migration")


def _deploy(settings: Settings, files, who: str = "startup") -> bool:
    from app.db import Database
    from app.processes import service

    db = Database(settings.database_url)
    try:
        results = service.deploy(db, files, who)
    except Invalid as exc:
        table = Table("file", "element", "problem", title="[red]deployment refused[/]")
        for p in exc.detail:
            table.add_row(p["file"], p["element_id"] or "-", p["message"])
        err.print(table)
        return False
    finally:
        db.dispose()
    table = Table("process", "version", "", title="deployed")
    for r in results:
        table.add_row(r.process_id, str(r.version), "new" if r.created else "unchanged")
    console.print(table)
    return True


def cmd_migrate(args, settings: Settings) -> int:
    _migrate(settings)
    return 0


def cmd_deploy(args, settings: Settings) -> int:
    from workflows.definitions import SourceFile

    files = []
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            err.print(f"[red]no such file:[/] {name}")
            return 2
        files.append(SourceFile(path.name, path.read_bytes()))
    return 0 if _deploy(settings, files, "cli") else 1


def cmd_user_add(args, settings: Settings) -> int:
    from app.auth.service import add_user
    from app.db import Database

    if not args.password_stdin:
        err.print("[red]give the password on standard input with --password-stdin[/] (it never goes on a command line)")
        return 2
    password = sys.stdin.readline().rstrip("\n")
    db = Database(settings.database_url)
    try:
        with db.transaction() as session:
            user = add_user(session, username=args.username, password=password, role=args.role,
                            departments=args.department or [], enterprise_code=args.enterprise,
                            enterprise_name=args.enterprise_name, display_name=args.display_name,
                            office_code=args.office)
            console.print(f"[green]✓[/] user {user.username} ({user.role}) created")
        return 0
    except Invalid as exc:
        _print_refusals(exc)
        return 1
    finally:
        db.dispose()


def _admin_actor():
    """The command line acts as the system administrator (who runs it has the database in hand)."""
    from app.auth.policy import Actor

    return Actor(id=0, username="cli", role=Role.ADMIN, departments=frozenset(), enterprise_id=None)


def cmd_user_list(args, settings: Settings) -> int:
    from app.common.pagination import PageParams
    from app.db import Database
    from app.users import service

    db = Database(settings.database_url)
    try:
        page = service.list_users(db, _admin_actor(), PageParams(1, 200), args.q, args.role, args.department)
    finally:
        db.dispose()
    table = Table("user", "name", "role", "departments / office / enterprise", "active", "in hand",
                  title=f"users ({page['total']})")
    for u in page["items"]:
        where = "、".join(u["department_names"]) or u["office_name"] or (u["enterprise"] or {}).get("name") or ""
        table.add_row(u["username"], u["display_name"] or "", u["role_name"], where, "✓" if u["active"] else "✗",
                      str(u["claimed_tasks"]))
    console.print(table)
    return 0


def _as_admin(settings: Settings, change, done: str) -> int:
    """Run one administrator's change on the database; refusals are printed, 1 returned."""
    from app.db import Database
    from app.errors import NotFound

    db = Database(settings.database_url)
    try:
        change(db, _admin_actor())
    except Invalid as exc:
        _print_refusals(exc)
        return 1
    except NotFound as exc:
        err.print(f"[red]{exc.detail}[/]")
        return 1
    finally:
        db.dispose()
    console.print(f"[green]✓[/] {done}")
    return 0


def cmd_user_disable(args, settings: Settings) -> int:
    from app.users import service

    return _as_admin(settings, lambda db, admin: service.update_user(db, admin, args.username, {"active": False}),
                     f"{args.username} disabled: its sessions ended, its claimed tasks are back in the queue")


def cmd_user_set_password(args, settings: Settings) -> int:
    from app.users import service

    if not args.password_stdin:
        err.print("[red]give the password on standard input with --password-stdin[/] (it never goes on a command line)")
        return 2
    password = sys.stdin.readline().rstrip("\n")
    return _as_admin(settings, lambda db, admin: service.set_password(db, admin, args.username, password),
                     f"password of {args.username} set; its sessions ended")


def _serve(settings: Settings, host: str, port: int, workers: int = 1) -> int:
    import os

    import uvicorn

    from app.processes.service import read_directory

    _migrate(settings)
    if not _deploy(settings, read_directory(Path(settings.bpmn_dir))):
        return 1
    console.print(f"Baton on http://{host}:{port}/docs" + (f" ({workers} server processes)" if workers > 1 else ""))
    if workers > 1:
        import socket

        from uvicorn.supervisors import Multiprocess

        # Each server process builds its app from the environment; the demo's generated key travels with it.
        os.environ["BATON_SECRET_KEY"] = settings.secret_key or ""
        config = uvicorn.Config("app.main:app_from_environment", factory=True, host=host, port=port, workers=workers,
                                log_level="info", server_header=False)
        sock = config.bind_socket()
        # The server processes get this socket by its descriptor, on which asyncio no longer sees TCP and leaves
        # Nagle's algorithm on: every answer would wait ~40 ms for a delayed ACK. Connections inherit this.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        Multiprocess(config, sockets=[sock]).run()
        return 0
    from app.main import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", server_header=False)
    return 0


def cmd_serve(args, settings: Settings) -> int:
    settings.require_secret()
    if args.workers < 1:
        err.print("[red]--workers must be at least 1[/]")
        return 2
    return _serve(settings, args.host, args.port, args.workers)


def cmd_demo(args, settings: Settings) -> int:
    from app.platform import demo

    if not settings.secret_key:
        settings = settings.model_copy(update={"secret_key": secrets.token_hex(32)})
    _migrate(settings)
    from app.processes.service import read_directory

    if not _deploy(settings, read_directory(Path(settings.bpmn_dir))):
        return 1
    demo.populate(settings, console)
    if args.no_serve:
        return 0
    return _serve(settings, args.host, args.port)


def cmd_worker(args, settings: Settings) -> int:
    """Timers, escalations and the calendar, with no server: run as many as the load needs (PostgreSQL)."""
    import signal
    import threading

    from app.calendar import service as calendar_service
    from app.db import Database
    from app.platform.worker import run_forever

    db = Database(settings.database_url)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    calendar_service.install(db)
    console.print(f"baton worker on {settings.database_url.split('@')[-1]}: every {args.interval}s; Ctrl-C stops")
    try:
        run_forever(db, args.interval, stop)
    finally:
        db.dispose()
    return 0


def cmd_calendar_load(args, settings: Settings) -> int:
    """Load a year's official schedule from a JSON file: {"year", "source", "holidays": [{"name", "from", "to"}],
    "workdays": [...]}; every open deadline in that year is recomputed."""
    import json

    from pydantic import ValidationError

    from app.calendar import service as calendar_service
    from app.calendar.schemas import YearIn
    from app.auth.service import find_user, to_actor
    from app.db import Database

    path = Path(args.file)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        year = int(raw.pop("year"))
        body = YearIn.model_validate(raw)
    except (OSError, ValueError, KeyError, ValidationError) as exc:
        err.print(f"[red]{path}: not a year's schedule:[/] {exc}")
        return 2
    db = Database(settings.database_url)
    try:
        calendar_service.install(db)
        with db.transaction() as session:
            user = find_user(session, args.admin)
            actor = to_actor(user) if user is not None and user.role == Role.ADMIN else None
        if actor is None:
            err.print(f"[red]{args.admin!r} is not an administrator:[/] name one with --admin")
            return 2
        with console.status(f"loading {year} and recomputing the open deadlines in it …"):
            result = calendar_service.load_year(db, actor, year, body.source, body.holidays, body.workdays)
    except Invalid as exc:
        _print_refusals(exc)
        return 1
    finally:
        db.dispose()
    table = Table("节日", "from", "to", title=f"{year}（{result['source']}）")
    for h in result["holidays"]:
        table.add_row(h["name"], h["start"].isoformat(), h["end"].isoformat())
    console.print(table)
    console.print(f"调休上班: {', '.join(d.isoformat() for d in result['workdays']) or '—'}")
    console.print(f"[green]✓[/] {year} loaded; {result['recomputed']} open deadlines recomputed")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="baton", description="Baton approval workflow engine")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, deploy bpmn/, run the worker, serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="server processes on the one port (default 1)")
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser("demo", help="like serve, plus demo users and sample applications")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--no-serve", action="store_true", help="only prepare the demo data")
    demo.set_defaults(func=cmd_demo)

    sub.add_parser("migrate", help="bring the database schema to the newest migration").set_defaults(func=cmd_migrate)

    deploy = sub.add_parser("deploy", help="deploy .bpmn/.dmn/form .json files")
    deploy.add_argument("files", nargs="+")
    deploy.set_defaults(func=cmd_deploy)

    worker = sub.add_parser("worker", help="run timers, escalations and the calendar (any number, on PostgreSQL)")
    worker.add_argument("--interval", type=float, default=0.5, help="seconds between passes that found nothing")
    worker.set_defaults(func=cmd_worker)

    cal = sub.add_parser("calendar", help="the holiday calendar")
    cal_sub = cal.add_subparsers(dest="calendar_command", required=True)
    load = cal_sub.add_parser("load", help="load a year's official schedule from a JSON file")
    load.add_argument("file")
    load.add_argument("--admin", default="admin", help="the administrator recorded as loading it")
    load.set_defaults(func=cmd_calendar_load)

    user = sub.add_parser("user", help="manage users")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="create a user")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=Role.codes())
    add.add_argument("--department", action="append", help="department code; repeat for several")
    add.add_argument("--enterprise", help="unified social credit code (enterprise users)")
    add.add_argument("--enterprise-name", help="the enterprise's name, when it is new")
    add.add_argument("--display-name")
    add.add_argument("--office", help="a helpdesk agent's office code (GET /api/v1/offices)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=cmd_user_add)
    listing = user_sub.add_parser("list", help="list users")
    listing.add_argument("--q", help="part of a username or name")
    listing.add_argument("--role", choices=Role.codes())
    listing.add_argument("--department")
    listing.set_defaults(func=cmd_user_list)
    disable = user_sub.add_parser("disable", help="disable a user: sessions end, claimed tasks go back")
    disable.add_argument("username")
    disable.set_defaults(func=cmd_user_disable)
    password = user_sub.add_parser("set-password", help="set a user's password (ends its sessions)")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    password.set_defaults(func=cmd_user_set_password)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    return args.func(args, settings) or 0


if __name__ == "__main__":
    sys.exit(main())
