"""The `baton` command: user add, deploy, migrate, and the clear refusal without a secret key."""
from __future__ import annotations

import io
import sys

import pytest
from sqlalchemy import select

from app import cli
from app.auth.models import User
from app.config import PROJECT_ROOT, Settings, get_settings
from tests.helpers import credit_code


@pytest.fixture
def cli_env(monkeypatch, backend, db):
    monkeypatch.setenv("BATON_DATABASE_URL", backend.url)
    get_settings.cache_clear()
    yield backend
    get_settings.cache_clear()


def run(argv, stdin: str = "") -> int:
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return cli.main(argv)
    finally:
        sys.stdin = old


def test_user_add_reads_the_password_from_stdin(cli_env, db):
    code = credit_code("91150104MA0T5E6F7")
    assert run(["user", "add", "newco", "--role", "enterprise", "--enterprise", code, "--password-stdin"],
               "a-long-password\n") == 0
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.username == "newco"))
        assert user.role == "enterprise" and user.enterprise.credit_code == code


def test_user_add_refuses_bad_input_naming_the_field(cli_env, capsys):
    assert run(["user", "add", "r1", "--role", "reviewer", "--department", "nowhere", "--password-stdin"],
               "a-long-password\n") == 1
    assert "departments.0" in capsys.readouterr().err
    assert run(["user", "add", "e1", "--role", "enterprise", "--enterprise", "123", "--password-stdin"], "pw-long-enough\n") == 1
    assert run(["user", "add", "x1", "--role", "admin"]) == 2  # no --password-stdin


def test_deploy_and_migrate(cli_env, capsys):
    assert run(["migrate"]) == 0
    assert run(["deploy", str(PROJECT_ROOT / "bpmn" / "parallel_review.bpmn")]) == 0
    assert "unchanged" in capsys.readouterr().out
    assert run(["deploy", "/no/such/file.bpmn"]) == 2


def test_serve_without_a_secret_key_says_what_to_do():
    with pytest.raises(SystemExit, match="BATON_SECRET_KEY"):
        Settings(secret_key=None).require_secret()
