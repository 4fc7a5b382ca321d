"""Users every test can act as, and small HTTP helpers."""
from __future__ import annotations

import copy
import json
from functools import lru_cache

from app.auth.security import issue_token
from app.auth.service import add_user, credit_code_check_char
from app.config import PROJECT_ROOT
from app.db import Database

SECRET = "test-secret-key-0123456789abcdef"
PASSWORD = "correct-horse-battery"


def credit_code(base17: str) -> str:
    return base17 + credit_code_check_char(base17)


ACME = credit_code("91150105MA0Q7D9K8")
OTHER = credit_code("91150102MA0R1B2C3")

USERS = {
    "admin": ("admin", [], None),
    "window": ("reviewer", ["service-window"], None),
    "window2": ("reviewer", ["service-window"], None),
    "window_lead": ("lead", ["service-window"], None),
    "eco": ("reviewer", ["ecology-environment"], None),
    "eco2": ("reviewer", ["ecology-environment"], None),
    "eco_lead": ("lead", ["ecology-environment"], None),
    "water": ("reviewer", ["water-affairs"], None),
    "devref": ("reviewer", ["development-reform"], None),
    "devref_lead": ("lead", ["development-reform"], None),
    "housing": ("reviewer", ["housing-construction"], None),
    "natres": ("reviewer", ["natural-resources"], None),
    "registry": ("reviewer", ["real-estate-registry"], None),
    "helpdesk": ("helpdesk", [], None),
    "acme": ("enterprise", [], ACME),
    "other": ("enterprise", [], OTHER),
    "agent_a": ("helpdesk", [], None),
    "agent_b": ("helpdesk", [], None),
    "agent_c": ("helpdesk", [], None),
}
OFFICE_OF = {"agent_a": "hh-150105", "agent_b": "hh-150105", "agent_c": "hh-150102"}  # 赛罕区 ×2, 新城区

# Which reviewer acts for each department in scenario tests.
REVIEWER_OF = {"service-window": "window", "ecology-environment": "eco", "water-affairs": "water",
               "development-reform": "devref", "housing-construction": "housing", "natural-resources": "natres",
               "real-estate-registry": "registry"}


# Tokens name accounts by id: every test database creates the same users in the same order, so one map serves all.
USER_IDS: dict[str, int] = {}


def remember(user) -> None:
    known = USER_IDS.setdefault(user.username, user.id)
    assert known == user.id, f"{user.username} has id {user.id} here and {known} in another test database"


def create_users(db: Database) -> None:
    with db.transaction() as session:
        for username, (role, departments, enterprise) in USERS.items():
            remember(add_user(session, username=username, password=PASSWORD, role=role, departments=departments,
                              enterprise_code=enterprise, enterprise_name=f"{username} 有限公司" if enterprise else None,
                              office_code=OFFICE_OF.get(username)))


def auth(username: str) -> dict:
    return {"Authorization": f"Bearer {issue_token(USER_IDS[username], 1, SECRET, 60)}"}


@lru_cache
def form_examples(name: str) -> list:
    return json.loads((PROJECT_ROOT / "bpmn" / "forms" / name).read_text())["examples"]


def project(**changes) -> dict:
    """The first example of the project form, with changes."""
    p = copy.deepcopy(form_examples("project.schema.json")[0])
    p.update(changes)
    return p


def submit(client, proj: dict | None = None, user: str = "acme", process: str = "parallel_review", **kw) -> dict:
    r = client.post("/api/v1/applications", json={"process": process, "project": proj or project(), **kw},
                    headers=auth(user))
    assert r.status_code == 201, r.text
    return r.json()


def application(client, app_id: int, user: str = "admin") -> dict:
    r = client.get(f"/api/v1/applications/{app_id}", headers=auth(user))
    assert r.status_code == 200, r.text
    return r.json()


def open_task(client, app_id: int, department: str | None = None) -> dict:
    tasks = [t for t in application(client, app_id)["open_tasks"] if t["department"] == department]
    assert len(tasks) == 1, f"expected one open task for {department}, got {tasks}"
    return tasks[0]


RETURN_ITEMS = [{"item": "建设工程施工合同", "reason": "未提交合同原件扫描件"}]


def decide(client, task: dict, decision: str = "approve", user: str | None = None, data: dict | None = None,
           opinion: str = "ok", items: list[dict] | None = None) -> dict:
    """Claim and complete a task; a return lists items to supplement (RETURN_ITEMS unless given)."""
    user = user or REVIEWER_OF[task["department"]]
    r = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth(user))
    assert r.status_code == 200, r.text
    body = {"decision": decision, "opinion": opinion, "data": data or {}}
    if decision == "return":
        body["items_to_supplement"] = items or RETURN_ITEMS
    r = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=auth(user), json=body)
    assert r.status_code == 200, r.text
    return r.json()


DEPARTMENT_CODES = ("service-window", "development-reform", "natural-resources", "real-estate-registry",
                    "ecology-environment", "water-affairs", "housing-construction")


@lru_cache
def deployed_spec(process_id: str):
    """A process of bpmn/ as the engine runs it, built without a database (engine-room tests)."""
    from app.processes.service import read_directory
    from workflows import instances
    from workflows.definitions import build_deployment

    bundles = build_deployment(read_directory(PROJECT_ROOT / "bpmn"), departments=DEPARTMENT_CODES,
                               serializer_registry=instances.REGISTRY)
    bundle = next(b for b in bundles if b.process_id == process_id)
    return instances.process_spec(f"tests-{process_id}-{bundle.content_hash}", json.dumps(bundle.spec))


def last_incident(client) -> dict:
    """The newest incident, as an administrator reads it (the engine's own message is only there)."""
    r = client.get("/api/v1/incidents", headers=auth("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["items"], "no incident was recorded"
    return r.json()["items"][0]


class Statements:
    """Counts the SQL statements a block sends (transaction control aside), for tests of what a request costs."""

    SKIP = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")

    def __init__(self, db: Database):
        self.db, self.seen = db, []

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(self.SKIP):
            self.seen.append(statement)

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.db.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.db.engine, "before_cursor_execute", self._seen)

    @property
    def count(self) -> int:
        return len(self.seen)

    def __str__(self) -> str:
        return "\n".join(f"{i + 1}. {' '.join(s.split())[:160]}" for i, s in enumerate(self.seen))
