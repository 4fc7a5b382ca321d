"""Background worker: wakes instances whose timers are due. Any number run side by side (SKIP LOCKED)."""
from __future__ import annotations

import logging
import threading

from sqlalchemy import select

from app.applications import instances as store
from app.applications.models import Application
from app.clock import now
from app.db import Database
from workflows import instances

_log = logging.getLogger(__name__)


def run_due_timers(db: Database, batch: int = 20) -> int:
    """Advance up to `batch` instances whose next timer is due; each in its own transaction. Returns how many."""
    done = 0
    for _ in range(batch):
        with db.transaction() as session:
            query = (select(Application).where(Application.next_timer_at.is_not(None), Application.next_timer_at <= now())
                     .order_by(Application.next_timer_at).limit(1))
            if db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            application = session.scalar(query)
            if application is None:
                return done
            try:
                wf = store.load(session, application)
                instances.advance(wf)
                store.save(session, application, wf, "timer")
            except instances.EngineError as exc:
                _log.error("timer of application %s failed at %s: %s", application.id, exc.element_id, exc.message)
                application.next_timer_at = None  # an incident: stop retrying until someone intervenes
            done += 1
    return done


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
