"""The generated forms: every form in bpmn/forms/ becomes inputs of the kinds its fields ask for (no field left
out), and each form's examples, typed into those inputs as a person would, come back as the same JSON value."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.datastructures import FormData

from app.config import PROJECT_ROOT
from app.web import forms

FORMS = sorted((PROJECT_ROOT / "bpmn" / "forms").glob("*.schema.json"))
KINDS = {"text", "textarea", "number", "integer", "date", "datetime", "boolean", "select", "checkboxes", "lines", "group",
         "documents"}


def typed(schema: dict, value: dict, prefix: str = "") -> list[tuple[str, str]]:
    """What a browser posts for `value` typed into the form of `schema`."""
    out = []
    for key, spec in (schema.get("properties") or {}).items():
        if key not in value:
            continue
        v, name = value[key], f"{forms.PREFIX}{prefix}{key}"
        kind = forms.fields({"properties": {key: spec}})[0].kind
        if kind == "group":
            out += typed(spec, v, f"{prefix}{key}.")
        elif kind in ("checkboxes", "documents"):
            out += [(name, str(item)) for item in v]
        elif kind == "lines":
            out.append((name, "\n".join(v)))
        elif kind == "boolean":
            out.append((name, "true" if v else "false"))
        elif kind == "datetime":
            out.append((name, forms._shown(kind, v)))  # what the datetime-local input shows: Beijing time
        else:
            out.append((name, str(v)))
    return out


def kinds_of(fields) -> set[str]:
    return {f.kind for f in fields} | {k for f in fields for k in kinds_of(f.children)}


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_every_field_of_every_form_gets_an_input_with_its_chinese_title(path: Path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    fields = forms.fields(schema)
    assert [f.key for f in fields] == list(schema.get("properties") or {})
    for f in fields:
        assert f.kind in KINDS and f.title and any("\u4e00" <= ch <= "\u9fff" for ch in f.title), (path.name, f.key)
        if f.kind == "select":
            assert f.options and all(name for _, name in f.options)


def test_the_forms_use_every_kind_of_input_the_pages_draw():
    used = set().union(*(kinds_of(forms.fields(json.loads(p.read_text(encoding="utf-8")))) for p in FORMS))
    assert used == KINDS - {"integer"} or used == KINDS, used  # the forms have numbers, no integer field yet


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_each_example_typed_into_the_form_comes_back_the_same(path: Path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    for example in schema.get("examples") or []:
        back = forms.value_of(schema, FormData(typed(schema, example)))
        assert back == normalised(schema, example), path.name


def normalised(schema: dict, value: dict) -> dict:
    """An example as the form returns it: a date and time carries Beijing's offset, to the minute."""
    out = {}
    for key, v in value.items():
        spec = (schema.get("properties") or {}).get(key, {})
        if isinstance(v, dict):
            out[key] = normalised(spec, v)
        elif spec.get("format") == "date-time":
            out[key] = forms._datetime(forms._shown("datetime", v))
        elif isinstance(v, str) and not v.strip():
            continue  # an empty text is left out, as an empty input is
        else:
            out[key] = v
    return out


def test_empty_inputs_are_left_out_and_a_bad_number_stays_for_the_schema_to_name():
    schema = {"properties": {"n": {"type": "number"}, "s": {"type": "string"}, "b": {"type": "boolean"}}}
    assert forms.value_of(schema, FormData([("f.n", "十二"), ("f.s", "  "), ("f.b", "")])) == {"n": "十二"}
    assert forms.value_of(schema, FormData([("f.n", "1,200.5")])) == {"n": 1200.5}
