"""The one deadline calculator: working days on China's official schedule (调休 included)."""
from __future__ import annotations

import calendar as _month_lengths
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from lunardate import LunarDate

CHINA = ZoneInfo("Asia/Shanghai")
_LIMIT = re.compile(r"^\s*(\d+)\s*(wd|d|h)\s*$")

# The holidays' names as the State Council's notices give them (chinese-calendar names them in English).
HOLIDAY_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
                 "Dragon Boat Festival": "端午节", "Mid-autumn Festival": "中秋节", "National Day": "国庆节",
                 "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日"}


class TimeLimitError(ValueError):
    pass


@dataclass(frozen=True)
class YearSchedule:
    """One year's schedule: the resting days of its holidays (named) and the weekend days made working (调休上班).
    `official`: from the State Council's notice; otherwise the fixed statutory holidays alone (provisional)."""

    year: int
    holidays: dict = field(default_factory=dict)  # date -> name
    workdays: frozenset = frozenset()
    official: bool = True


def library_schedule() -> dict[int, YearSchedule]:
    """Every year chinese-calendar carries, as official schedules (the seed of the database's holiday table)."""
    from chinese_calendar import constants

    years: dict[int, dict] = {}
    for day, name in constants.holidays.items():
        years.setdefault(day.year, {"holidays": {}, "workdays": set()})["holidays"][day] = HOLIDAY_NAMES.get(name, name)
    for day in constants.workdays:
        years.setdefault(day.year, {"holidays": {}, "workdays": set()})["workdays"].add(day)
    return {year: YearSchedule(year, v["holidays"], frozenset(v["workdays"])) for year, v in years.items()}


def statutory_holidays(year: int) -> YearSchedule:
    """The fixed statutory holidays of a year whose schedule is not out (全国年节及纪念日放假办法, 2025): 元旦 1, 春节 4
    (除夕 to 初三), 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3 — no bridging, no 调休: provisional."""
    days = {date(year, 1, 1): "元旦", date(year, 4, _qingming_day(year)): "清明节", date(year, 5, 1): "劳动节",
            date(year, 5, 2): "劳动节", **{date(year, 10, d): "国庆节" for d in (1, 2, 3)}}
    if LUNAR_YEARS[0] <= year < LUNAR_YEARS[1]:  # the lunar festivals, where the lunar table reaches
        spring = LunarDate(year, 1, 1).to_solar_date()
        days.update({spring + timedelta(days=i): "春节" for i in range(-1, 3)})
        days.update({LunarDate(year, 5, 5).to_solar_date(): "端午节", LunarDate(year, 8, 15).to_solar_date(): "中秋节"})
    return YearSchedule(year, {d: n for d, n in days.items() if d.year == year}, frozenset(), official=False)


LUNAR_YEARS = (1901, 2100)  # lunardate's table (春节 of 1900 falls in 1899's solar days)


def _qingming_day(year: int) -> int:
    """The day in April of the Qingming solar term (the usual formula for 2001–2099: 4 or 5 April)."""
    y = year % 100
    return int(y * 0.2422 + 4.81) - y // 4


_installed: dict[int, YearSchedule] = library_schedule()


def install(schedules: dict[int, YearSchedule]) -> None:
    """Count on these schedules from now on (the service installs the database's holiday table)."""
    global _installed
    _installed = dict(schedules)
    year_schedule.cache_clear()
    is_working_day.cache_clear()
    is_statutory_holiday.cache_clear()


def installed_years() -> list[int]:
    return sorted(y for y, s in _installed.items() if s.official)


@lru_cache(maxsize=256)
def year_schedule(year: int) -> YearSchedule:
    return _installed.get(year) or statutory_holidays(year)


def is_official(year: int) -> bool:
    return year_schedule(year).official


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    schedule = year_schedule(day.year)
    if day in schedule.workdays:
        return True
    return day.weekday() < 5 and day not in schedule.holidays


@lru_cache(maxsize=8192)
def is_statutory_holiday(day: date) -> bool:
    """A resting day of a holiday of the schedule (春节, 国庆 …), weekends inside it included."""
    return day in year_schedule(day.year).holidays


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


@dataclass(frozen=True)
class Deadline:
    at: datetime
    provisional: bool  # it reaches into a year whose official schedule is not loaded yet


def deadline(start: datetime, limit: str, shift_working_days: int = 0) -> Deadline:
    """The end of the last day allowed (23:59:59 Beijing time) by `limit` from `start`, moved on by
    `shift_working_days` (time paused, extensions granted); the one calculator for every limit."""
    amount, unit = parse_time_limit(limit)
    local = start.astimezone(CHINA)
    if unit == "h":
        at = start + timedelta(hours=amount)
        if shift_working_days:
            at = datetime.combine(add_working_days(at.astimezone(CHINA).date(), shift_working_days),
                                  at.astimezone(CHINA).time(), tzinfo=CHINA)
        return Deadline(at, not all(is_official(y) for y in range(local.year, at.astimezone(CHINA).year + 1)))
    if unit == "wd":
        last_day = add_working_days(local.date(), amount) if amount else local.date()
    else:
        last_day = add_days(local.date(), amount)
    if shift_working_days:
        last_day = add_working_days(last_day, shift_working_days)
    provisional = not all(is_official(y) for y in range(local.year, last_day.year + 1))
    return Deadline(datetime.combine(last_day, time(23, 59, 59), tzinfo=CHINA), provisional)


def due_at(start: datetime, limit: str) -> datetime:
    return deadline(start, limit).at


def working_days_between(earlier: datetime, later: datetime) -> int:
    """Working days after `earlier`'s day up to and including `later`'s (Beijing dates): how far a paused clock moves."""
    first, last = earlier.astimezone(CHINA).date(), later.astimezone(CHINA).date()
    count, current = 0, first
    while current < last:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def working_days_left(now: datetime, due: datetime) -> int:
    """Whole working days from today (not counted) to the due day; negative when overdue."""
    today, last = now.astimezone(CHINA).date(), due.astimezone(CHINA).date()
    if last >= today:
        return working_days_between(now, due)
    return -working_days_between(due, now)
