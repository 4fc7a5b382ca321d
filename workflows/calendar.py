"""The one deadline calculator: working days on China's official schedule (调休 included)."""
from __future__ import annotations

import calendar as _month_lengths
import logging
import re
from functools import lru_cache
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

CHINA = ZoneInfo("Asia/Shanghai")
_LIMIT = re.compile(r"^\s*(\d+)\s*(wd|d|h)\s*$")
_log = logging.getLogger(__name__)
_warned_years: set[int] = set()


class TimeLimitError(ValueError):
    pass


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # The package carries the State Council schedule only up to its release year; past it, weekdays only.
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            _log.warning("no official holiday schedule for %s: counting Monday-Friday only; upgrade chinesecalendar", day.year)
        return day.weekday() < 5


@lru_cache(maxsize=8192)
def is_statutory_holiday(day: date) -> bool:
    """A day of a statutory holiday of the official schedule (春节, 国庆 …), weekends inside them included."""
    try:
        resting, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return False  # no schedule for that year (is_working_day warns)
    return bool(resting and name)


def add_days(start: date, days: int) -> date:
    """`days` calendar days after `start`, statutory holidays not counted; a last day that is not a working day moves
    to the next working day (行政许可法: 期限以日计算的，法定节假日不计入; the end falls on a working day)."""
    current, remaining = start, days
    while remaining > 0:
        current += timedelta(days=1)
        if not is_statutory_holiday(current):
            remaining -= 1
    while not is_working_day(current):
        current += timedelta(days=1)
    return current


def add_months(moment, months: int):
    """The same day `months` later (a date or datetime), or the month's last day where it is shorter (31 Jan + 1 →
    28/29 Feb): how permits and bars count months."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, _month_lengths.monthrange(year, month)[1]))


def add_working_days(start: date, days: int) -> date:
    """The date that is `days` working days after `start` (the start day itself never counts)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


# No statutory limit comes near these; a larger one is a typing error that would overflow the calendar.
MAX_AMOUNT = {"wd": 2500, "d": 3660, "h": 24 * 3660}


def parse_time_limit(text: str) -> tuple[int, str]:
    """'20wd' → (20, 'wd'): working days; 'd' calendar days; 'h' hours."""
    match = _LIMIT.match(str(text)[:100])
    if not match:
        raise TimeLimitError(f"time limit {str(text)[:100]!r} is not of the form '20wd', '7d' or '4h'")
    amount, unit = int(match.group(1)), match.group(2)
    if amount > MAX_AMOUNT[unit]:
        raise TimeLimitError(f"time limit {text!r} is longer than {MAX_AMOUNT[unit]}{unit}, the most Baton counts")
    return amount, unit


def due_at(start: datetime, limit: str) -> datetime:
    """End of the last day allowed (Beijing time), returned in UTC-aware form."""
    amount, unit = parse_time_limit(limit)
    local = start.astimezone(CHINA)
    if unit == "h":
        return start + timedelta(hours=amount)
    if unit == "wd":
        last_day = add_working_days(local.date(), amount) if amount else local.date()
    else:
        last_day = add_days(local.date(), amount)
    return datetime.combine(last_day, time(23, 59, 59), tzinfo=CHINA)

