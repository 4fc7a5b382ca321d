"""The clocks of tasks and applications: what their deadline is, whether it is near, how much is used and left.

Everything here is arithmetic on stored inputs (limit, start, paused and extended working days) through the one
calculator, `workflows.calendar.deadline`, so any deadline can be recomputed when the calendar or a pause changes it."""
from __future__ import annotations

from datetime import datetime, time

from workflows.calendar import CHINA, Deadline, deadline, working_days_between, working_days_left

WARNING_SHARE = 0.8  # a task shows `warning` once this share of its time is used (BATON_SLA_WARNING_SHARE)


def configure(warning_share: float) -> None:
    global WARNING_SHARE
    WARNING_SHARE = warning_share


def due(limit: str, started_at: datetime, paused_days: int = 0, extended_days: int = 0) -> Deadline:
    return deadline(started_at, limit, paused_days + extended_days)


def warn_at(started_at: datetime, due_at: datetime) -> datetime:
    """From when a deadline shows `warning`: its last day, or once WARNING_SHARE of the time is used if earlier."""
    last_day = datetime.combine(due_at.astimezone(CHINA).date(), time(0, 0), tzinfo=CHINA)
    share = started_at + (due_at - started_at) * WARNING_SHARE
    return max(started_at, min(last_day, share))


def deadline_columns(started_at: datetime, due: Deadline) -> dict:
    """A task row's deadline columns for a computed deadline: when, whether provisional, from when it warns."""
    return {"due_at": due.at, "due_provisional": due.provisional, "warn_at": warn_at(started_at, due.at)}


def sla_state(due_at: datetime | None, warn: datetime | None, now: datetime, paused_since: datetime | None = None) -> str | None:
    """on_time, warning or overdue; a stopped clock is judged at the moment it stopped."""
    if due_at is None:
        return None
    at = paused_since or now
    if at > due_at:
        return "overdue"
    if warn is not None and at >= warn:
        return "warning"
    return "on_time"


def clock_view(*, due_at, warn, started_at, paused_days: int, paused_since, paused_reason, provisional: bool,
               now: datetime) -> dict:
    """What every task and application shows of its clock."""
    if due_at is None:
        return {"sla_state": None, "paused": bool(paused_since), "paused_since": paused_since,
                "paused_reason": paused_reason, "working_days_used": None, "working_days_left": None,
                "due_provisional": False}
    at = paused_since or now
    used = working_days_between(started_at, at) - (paused_days or 0) if started_at else None
    return {"sla_state": sla_state(due_at, warn, now, paused_since), "paused": paused_since is not None,
            "paused_since": paused_since, "paused_reason": paused_reason,
            "working_days_used": max(used, 0) if used is not None else None,
            "working_days_left": working_days_left(at, due_at), "due_provisional": bool(provisional)}
