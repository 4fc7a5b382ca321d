"""The one clock. Everything that stamps or compares times asks here — SpiffWorkflow's timers included — so a
test (or an operator replaying a day) moves time for the whole engine at once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(timezone.utc) + _offset


def advance(delta: timedelta) -> None:
    """Move the clock forward (tests; never used by the service itself)."""
    global _offset
    _offset += delta


def follow(moment: datetime) -> None:
    """From now on read `moment` as the present (the engine process takes the server's clock with every command)."""
    global _offset
    _offset = moment - datetime.now(timezone.utc)


def reset() -> None:
    global _offset
    _offset = timedelta(0)


class _ClockDatetime(datetime):
    """SpiffWorkflow's timer module reads `datetime.now`; this makes it read ours."""

    @classmethod
    def now(cls, tz=None):
        moment = now()
        moment = cls.combine(moment.date(), moment.time(), moment.tzinfo)
        return moment.astimezone(tz) if tz else moment.astimezone().replace(tzinfo=None)


_spiff_timer.datetime = _ClockDatetime
