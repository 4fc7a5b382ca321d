"""The people: administrators manage every account, leads see their department's staff with their workload;
disabling an account ends its sessions at once and gives its claimed tasks back to the queue."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth.models import User, UserDepartment
from app.auth.policy import Actor, require_admin, require_role
from app.auth.security import hash_password, verify_password
from app.auth.service import add_user
from app.common.pagination import PageParams, paginate
from app.common.search import contains
from app.db import Database
from app.departments import directory
from app.districts.directory import names as district_names
from app.errors import Invalid, NotFound
from app.instances import kernel
from app.offices.directory import names as office_names
from app.offices.models import Office
from app.tasks.models import Task
from app.vocabulary import STAFF_ROLES, Role, TaskStatus


def _describe(session: Session, user: User, workload: dict) -> dict:
    names = directory.names(session)
    offices = office_names(session)
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "role_name": Role(user.role).label, "departments": user.departments,
            "department_names": [names.get(d, d) for d in user.departments], "office": user.office_code,
            "office_name": offices.get(user.office_code) if user.office_code else None,
            "enterprise": {"credit_code": user.enterprise.credit_code, "name": user.enterprise.name}
            if user.enterprise else None, "active": user.is_active, "created_at": user.created_at,
            "claimed_tasks": workload.get(user.id, 0)}


def list_users(db: Database, actor: Actor, params: PageParams, q: str | None, role: str | None,
               department: str | None) -> dict:
    """Admins: everyone. Leads: the reviewers and leads of their departments, each with the tasks in hand."""
    require_role(actor, Role.ADMIN, Role.LEAD)
    query = select(User).order_by(User.username)
    if not actor.is_admin:
        query = query.where(User.role.in_(STAFF_ROLES), select(UserDepartment.user_id).where(
            UserDepartment.user_id == User.id, UserDepartment.department_code.in_(actor.departments)).exists())
    if role:
        query = query.where(User.role == role)
    if department:
        query = query.where(select(UserDepartment.user_id).where(UserDepartment.user_id == User.id,
                                                                 UserDepartment.department_code == department).exists())
    if q:
        query = query.where(contains(User.username, q) | contains(User.display_name, q))
    with db.read() as session:
        rows, total = paginate(session, query, params)
        workload = dict(session.execute(select(Task.assignee_id, func.count()).where(
            Task.assignee_id.in_([u.id for u in rows]), Task.status == TaskStatus.CLAIMED).group_by(Task.assignee_id)).all()) \
            if rows else {}
        open_by_department = dict(session.execute(select(Task.department, func.count()).where(
            Task.status == TaskStatus.OPEN, Task.for_applicant.is_(False)).group_by(Task.department)).all())
        items = []
        for u in rows:
            view = _describe(session, u, workload)
            view["open_tasks"] = sum(open_by_department.get(d, 0) for d in u.departments)
            items.append(view)
        return {"items": items, "total": total, "page": params.page, "page_size": params.page_size}


def create_user(db: Database, actor: Actor, **fields) -> dict:
    require_admin(actor)
    with db.transaction() as session:
        user = add_user(session, **fields)
        record(session, None, actor.username, "user_created", {"username": user.username, "role": user.role})
        return _describe(session, user, {})


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username).with_for_update(of=User))
    if user is None:
        raise NotFound(f"user {username[:64]!r} not found")
    return user


def update_user(db: Database, actor: Actor, username: str, changes: dict) -> dict:
    """Role, departments, office, display name, active. An account disabled (or moved out of a department) gives
    back the tasks it held there; a disabled account's sessions end at once."""
    require_admin(actor)
    with db.transaction() as session:
        user = _user(session, username)
        if user.id == actor.id and changes.get("active") is False:
            raise Invalid([{"loc": ["body", "active"], "msg": "不能停用自己的账号 / an administrator cannot disable itself"}])
        role = changes.get("role", user.role)
        departments = changes.get("departments", user.departments)
        office = changes.get("office", user.office_code)
        problems = []
        known = directory.codes(session)
        problems += [{"loc": ["body", "departments", i], "msg": f"unknown department {d!r}"}
                     for i, d in enumerate(departments) if d not in known]
        if role in STAFF_ROLES and not departments:
            problems.append({"loc": ["body", "departments"], "msg": f"a {role} needs at least one department"})
        if role not in STAFF_ROLES and departments:
            problems.append({"loc": ["body", "departments"], "msg": f"a {role} belongs to no department"})
        if (role == Role.ENTERPRISE) != (user.enterprise_id is not None):
            problems.append({"loc": ["body", "role"], "msg": "an enterprise account stays an enterprise account"})
        if office is not None and (role != Role.HELPDESK or session.get(Office, office) is None):
            problems.append({"loc": ["body", "office"], "msg": "帮办窗口 (office) 须为已知窗口且只属于帮办代办员 / a known "
                                                               "office, for helpdesk agents only"})
        if problems:
            raise Invalid(problems)
        before = {"role": user.role, "departments": user.departments, "office": user.office_code,
                  "active": user.is_active}
        user.role, user.office_code = role, office
        if "departments" in changes:
            user.department_links = [UserDepartment(department_code=d) for d in departments]
        if "display_name" in changes:
            user.display_name = changes["display_name"]
        if changes.get("active") is False and user.is_active:
            user.is_active = False
            user.session_version += 1  # every token it holds stops working now
        elif changes.get("active") is True:
            user.is_active = True
        record(session, None, actor.username, "user_changed",
               {"username": user.username, "from": before, "to": {"role": role, "departments": departments,
                                                                   "office": office, "active": user.is_active}})
        session.flush()
        keep = set(departments) if user.is_active else set()
        held = list(session.scalars(select(Task.id).where(Task.assignee_id == user.id,
                                                          Task.status == TaskStatus.CLAIMED,
                                                          Task.department.not_in(keep) if keep else True)))
        user_id = user.id
    for task_id in held:  # each back to its queue through the kernel, as a lead's release would
        _give_back(db, actor, task_id, user_id)
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        return _describe(session, user, {})


