"""Demo users and sample applications in several states, made through the real use cases."""
from __future__ import annotations

import copy
import io

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from app.applications import service as applications
from app.applications.models import Application
from app.auth.models import User
from app.auth.service import add_user, credit_code_check_char, to_actor
from app.config import Settings
from app.db import Database
from app.documents import service as documents
from app.common.pagination import PageParams
from app.processes.service import latest_definition, start_form_of
from app.tasks import service as tasks

DEMO_PASSWORD = "baton-demo-2026"
DEMO_PROCESSES = ("parallel_review", "industrial_fast_track", "housing_relay", "joint_review")
_BASE = "91150105MA0Q7D9K8"
DEMO_ENTERPRISE = _BASE + credit_code_check_char(_BASE)

DEMO_OFFICES = {"helpdesk": "hh-150105", "baotou_window": "bt-150200"}
USERS = [
    ("admin", "admin", [], "系统管理员"),
    ("window", "reviewer", ["service-window"], "综合窗口 王敏"),
    ("window_lead", "lead", ["service-window"], "综合窗口负责人 李强"),
    ("eco", "reviewer", ["ecology-environment"], "生态环境局 赵静"),
    ("water", "reviewer", ["water-affairs"], "水务局 孙磊"),
    ("devref", "reviewer", ["development-reform"], "发改委 周婷"),
    ("devref_lead", "lead", ["development-reform"], "发改委投资科科长 钱峰"),
    ("housing", "reviewer", ["housing-construction"], "住建局 吴刚"),
    ("housing_lead", "lead", ["housing-construction"], "住建局科长 郑伟"),
    ("natres", "reviewer", ["natural-resources"], "自然资源局 冯雪"),
    ("registry", "reviewer", ["real-estate-registry"], "不动产登记中心 陈晨"),
    ("helpdesk", "helpdesk", [], "赛罕区帮办代办员 褚楠"),
    ("baotou_window", "helpdesk", [], "包头市“四城通办”窗口 韩梅"),
    ("acme", "enterprise", [], "呼和浩特示例制造有限公司 经办人"),
]


def _decide(db: Database, settings: Settings, application_id: int, decisions: dict[str, str], *,
            until_done: bool) -> None:
    """Claim and decide open department tasks with the reviewer of each department, filling each form with its
    first example (the documents it names uploaded for real). `until_done`: keep going until none is left (a
    rejection ends the rest)."""
    with db.transaction() as session:
        reviewers = {u.departments[0]: to_actor(u) for u in session.scalars(select(User).where(User.role == "reviewer"))}
    admin = to_actor_by_name(db, "admin")
    while True:
        open_tasks = [t for t in applications.get(db, admin, application_id).open_tasks if t.department]
        if not open_tasks:
            return
        for task in open_tasks if not until_done else open_tasks[:1]:
            actor = reviewers[task.department]
            decision = decisions.get(task.department, "approve")
            tasks.claim(db, actor, task.id)
            data = copy.deepcopy((task.form.get("examples") or [{}])[0])
            if "certificate_number" in data:  # each certificate its own number, as the department would type it
                data["certificate_number"] = f"呼证字第{application_id:04d}{task.id[:6].upper()}号"
            for field in ("documents", "evidence"):  # an example's document ids exist nowhere: upload one
                if data.get(field):
                    pdf = io.BytesIO(b"%PDF-1.4\n% Baton demo document\n%%EOF\n")
                    data[field] = [documents.upload(db, settings, actor, f"{task.name}.pdf", "application/pdf", pdf)["id"]]
            if "checked_documents" in data:
                data["checked_documents"] = []  # the demo applications were filed without documents
            tasks.complete(db, actor, task.id, decision, "材料齐全，符合要求" if decision == "approve" else "不符合审批条件",
                           data)
        if not until_done:
            return


def to_actor_by_name(db: Database, username: str):
    with db.transaction() as session:
        return to_actor(session.scalar(select(User).where(User.username == username)))


def populate(settings: Settings, console: Console) -> None:
    db = Database(settings.database_url)
    try:
        with db.transaction() as session:
            existing = set(session.scalars(select(User.username)))
            for username, role, departments, display in USERS:
                if username not in existing:
                    add_user(session, username=username, password=DEMO_PASSWORD, role=role, departments=departments,
                             enterprise_code=DEMO_ENTERPRISE if role == "enterprise" else None,
                             enterprise_name="呼和浩特示例制造有限公司", display_name=display,
                             office_code=DEMO_OFFICES.get(username))
            fresh = session.scalar(select(Application.id).limit(1)) is None
        if fresh:
            _sample_applications(db, settings, console)
        table = Table("user", "role", "departments / office", "password", title="demo users (sign in at /docs → Authorize)")
        for username, role, departments, _display in USERS:
            table.add_row(username, role, ", ".join(departments) or DEMO_OFFICES.get(username, ""), DEMO_PASSWORD)
        console.print(table)
        if not fresh:
            console.print("demo data existed already: left as it was")
    finally:
        db.dispose()


