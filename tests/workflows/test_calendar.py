"""The deadline calculator on China's official working-day schedule."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from workflows.calendar import CHINA, TimeLimitError, add_working_days, due_at, is_working_day


def test_national_day_week_is_skipped_and_makeup_saturday_counts():
    # 2025: 1-8 October are holidays; Saturday 11 October is a make-up working day (调休).
    assert not is_working_day(date(2025, 10, 1))
    assert is_working_day(date(2025, 10, 11))
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert add_working_days(date(2025, 10, 9), 2) == date(2025, 10, 11)


def test_weekend_is_skipped():
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Friday + 1 = Monday


def test_due_at_ends_on_the_last_allowed_day_in_beijing_time():
    start = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)  # Friday 10:00 Beijing
    due = due_at(start, "1wd")
    assert due.astimezone(CHINA).date() == date(2026, 11, 30) and due.astimezone(CHINA).hour == 23
    assert due_at(start, "7d").astimezone(CHINA).date() == date(2026, 12, 4)
    assert due_at(start, "4h") == datetime(2026, 11, 27, 6, 0, tzinfo=timezone.utc)


def test_bad_limits_are_refused():
    with pytest.raises(TimeLimitError):
        due_at(datetime(2026, 1, 5, tzinfo=timezone.utc), "twenty days")


def test_years_beyond_the_official_schedule_fall_back_to_weekdays():
    assert is_working_day(date(2099, 6, 1)) and not is_working_day(date(2099, 6, 6))

