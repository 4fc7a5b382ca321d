"""The holiday table: installed into the one deadline calculator, loaded by an admin a year at a time, and every
open deadline reaching into a loaded year recomputed (each change recorded)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from app.applications.models import Application
from app.audit.service import record
from app.auth.policy import Actor, require_admin
from app.calendar import limits
from app.calendar.models import CalendarDay, CalendarYear, ItemTimeLimit
from app.clock import now
from app.common import clocks
from app.db import Database
from app.errors import Invalid
from app.tasks.models import Task
from app.vocabulary import ACTIVE_STATUSES, ITEM_LABELS, OUTSTANDING, item_name
from workflows import calendar
from workflows.calendar import CHINA, TimeLimitError, YearSchedule, parse_time_limit

_installed_token: tuple | None = None


def install(db: Database) -> None:
    """Count on the database's holiday table (at start, after a load here, and when another process loaded one)."""
    global _installed_token
    with db.read() as session:
        token = _token(session)
        if token == _installed_token:
            return
        years = {y.year for y in session.scalars(select(CalendarYear))}
        holidays: dict[int, dict] = {year: {} for year in years}
        workdays: dict[int, set] = {year: set() for year in years}
        for row in session.scalars(select(CalendarDay).where(CalendarDay.year.in_(years))):
            if row.working:
                workdays[row.year].add(row.day)
            else:
                holidays[row.year][row.day] = row.name or ""
    calendar.install({y: YearSchedule(y, holidays[y], frozenset(workdays[y])) for y in years})
    _installed_token = token


def installed_token() -> tuple | None:
    return _installed_token


def _token(session: Session) -> tuple:
    return tuple(session.execute(select(func.count(), func.max(CalendarYear.loaded_at)).select_from(CalendarYear)).one())


def year_view(db: Database, year: int) -> dict:
    with db.read() as session:
        loaded = session.get(CalendarYear, year)
    schedule = calendar.year_schedule(year)
    return _describe(year, schedule, loaded)


def _describe(year: int, schedule: YearSchedule, loaded: CalendarYear | None) -> dict:
    periods: list[dict] = []
    for day in sorted(schedule.holidays):
        name = schedule.holidays[day]
        if periods and periods[-1]["name"] == name and periods[-1]["end"] + timedelta(days=1) == day:
            periods[-1]["end"] = day
        else:
            periods.append({"name": name, "start": day, "end": day})
    return {"year": year, "provisional": loaded is None, "source": loaded.source if loaded else None,
            "loaded_at": loaded.loaded_at if loaded else None, "loaded_by": loaded.loaded_by if loaded else None,
            "holidays": periods, "workdays": sorted(schedule.workdays)}


def load_year(db: Database, actor: Actor, year: int, source: str, holidays: list, workdays: list[date]) -> dict:
    """Replace a year's schedule with the official one; then every open deadline it touches is recomputed."""
    require_admin(actor)
    resting = _checked(year, holidays, workdays)
    with db.transaction() as session:
        session.execute(delete(CalendarDay).where(CalendarDay.year == year))
        session.add_all([CalendarDay(day=d, year=year, working=False, name=n) for d, n in sorted(resting.items())])
        session.add_all([CalendarDay(day=d, year=year, working=True, name=None) for d in sorted(set(workdays))])
        row = session.get(CalendarYear, year) or CalendarYear(year=year)
        row.source, row.loaded_at, row.loaded_by = source.strip(), now(), actor.username
        session.add(row)
        record(session, None, actor.username, "calendar_loaded",
               {"year": year, "source": source.strip(), "holidays": len(resting), "workdays": len(set(workdays))})
    install(db)
    changed = recompute_deadlines(db, year)
    view = year_view(db, year)
    return {**view, "recomputed": changed}


def _checked(year: int, holidays: list, workdays: list[date]) -> dict[date, str]:
    problems, resting = [], {}
    for i, h in enumerate(holidays):
        loc = ["body", "holidays", i]
        if h.start.year != year or h.end.year != year:
            problems.append({"loc": [*loc, "from"], "msg": f"放假日期须在 {year} 年内 / the days must lie in {year}"})
            continue
        if h.end < h.start:
            problems.append({"loc": [*loc, "to"], "msg": "放假截止日 (to) 早于起始日 (from) / 'to' is before 'from'"})
            continue
        if (h.end - h.start).days > 15:
            problems.append({"loc": [*loc, "to"], "msg": "一个节日最多放假 16 天 / a holiday of more than 16 days"})
            continue
        day = h.start
        while day <= h.end:
            if day in resting:
                problems.append({"loc": loc, "msg": f"{day.isoformat()} 已属于{resting[day]} / already in {resting[day]}"})
            resting[day] = h.name.strip()
            day += timedelta(days=1)
    for i, d in enumerate(workdays):
        loc = ["body", "workdays", i]
        if d.year != year:
            problems.append({"loc": loc, "msg": f"调休上班日须在 {year} 年内 / must lie in {year}"})
        elif d.weekday() < 5:
            problems.append({"loc": loc, "msg": f"{d.isoformat()} 不是周末，无需调休上班 / not a weekend day"})
        elif d in resting:
            problems.append({"loc": loc, "msg": f"{d.isoformat()} 同时是放假日 / also a holiday"})
    if problems:
        raise Invalid(problems)
    return resting


