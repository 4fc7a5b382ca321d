from __future__ import annotations

from datetime import date
from typing import Any

from app.common.moments import Moment
from pydantic import BaseModel, ConfigDict, Field

from app.certificates.schemas import CertificateOut
from app.tasks.schemas import DeadlineExtensionOut, EnterpriseRef, SpecialProcedureOut, SupplementItem, TaskOut


class ApplicationIn(BaseModel):
    process: str = Field(max_length=200, description="id of a deployed process, e.g. parallel_review")
    project: dict[str, Any] = Field(description="the project, as the process's start_form describes it")
    documents: list[str] = Field(default_factory=list, description="ids of documents uploaded with POST /documents")
    on_behalf_of: str | None = Field(default=None, max_length=18, pattern="^[0-9A-Z]{18}$",
                                     description="a helpdesk agent: the credit code of the enterprise that authorised it")
    receiving_office: str | None = Field(default=None, max_length=40,
                                         description="收件窗口 (an office code; an agent's own by default); a window "
                                                     "outside Hohhot forwards it first (四城通办)")


class SupplementIn(BaseModel):
    """The answer to one supplement request (补正): a note, documents, corrections of the project — at least one."""

    model_config = ConfigDict(extra="forbid")

    request: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                description="the request answered; may be left out when exactly one is open")
    note: str = Field(default="", max_length=5000, description="说明")
    documents: list[str] = Field(default_factory=list, max_length=50, description="ids of uploaded documents")
    corrections: dict[str, Any] = Field(default_factory=dict,
                                        description="fields of the project to correct: {field: new value}, checked "
                                                    "against the process's start form")


class MinorItemsIn(BaseModel):
    """Delivering the minor items promised at 容缺受理."""

    model_config = ConfigDict(extra="forbid")

    items: list[str] = Field(min_length=1, max_length=50, description="which promised items are delivered")
    documents: list[str] = Field(default_factory=list, max_length=50)


class OfficeRef(BaseModel):
    code: str
    name: str | None


class OnBehalfOf(BaseModel):
    credit_code: str
    name: str | None


class ForwardingOut(BaseModel):
    due_at: Moment | None = Field(description="within one working day of receipt")
    forwarded_at: Moment | None
    forwarded_by: str | None
    on_time: bool | None


class TimelineEntry(BaseModel):
    at: Moment
    actor: str = Field(description="who acted: a login name for staff readers; a department for the applicant; a "
                                   "helpdesk agent acting on behalf, for everyone")
    actor_office: OfficeRef | None = Field(default=None, description="the agent's office (帮办代办)")
    on_behalf_of: OnBehalfOf | None = Field(default=None, description="the enterprise the agent acted for")
    event: str
    event_name: str = Field(description="the event in Chinese")
    detail: dict


class SupplementRequestAnswer(BaseModel):
    note: str
    documents: list[str]
    corrections: dict


class SupplementRequestOut(BaseModel):
    id: int
    department: str | None
    department_name: str | None
    items: list[SupplementItem]
    opinion: str
    requested_at: Moment
    status: str = Field(description="open or answered")
    status_name: str
    answered_at: Moment | None
    answer: SupplementRequestAnswer | None


class DocumentRef(BaseModel):
    id: str
    name: str
    content_type: str
    type_name: str | None = None
    kind: str | None = None
    size: int
    sha256: str


class CommitmentOut(BaseModel):
    text: str
    signer: str
    signed_at: str
    status: str = Field(description="signed, verified, broken, rectified or revoked")
    recorded_at: Moment
    status_changed_at: Moment | None


class FilingOut(BaseModel):
    item: str
    item_name: str
    number: str = Field(description="备案编号")
    filed_at: Moment
    on_commitment: bool = Field(description="filed on the application's signed commitment (承诺制)")


class MinorItemsOut(BaseModel):
    items: list[str]
    delivered: list[str] = Field(default_factory=list)
    promised_date: date
    fulfilled_at: Moment | None
    overdue: bool


class RelayLeg(BaseModel):
    leg: str
    name: str | None
    lead_department: str | None
    lead_department_name: str | None = None
    team: list[str] = Field(description="the team (专班): every leg has development-reform, natural-resources and "
                                        "housing-construction, with the leg's other departments")
    team_names: list[str] = Field(default_factory=list)
    handover_opened_at: Moment
    handover_due_at: Moment | None
    taken_over_at: Moment | None
    taken_over_on_time: bool | None
    finished: bool


