"""授权委托: an enterprise authorises a helpdesk agent or a whole office, in scope and for a time, on a signed letter;
it may revoke it at any moment, and every action on its behalf stops at once (policy.require_acting_for)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth.models import Enterprise, User
from app.auth.policy import Actor, require_role
from app.authorizations.models import Authorization, AuthorizationProcess
from app.clock import now
from app.db import Database
from app.documents import service as documents
from app.errors import Invalid, NotFound
from app.offices.directory import names as office_names
from app.offices.models import Office
from app.processes.models import ProcessDefinition
from app.vocabulary import Role

STATUS_NAMES = {"active": "有效", "revoked": "已撤销", "expired": "已到期"}


def status_of(g: Authorization, moment: datetime) -> str:
    if g.revoked_at is not None:
        return "revoked"
    return "expired" if g.valid_until <= moment else "active"


def describe_all(session: Session, grants: list[Authorization], moment: datetime) -> list[dict]:
    """Grants as they read, in four queries however many there are (grantees, enterprises, scopes; offices cached)."""
    ids = [g.id for g in grants]
    users = dict(session.execute(select(User.id, User.username).where(
        User.id.in_({g.grantee_user_id for g in grants if g.grantee_user_id}))).all()) if grants else {}
    enterprises = {e.id: e for e in session.scalars(select(Enterprise).where(
        Enterprise.id.in_({g.enterprise_id for g in grants})))} if grants else {}
    scopes: dict[int, list[str]] = {}
    for authorization_id, process_id in session.execute(select(
            AuthorizationProcess.authorization_id, AuthorizationProcess.process_id)
            .where(AuthorizationProcess.authorization_id.in_(ids)).order_by(AuthorizationProcess.process_id)) if ids else ():
        scopes.setdefault(authorization_id, []).append(process_id)
    offices = office_names(session)
    out = []
    for g in grants:
        status, enterprise = status_of(g, moment), enterprises[g.enterprise_id]
        out.append({"id": g.id, "grantee": users.get(g.grantee_user_id), "grantee_office": g.grantee_office,
                    "grantee_office_name": offices.get(g.grantee_office) if g.grantee_office else None,
                    "processes": None if g.all_processes else scopes.get(g.id, []), "valid_from": g.valid_from,
                    "valid_until": g.valid_until, "status": status, "status_name": STATUS_NAMES[status],
                    "revoked_at": g.revoked_at, "letter": g.letter_document_id,
                    "enterprise": {"credit_code": enterprise.credit_code, "name": enterprise.name}})
    return out


def describe(session: Session, g: Authorization, moment: datetime) -> dict:
    return describe_all(session, [g], moment)[0]


def grant(db: Database, actor: Actor, *, grantee: str | None, grantee_office: str | None, processes: list[str] | None,
          valid_until: datetime, letter: str) -> dict:
    require_role(actor, Role.ENTERPRISE)
    problems = []
    moment = now()
    if (grantee is None) == (grantee_office is None):
        problems.append({"loc": ["body", "grantee"], "msg": "受托人 (grantee) 与受托窗口 (grantee_office) 须且只须填写一项 / name "
                                                           "exactly one of grantee and grantee_office"})
    if valid_until.tzinfo is None:
        problems.append({"loc": ["body", "valid_until"], "msg": "有效期至 (valid_until) 须带时区，如 +08:00 / give its offset"})
    elif valid_until <= moment:
        problems.append({"loc": ["body", "valid_until"], "msg": "有效期至 (valid_until) 已过 / lies in the past"})
    with db.transaction() as session:
        user = None
        if grantee is not None:
            user = session.scalar(select(User).where(User.username == grantee))
            if user is None or user.role != Role.HELPDESK or not user.is_active:
                problems.append({"loc": ["body", "grantee"], "msg": f"{grantee[:64]!r} 不是帮办代办员 / not a helpdesk agent"})
        if grantee_office is not None and session.get(Office, grantee_office) is None:
            problems.append({"loc": ["body", "grantee_office"], "msg": f"{grantee_office[:40]!r} 不是帮办代办窗口 / not an "
                                                                       "office (see GET /api/v1/offices)"})
        if processes is not None:
            known = set(session.scalars(select(ProcessDefinition.process_id).distinct()))
            problems += [{"loc": ["body", "processes", i], "msg": f"{p[:200]!r} 不是已部署的流程 / not a deployed process"}
                         for i, p in enumerate(processes) if p not in known]
            if not processes:
                problems.append({"loc": ["body", "processes"], "msg": "授权范围不能为空；全部流程请填 null / empty: "
                                                                      "give null for every process"})
        if problems:
            raise Invalid(problems)
        documents.check(session, actor, [letter], ["body", "letter"])
        row = Authorization(enterprise_id=actor.enterprise_id, grantee_user_id=user.id if user else None,
                            grantee_office=grantee_office, all_processes=processes is None, valid_from=moment,
                            valid_until=valid_until, letter_document_id=letter, created_by_id=actor.id)
        session.add(row)
        session.flush()
        session.add_all([AuthorizationProcess(authorization_id=row.id, process_id=p) for p in sorted(set(processes or []))])
        session.flush()
        view = describe(session, row, moment)
        record(session, None, actor.username, "authorization_granted",
               {"authorization": row.id, "grantee": view["grantee"], "grantee_office": grantee_office,
                "processes": view["processes"], "valid_until": valid_until})
        return view


def listed(db: Database, actor: Actor) -> list[dict]:
    """An enterprise: its grants, whatever their status. An agent: the active ones it may use. An admin: all."""
    moment = now()
    query = select(Authorization).order_by(Authorization.id.desc())
    if actor.role == Role.ENTERPRISE:
        query = query.where(Authorization.enterprise_id == actor.enterprise_id)
    elif actor.role == Role.HELPDESK:
        mine = Authorization.grantee_user_id == actor.id
        if actor.office_code:
            mine = or_(mine, Authorization.grantee_office == actor.office_code)
        query = query.where(mine, Authorization.revoked_at.is_(None), Authorization.valid_until > moment)
    elif not actor.is_admin:
        require_role(actor, Role.ENTERPRISE, Role.HELPDESK, Role.ADMIN)
    with db.read() as session:
        return describe_all(session, list(session.scalars(query.limit(500))), moment)


def revoke(db: Database, actor: Actor, authorization_id: int) -> dict:
    require_role(actor, Role.ENTERPRISE)
    with db.transaction() as session:
        g = session.get(Authorization, authorization_id, with_for_update=True)
        if g is None or g.enterprise_id != actor.enterprise_id:
            raise NotFound(f"authorization {authorization_id} not found")
        moment = now()
        if g.revoked_at is None:
            g.revoked_at = moment
            record(session, None, actor.username, "authorization_revoked", {"authorization": g.id})
        return describe(session, g, moment)
