"""`baton calendar load FILE` on the test database: the year loaded, its deadlines recomputed, bad files refused."""
from __future__ import annotations

import json

import pytest

from app import cli
from app.config import get_settings
from tests.calendar.test_holiday_table import SCHEDULE_2027, forget_2027  # noqa: F401 - the fixture
from tests.helpers import auth


@pytest.fixture
def cli_on_test_database(backend, monkeypatch):
    monkeypatch.setenv("BATON_DATABASE_URL", backend.url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_cli_loads_a_years_schedule(client, tmp_path, cli_on_test_database, forget_2027):  # noqa: F811
    good = tmp_path / "2027.json"
    good.write_text(json.dumps({"year": 2027, **SCHEDULE_2027}, ensure_ascii=False), encoding="utf-8")
    assert cli.main(["calendar", "load", str(good)]) == 0
    year = client.get("/api/v1/calendar/2027", headers=auth("acme")).json()
    assert year["provisional"] is False and year["loaded_by"] == "admin"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"year": 2027, **SCHEDULE_2027, "workdays": ["2027-03-03"]}), encoding="utf-8")
    assert cli.main(["calendar", "load", str(bad)]) == 1  # a Wednesday is no adjusted working day
    assert cli.main(["calendar", "load", str(tmp_path / "missing.json")]) == 2
    assert cli.main(["calendar", "load", str(good), "--admin", "acme"]) == 2  # not an administrator
