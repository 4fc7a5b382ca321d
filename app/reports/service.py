"""The scheduling ledger (调度台账) and the district ranking (大排名): SQL over indexed columns, handling times kept
in working days on each row when it completes, percentiles by nearest rank with window functions (both backends)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.applications.models import Application
from app.auth.policy import Actor, require_admin_or_lead
from app.clock import now
from app.db import Database
from app.departments.models import Department
from app.districts.models import District
from app.errors import Invalid
from app.tasks.models import Task
from app.vocabulary import DECIDED_STATUSES, OUTSTANDING, ApplicationStatus
from workflows.calendar import CHINA


def period(start: date | None, end: date | None) -> tuple[date, date, datetime, datetime]:
    """The days asked for (Beijing dates, both included; default: this month so far) and their UTC bounds."""
    today = now().astimezone(CHINA).date()
    start = start or today.replace(day=1)
    end = end or today
    if end < start:
        raise Invalid([{"loc": ["query", "to"], "msg": "截止日期 (to) 早于起始日期 (from) / 'to' is before 'from'"}])
    if (end - start).days > 3660:
        raise Invalid([{"loc": ["query", "from"], "msg": "统计期间最长十年 / at most ten years"}])
    return (start, end, datetime.combine(start, time(0), tzinfo=CHINA),
            datetime.combine(end + timedelta(days=1), time(0), tzinfo=CHINA))


def _percentiles(session: Session, group, value, where, percents=(50, 90)) -> dict:
    """{group: {p: value}} by nearest rank: the ceil(p/100 · n)-th smallest (integer arithmetic, any SQL backend)."""
    ranked = select(group.label("g"), value.label("v"),
                    func.row_number().over(partition_by=group, order_by=value).label("rn"),
                    func.count().over(partition_by=group).label("n")).where(where, value.is_not(None)).subquery()
    columns = [func.max(case((ranked.c.rn == (ranked.c.n * p + 99) // 100, ranked.c.v))).label(f"p{p}")
               for p in percents]
    out = {}
    for row in session.execute(select(ranked.c.g, *columns).group_by(ranked.c.g)):
        out[row[0]] = {p: row[i + 1] for i, p in enumerate(percents)}
    return out


def departments(db: Database, actor: Actor, start: date | None, end: date | None) -> dict:
    require_admin_or_lead(actor)
    first, last, lower, upper = period(start, end)
    moment = now()
    at = func.coalesce(Task.paused_since, moment)
    staff = Task.for_applicant.is_(False)
    with db.read() as session:
        names = {d.code: d.name for d in session.scalars(select(Department).order_by(Department.code))}
        if not actor.is_admin:
            names = {code: name for code, name in names.items() if code in actor.departments}
        open_rows = session.execute(
            select(Task.department, func.count(),
                   func.sum(case((and_(Task.warn_at <= at, Task.due_at >= at), 1), else_=0)),
                   func.sum(case((Task.due_at < at, 1), else_=0)))
            .where(staff, Task.status.in_(OUTSTANDING)).group_by(Task.department))
        current = {r[0]: (r[1], r[2] or 0, r[3] or 0) for r in open_rows}
        in_period = and_(staff, Task.status == "completed", Task.completed_at >= lower, Task.completed_at < upper)
        done_rows = session.execute(
            select(Task.department, func.count(), func.sum(case((Task.due_at.is_not(None), 1), else_=0)),
                   func.sum(case((Task.completed_at <= Task.due_at, 1), else_=0)))
            .where(in_period).group_by(Task.department))
        done = {r[0]: (r[1], r[2] or 0, r[3] or 0) for r in done_rows}
        times = {name: _percentiles(session, Task.department, column, in_period)
                 for name, column in (("waiting", Task.days_to_claim), ("working", Task.days_claimed),
                                      ("total", Task.days_total))}
    rows = []
    for code, name in names.items():
        opened, warning, overdue = current.get(code, (0, 0, 0))
        completed, with_limit, kept = done.get(code, (0, 0, 0))
        rows.append({"department": code, "department_name": name, "open": opened, "warning": warning,
                     "overdue": overdue, "completed": completed,
                     "on_time_rate": round(kept / with_limit, 4) if with_limit else None,
                     **{f"{kind}_days": {"median": times[kind].get(code, {}).get(50),
                                         "p90": times[kind].get(code, {}).get(90)} for kind in times}})
    return {"from": first, "to": last, "departments": rows}


def handling(db: Database, actor: Actor, department: str, start: date | None, end: date | None) -> dict:
    """A department's handling times in the period, per reviewer and per item: how many, the median and 90th
    percentile of working days from opening to decision, and the share decided within the time limit."""
    require_admin_or_lead(actor)
    if not actor.is_admin and department not in actor.departments:
        raise Invalid([{"loc": ["query", "department"], "msg": f"只能查看本部门 / only your own departments: "
                                                               f"{', '.join(sorted(actor.departments))}"}])
    first, last, lower, upper = period(start, end)
    done = and_(Task.for_applicant.is_(False), Task.department == department, Task.status == "completed",
                Task.completed_at >= lower, Task.completed_at < upper)
    out = {"from": first, "to": last, "department": department}
    with db.read() as session:
        for name, group in (("reviewers", Task.completed_by_name), ("items", func.coalesce(Task.item, Task.name))):
            counts = session.execute(select(group, func.count(), func.sum(case((Task.due_at.is_not(None), 1), else_=0)),
                                            func.sum(case((Task.completed_at <= Task.due_at, 1), else_=0)))
                                     .where(done).group_by(group)).all()
            times = _percentiles(session, group, Task.days_total, done)
            out[name] = sorted(({"key": key, "completed": n, "median_days": times.get(key, {}).get(50),
                                 "p90_days": times.get(key, {}).get(90),
                                 "on_time_rate": round((kept or 0) / limited, 4) if limited else None}
                                for key, n, limited, kept in counts), key=lambda r: (-r["completed"], str(r["key"])))
    return out


def districts(db: Database, actor: Actor, start: date | None, end: date | None) -> dict:
    require_admin_or_lead(actor)
    first, last, lower, upper = period(start, end)
    decided = and_(Application.decided_at >= lower, Application.decided_at < upper,
                   Application.status.in_(DECIDED_STATUSES))
    with db.read() as session:
        names = {d.code: d.name for d in session.scalars(select(District).order_by(District.position))}
        filed = dict(session.execute(select(Application.district, func.count())
                                     .where(Application.created_at >= lower, Application.created_at < upper)
                                     .group_by(Application.district)).all())
        decisions = {r[0]: (r[1], r[2] or 0) for r in session.execute(
            select(Application.district, func.count(), func.sum(case((Application.on_time.is_(True), 1), else_=0)))
            .where(decided).group_by(Application.district))}
        lead = _percentiles(session, Application.district, Application.lead_time_days, decided, (50,))
    rows = []
    for code, name in names.items():
        count, kept = decisions.get(code, (0, 0))
        rows.append({"district": code, "district_name": name, "applications": filed.get(code, 0), "decided": count,
                     "on_time": kept, "on_time_rate": round(kept / count, 4) if count else None,
                     "median_lead_time_days": lead.get(code, {}).get(50)})
    # the ranking: the most limits kept first, then the quickest; districts with nothing decided last
    ranked = sorted(rows, key=lambda r: (r["on_time_rate"] is None, -(r["on_time_rate"] or 0),
                                         r["median_lead_time_days"] if r["median_lead_time_days"] is not None else 1e9,
                                         r["district"]))
    for i, r in enumerate(ranked, 1):
        r["rank"] = i if r["on_time_rate"] is not None else None
    return {"from": first, "to": last, "districts": ranked}


def fast_track(db: Database, actor: Actor, start: date | None, end: date | None) -> dict:
    require_admin_or_lead(actor)
    first, last, lower, upper = period(start, end)
    track = and_(Application.process_id == "industrial_fast_track", Application.created_at >= lower,
                 Application.created_at < upper)
    with db.read() as session:
        total, issued, within = session.execute(select(
            func.count(), func.sum(case((and_(Application.decided_at.is_not(None),
                                              Application.status != ApplicationStatus.REJECTED), 1), else_=0)),
            func.sum(case((and_(Application.decided_at.is_not(None), Application.decided_at <= Application.due_at), 1),
                          else_=0))).where(track)).one()
    issued, within = issued or 0, within or 0
    return {"from": first, "to": last, "applications": total, "issued": issued,
            "issued_within_one_working_day": within, "share_within_one_working_day":
                round(within / issued, 4) if issued else None}


def gauges(db: Database) -> dict:
    """The state Prometheus scrapes: open department tasks by department and SLA state, the outbox backlog, the
    deliveries waiting — a few grouped counts on indexed columns."""
    from app.notifications.models import OutboxEvent, WebhookDelivery

    moment = now()
    at = func.coalesce(Task.paused_since, moment)
    state = case((Task.due_at < at, "overdue"), (Task.warn_at <= at, "warning"), else_="on_time")
    with db.read() as session:
        tasks = session.execute(select(Task.department, state, func.count())
                                .where(Task.for_applicant.is_(False), Task.status.in_(OUTSTANDING))
                                .group_by(Task.department, state)).all()
        backlog = session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.fanned_out_at.is_(None)))
        waiting = session.scalar(select(func.count()).select_from(WebhookDelivery)
                                 .where(WebhookDelivery.status == "pending"))
    return {"tasks": [(d or "", s, n) for d, s, n in tasks], "outbox_backlog": backlog or 0,
            "deliveries_pending": waiting or 0}
