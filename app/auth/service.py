"""Users, enterprises and sign-in."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.applications.models import CreditRecord
from app.auth.models import Enterprise, User, UserDepartment
from app.auth import throttle
from app.auth.policy import Actor
from app.auth.security import hash_password, issue_token, read_token, verify_password
from app.auth.throttle import PasswordChecks
from app.clock import now
from app.common.moments import moment_text
from app.db import Database
from app.departments.models import Department
from app.offices.models import Office
from app.errors import Invalid, Unauthorized
from app.vocabulary import STAFF_ROLES, CreditRecordKind, Role
from workflows.calendar import CHINA
from workflows.text import unstorable_char

# GB 32100-2015: 18 characters from digits and capital letters without I, O, S, V, Z.
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS))
    return _CREDIT_CHARS[(31 - total % 31) % 31]


def validate_credit_code(code: str) -> str | None:
    """None when `code` is a well-formed unified social credit code, else why not."""
    if not CREDIT_CODE.match(code or ""):
        return "must be 18 characters: digits and capital letters except I, O, S, V, Z"
    if credit_code_check_char(code[:17]) != code[17]:
        return f"check character is wrong (expected {credit_code_check_char(code[:17])})"
    return None


_DUMMY_HASH = hash_password("no account has this password")


def to_actor(user: User) -> Actor:
    return Actor(id=user.id, username=user.username, role=Role(user.role),
                 departments=frozenset(user.departments), enterprise_id=user.enterprise_id, office_code=user.office_code)


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username[:64]))


_ACTOR = (select(User.id, User.username, User.role, User.enterprise_id, User.is_active, User.session_version,
                 User.office_code, UserDepartment.department_code)
          .outerjoin(UserDepartment, UserDepartment.user_id == User.id))


def actor_from_token(db: Database, token: str | None, secret: str) -> Actor:
    """The caller a token names, in one indexed query; a disabled account or an ended session is refused."""
    claims = read_token(token, secret) if token else None
    if claims is None:
        raise Unauthorized("not signed in, or the token expired: get one from POST /api/v1/auth/token")
    with db.lookup() as session:
        rows = session.execute(_ACTOR.where(User.id == claims.user_id)).all()
    if not rows or not rows[0].is_active or rows[0].session_version != claims.session_version:
        raise Unauthorized("this session has ended (signed out, password changed, or the account disabled): "
                           "sign in again")
    user = rows[0]
    return Actor(id=user.id, username=user.username, role=Role(user.role), enterprise_id=user.enterprise_id,
                 departments=frozenset(r.department_code for r in rows if r.department_code),
                 office_code=user.office_code)


def sign_in(db: Database, username: str, password: str, secret: str, minutes: int, *, address: str | None = None,
            checks: PasswordChecks | None = None) -> str:
    throttle.check(db, username, address)
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == username[:64]))
    with checks or _CHECKS:
        # An unknown name costs one argon2 check too, so timing does not tell which usernames exist.
        known = verify_password(user.password_hash if user else _DUMMY_HASH, password[:1024])
    if user is None or not user.is_active or not known:
        throttle.failed(db, username, address)
        raise Unauthorized("wrong username or password")
    throttle.succeeded(db, username)
    return issue_token(user.id, user.session_version, secret, minutes)


_CHECKS = PasswordChecks(2)


def configure_sign_in(concurrency: int, failures_before_lock: int, lock_minutes: int) -> None:
    global _CHECKS
    _CHECKS = PasswordChecks(concurrency)
    throttle.configure(failures_before_lock, lock_minutes)


def set_password(session: Session, user: User, password: str) -> None:
    """A new password ends every session of the account."""
    if len(password or "") < 8:
        raise Invalid([{"loc": ["password"], "msg": "must be at least 8 characters"}])
    user.password_hash = hash_password(password)
    user.end_sessions()


def add_user(session: Session, *, username: str, password: str, role: str, departments: list[str] | None = None,
             enterprise_code: str | None = None, enterprise_name: str | None = None,
             display_name: str | None = None, office_code: str | None = None) -> User:
    """Create a user; an enterprise user's enterprise is created on first mention."""
    departments = departments or []
    problems = []
    if not re.fullmatch(r"[A-Za-z0-9_.@-]{2,64}", username or ""):
        problems.append({"loc": ["username"], "msg": "2-64 letters, digits, or _ . @ -"})
    elif session.scalar(select(User.id).where(User.username == username)):
        problems.append({"loc": ["username"], "msg": f"user {username!r} exists already"})
    if role not in Role.codes():
        problems.append({"loc": ["role"], "msg": f"must be one of {', '.join(Role.codes())}"})
    for field, text, most in (("display_name", display_name, 100), ("enterprise_name", enterprise_name, 200),
                              ("password", password, 1024)):
        if text is not None and (unstorable_char(text) is not None or len(text) > most):
            problems.append({"loc": [field], "msg": f"at most {most} characters, without NUL or lone surrogates"})
    if len(password or "") < 8:
        problems.append({"loc": ["password"], "msg": "must be at least 8 characters"})
    known = set(session.scalars(select(Department.code)))
    for i, code in enumerate(departments):
        if code not in known:
            problems.append({"loc": ["departments", i], "msg": f"unknown department {code!r}; known: {', '.join(sorted(known))}"})
    if role in STAFF_ROLES and not departments:
        problems.append({"loc": ["departments"], "msg": f"a {role} needs at least one department"})
    if role not in STAFF_ROLES and departments:
        problems.append({"loc": ["departments"], "msg": f"a {role} belongs to no department"})
    enterprise = None
    if role == Role.ENTERPRISE:
        reason = validate_credit_code(enterprise_code or "")
        if reason:
            problems.append({"loc": ["enterprise"], "msg": f"unified social credit code {enterprise_code!r} {reason}"})
    elif enterprise_code:
        problems.append({"loc": ["enterprise"], "msg": "only an enterprise user belongs to an enterprise"})
    if office_code is not None:
        if role != Role.HELPDESK:
            problems.append({"loc": ["office"], "msg": "帮办窗口 (office) 只属于帮办代办员 / only a helpdesk agent has an office"})
        elif session.get(Office, office_code) is None:
            problems.append({"loc": ["office"], "msg": f"{office_code[:40]!r} 不是帮办代办窗口 / unknown office"})
    if problems:
        raise Invalid(problems)
    if role == Role.ENTERPRISE:
        enterprise = session.scalar(select(Enterprise).where(Enterprise.credit_code == enterprise_code))
        if enterprise is None:
            enterprise = Enterprise(credit_code=enterprise_code, name=enterprise_name or enterprise_code)
            session.add(enterprise)
            session.flush()
    user = User(username=username, password_hash=hash_password(password), role=role, display_name=display_name,
                enterprise_id=enterprise.id if enterprise else None, office_code=office_code)
    user.department_links = [UserDepartment(department_code=c) for c in departments]
    session.add(user)
    session.flush()
    return user


