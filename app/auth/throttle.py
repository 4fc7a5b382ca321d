"""Sign-in throttle: repeated failures for one username or from one address are slowed down, then locked a while.

State is in the database, so every server process behind a load balancer counts the same failures.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import SignInThrottle
from app.clock import now
from app.db import Database
from app.errors import ServiceUnavailable, TooManyRequests


@dataclass(frozen=True)
class Rule:
    free: int  # failures answered at once
    lock_after: int  # failures after which the key is locked
    lock_minutes: int
    window_minutes: int = 15  # failures older than this are forgotten


def _keys(username: str, address: str | None) -> list[tuple[str, Rule]]:
    return [(f"user:{username.strip().lower()[:64]}", USER_RULE),
            *([(f"ip:{address[:100]}", ADDRESS_RULE)] if address else [])]


USER_RULE = Rule(free=3, lock_after=10, lock_minutes=15)
ADDRESS_RULE = Rule(free=10, lock_after=50, lock_minutes=15)


def configure(failures_before_lock: int, lock_minutes: int) -> None:
    global USER_RULE, ADDRESS_RULE
    USER_RULE = Rule(free=min(3, failures_before_lock), lock_after=failures_before_lock, lock_minutes=lock_minutes)
    ADDRESS_RULE = Rule(free=failures_before_lock, lock_after=failures_before_lock * 5, lock_minutes=lock_minutes)


def _wait_seconds(row: SignInThrottle, rule: Rule) -> float:
    moment = now()
    if row.locked_until is not None and row.locked_until > moment:
        return (row.locked_until - moment).total_seconds()
    if row.first_failure_at < moment - timedelta(minutes=rule.window_minutes) or row.failures < rule.free:
        return 0
    backoff = 2 ** (row.failures - rule.free)  # 1, 2, 4 … seconds after each further failure
    return max(0.0, (row.last_failure_at + timedelta(seconds=backoff) - moment).total_seconds())


def check(db: Database, username: str, address: str | None) -> None:
    """429 with Retry-After while the username or the address must wait; nothing is verified meanwhile."""
    check_keys(db, _keys(username, address), "too many failed sign-ins: wait before trying again (登录失败次数过多，请稍后再试)")


def check_keys(db: Database, pairs: list[tuple[str, Rule]], message: str) -> None:
    """429 with Retry-After while any of the keys must wait."""
    keys = dict(pairs)
    with db.read() as session:
        rows = list(session.scalars(select(SignInThrottle).where(SignInThrottle.key.in_(keys))))
    waits = [_wait_seconds(row, keys[row.key]) for row in rows]
    wait = max(waits, default=0)
    if wait > 0:
        raise TooManyRequests(message, retry_after=math.ceil(wait))


def failed(db: Database, username: str, address: str | None) -> None:
    failed_keys(db, _keys(username, address))


def failed_keys(db: Database, pairs: list[tuple[str, Rule]]) -> None:
    """One more failure for each key (slowed down after `free`, locked after `lock_after`)."""
    moment = now()
    for attempt in range(3):
        try:
            with db.transaction() as session:
                for key, rule in pairs:
                    row = session.get(SignInThrottle, key, with_for_update=True)
                    if row is None:
                        session.add(SignInThrottle(key=key, failures=1, first_failure_at=moment, last_failure_at=moment))
                        continue
                    if row.first_failure_at < moment - timedelta(minutes=rule.window_minutes):
                        row.failures, row.first_failure_at, row.locked_until = 0, moment, None
                    row.failures += 1
                    row.last_failure_at = moment
                    if row.failures >= rule.lock_after:
                        row.locked_until = moment + timedelta(minutes=rule.lock_minutes)
            return
        except IntegrityError:  # another process inserted the same key first: count on its row
            if attempt == 2:
                raise


def succeeded(db: Database, username: str) -> None:
    key = _keys(username, None)[0][0]
    with db.read() as session:
        known = session.get(SignInThrottle, key) is not None
    if known:
        with db.transaction() as session:
            session.execute(delete(SignInThrottle).where(SignInThrottle.key == key))


class PasswordChecks:
    """Bounds how many argon2 checks (64 MiB each) run at once in this process."""

    def __init__(self, concurrency: int):
        self._slots = threading.BoundedSemaphore(max(1, concurrency))

    def __enter__(self):
        if not self._slots.acquire(timeout=10):
            raise ServiceUnavailable("too many sign-ins at once; try again in a moment (登录繁忙，请稍后再试)")
        return self

    def __exit__(self, *exc) -> None:
        self._slots.release()
