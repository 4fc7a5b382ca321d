"""Background worker: wakes instances whose timers are due, tells leads of warning and overdue tasks, and counts on
the newest holiday table. Any number run side by side on PostgreSQL (SKIP LOCKED on the due rows)."""
from __future__ import annotations

import logging
import threading

from sqlalchemy import select

from app.applications.models import Application
from app.audit.service import record
from app.calendar import service as calendar_service
from app.clock import now
from app.common.metrics import TIMER_LAG
from app.db import Database
from app.errors import BatonError
from app.instances import kernel
from app.notifications import service as notifications
from app.notifications import webhooks
from workflows.instances import EngineError

_log = logging.getLogger(__name__)


def _pick_due(session) -> int | None:
    """The instance whose timer is due first, skipping those another worker (or a command) holds."""
    return session.scalar(select(Application.id).where(Application.next_timer_at.is_not(None),
                                                       Application.next_timer_at <= now())
                          .order_by(Application.next_timer_at).limit(1)
                          .with_for_update(skip_locked=True, key_share=True))


def fire_timers(instance: kernel.Instance) -> int:
    due = instance.application.next_timer_at
    if due is not None:
        TIMER_LAG.observe(max((now() - due).total_seconds(), 0.0))
    instance.run("advance")
    return instance.application.id


def run_due_timers(db: Database, batch: int = 20) -> int:
    """Advance up to `batch` instances whose next timer is due; each in its own transaction. Returns how many.

    An instance whose timer fails is set aside as an incident (its next_timer_at cleared, the error recorded) so
    it never blocks the timers of every other application."""
    done = 0
    for _ in range(batch):
        picked: list[int] = []

        def pick(session) -> int | None:
            application_id = _pick_due(session)
            if application_id is not None:
                picked.append(application_id)
            return application_id

        try:
            if kernel.run(db, pick, "timer", fire_timers) is None:
                return done
        except Exception as exc:  # noqa: BLE001 - whatever failed, the other instances' timers must go on
            if not picked:
                raise  # the database itself failed: the worker loop logs it and tries again later
            incident = getattr(exc, "incident_id", None)
            if incident is None:  # not a process failure the kernel recorded: record it now
                _log.exception("timer of application %s failed", picked[0])
                incident = kernel.record_incident(
                    db, EngineError(None, str(exc.detail) if isinstance(exc, BatonError) else f"{exc.__class__.__name__}: {exc}",
                                    "crash"), application_id=picked[0], command="fire_timers", actor="timer")
            _set_aside(db, picked[0], incident)
        done += 1
    return done


def _set_aside(db: Database, application_id: int, incident_id: int | None) -> None:
    with db.transaction() as session:
        application = session.get(Application, application_id)
        if application is not None:
            application.next_timer_at = None
            record(session, application_id, "timer", "incident", {"incident": incident_id})


def run_pass(db: Database) -> dict:
    """One pass of everything due: the calendar another process loaded, timers, escalations."""
    before = calendar_service.installed_token()
    calendar_service.install(db)
    recomputed = calendar_service.recompute_deadlines(db) if calendar_service.installed_token() != before else 0
    return {"timers": run_due_timers(db), "escalations": notifications.escalate(db), "recomputed": recomputed,
            "fanned_out": webhooks.fan_out(db), "delivered": webhooks.deliver_due(db)}


def run_forever(db: Database, interval: float, stop: threading.Event) -> None:
    """Passes until `stop` is set; a pass that found work is followed at once by the next."""
    while not stop.is_set():
        try:
            done = run_pass(db)
        except BaseException:  # noqa: BLE001 - nothing a process raises may end the worker; it is logged
            _log.exception("worker pass failed")
            done = {}
        if not any(done.values()):
            stop.wait(interval)


class Worker:
    """The single-machine default: one worker thread inside the server process."""

    def __init__(self, db: Database, interval: float):
        self.db, self.interval = db, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="baton-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        run_forever(self.db, self.interval, self._stop)
