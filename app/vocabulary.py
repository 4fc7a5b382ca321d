"""One vocabulary for the service: every status, decision and role, defined once with its Chinese label.

Application statuses and decisions are the processes' words too, so the engine room defines them."""
from __future__ import annotations

from workflows.vocabulary import (  # noqa: F401
    ACTIVE_STATUSES,
    DECIDED_STATUSES,
    ENDED_STATUSES,
    LABELS,
    ApplicationStatus,
    Decision,
    Labelled,
)


class TaskStatus(Labelled):
    OPEN = "open"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


OUTSTANDING = (TaskStatus.OPEN, TaskStatus.CLAIMED)


class Role(Labelled):
    REVIEWER = "reviewer"
    LEAD = "lead"
    ENTERPRISE = "enterprise"
    HELPDESK = "helpdesk"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.REVIEWER, Role.LEAD})

LABELS.update({
    TaskStatus.OPEN: "待认领",
    TaskStatus.CLAIMED: "办理中",
    TaskStatus.COMPLETED: "已办结",
    TaskStatus.CANCELLED: "已取消",
    Role.REVIEWER: "审批人员",
    Role.LEAD: "科室负责人",
    Role.ENTERPRISE: "企业",
    Role.HELPDESK: "帮办代办员",
    Role.ADMIN: "系统管理员",
})
