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


class CertificateStatus(Labelled):
    """What a certificate is now; `expired` is read, not stored: a construction permit past its start-by date
    without a start (建筑法 art. 9)."""

    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"


class CreditRecordKind(Labelled):
    BROKEN_COMMITMENT = "broken_commitment"


class SlaState(Labelled):
    """Where an open deadline stands (app.common.clocks.sla_state decides)."""

    ON_TIME = "on_time"
    WARNING = "warning"
    OVERDUE = "overdue"


class SpecialProcedureKind(Labelled):
    """特别程序: the clock stops while one runs (行政许可法 第四十五条: 听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审)."""

    EXPERT_REVIEW = "expert_review"
    HEARING = "hearing"
    PUBLIC_NOTICE = "public_notice"
    TECHNICAL_REVIEW = "technical_review"


# Caps the rules set on a special procedure, in calendar days, by item (水利部令第53号: technical review ≤ 30 days).
SPECIAL_PROCEDURE_CAPS = {(SpecialProcedureKind.TECHNICAL_REVIEW, "swc_report_book"): 30}


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
    CertificateStatus.VALID: "有效",
    CertificateStatus.REVOKED: "已撤销",
    CertificateStatus.EXPIRED: "已失效（逾期未开工）",
    CreditRecordKind.BROKEN_COMMITMENT: "信用承诺未履行",
    SlaState.ON_TIME: "正常",
    SlaState.WARNING: "临期预警",
    SlaState.OVERDUE: "已超期",
    SpecialProcedureKind.EXPERT_REVIEW: "专家评审",
    SpecialProcedureKind.HEARING: "听证",
    SpecialProcedureKind.PUBLIC_NOTICE: "公示",
    SpecialProcedureKind.TECHNICAL_REVIEW: "技术评审",
})

# What each audit event means, as the timeline shows it.
EVENT_LABELS = {
    "submitted": "提交申请", "commitment_signed": "签署信用承诺", "status_changed": "状态变更",
    "task_opened": "事项到达", "task_claimed": "认领办理", "task_released": "退回待认领", "task_assigned": "指派办理",
    "task_completed": "办理完成", "task_cancelled": "事项取消", "supplement_requested": "一次性告知补正",
    "supplement_submitted": "提交补正材料", "project_corrected": "更正申请信息", "minor_items_pending": "容缺受理待补材料",
    "minor_items_fulfilled": "补齐容缺材料", "certificates_issued": "证照核发", "certificates_revoked": "证照撤销",
    "commitment_verified": "承诺核查通过", "commitment_broken": "承诺未履行", "commitment_rectified": "整改完成",
    "commitment_revoked": "承诺撤销", "enterprise_barred": "失信限制", "withdrawn": "撤回申请", "incident": "流程故障",
    "filings_recorded": "备案办结", "completion_declared": "竣工验收申请", "credit_record_written": "记入失信记录", "credit_record_rectified": "失信记录标注已整改",
    "permit_extended": "施工许可延期", "construction_started": "开工",
    "calendar_loaded": "载入节假日安排", "deadline_recomputed": "办理期限重算", "deadline_extended": "延长办理期限",
    "special_procedure_started": "启动特别程序（暂停计时）", "special_procedure_ended": "特别程序结束（恢复计时）",
    "time_limit_changed": "调整事项时限", "task_warning": "临期预警", "task_overdue": "办理超期",
    "authorization_granted": "授权委托", "authorization_revoked": "撤销授权委托", "user_created": "新建账号",
    "user_changed": "变更账号", "password_changed": "修改密码", "password_reset": "重置密码",
    "assistance_linked": "帮办申请关联申报", "received_elsewhere": "异地窗口收件（四城通办）", "forwarded": "转办至呼和浩特",
}

# The approval items the routing tables choose, and the certificates a process issues.
ITEM_LABELS = {
    "gov_approval": "政府投资项目审批", "enterprise_verification": "企业投资项目核准", "enterprise_filing": "企业投资项目备案",
    "eia_report_book": "环境影响报告书审批", "eia_report_form": "环境影响报告表审批", "eia_registration": "环境影响登记表备案",
    "energy_review_local": "节能审查（市级）", "energy_review_provincial": "节能审查（自治区级）",
    "swc_report_book": "水土保持方案报告书审批", "swc_report_form": "水土保持方案报告表（承诺制）",
    "construction_permit": "建筑工程施工许可", "land_transfer_contract": "国有建设用地使用权出让合同",
    "land_use_planning_permit": "建设用地规划许可证", "engineering_planning_permit": "建设工程规划许可证",
    "real_estate_title": "不动产权证书", "land_pre_review": "用地预审与选址意见书", "design_review": "设计方案审查",
    "drawing_review": "施工图联合审查", "joint_acceptance": "联合验收", "completion_filing": "竣工验收备案",
    "first_registration": "不动产首次登记", "planning_verification": "规划条件核实",
    "joint_handling": "联合办理、集中办理（无专门时限的事项）",
}


def event_name(code: str) -> str:
    return EVENT_LABELS.get(code, code)


def item_name(code: str) -> str:
    return ITEM_LABELS.get(code, code)
