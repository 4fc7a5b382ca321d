"""Forms are JSON Schemas, checked at deploy and applied to what people submit — safely.

- References resolve only within the deployed bundle: `#…` inside a form, or another form of the bundle by its
  file name. Nothing is fetched from a URL or read from a file.
- `pattern` and `patternProperties` run on RE2, which has no catastrophic backtracking; a pattern RE2 cannot
  compile (look-arounds, back-references) is refused at deploy naming the form and the field.
- Every string without a `maxLength` gets one, every array without `maxItems` too, so no field takes megabytes.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any, Iterator

import re2
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

from .text import first_unstorable

DEFAULT_MAX_LENGTH = 2000
DEFAULT_MAX_ITEMS = 200
MAX_FORM_DEPTH = 32
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


class PatternError(ValueError):
    pass


@lru_cache(maxsize=2048)
def compile_pattern(pattern: str):
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(f"pattern {pattern[:200]!r} is not supported ({reason}); write it without look-arounds and "
                           "back-references (RE2 syntax)") from None


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not compile_pattern(pattern).search(instance):
        yield ValidationError(f"does not match the required pattern {pattern[:100]!r}")


def _pattern_properties(validator, pattern_properties, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        for key, value in instance.items():
            if compile_pattern(pattern).search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


FormValidator = validators.extend(Draft202012Validator, {"pattern": _pattern, "patternProperties": _pattern_properties})


def _refuse(uri: str):
    raise NoSuchResource(ref=uri)


def registry_of(forms: dict[str, Any]) -> Registry:
    """The bundle's forms by file name; any other reference is unresolvable (never fetched)."""
    return Registry(retrieve=_refuse).with_resources(
        (name, Resource.from_contents(schema, default_specification=DRAFT202012)) for name, schema in forms.items()
        if isinstance(schema, dict))


def validator(schema: dict, forms: dict[str, Any] | None = None) -> Draft202012Validator:
    return FormValidator(schema, registry=registry_of(forms or {}), format_checker=Draft202012Validator.FORMAT_CHECKER)


# ---------------------------------------------------------------- deploy-time checks


def _walk(node: Any, path: list, depth: int = 0) -> Iterator[tuple[list, dict]]:
    if depth > MAX_FORM_DEPTH:
        raise RecursionError
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, [*path, key], depth + 1)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, [*path, index], depth + 1)


def _where(path: list) -> str:
    return "/".join(str(p) for p in path if p not in ("properties", "items", "$defs")) or "(root)"


def form_problems(name: str, schema: Any, bundle: set[str]) -> list[str]:
    """Why a form cannot be deployed (empty when it can); `bundle` is the form file names it may refer to."""
    if not isinstance(schema, dict):
        return ["is not a JSON object"]
    problems: list[str] = []
    try:
        nodes = list(_walk(schema, []))
    except RecursionError:
        return [f"is nested deeper than {MAX_FORM_DEPTH} levels"]
    char = first_unstorable(schema)
    if char is not None:
        problems.append(f"holds the character U+{ord(char):04X}, which cannot be stored")
    for path, node in nodes:
        for keyword in ("$ref", "$dynamicRef"):
            ref = node.get(keyword)
            if ref is None:
                continue
            target = str(ref).split("#", 1)[0]
            if not isinstance(ref, str) or (target and target not in bundle):
                problems.append(f"{keyword} {str(ref)[:200]!r} at {_where(path)} refers outside the deployed bundle; "
                                "a reference may only be '#/…' or another form file of the bundle "
                                f"({', '.join(sorted(bundle)) or 'none'})")
        if isinstance(node.get("$id"), str) and ":" in node["$id"]:
            problems.append(f"$id {node['$id'][:200]!r} at {_where(path)} names an outside address; leave $id out")
        if isinstance(node.get("pattern"), str):
            try:
                compile_pattern(node["pattern"])
            except PatternError as exc:
                problems.append(f"{exc} at {_where(path)}")
        if isinstance(node.get("patternProperties"), dict):
            for pattern in node["patternProperties"]:
                try:
                    compile_pattern(pattern)
                except PatternError as exc:
                    problems.append(f"{exc} at {_where(path)}")
    return problems


def with_bounds(schema: dict) -> dict:
    """The form with a maxLength on every string and a maxItems on every array that has none."""
    bounded = copy.deepcopy(schema)
    for _path, node in _walk(bounded, []):
        kinds = node.get("type")
        kinds = set(kinds) if isinstance(kinds, list) else {kinds}
        if "string" in kinds and "maxLength" not in node and "enum" not in node and "const" not in node:
            node["maxLength"] = DEFAULT_MAX_LENGTH
        if "array" in kinds and "maxItems" not in node:
            node["maxItems"] = DEFAULT_MAX_ITEMS
    return bounded


def referenced_forms(schema: Any) -> set[str]:
    """The other forms of the bundle a form refers to by file name."""
    names = set()
    for _path, node in _walk(schema, []):
        for keyword in ("$ref", "$dynamicRef"):
            if isinstance(node.get(keyword), str) and node[keyword].split("#", 1)[0]:
                names.add(node[keyword].split("#", 1)[0])
    return names


def checked_form(name: str, schema: Any, forms: dict[str, Any]) -> tuple[list[str], dict | None]:
    """A task or start form must be a safe JSON Schema whose first example fits it (`forms`: the whole bundle).

    Returns the problems, or none and the form as it is stored: with its strings and lists bounded."""
    problems = form_problems(name, schema, set(forms))
    if problems:
        return problems, None
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [f"is not a valid JSON Schema: {exc.message}"], None
    except RecursionError:
        return [f"is nested deeper than {MAX_FORM_DEPTH} levels"], None
    bounded = with_bounds(schema)
    examples = bounded.get("examples")
    if not isinstance(examples, list) or not examples:
        return ["needs an 'examples' list whose first entry is valid"], None
    try:
        errors = sorted(validator(bounded, forms).iter_errors(examples[0]), key=str)
    except Exception as exc:  # an unresolvable reference or similar: the form, not the example, is wrong
        return [f"cannot be applied: {exc.__class__.__name__}: {str(exc)[:300]}"], None
    problems = [f"first example is invalid at '{'.'.join(map(str, e.absolute_path)) or '(root)'}': {e.message}"
                for e in errors]
    return problems, (None if problems else bounded)