def me(db: Database, actor: Actor) -> dict:
    with db.read() as session:
        user = session.get(User, actor.id)
        enterprise = None
        if user.enterprise is not None:
            e = user.enterprise
            records = session.scalars(select(CreditRecord).where(CreditRecord.enterprise_id == e.id)
                                      .order_by(CreditRecord.id))
            enterprise = {"credit_code": e.credit_code, "name": e.name,
                          "barred_until": moment_text(e.barred_until) if e.barred_until else None,
                          "credit_records": [{"application_id": r.application_id, "kind": r.kind,
                                              "kind_name": CreditRecordKind(r.kind).label, "reason": r.reason,
                                              "recorded_at": r.recorded_at, "rectified_at": r.rectified_at,
                                              "barred_until": r.barred_until} for r in records]}
        return {"username": user.username, "role": user.role, "display_name": user.display_name,
                "departments": user.departments, "enterprise": enterprise}


def commitment_bar(session: Session, enterprise_id: int | None) -> str | None:
    """Why the enterprise may not use commitment-based tracks now, or None: a bad-credit bar still running, or a
    broken commitment not (yet) rectified — also while it is being rectified."""
    enterprise = session.get(Enterprise, enterprise_id) if enterprise_id else None
    if enterprise is None:
        return None
    if enterprise.barred_until is not None and enterprise.barred_until > now():
        until = enterprise.barred_until.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
        return (f"企业 {enterprise.credit_code} 因失信被暂停适用告知承诺制至 {until}（北京时间）：{enterprise.barred_reason}. "
                f"The enterprise is barred from commitment-based tracks until {until} (Beijing time).")
    breach = session.execute(select(CreditRecord.application_id, CreditRecord.recorded_at).where(
        CreditRecord.enterprise_id == enterprise.id, CreditRecord.kind == CreditRecordKind.BROKEN_COMMITMENT,
        CreditRecord.rectified_at.is_(None), CreditRecord.barred_until.is_(None)).limit(1)).first()
    if breach is not None:
        at = breach.recorded_at.astimezone(CHINA).strftime("%Y-%m-%d")
        return (f"企业 {enterprise.credit_code} 在申请 {breach.application_id} 中的信用承诺经核查未履行（{at}），整改到位前不得适用"
                f"告知承诺制。The enterprise broke its commitment on application {breach.application_id} ({at}); "
                "commitment-based tracks stay closed until it is rectified.")
    return None


def enterprise_card(session: Session, enterprise_id: int | None) -> tuple[str | None, str | None]:
    """The enterprise's name and unified social credit code (what every dossier shows)."""
    enterprise = session.get(Enterprise, enterprise_id) if enterprise_id else None
    return (enterprise.name, enterprise.credit_code) if enterprise else (None, None)
