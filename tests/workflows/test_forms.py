"""Forms: references stay inside the bundle, patterns run on RE2, every field is bounded."""
from __future__ import annotations

import time

import pytest

from workflows.forms import DEFAULT_MAX_ITEMS, DEFAULT_MAX_LENGTH, checked_form, validator, with_bounds


def form(**properties) -> dict:
    return {"type": "object", "properties": properties, "examples": [{}]}


@pytest.mark.parametrize("ref", ["file:///etc/passwd", "http://example.com/schema.json", "https://evil/x#/a",
                                 "other.schema.json#/x", "../../etc/hosts"])
def test_references_outside_the_bundle_are_refused_naming_them(ref):
    problems, stored = checked_form("f.json", form(name={"$ref": ref}), {"f.json": {}})
    assert stored is None and ref[:30] in problems[0] and "outside the deployed bundle" in problems[0]


def test_references_inside_the_bundle_resolve_without_fetching():
    shared = {"$defs": {"code": {"type": "string", "maxLength": 6, "pattern": "^[0-9]{6}$"}}, "examples": [{}]}
    main = {"type": "object", "properties": {"zip": {"$ref": "shared.json#/$defs/code"},
                                            "local": {"$ref": "#/$defs/x"}},
            "$defs": {"x": {"type": "integer"}}, "examples": [{"zip": "010010", "local": 1}]}
    problems, stored = checked_form("main.json", main, {"main.json": main, "shared.json": shared})
    assert problems == [] and stored is not None
    errors = list(validator(stored, {"shared.json": shared}).iter_errors({"zip": "01001x", "local": "no"}))
    assert len(errors) == 2


def test_an_absolute_id_is_refused():
    problems, _ = checked_form("f.json", {**form(), "$id": "http://example.com/f.json"}, {})
    assert problems and "$id" in problems[0]


def test_catastrophic_patterns_run_in_linear_time():
    schema = with_bounds(form(name={"type": "string", "pattern": "^(a+)+$"}))
    started = time.perf_counter()
    errors = list(validator(schema).iter_errors({"name": "a" * 1999 + "!"}))
    assert errors and time.perf_counter() - started < 0.5
    assert "a" * 50 not in errors[0].message  # the input is not echoed back


def test_patterns_re2_cannot_run_are_refused_at_deploy():
    problems, _ = checked_form("f.json", form(name={"type": "string", "pattern": "^(?=x)x$"}), {})
    assert problems and "not supported" in problems[0] and "name" in problems[0]
    problems, _ = checked_form("f.json", form(tags={"type": "object", "patternProperties": {"(a)\\1": {}}}), {})
    assert problems and "not supported" in problems[0]


def test_unbounded_strings_and_lists_get_a_default_bound():
    bounded = with_bounds(form(note={"type": "string"}, tags={"type": "array", "items": {"type": "string"}},
                               kind={"type": "string", "enum": ["a"]}, short={"type": "string", "maxLength": 5}))
    props = bounded["properties"]
    assert props["note"]["maxLength"] == DEFAULT_MAX_LENGTH and props["tags"]["maxItems"] == DEFAULT_MAX_ITEMS
    assert props["tags"]["items"]["maxLength"] == DEFAULT_MAX_LENGTH
    assert "maxLength" not in props["kind"] and props["short"]["maxLength"] == 5


def test_deep_forms_and_unstorable_text_are_refused():
    deep: dict = {}
    node = deep
    for _ in range(100):
        node["items"] = {}
        node = node["items"]
    problems, _ = checked_form("f.json", {**form(), "properties": {"x": deep}}, {})
    assert problems and "nested deeper" in problems[0]
    problems, _ = checked_form("f.json", {**form(), "title": "a\ud800"}, {})
    assert problems and "U+D800" in problems[0]
