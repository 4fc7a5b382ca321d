"""Validating submitted data against a process's JSON Schema forms, naming each failing field."""
from __future__ import annotations

import math
from typing import Any

from workflows.forms import validator


def _non_finite(value: Any, path: list) -> list[dict]:
    """NaN and infinities pass JSON Schema's number checks but are no JSON: refuse them by name."""
    if isinstance(value, float) and not math.isfinite(value):
        return [{"loc": path, "msg": f"{value} is not a finite number"}]
    if isinstance(value, dict):
        return [e for k, v in value.items() for e in _non_finite(v, [*path, k])]
    if isinstance(value, list):
        return [e for i, v in enumerate(value) for e in _non_finite(v, [*path, i])]
    return []


def schema_errors(schema: dict, value: Any, loc: list, forms: dict[str, Any] | None = None) -> list[dict]:
    """What is wrong with `value` by field; `forms` are the bundle's other forms `schema` may refer to."""
    problems = _non_finite(value, list(loc))
    if problems:
        return problems
    checker = validator(schema, forms)
    return [{"loc": [*loc, *e.absolute_path], "msg": e.message}
            for e in sorted(checker.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))][:50]