class Baton(BaseModel):
    leg: str
    department: str | None
    team: list[str]


class RelayOut(BaseModel):
    legs: list[RelayLeg]
    baton: Baton | None = Field(description="the leg whose team holds the dossier now")
    handing_over_to: str | None = Field(description="the leg waiting to take over (接棒)")
    awaiting_declaration: str | None = Field(default=None, description="the leg that opens when the enterprise "
                                             "declares (completion: 竣工验收申请); the project is being built")


class ApplicationOut(BaseModel):
    id: int
    process: str
    version: int
    district: str | None = Field(default=None, description="the project's 旗县区 by division code")
    district_name: str | None = None
    status: str = Field(description="in_review, awaiting_supplement, rectifying, under_construction, approved, approved_pending_items, rejected, withdrawn, revoked")
    status_name: str = Field(description="the status in Chinese (审查中, 待补正, 已办结（准予许可）…)")
    stage: str | None = Field(description="the step or relay leg the open tasks belong to")
    stage_name: str | None
    project: dict
    project_name: str | None = None
    enterprise: EnterpriseRef
    required_items: list[str]
    required_item_names: dict[str, str] = Field(description="each required (and committed) item's name in Chinese")
    committed_items: list[str] = Field(default_factory=list, description="items done on the signed commitment")
    created_at: Moment
    updated_at: Moment
    due_at: Moment | None = Field(description="the process's own time limit, where it has one")
    decided_at: Moment | None
    within_time_limit: bool | None
    open_tasks: list[TaskOut]
    history: list[TaskOut] = Field(description="the tasks completed so far, with decision, opinion and the form's answers")
    supplement_requests: list[SupplementRequestOut]
    timeline: list[TimelineEntry]
    documents: list[DocumentRef]
    certificates: list[CertificateOut]
    filings: list[FilingOut] = Field(description="items done by filing (备案) at acceptance, without a review")
    commitments: list[CommitmentOut]
    minor_items: list[MinorItemsOut]
    relay: RelayOut | None
    time_limit: str | None = Field(default=None, description="the process's own limit, from acceptance")
    sla_state: str | None = Field(default=None, description="on_time, warning or overdue, while the process's own "
                                                            "limit runs")
    sla_state_name: str | None = None
    paused: bool = Field(default=False, description="the process's clock stands still (the applicant supplements)")
    paused_since: Moment | None = None
    paused_reason: str | None = None
    working_days_used: int | None = None
    working_days_left: int | None = None
    due_provisional: bool = False
    applicant_due_at: Moment | None = Field(default=None, description="what the applicant must do, by when: the "
                                                                      "rectification deadline of a broken commitment (整改期限)")
    receiving_office: OfficeRef | None = Field(default=None, description="where it was received")
    handling_office: OfficeRef | None = Field(default=None, description="the Hohhot service centre handling it")
    forwarding: ForwardingOut | None = Field(default=None, description="the hand-off from a window outside Hohhot")
    deadline_extensions: list[DeadlineExtensionOut] = Field(default_factory=list,
                                                            description="extensions of its tasks' deadlines, each with its reason")
    special_procedures: list[SpecialProcedureOut] = Field(default_factory=list,
                                                          description="special procedures during which a task's clock stood still")


class Holder(BaseModel):
    department: str | None = Field(description="the department holding it; null: the applicant must act")
    name: str = Field(description="the department in Chinese, or 申请人")
    due_at: Moment | None = Field(description="its nearest deadline")


class ApplicationSummary(BaseModel):
    id: int
    process: str
    version: int
    district: str | None = Field(default=None, description="the project's 旗县区 by division code")
    district_name: str | None = None
    status: str
    status_name: str
    stage: str | None
    project_name: str | None
    enterprise: EnterpriseRef
    required_items: list[str]
    created_at: Moment
    updated_at: Moment
    held_by: list[Holder] = Field(default_factory=list, description="who holds it now, each with its nearest deadline")


class ApplicationPage(BaseModel):
    items: list[ApplicationSummary]
    total: int
    page: int
    page_size: int