def _sample_applications(db: Database, settings: Settings, console: Console) -> None:
    with db.transaction() as session:
        missing = [p for p in DEMO_PROCESSES if latest_definition(session, p) is None]
    if missing:
        console.print(f"[yellow]not deployed: {', '.join(missing)}; no sample applications[/]")
        return
    acme = to_actor_by_name(db, "acme")
    window = to_actor_by_name(db, "window")

    def submit(name: str, process: str = "parallel_review"):
        with db.transaction() as session:
            definition = latest_definition(session, process)
            project = copy.deepcopy(start_form_of(session, definition)["examples"][0])
        project["name"] = name
        return applications.submit(db, acme, process=process, project=project, document_ids=[],
                                   idempotency_key=f"demo-{name}")

    def accept(app, decision: str = "approve") -> None:
        task = next(t for t in app.open_tasks if t.department == "service-window")
        tasks.claim(db, window, task.id)
        items = [{"item": "建设工程施工合同", "reason": "申请材料中缺少施工合同，请补充原件扫描件"}] if decision == "return" else None
        tasks.complete(db, window, task.id, decision, "请补充建设工程施工合同" if decision == "return" else "受理", {}, items)

    submit("赛罕区新材料产业园一期厂房")  # waits at the service window
    reviewing = submit("金桥开发区智能装备制造基地")
    accept(reviewing)
    returned = submit("如意开发区食品加工车间扩建")
    accept(returned, "return")
    approved = submit("沙尔沁工业园区电子元件厂房")
    accept(approved)
    _decide(db, settings, approved.id, {}, until_done=True)
    rejected = submit("托克托县仓储物流中心")
    accept(rejected)
    _decide(db, settings, rejected.id, {"ecology-environment": "reject"}, until_done=True)
    fast = submit("和林格尔新区装备制造厂房（拿地即开工）", "industrial_fast_track")
    _decide(db, settings, fast.id, {}, until_done=False)  # five certificates issued; post-verification now open
    submit("土默特左旗新能源部件厂房（五证联发待办）", "industrial_fast_track")
    relay = submit("玉泉区康居花园住宅小区", "housing_relay")
    accept(relay)
    for _ in range(2):  # the land leg's take-over, then its items: the baton now waits for the planning team
        _decide(db, settings, relay.id, {}, until_done=False)
    # a case filed six weeks ago that development-reform has let run over its 20 working days (its lead's red row)
    from datetime import timedelta as _weeks

    from app.clock import CLOCK

    CLOCK.advance(-_weeks(days=42))
    try:
        late = submit("新城区老旧厂房改造（节能审查已超期）")
        accept(late)
    finally:
        CLOCK.advance(_weeks(days=42))
    joint = submit("呼和浩特新机场临空产业园会商", "joint_review")
    accept(joint)
    _decide(db, settings, joint.id, {}, until_done=False)  # the lead named three departments; they now give opinions
    # assisted filing: the enterprise authorises 赛罕区's helpdesk and the Baotou window on a signed letter
    from datetime import timedelta

    from app.authorizations import service as authorizations
    from app.clock import now

    for office in ("hh-150105", "bt-150200"):
        letter = documents.upload(db, settings, acme, "授权委托书.pdf", "application/pdf",
                                  io.BytesIO(b"%PDF-1.4\n% Baton demo: signed authorisation letter\n%%EOF\n"))["id"]
        authorizations.grant(db, acme, grantee=None, grantee_office=office, processes=None,
                             valid_until=now() + timedelta(days=365), letter=letter)
    for agent, name in (("helpdesk", "赛罕区科技企业孵化基地（帮办代办）"), ("baotou_window", "包头客商在呼投资项目（四城通办，待转办）")):
        with db.transaction() as session:
            project = copy.deepcopy(start_form_of(session, latest_definition(session, "parallel_review"))["examples"][0])
        project["name"] = name
        applications.submit(db, to_actor_by_name(db, agent), process="parallel_review", project=project,
                            document_ids=[], idempotency_key=f"demo-{name}", on_behalf_of=DEMO_ENTERPRISE)
    from app.assistance import service as assistance

    assistance.ask(db, acme, district="150105", project_name="赛罕区冷链物流仓储项目",
                   description="初次在呼和浩特投资建设，不清楚需要办理哪些审批事项，请帮办员协助梳理并代办申报。",
                   contact_name="刘洋", contact_phone="13904710000", enterprise=None)
    listing = applications.list_applications(db, to_actor_by_name(db, "admin"), None, PageParams(1, 50))
    table = Table("id", "process", "project", "status", "stage", title="sample applications")
    for item in listing.items:
        table.add_row(str(item.id), item.process, item.project_name or "", item.status_name, item.stage or "")
    console.print(table)