def _give_back(db: Database, actor: Actor, task_id: str, user_id: int) -> None:
    def release(instance: kernel.Instance) -> None:
        task = instance.task
        if task.status != TaskStatus.CLAIMED or task.assignee_id != user_id:
            return
        instance.write_task(task.id, status=TaskStatus.OPEN, assignee_id=None, assignee_name=None, claimed_at=None)
        record(instance.session, task.application_id, actor.username, "task_released",
               {"task_id": task.id, "name": task.name, "reason": "account disabled or moved"})

    kernel.run(db, kernel.ForTask(task_id), actor.username, release)


def set_password(db: Database, actor: Actor, username: str, new_password: str, current: str | None = None) -> None:
    """One's own password (knowing the current one), or anyone's by an administrator; other sessions end."""
    if len(new_password) < 8 or len(new_password) > 1024:
        raise Invalid([{"loc": ["body", "new_password"], "msg": "新密码 (new_password) 须为 8 至 1024 个字符 / 8 to 1024 "
                                                                "characters"}])
    with db.transaction() as session:
        user = _user(session, username)
        if user.id == actor.id:
            if not verify_password(user.password_hash, current or ""):
                raise Invalid([{"loc": ["body", "current_password"], "msg": "当前密码 (current_password) 不正确 / wrong"}])
        elif not actor.is_admin:
            raise NotFound(f"user {username[:64]!r} not found")
        user.password_hash = hash_password(new_password)
        user.session_version += 1
        record(session, None, actor.username, "password_changed" if user.id == actor.id else "password_reset",
               {"username": user.username})



def choices(db: Database) -> dict:
    """What the pages offer to pick from, by code with their names: roles, departments, helpdesk offices and the
    districts (旗县区) — an account's, a grant's or an assistance request's."""
    with db.read() as session:
        return {"departments": directory.names(session), "offices": office_names(session),
                "districts": district_names(session), "roles": {r.value: r.label for r in Role}}
