"""What a process's milestones do outside the engine: issue and revoke certificates, move commitments, bar
enterprises. Each marked task's effects are applied exactly once, in the transaction that completed it."""
from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.applications.models import (
    AppliedEffect,
    Application,
    Certificate,
    Commitment,
    CreditRecord,
    Filing,
    MinorItems,
)
from app.audit.service import record
from app.auth.models import Enterprise
from app.clock import now
from app.notifications.outbox import emit, tell_enterprise
from app.errors import Invalid
from app.tasks.models import Task
from app.vocabulary import CreditRecordKind, TaskStatus, item_name
from workflows import instances
from workflows.calendar import CHINA, add_months

EFFECTS = ("issue_certificates", "commitment_status", "revoke_certificates", "bar_enterprise", "minor_items", "filings")

# Work on a construction permit must start within three months of its issue (建筑法 art. 9).
PERMIT_START_MONTHS = 3

# Certificates a process can issue: code → (Chinese name, number prefix).
CERTIFICATES = {
    "land_transfer_contract": ("国有建设用地使用权出让合同", "CR"),
    "land_use_planning_permit": ("建设用地规划许可证", "YD"),
    "engineering_planning_permit": ("建设工程规划许可证", "JG"),
    "real_estate_title": ("不动产权证书", "BDC"),
    "construction_permit": ("建筑工程施工许可证", "SG"),
}


def minor_items_pending(session: Session, application_id: int) -> bool:
    return session.scalar(select(MinorItems.id).where(MinorItems.application_id == application_id,
                                                      MinorItems.fulfilled_at.is_(None)).limit(1)) is not None


def apply_effects(session: Session, application: Application, marks: list[instances.Mark],
                  opened: list[dict] | None = None) -> None:
    """`opened`: the inbox rows this command opened (a promise at 容缺受理 may not outlast the items it came with)."""
    marks = [m for m in marks if any(m.properties.get(name) for name in EFFECTS)]
    if not marks:
        return
    applied = set(session.scalars(select(AppliedEffect.task_id).where(AppliedEffect.application_id == application.id)))
    for mark in marks:
        if mark.id in applied:
            continue
        session.add(AppliedEffect(application_id=application.id, task_id=mark.id, applied_at=now()))
        props = mark.properties
        if props.get("issue_certificates"):
            issue_certificates(session, application, mark, mark.values.get("issue_certificates") or [],
                               generate=props.get("certificate_numbers") == "generate_missing")
        if props.get("revoke_certificates") == "true":
            revoke_certificates(session, application, mark)
        if props.get("commitment_status"):
            move_commitments(session, application, props["commitment_status"])
        if props.get("bar_enterprise"):
            months = mark.values.get("bar_enterprise")
            if isinstance(months, bool) or not isinstance(months, int) or months < 0:
                raise instances.EngineError(mark.bpmn_id, f"bar_enterprise gives {months!r}, not a number of months")
            bar_enterprise(session, application, months)
        if props.get("minor_items") and mark.values.get("minor_items"):
            record_minor_items(session, application, mark, mark.values["minor_items"], opened or [])
        if props.get("filings") and mark.values.get("filings"):
            record_filings(session, application, mark, mark.values["filings"])


def record_filings(session: Session, application: Application, mark: instances.Mark, items) -> None:
    """Items done by filing (备案) are done at once: each gets its filing number and time, and the commitment it
    rests on where the application committed to it (the process declares them: `filings` gives a list of items)."""
    if not isinstance(items, list) or len(items) > 20 or not all(isinstance(i, str) and 0 < len(i) <= 100 for i in items):
        raise instances.EngineError(mark.bpmn_id, f"filings must give a list of item codes, not {str(items)[:200]}")
    committed = set(application.committed_items or [])
    commitment_id = session.scalar(select(Commitment.id).where(Commitment.application_id == application.id)
                                   .order_by(Commitment.id).limit(1)) if committed else None
    moment = now()
    year = moment.astimezone(CHINA).strftime("%Y")
    numbers = []
    for item in dict.fromkeys(items):
        number = f"BA{year}-{application.id:06d}-{secrets.token_hex(3).upper()}"
        session.add(Filing(application_id=application.id, item=item, number=number, filed_at=moment,
                           source_task_id=mark.id, commitment_id=commitment_id if item in committed else None))
        numbers.append({"item": item, "item_name": item_name(item), "number": number})
    record(session, application.id, "system", "filings_recorded", {"filings": numbers, "filed_at": moment})


