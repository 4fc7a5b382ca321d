"""A JSON Schema form as an HTML form, and back: each field gets the input its type asks for (text, long text,
number, date, date and time in Beijing time, yes/no, one of a list, several of a list, lines of text, a group of
fields, documents to upload), its Chinese title and description, and the server's messages beside it."""
from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from datetime import datetime
from typing import Any

from workflows.calendar import CHINA

PREFIX = "f."  # form keys of schema fields: f.name, f.commitment.signer
# `code = 名称；code = 名称` in a field's description names its options
_OPTION = re.compile(r"([a-z][a-z0-9_-]*) = ([^；;。\n]+)")
_CODE = re.compile(r"\b([a-z][a-z0-9_]+) ([\u4e00-\u9fff][^、；;，,。：:\s]*)")


@dataclass
class Field:
    key: str  # the dotted path: commitment.signer
    title: str
    description: str
    kind: str  # text, textarea, number, integer, date, datetime, boolean, select, checkboxes, lines, group, documents
    required: bool
    value: Any = None
    known: dict[str, str] = dataclass_field(default_factory=dict)  # a free-text field's codes and their names
    options: list[tuple[str, str]] = dataclass_field(default_factory=list)
    children: list["Field"] = dataclass_field(default_factory=list)
    attrs: dict = dataclass_field(default_factory=dict)  # minlength, maxlength, min, max: hints for the keyboard
    errors: list[str] = dataclass_field(default_factory=list)

    @property
    def name(self) -> str:
        return PREFIX + self.key

    @property
    def input_id(self) -> str:
        return "f-" + self.key.replace(".", "-")


def option_names(schema: dict) -> dict[str, str]:
    return {code: name.strip() for code, name in _OPTION.findall(schema.get("description") or "")}


def code_names(schema: dict) -> dict[str, str]:
    """Codes a free-text field's description explains (`chemical 化工、steel 钢铁`): shown with their names."""
    coded = schema.get("pattern") or (schema.get("items") or {}).get("pattern")
    return dict(_CODE.findall(schema.get("description") or "")) if coded else {}


def is_document_list(schema: dict, key: str) -> bool:
    """Fields that hold ids of uploaded documents (the page uploads the files and fills in their ids)."""
    items = schema.get("items") or {}
    return schema.get("type") == "array" and items.get("type") == "string" and items.get("maxLength") == 36 \
        and "enum" not in items


def _kind(schema: dict, key: str) -> str:
    kind = schema.get("type")
    if kind == "object":
        return "group"
    if kind == "boolean":
        return "boolean"
    if kind in ("number", "integer"):
        return kind
    if kind == "array":
        if is_document_list(schema, key):
            return "documents"
        return "checkboxes" if "enum" in (schema.get("items") or {}) else "lines"
    if "enum" in schema or "oneOf" in schema and all("const" in o for o in schema["oneOf"]):
        return "select"
    if schema.get("format") == "date":
        return "date"
    if schema.get("format") == "date-time":
        return "datetime"
    return "textarea" if (schema.get("maxLength") or 10_000) > 300 else "text"


def _shown(kind: str, value: Any) -> Any:
    """A stored value as its input shows it."""
    if value is None:
        return None
    if kind == "datetime" and isinstance(value, str):
        try:
            return datetime.fromisoformat(value).astimezone(CHINA).strftime("%Y-%m-%dT%H:%M")
        except ValueError:
            return value
    if kind == "lines" and isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if kind == "boolean":
        return "true" if value is True else "false" if value is False else None
    return value


def fields(schema: dict, values: dict | None = None, errors: dict[str, list[str]] | None = None,
           prefix: str = "") -> list[Field]:
    values, errors = values or {}, errors or {}
    required = set(schema.get("required") or [])
    out = []
    for key, spec in (schema.get("properties") or {}).items():
        path = prefix + key
        kind = _kind(spec, key)
        names = {**option_names(spec), **{str(o["const"]): o.get("title") or str(o["const"])
                                           for o in spec.get("oneOf") or [] if isinstance(o, dict) and "const" in o}}
        item_spec = spec.get("items") or {}
        choices = spec.get("enum") or item_spec.get("enum") or [o["const"] for o in spec.get("oneOf") or []
                                                                if isinstance(o, dict) and "const" in o]
        f = Field(key=path, title=spec.get("title") or key, description=spec.get("description") or "", kind=kind,
                  required=key in required, value=_shown(kind, values.get(key)),
                  options=[(str(c), names.get(str(c), str(c))) for c in choices],
                  errors=errors.get(path, []), known=code_names(spec))
        for attr, source in (("minlength", "minLength"), ("maxlength", "maxLength"), ("min", "minimum"),
                             ("max", "maximum")):
            if source in spec:
                f.attrs[attr] = spec[source]
        if kind == "group":
            nested = values.get(key) if isinstance(values.get(key), dict) else {}
            f.children = fields(spec, nested, errors, path + ".")
        out.append(f)
    return out


def _number(text: str, integer: bool) -> Any:
    try:
        number = float(text.replace(",", "").replace("，", ""))
    except ValueError:
        return text  # the schema says it is no number, naming the field
    return int(number) if (integer or number.is_integer()) and abs(number) < 2**53 else number


def _datetime(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return (moment if moment.tzinfo else moment.replace(tzinfo=CHINA)).isoformat()


def value_of(schema: dict, form, prefix: str = "", documents: dict[str, list[str]] | None = None) -> dict:
    """The posted form as the schema's value: empty inputs are left out (a required one is then reported missing),
    numbers are numbers, a date and time typed in Beijing time carries +08:00."""
    documents = documents or {}
    out: dict[str, Any] = {}
    for key, spec in (schema.get("properties") or {}).items():
        path = prefix + key
        kind = _kind(spec, key)
        if kind == "group":
            nested = value_of(spec, form, path + ".", documents)
            if nested:
                out[key] = nested
            continue
        if kind == "documents":
            ids = [*form.getlist(PREFIX + path), *documents.get(path, [])]
            if ids or key in (schema.get("required") or []):
                out[key] = list(dict.fromkeys(str(i) for i in ids if str(i).strip()))
            continue
        if kind == "checkboxes":
            chosen = [str(v) for v in form.getlist(PREFIX + path)]
            if chosen:
                out[key] = chosen
            continue
        raw = form.get(PREFIX + path)
        text = raw.strip() if isinstance(raw, str) else ""
        if not text:
            continue
        if kind in ("number", "integer"):
            out[key] = _number(text, kind == "integer")
        elif kind == "boolean":
            out[key] = text == "true"
        elif kind == "lines":
            out[key] = [line.strip() for line in text.splitlines() if line.strip()]
        elif kind == "datetime":
            out[key] = _datetime(text)
        else:
            out[key] = raw if kind == "textarea" else text
    return out


def errors_by_field(problems: list[dict], skip: int) -> tuple[dict[str, list[str]], list[str]]:
    """A 422's problems by the dotted field they name (after `skip` leading parts: body, project) and the rest."""
    by_field: dict[str, list[str]] = {}
    general = []
    for p in problems:
        loc = [str(part) for part in (p.get("loc") or [])][skip:]
        while loc and loc[-1].isdigit():  # an entry of a list: shown at the list
            loc.pop()
        if loc:
            by_field.setdefault(".".join(loc), []).append(str(p.get("msg", "")))
        else:
            general.append(str(p.get("msg", "")))
    return by_field, general
