"""Background worker: wakes instances whose timers are due. Any number run side by side (SKIP LOCKED)."""
from __future__ import annotations

import logging
import threading

from sqlalchemy import select

from app.applications import store
from app.applications.models import Application
from app.audit.service import record
from app.clock import now
from app.db import Database
from workflows import instances

_log = logging.getLogger(__name__)


def run_due_timers(db: Database, batch: int = 20) -> int:
    """Advance up to `batch` instances whose next timer is due; each in its own transaction. Returns how many.

    An instance whose timer fails is set aside as an incident (its next_timer_at cleared, the error recorded) so
    it never blocks the timers of every other application."""
    done = 0
    for _ in range(batch):
        failed: tuple[int, str] | None = None
        application_id: int | None = None
        try:
            with db.transaction() as session:
                query = (select(Application).where(Application.next_timer_at.is_not(None),
                                                   Application.next_timer_at <= now())
                         .order_by(Application.next_timer_at).limit(1))
                if db.is_postgres:
                    query = query.with_for_update(skip_locked=True)
                application = session.scalar(query)
                if application is None:
                    return done
                application_id = application.id
                wf = store.load(session, application)
                try:
                    instances.advance(wf)
                except instances.EngineError as exc:
                    raise store.engine_error(exc) from exc
                store.save(session, application, wf, "timer")
        except Exception as exc:  # noqa: BLE001 - whatever failed, the other instances' timers must go on
            if application_id is None:
                raise  # the database itself failed: the worker loop logs it and tries again later
            failed = (application_id, getattr(exc, "detail", None) and str(exc.detail) or f"{exc.__class__.__name__}: {exc}")
        if failed:
            _set_aside(db, *failed)
        done += 1
    return done


def _set_aside(db: Database, application_id: int, error: str) -> None:
    _log.error("timer of application %s failed: %s", application_id, error)
    with db.transaction() as session:
        application = session.get(Application, application_id)
        if application is not None:
            application.next_timer_at = None
            record(session, application_id, "timer", "incident", {"error": error[:2000]})


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
        while not self._stop.wait(self.interval):
            try:
                run_due_timers(self.db)
            except Exception:  # keep the worker alive; the error is logged with its traceback
                _log.exception("worker pass failed")
