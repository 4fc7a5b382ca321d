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



def test_a_limit_in_days_skips_statutory_holidays_and_ends_on_a_working_day():
    from workflows.calendar import add_days

    # 7 days for a construction permit from 26 September 2025: not 3 October, inside National Day (1-8 October)
    assert add_days(date(2025, 9, 26), 7) == date(2025, 10, 11)  # 27-30 Sep, 9-11 Oct; 11 Oct is a make-up Saturday
    due = due_at(datetime(2025, 9, 26, 2, 0, tzinfo=timezone.utc), "7d")
    assert due.astimezone(CHINA).date() == date(2025, 10, 11)
    # 60 days from 20 December 2025: 21-31 Dec (11), New Year 1-3 Jan not counted, 4 Jan-14 Feb (42), the Spring
    # Festival 15-23 Feb not counted, 24 Feb-2 Mar (7): Monday 2 March, not 18 February inside the holiday
    assert add_days(date(2025, 12, 20), 60) == date(2026, 3, 2)


def test_a_limit_in_days_ending_on_a_weekend_moves_to_monday():
    from workflows.calendar import add_days

    assert add_days(date(2026, 11, 24), 4) == date(2026, 11, 30)  # Saturday 28 → Monday 30


def test_working_days_across_the_2026_spring_festival_and_an_adjusted_saturday():
    from workflows.calendar import deadline

    # Tue 10 Feb: 11, 12, 13, Saturday 14 (a working day, 调休), 15–23 off (春节), 24
    due = deadline(datetime(2026, 2, 10, 9, 0, tzinfo=CHINA), "5wd")
    assert due.at.date() == date(2026, 2, 24) and due.provisional is False
    # a pause moves the last day by working days: three more from the 24th skip nothing but the weekend
    assert deadline(datetime(2026, 2, 10, 9, 0, tzinfo=CHINA), "5wd", 3).at.date() == date(2026, 2, 27)


def test_a_year_without_its_official_schedule_counts_its_statutory_holidays_and_is_provisional():
    from workflows.calendar import deadline, statutory_holidays

    holidays = statutory_holidays(2027).holidays
    assert [d for d, n in sorted(holidays.items()) if n == "春节"] == [date(2027, 2, 5), date(2027, 2, 6),
                                                                       date(2027, 2, 7), date(2027, 2, 8)]
    assert holidays[date(2027, 4, 5)] == "清明节" and holidays[date(2027, 6, 9)] == "端午节"
    due = deadline(datetime(2026, 12, 28, 9, 0, tzinfo=CHINA), "5wd")
    assert due.at.date() == date(2027, 1, 5) and due.provisional is True  # 29, 30, 31, (1 元旦), 4, 5