def record_minor_items(session: Session, application: Application, mark: instances.Mark, declared,
                       opened: list[dict]) -> None:
    """Accepted with minor items missing (容缺受理): the decision goes on; the promise stays in view on the application.

    The process declares it (`minor_items` gives {"items": [...], "promised_date": "YYYY-MM-DD"} or None)."""
    items = declared.get("items") if isinstance(declared, dict) else None
    if items == []:
        return  # nothing is missing
    promised = declared.get("promised_date") if isinstance(declared, dict) else None
    try:
        promised_date = date.fromisoformat(promised) if isinstance(promised, str) else None
    except ValueError:
        promised_date = None
    if (not isinstance(items, list) or not items or len(items) > 50
            or not all(isinstance(i, str) and 0 < len(i) <= 200 for i in items) or promised_date is None):
        raise instances.EngineError(mark.bpmn_id, "minor_items must give {'items': [up to 50 names], "
                                    f"'promised_date': 'YYYY-MM-DD'}}, not {str(declared)[:200]}")
    today = now().astimezone(CHINA).date()
    if promised_date < today:
        raise Invalid([{"loc": ["body", "data", "promised_date"],
                        "msg": f"承诺补齐日期 (promised_date) 不得早于今天 {today.isoformat()} / may not be in the past"}])
    limits = [row["due_at"].astimezone(CHINA).date() for row in opened  # the approval items, not a relay's handover
              if row["due_at"] and not row["for_applicant"] and not (row["meta"] or {}).get("handover")]
    if limits and promised_date > min(limits):
        latest = min(limits).isoformat()
        raise Invalid([{"loc": ["body", "data", "promised_date"],
                        "msg": f"承诺补齐日期 (promised_date) 不得晚于所受理事项的办结期限 {latest} / may not be later "
                               f"than the due date of the items accepted with it, {latest}"}])
    session.add(MinorItems(application_id=application.id, task_id=mark.id, items=list(items),
                           promised_date=promised_date, recorded_at=now()))
    record(session, application.id, "system", "minor_items_pending",
           {"items": list(items), "promised_date": promised_date.isoformat()})


def issue_certificates(session: Session, application: Application, mark: instances.Mark, certificates: list[dict],
                       *, generate: bool) -> None:
    """All certificates of one milestone carry the same issue time (jointly issued, 联发), each with the number and
    conditions its department entered; a number is generated only where the process declares it
    (`certificate_numbers` = "generate_missing")."""
    issued_at = now()
    entered_numbers = [c["number"] for c in certificates if c.get("number")]
    taken = set(session.scalars(select(Certificate.number).where(Certificate.number.in_(entered_numbers)))) \
        if entered_numbers else set()
    sources = {c.get("source") for c in certificates if c.get("source")}
    issuers = dict(session.execute(select(Task.bpmn_id, Task.department).where(
        Task.application_id == application.id, Task.bpmn_id.in_(sources), Task.status == TaskStatus.COMPLETED))
        .all()) if sources else {}
    for entered in certificates:
        code = entered["code"]
        if entered.get("number") and entered_numbers.count(entered["number"]) > 1:
            raise instances.EngineError(entered.get("source") or mark.bpmn_id,
                                        f"certificate number {entered['number']!r} was entered for two certificates")
        if entered.get("number") in taken:
            raise instances.EngineError(entered.get("source") or mark.bpmn_id,
                                        f"certificate number {entered['number']!r} is already another certificate's")
        name, prefix = CERTIFICATES.get(code, (code, "ZZ"))
        number = entered.get("number")
        if not number:
            if not generate:
                raise instances.EngineError(entered.get("source") or mark.bpmn_id,
                                            f"no certificate number was entered for {name} ({code})")
            number = f"{prefix}{issued_at.astimezone(CHINA).strftime('%Y')}-{application.id:06d}-{secrets.token_hex(3).upper()}"
        start_by = add_months(issued_at.astimezone(CHINA), PERMIT_START_MONTHS).date() \
            if code == "construction_permit" else None
        session.add(Certificate(
            application_id=application.id, code=code, name=name, source_task_id=mark.id, number=number,
            department=issuers.get(entered.get("source")),
            conditions=entered.get("conditions"), verification_code=secrets.token_hex(5).upper(), status="valid",
            issued_at=issued_at, start_by=start_by))
    record(session, application.id, "system", "certificates_issued",
           {"codes": [c["code"] for c in certificates], "issued_at": issued_at})
    emit(session, "certificate_issued", application.id,
         {"codes": [c["code"] for c in certificates], "issued_at": issued_at})
    names = "、".join(c.get("name") or item_name(c["code"]) for c in certificates)
    tell_enterprise(session, application, "certificate_issued", f"【证照核发】{application.project_name or ''}：{names}")


