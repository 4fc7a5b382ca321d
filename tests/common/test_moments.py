"""One time format: every moment of every answer in a full lifecycle carries the service zone's offset."""
from __future__ import annotations

import re

from tests.helpers import auth, decide, open_task, submit

MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def moments(value, path="") -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(path, value)] if MOMENT.match(value) else []
    if isinstance(value, dict):
        return [m for k, v in value.items() for m in moments(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [m for i, v in enumerate(value) for m in moments(v, f"{path}[{i}]")]
    return []


def test_every_moment_of_a_full_lifecycle_has_the_beijing_offset(client):
    answers = []
    app = submit(client)
    answers.append(app)
    answers.append(decide(client, open_task(client, app["id"], "service-window")))
    for department in ("ecology-environment", "water-affairs", "development-reform", "housing-construction"):
        tasks = [t for t in client.get(f"/api/v1/applications/{app['id']}", headers=auth("admin")).json()["open_tasks"]
                 if t["department"] == department]
        for task in tasks:
            answers.append(decide(client, task))
    for user in ("acme", "admin", "window"):
        answers.append(client.get(f"/api/v1/applications/{app['id']}", headers=auth(user)).json())
        answers.append(client.get("/api/v1/applications", headers=auth(user)).json())
    answers.append(client.get("/api/v1/tasks", params={"status": "completed"}, headers=auth("window")).json())
    found = [m for answer in answers for m in moments(answer)]
    assert len(found) > 30
    wrong = [(path, text) for path, text in found if not text.endswith("+08:00")]
    assert wrong == [], wrong[:5]
