"""Certificates an approval issued: reading them, checking one by its code, and a construction permit's validity —
work starts within three months, at most two extensions of at most three months each (建筑法 art. 9)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.applications.models import Application, Certificate, PermitExtension
from app.audit.service import record
from app.auth import policy, throttle
from app.auth.policy import Actor
from app.clock import now
from app.db import Database
from app.certificates import document
from app.departments.models import Department
from app.errors import Conflict, Invalid, NotFound, ServiceUnavailable
from app.vocabulary import CertificateStatus
from workflows.calendar import CHINA, add_months

MAX_EXTENSIONS = 2
PERMIT_ISSUER = "housing-construction"


def status_of(certificate, today: date) -> CertificateStatus:
    """The one definition of a certificate's status: revoked as stored; a permit past its start-by day without a
    start has lapsed (expired); anything else is valid."""
    if certificate.status == CertificateStatus.REVOKED:
        return CertificateStatus.REVOKED
    if certificate.start_by is not None and certificate.started_on is None and certificate.start_by < today:
        return CertificateStatus.EXPIRED
    return CertificateStatus.VALID


def _today() -> date:
    return now().astimezone(CHINA).date()


def listed(session: Session, application_ids: list[int], *, staff: bool) -> list[dict]:
    """The certificates of applications with their extensions, in two queries."""
    certificates = list(session.scalars(select(Certificate).where(Certificate.application_id.in_(application_ids))
                                        .order_by(Certificate.id)))
    extensions: dict[int, list] = {}
    if certificates:
        for e in session.scalars(select(PermitExtension).where(
                PermitExtension.certificate_id.in_([c.id for c in certificates])).order_by(PermitExtension.id)):
            extensions.setdefault(e.certificate_id, []).append(e)
    today = _today()
    return [describe(c, extensions.get(c.id, []), today, staff=staff) for c in certificates]


def describe(c: Certificate, extensions: list, today: date, *, staff: bool) -> dict:
    status = status_of(c, today)
    return {"id": c.id, "application_id": c.application_id, "code": c.code, "name": c.name, "number": c.number,
            "verification_code": c.verification_code, "conditions": c.conditions, "status": status,
            "status_name": status.label, "issued_at": c.issued_at, "revoked_at": c.revoked_at,
            "start_by": c.start_by, "started_on": c.started_on,
            "extensions": [{"months": e.months, "reason": e.reason, "previous_start_by": e.previous_start_by,
                            "new_start_by": e.new_start_by, "granted_by": e.granted_by_name if staff else None,
                            "granted_at": e.granted_at} for e in extensions],
            "extensions_left": MAX_EXTENSIONS - len(extensions) if c.start_by is not None else None}


def get(db: Database, actor: Actor, certificate_id: int) -> dict:
    with db.read() as session:
        _visible(session, actor, certificate_id)
        return _one(session, actor, certificate_id)


def _one(session: Session, actor: Actor, certificate_id: int) -> dict:
    staff = actor.is_department_staff or actor.is_admin
    certificate = session.get(Certificate, certificate_id)
    extensions = list(session.scalars(select(PermitExtension).where(PermitExtension.certificate_id == certificate_id)
                                      .order_by(PermitExtension.id)))
    return describe(certificate, extensions, _today(), staff=staff)


def _visible(session: Session, actor: Actor, certificate_id: int, *, lock: bool = False) -> Certificate:
    query = select(Certificate).where(Certificate.id == certificate_id)
    certificate = session.scalar(query.with_for_update() if lock else query)
    if certificate is None:
        raise NotFound(f"certificate {certificate_id} not found")
    policy.require_see_application(session, actor, certificate.application_id)
    return certificate


def _permit_open_for_change(certificate: Certificate, today: date) -> None:
    if certificate.start_by is None:
        raise Conflict(f"{certificate.name} {certificate.number} has no start-by date: only a construction permit "
                       "(建筑工程施工许可证) is extended or started")
    status = status_of(certificate, today)
    if status != CertificateStatus.VALID:
        raise Conflict(f"{certificate.name} {certificate.number} is {status.label} ({status}); it can no longer change")


def extend(db: Database, actor: Actor, certificate_id: int, months: int, reason: str) -> dict:
    """One extension (延期) of a permit not yet started and not yet lapsed, granted by housing-construction."""
    if not reason.strip():
        raise Invalid([{"loc": ["body", "reason"], "msg": "延期理由 (reason) 必填 / an extension needs its reason"}])
    with db.transaction() as session:
        certificate = _visible(session, actor, certificate_id, lock=True)
        policy.require_staff_of(actor, PERMIT_ISSUER)
        today = _today()
        _permit_open_for_change(certificate, today)
        if certificate.started_on is not None:
            raise Conflict(f"work started on {certificate.started_on.isoformat()}: a started permit is not extended")
        granted = session.scalar(select(func.count()).select_from(PermitExtension)
                                 .where(PermitExtension.certificate_id == certificate.id))
        if granted >= MAX_EXTENSIONS:
            raise Conflict(f"施工许可证已延期 {granted} 次，不得再延期（建筑法第九条：延期以两次为限）/ the permit was "
                           f"extended {granted} times already; at most {MAX_EXTENSIONS} extensions are allowed")
        previous = certificate.start_by
        certificate.start_by = add_months(previous, months)
        moment = now()
        session.add(PermitExtension(certificate_id=certificate.id, months=months, reason=reason.strip(),
                                    previous_start_by=previous, new_start_by=certificate.start_by,
                                    granted_by_id=actor.id, granted_by_name=actor.username, granted_at=moment))
        record(session, certificate.application_id, actor.username, "permit_extended",
               {"certificate": certificate.number, "months": months, "reason": reason.strip(),
                "from": previous.isoformat(), "to": certificate.start_by.isoformat()})
        session.flush()
        return _one(session, actor, certificate_id)


def record_start(db: Database, actor: Actor, certificate_id: int, started_on: date) -> dict:
    """The day work started (开工), by the holder or housing-construction: on or after issue, not ahead of today,
    by the start-by day."""
    with db.transaction() as session:
        certificate = _visible(session, actor, certificate_id, lock=True)
        application = session.get(Application, certificate.application_id)
        policy.require_holder_or_staff_of(actor, application, PERMIT_ISSUER)
        today = _today()
        _permit_open_for_change(certificate, today)
        if certificate.started_on is not None:
            raise Conflict(f"work was already reported started on {certificate.started_on.isoformat()}")
        issued = certificate.issued_at.astimezone(CHINA).date()
        if not issued <= started_on <= min(today, certificate.start_by):
            raise Invalid([{"loc": ["body", "started_on"],
                            "msg": f"开工日期 (started_on) 须在发证日 {issued.isoformat()} 与 "
                                   f"{min(today, certificate.start_by).isoformat()} 之间 / must lie between the issue "
                                   f"day and {min(today, certificate.start_by).isoformat()}"}])
        certificate.started_on = started_on
        record(session, certificate.application_id, actor.username, "construction_started",
               {"certificate": certificate.number, "started_on": started_on.isoformat()})
        session.flush()
        return _one(session, actor, certificate_id)


# Anyone may check a certificate; guessing codes is slowed down per address (the sign-in throttle's table).
VERIFY_RULE = throttle.Rule(free=20, lock_after=200, lock_minutes=15)


def verify(db: Database, code: str, address: str | None) -> dict:
    """What a certificate's verification code proves, for anyone (no sign-in): nothing more than this."""
    keys = [(f"verify:{(address or '?')[:100]}", VERIFY_RULE)]
    throttle.check_keys(db, keys, "too many unknown codes from this address: wait before trying again (查询过于频繁，请稍后再试)")
    with db.lookup() as session:
        found = session.execute(
            select(Certificate.name, Certificate.number, Certificate.issued_at, Certificate.status,
                   Certificate.revoked_at, Certificate.start_by, Certificate.started_on, Application.enterprise_name)
            .join(Application, Application.id == Certificate.application_id)
            .where(Certificate.verification_code == code.strip().upper())).first()
    if found is None:
        throttle.failed_keys(db, keys)
        raise NotFound("no certificate has this verification code (查无此证)")
    status = status_of(found, _today())
    return {"name": found.name, "number": found.number, "holder": found.enterprise_name, "issued_at": found.issued_at,
            "status": status, "status_name": status.label, "revoked_at": found.revoked_at,
            "start_by": found.start_by, "started_on": found.started_on}


def as_pdf(db: Database, actor: Actor, certificate_id: int, verify_base: str, font: str | None) -> tuple[str, bytes]:
    """The certificate as a PDF (its file name and bytes) for those who may see its application."""
    with db.read() as session:
        certificate = _visible(session, actor, certificate_id)
        found = _one(session, actor, certificate_id)
        app = session.get(Application, certificate.application_id)
        issuer = session.scalar(select(Department.name).where(Department.code == certificate.department)) \
            if certificate.department else None
    if font is None:
        raise ServiceUnavailable(document.NO_FONT)
    url = f"{verify_base.rstrip('/')}/verify?code={found['verification_code']}"
    content = document.render(found, holder=app.enterprise_name or "", credit_code=app.enterprise_credit_code,
                              project=app.project_name, issuer=issuer, verify_url=url, font=font)
    return f"{found['number']}.pdf", content
