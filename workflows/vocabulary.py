"""The words processes and the service share, each defined once with its Chinese label."""
from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A code that reads as itself in storage and JSON, with the name people read beside it."""

    @property
    def label(self) -> str:
        return LABELS[self]

    @classmethod
    def codes(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)


class ApplicationStatus(Labelled):
    FORWARDING = "forwarding"  # received at a window outside Hohhot (四城通办), not yet handed to Hohhot
    IN_REVIEW = "in_review"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    RECTIFYING = "rectifying"
    UNDER_CONSTRUCTION = "under_construction"  # the relay between its permit and the completion declaration
    APPROVED = "approved"
    APPROVED_PENDING_ITEMS = "approved_pending_items"  # approved while minor items promised at 容缺受理 are missing
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"


class Decision(Labelled):
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"


LABELS: dict[Labelled, str] = {
    ApplicationStatus.FORWARDING: "异地收件转办中",
    ApplicationStatus.IN_REVIEW: "审查中",
    ApplicationStatus.AWAITING_SUPPLEMENT: "待补正",
    ApplicationStatus.RECTIFYING: "整改中",
    ApplicationStatus.UNDER_CONSTRUCTION: "施工中（待竣工验收申请）",
    ApplicationStatus.APPROVED: "已办结（准予许可）",
    ApplicationStatus.APPROVED_PENDING_ITEMS: "准予许可（容缺材料待补齐）",
    ApplicationStatus.REJECTED: "不予许可",
    ApplicationStatus.WITHDRAWN: "已撤回",
    ApplicationStatus.REVOKED: "已撤销",
    Decision.APPROVE: "通过",
    Decision.REJECT: "不予许可",
    Decision.RETURN: "退回补正",
}

ACTIVE_STATUSES = frozenset({ApplicationStatus.FORWARDING, ApplicationStatus.IN_REVIEW,
                             ApplicationStatus.AWAITING_SUPPLEMENT, ApplicationStatus.UNDER_CONSTRUCTION})
DECIDED_STATUSES = frozenset({ApplicationStatus.APPROVED, ApplicationStatus.APPROVED_PENDING_ITEMS,
                              ApplicationStatus.REJECTED})
ENDED_STATUSES = frozenset({ApplicationStatus.WITHDRAWN, ApplicationStatus.REJECTED, ApplicationStatus.REVOKED})
