"""Validating submitted data against a process's JSON Schema forms: each problem names its field by the form's title
and its key (`所在旗县区 (district) 必填 / is required`), in Chinese and English, and never repeats what was typed."""
from __future__ import annotations

import math
import re
from typing import Any

from jsonschema.exceptions import ValidationError

from workflows.forms import validator

_TYPES = {"string": ("文本", "text"), "integer": ("整数", "a whole number"), "number": ("数字", "a number"),
          "boolean": ("是或否", "true or false"), "array": ("列表", "a list"), "object": ("对象", "an object"),
          "null": ("空值", "null")}
_FORMATS = {"date": ("日期（YYYY-MM-DD）", "a date, YYYY-MM-DD"),
            "date-time": ("日期时间（YYYY-MM-DDThh:mm:ss+08:00）", "a date and time with its offset"),
            "email": ("电子邮箱", "an e-mail address"), "uri": ("网址", "an address (URI)")}
_REQUIRED = re.compile(r"^'(.+)' is a required property$")
MAX_PROBLEMS = 50


def _non_finite(value: Any, path: list) -> list[dict]:
    """NaN and infinities pass JSON Schema's number checks but are no JSON: refuse them by name."""
    if isinstance(value, float) and not math.isfinite(value):
        return [{"loc": path, "msg": f"{value} 不是有效数字 / is not a finite number"}]
    if isinstance(value, dict):
        return [e for k, v in value.items() for e in _non_finite(v, [*path, k])]
    if isinstance(value, list):
        return [e for i, v in enumerate(value) for e in _non_finite(v, [*path, i])]
    return []


def _named(title: str | None, key) -> str:
    if key is None:
        return title or "表单 (form)"
    return f"{title} ({key})" if title else str(key)


def _title_in(schema: dict, key) -> str | None:
    field = (schema.get("properties") or {}).get(key) if isinstance(schema, dict) else None
    return field.get("title") if isinstance(field, dict) else None


def _problems(error: ValidationError, loc: list) -> list[dict]:
    """One error of jsonschema as the people filling the form read it."""
    path = [*loc, *error.absolute_path]
    key = error.absolute_path[-1] if error.absolute_path else None
    schema = error.schema if isinstance(error.schema, dict) else {}
    name = _named(schema.get("title"), key)
    kind, value = error.validator, error.validator_value
    if kind == "required":
        match = _REQUIRED.match(error.message)
        missing = match.group(1) if match else "?"
        return [{"loc": [*path, missing], "msg": f"{_named(_title_in(schema, missing), missing)} 必填 / is required"}]
    if kind == "dependentRequired":
        present = [k for k in value if isinstance(error.instance, dict) and k in error.instance]
        missing = next((m for k in present for m in value[k] if m not in error.instance), None)
        if missing:
            return [{"loc": [*path, missing], "msg": f"{_named(_title_in(schema, missing), missing)} 必填（已填写 "
                                                   f"{', '.join(present)}）/ is required with {', '.join(present)}"}]
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(schema.get("properties") or {})
        extra = [k for k in error.instance if k not in allowed]
        return [{"loc": [*path, str(k)[:50]], "msg": f"{str(k)[:50]} 不是本表单的字段 / is not a field of this form"}
                for k in extra[:10]]
    if kind == "type":
        expected = value if isinstance(value, list) else [value]
        zh = "或".join(_TYPES.get(t, (t, t))[0] for t in expected)
        en = " or ".join(_TYPES.get(t, (t, t))[1] for t in expected)
        message = f"应为{zh} / must be {en}"
    elif kind == "enum":
        options = ", ".join(str(v) for v in value)[:300]
        message = f"应为以下之一：{options} / must be one of: {options}"
    elif kind == "const":
        message = f"应为 {str(value)[:100]} / must be {str(value)[:100]}"
    elif kind in ("minimum", "exclusiveMinimum"):
        message = f"{'应大于' if kind == 'exclusiveMinimum' else '不得小于'} {value} / must be at least {value}"
    elif kind in ("maximum", "exclusiveMaximum"):
        message = f"{'应小于' if kind == 'exclusiveMaximum' else '不得大于'} {value} / must be at most {value}"
    elif kind == "minLength":
        message = f"至少 {value} 个字符 / needs at least {value} characters"
    elif kind == "maxLength":
        message = f"最多 {value} 个字符 / takes at most {value} characters"
    elif kind == "minItems":
        message = f"至少 {value} 项 / needs at least {value} entries"
    elif kind == "maxItems":
        message = f"最多 {value} 项 / takes at most {value} entries"
    elif kind == "uniqueItems":
        message = "各项不得重复 / entries must not repeat"
    elif kind == "pattern":
        message = "格式不正确 / is not in the required form"
    elif kind == "format":
        zh, en = _FORMATS.get(value, (value, value))
        message = f"应为{zh} / must be {en}"
    elif kind in ("oneOf", "anyOf"):
        message = "不符合任何一种允许的填写方式 / fits none of the allowed forms"
    else:
        message = f"不符合表单要求（{kind}）/ does not meet the form's rule {kind!r}"
    return [{"loc": path, "msg": f"{name} {message}"}]


def schema_errors(schema: dict, value: Any, loc: list, forms: dict[str, Any] | None = None) -> list[dict]:
    """What is wrong with `value` by field; `forms` are the bundle's other forms `schema` may refer to."""
    problems = _non_finite(value, list(loc))
    if problems:
        return problems
    checker = validator(schema, forms)
    errors = sorted(checker.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
    return [p for e in errors for p in _problems(e, list(loc))][:MAX_PROBLEMS]