def revoke_certificates(session: Session, application: Application, mark: instances.Mark) -> None:
    moment = now()
    session.execute(update(Certificate).where(Certificate.application_id == application.id, Certificate.status == "valid")
                    .values(status="revoked", revoked_at=moment))
    record(session, application.id, "system", "certificates_revoked", {"at": moment, "by": mark.bpmn_id})
    emit(session, "certificate_revoked", application.id, {"revoked_at": moment})


def move_commitments(session: Session, application: Application, status: str) -> None:
    """A breach writes the bad-credit record at once (the enterprise loses commitment tracks while it stands);
    a rectification marks it rectified; a revocation bars (bar_enterprise)."""
    moment = now()
    for commitment in session.scalars(select(Commitment).where(Commitment.application_id == application.id)):
        commitment.status, commitment.status_changed_at = status, moment
    record(session, application.id, "system", f"commitment_{status}", {})
    if status == "broken":
        reason = (f"申请 {application.id} 的信用承诺经核查未履行 (the commitment on application {application.id} was "
                  "found broken at verification)")
        session.add(CreditRecord(enterprise_id=application.enterprise_id, application_id=application.id,
                                 kind=CreditRecordKind.BROKEN_COMMITMENT, reason=reason, recorded_at=moment))
        record(session, application.id, "system", "credit_record_written", {"kind": CreditRecordKind.BROKEN_COMMITMENT})
    elif status == "rectified":
        session.execute(update(CreditRecord).where(CreditRecord.application_id == application.id,
                                                   CreditRecord.kind == CreditRecordKind.BROKEN_COMMITMENT,
                                                   CreditRecord.rectified_at.is_(None)).values(rectified_at=moment))
        record(session, application.id, "system", "credit_record_rectified", {"kind": CreditRecordKind.BROKEN_COMMITMENT})


def bar_enterprise(session: Session, application: Application, months: int) -> None:
    """Bad-credit record: commitment-based tracks are closed to the enterprise for `months`."""
    enterprise = session.get(Enterprise, application.enterprise_id)
    until = add_months(now(), months)
    reason = f"申请 {application.id} 的信用承诺未履行且逾期未整改 (commitment on application {application.id} broken and not rectified)"
    breach = session.scalar(select(CreditRecord).where(CreditRecord.application_id == application.id,
                                                       CreditRecord.kind == CreditRecordKind.BROKEN_COMMITMENT,
                                                       CreditRecord.rectified_at.is_(None)).order_by(CreditRecord.id.desc()))
    if breach is None:  # a process that bars without a verified breach first
        breach = CreditRecord(enterprise_id=enterprise.id, application_id=application.id, kind=CreditRecordKind.BROKEN_COMMITMENT,
                              recorded_at=now())
        session.add(breach)
    breach.reason, breach.barred_until = reason, until
    if enterprise.barred_until is None or enterprise.barred_until < until:
        enterprise.barred_until, enterprise.barred_reason = until, reason
    record(session, application.id, "system", "enterprise_barred",
           {"credit_code": enterprise.credit_code, "until": until, "months": months})
