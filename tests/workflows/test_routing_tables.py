"""Every decision-table row, with projects on both sides of each threshold (domain.md, 水利部令第53号 …)."""
from __future__ import annotations

import pytest

from tests.helpers import deployed_spec, project
from workflows import instances

ITEM_KEYS = ("establishment_item", "eia_item", "energy_item", "swc_item", "permit_item")
CLEAN = dict(industry="office", sensitive_area=False, annual_energy_tce=10, annual_electricity_kwh=1000,
             land_area_ha=0.1, earthwork_m3=100, total_investment_yuan=5_000_000, floor_area_m2=2_000,
             investment_type="enterprise", in_verification_catalogue=False)


def route(**changes) -> dict:
    wf = instances.start(deployed_spec("parallel_review"), {"project": project(**{**CLEAN, **changes})})
    data = instances.data(wf)
    return {key: data.get(key) for key in ITEM_KEYS} | {"required_items": data["required_items"]}


@pytest.mark.parametrize("changes, expected", [
    (dict(investment_type="government"), "gov_approval"),
    (dict(investment_type="government", in_verification_catalogue=True), "gov_approval"),
    (dict(in_verification_catalogue=True), "enterprise_verification"),
    (dict(), "enterprise_filing"),
])
def test_project_establishment(changes, expected):
    assert route(**changes)["establishment_item"] == expected


@pytest.mark.parametrize("industry, sensitive, expected", [
    ("chemical", False, "eia_report_book"), ("chemical", True, "eia_report_book"),
    ("cement", False, "eia_report_book"),
    ("general_manufacturing", False, "eia_report_form"), ("general_manufacturing", True, "eia_report_book"),
    ("data_center", False, "eia_report_form"),
    ("hotel", False, "eia_registration"), ("hotel", True, "eia_report_form"),
    # not in the catalogue → no EIA, a sensitive site included (domain.md: not listed → none)
    ("office", False, None), ("office", True, None),
])
def test_eia_category_from_the_industry_table_and_sensitive_area(industry, sensitive, expected):
    assert route(industry=industry, sensitive_area=sensitive)["eia_item"] == expected


@pytest.mark.parametrize("changes, expected", [
    (dict(annual_energy_tce=999, annual_electricity_kwh=4_999_999), None),
    (dict(annual_energy_tce=1000, annual_electricity_kwh=4_999_999), "energy_review_local"),
    (dict(annual_energy_tce=999, annual_electricity_kwh=5_000_000), "energy_review_local"),
    (dict(annual_energy_tce=9_999), "energy_review_local"),
    (dict(annual_energy_tce=10_000), "energy_review_provincial"),
    (dict(industry="wind_power", annual_energy_tce=20_000), None),
    (dict(industry="railway", annual_energy_tce=5_000), None),
    (dict(industry="data_center", annual_energy_tce=20_000), "energy_review_provincial"),
])
def test_energy_review(changes, expected):
    assert route(**changes)["energy_item"] == expected


@pytest.mark.parametrize("land, earth, expected", [
    (0.49, 999, None), (0.5, 999, "swc_report_form"), (0.49, 1_000, "swc_report_form"),
    (4.99, 49_999, "swc_report_form"), (5, 49_999, "swc_report_book"), (4.99, 50_000, "swc_report_book"),
])
def test_soil_and_water_plan(land, earth, expected):
    assert route(land_area_ha=land, earthwork_m3=earth)["swc_item"] == expected


@pytest.mark.parametrize("changes, expected", [
    (dict(total_investment_yuan=300_000), None),
    (dict(total_investment_yuan=300_001), "construction_permit"),
    (dict(floor_area_m2=300), None),
    (dict(floor_area_m2=301), "construction_permit"),
    (dict(industry="heritage_works"), None), (dict(industry="emergency_works"), None),
    (dict(industry="temporary_works"), None), (dict(industry="military_works"), None),
])
def test_construction_permit(changes, expected):
    assert route(**changes)["permit_item"] == expected


@pytest.mark.parametrize("industry, others, sensitive, expected", [
    ("hotel", ["chemical"], False, "eia_report_book"),  # the highest category of the composite wins
    ("office", ["machinery"], False, "eia_report_form"),
    ("office", ["hotel"], True, "eia_report_form"),  # raised one step for the sensitive site
    ("school", ["hotel", "office"], False, "eia_registration"),
    ("office", ["residential"], True, None),
])
def test_a_composite_project_takes_the_highest_eia_category(industry, others, sensitive, expected):
    assert route(industry=industry, other_industries=others, sensitive_area=sensitive)["eia_item"] == expected


@pytest.mark.parametrize("industry, others, table, expected", [
    ("wind_power", ["solar_power"], "energy_item", None),  # exempt only when every industry is
    ("wind_power", ["data_center"], "energy_item", "energy_review_provincial"),
    ("heritage_works", [], "permit_item", None),
    ("heritage_works", ["hotel"], "permit_item", "construction_permit"),
])
def test_exemptions_of_a_composite_project_need_every_industry_exempt(industry, others, table, expected):
    assert route(industry=industry, other_industries=others, annual_energy_tce=20_000)[table] == expected


def test_every_table_declares_first_hit_and_so_picks_by_row_order():
    """The tables' rules overlap on purpose (raised categories, fall-backs): the policy must say FIRST."""
    from lxml import etree

    from app.config import PROJECT_ROOT

    for path in sorted((PROJECT_ROOT / "bpmn").glob("*.dmn")):
        for table in etree.parse(str(path)).getroot().iter("{https://www.omg.org/spec/DMN/20191111/MODEL/}decisionTable"):
            assert table.get("hitPolicy") == "FIRST", path.name


def test_required_items_list_every_chosen_code_in_table_order():
    routed = route(industry="chemical", land_area_ha=6, annual_energy_tce=12_000, investment_type="government")
    assert routed["required_items"] == ["gov_approval", "eia_report_book", "energy_review_provincial",
                                        "swc_report_book", "construction_permit"]
