"""Validating submitted data against a process's JSON Schema forms, naming each failing field."""
from __future__ import annotations

import math
from typing import Any

from jsonschema import Draft202012Validator


def _non_finite(value: Any, path: list) -> list[dict]:
    """NaN and infinities pass JSON Schema's number checks but are no JSON: refuse them by name."""
    if isinstance(value, float) and not math.isfinite(value):
        return [{"loc": path, "msg": f"{value} is not a finite number"}]
    if isinstance(value, dict):
        return [e for k, v in value.items() for e in _non_finite(v, [*path, k])]
    if isinstance(value, list):
        return [e for i, v in enumerate(value) for e in _non_finite(v, [*path, i])]
    return []


def schema_errors(schema: dict, value: Any, loc: list) -> list[dict]:
    problems = _non_finite(value, list(loc))
    if problems:
        return problems
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [{"loc": [*loc, *e.absolute_path], "msg": e.message}
            for e in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))]