def recompute_deadlines(db: Database, year: int | None = None) -> int:
    """Recompute the open deadlines reaching into `year` (every provisional one, without a year); record each
    change on its application. Returns how many moved."""
    changed = 0
    with db.transaction() as session:
        query = select(Task).where(Task.status.in_(OUTSTANDING), Task.time_limit.is_not(None),
                                   Task.clock_started_at.is_not(None))
        if year is not None:  # a deadline before the year began cannot reach into it
            query = query.where(or_(Task.due_provisional.is_(True), Task.due_at >= _first_moment(year)))
        for task in session.scalars(query.with_for_update()):
            due = clocks.due(task.time_limit, task.clock_started_at, task.paused_days, task.extended_days)
            if due.at != task.due_at or due.provisional != task.due_provisional:
                record(session, task.application_id, "system", "deadline_recomputed",
                       {"task_id": task.id, "name": task.name, "from": task.due_at, "to": due.at,
                        "provisional": due.provisional})
                for column, value in clocks.deadline_columns(task.clock_started_at, due).items():
                    setattr(task, column, value)
                changed += 1
        apps = select(Application).where(Application.status.in_(ACTIVE_STATUSES), Application.time_limit.is_not(None),
                                         Application.clock_started_at.is_not(None))
        for app in session.scalars(apps.with_for_update()):
            due = clocks.due(app.time_limit, app.clock_started_at, app.paused_days)
            if due.at != app.due_at or due.provisional != app.due_provisional:
                record(session, app.id, "system", "deadline_recomputed",
                       {"name": "办理时限", "from": app.due_at, "to": due.at, "provisional": due.provisional})
                app.due_at, app.due_provisional = due.at, due.provisional
                changed += 1
    return changed


def _first_moment(year: int) -> datetime:
    return datetime.combine(date(year, 1, 1), time(0), tzinfo=CHINA)


# ---------------------------------------------------------------- items' time limits


def time_limits(db: Database) -> list[dict]:
    with db.read() as session:
        return [_limit_view(r) for r in session.scalars(select(ItemTimeLimit).order_by(ItemTimeLimit.item))]


def _limit_view(r: ItemTimeLimit) -> dict:
    return {"item": r.item, "item_name": item_name(r.item), "time_limit": r.time_limit,
            "extension_working_days": r.extension_working_days, "source": r.source, "updated_at": r.updated_at,
            "updated_by": r.updated_by}


def set_time_limit(db: Database, actor: Actor, item: str, time_limit: str, extension_working_days: int,
                   source: str | None) -> dict:
    """An admin changes an item's limit: tasks opened from now on take it (open ones keep theirs, by law)."""
    require_admin(actor)
    try:
        parse_time_limit(time_limit)
    except TimeLimitError as exc:
        raise Invalid([{"loc": ["body", "time_limit"], "msg": f"办理时限 (time_limit): {exc}"}])
    if item not in ITEM_LABELS:
        raise Invalid([{"loc": ["path", "item"], "msg": f"{item[:100]!r} 不是已知的审批事项 / not a known item: "
                                                        f"{', '.join(sorted(ITEM_LABELS))}"}])
    with db.transaction() as session:
        row = session.get(ItemTimeLimit, item, with_for_update=True)
        before = _limit_view(row) if row else None
        row = row or ItemTimeLimit(item=item)
        row.time_limit, row.extension_working_days = time_limit.strip(), extension_working_days
        row.source, row.updated_at, row.updated_by = (source or "").strip() or None, now(), actor.username
        session.add(row)
        record(session, None, actor.username, "time_limit_changed",
               {"item": item, "from": before and before["time_limit"], "to": row.time_limit,
                "extension_from": before and before["extension_working_days"], "extension_to": extension_working_days,
                "source": row.source})
        session.flush()
        view = _limit_view(row)
    limits.forget()
    return view
