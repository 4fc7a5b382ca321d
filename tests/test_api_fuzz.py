"""The whole API fuzzed from its own OpenAPI document (schemathesis), as each role, on SQLite and PostgreSQL:
no answer is a 5xx (503 "busy" aside), and every answer is one the document declares, in the shape it declares.

`BATON_FUZZ_EXAMPLES` sets the examples per operation (default 8, so the suite stays fast); the long run is
`make fuzz` (see the README)."""
from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.main import create_app
from tests.helpers import SECRET, auth, decide, open_task, submit

EXAMPLES = int(os.environ.get("BATON_FUZZ_EXAMPLES", "8"))
ROLES = {"enterprise": "acme", "reviewer": "window", "lead": "window_lead", "helpdesk": "helpdesk", "admin": "admin"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]

# The document is the app's own; which database answers is chosen per test (the `fuzz_app` fixture).
schema = schemathesis.openapi.from_dict(create_app(Settings(secret_key=SECRET, worker_enabled=False)).openapi())


CALLS: Counter = Counter()  # (operation, role, backend, status) -> requests


def summary() -> str | None:
    """How many requests each operation got and the answers (printed after the run by tests/conftest.py)."""
    if not CALLS:
        return None
    statuses: Counter = Counter()
    for (_op, _role, _backend, status), n in CALLS.items():
        statuses[status] += n
    return (f"fuzzing: {len({k[0] for k in CALLS})} operations x {len({k[1] for k in CALLS})} roles x "
            f"{len({k[2] for k in CALLS})} backends, {sum(CALLS.values())} requests (at most {EXAMPLES} examples "
            "per operation, role and backend); answers: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))


@pytest.fixture(scope="module")
def fuzz_app(backend, tmp_path_factory):
    from fastapi.testclient import TestClient

    from tests.conftest import wipe

    wipe(backend.db)
    app = create_app(Settings(database_url=backend.url, secret_key=SECRET, worker_enabled=False,
                              storage_dir=tmp_path_factory.mktemp("fuzz-files")), backend.db)
    with TestClient(app) as client:  # something to find: applications in several states, tasks open and done
        first = submit(client)
        decide(client, open_task(client, first["id"], "service-window"))
        submit(client)
        returned = submit(client)
        decide(client, open_task(client, returned["id"], "service-window"), "return")
    return app


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_as_every_role(case, role, fuzz_app, backend):
    response = case.call(app=fuzz_app, headers=auth(ROLES[role]))
    CALLS[(case.operation.label, role, backend.name, response.status_code)] += 1
    if response.status_code == 503:  # "busy, retry": declared, and no failure of the service
        return
    case.validate_response(response, checks=CHECKS)
