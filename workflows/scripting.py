"""The restricted script environment: every BPMN script, condition, DMN cell and property expression runs here."""
from __future__ import annotations

import ast
import builtins
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, limited_builtins, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

_BUILTINS: dict[str, Any] = dict(safe_builtins)
_BUILTINS.update(limited_builtins)
# Harmless pure functions that process authors reach for; nothing that touches files, imports or frames.
_BUILTINS.update(
    {name: getattr(builtins, name)
     for name in ("min", "max", "sum", "any", "all", "sorted", "enumerate", "zip", "dict", "set", "reversed", "map", "filter")}
)
# No classes, no attribute writes, and nothing that can stop the worker thread that runs timers.
for _unsafe in ("setattr", "delattr", "__build_class__", "id", "BaseException", "SystemExit", "KeyboardInterrupt",
                "GeneratorExit"):
    _BUILTINS.pop(_unsafe, None)

_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "__name__": "baton_script",
    "__metaclass__": type,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": lambda op, x, y: _INPLACE[op](x, y),
}
_INPLACE = {
    "+=": lambda x, y: x + y, "-=": lambda x, y: x - y, "*=": lambda x, y: x * y,
    "/=": lambda x, y: x / y, "//=": lambda x, y: x // y, "%=": lambda x, y: x % y,
}


def _deadline(limit: str) -> str:
    """ISO-8601 moment `limit` ("10wd", "30d", "4h") from now: for timer dates in processes."""
    from .calendar import due_at
    from .clock import now

    return due_at(now(), str(limit)).isoformat()


# Functions a process may call; like the guards they never land in task data.
_GUARDS["deadline"] = _deadline


class ScriptCompileError(Exception):
    """A script or expression that RestrictedPython refuses; `errors` are its messages."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@lru_cache(maxsize=4096)
def compile_expression(expression: str) -> CodeType:
    result = compile_restricted_eval(expression.strip())
    if result.errors or result.code is None:
        raise ScriptCompileError(list(result.errors) or ["does not compile"])
    return result.code


@lru_cache(maxsize=1024)
def compile_script(script: str) -> CodeType:
    try:
        tree = ast.parse(script)
    except SyntaxError as exc:
        raise ScriptCompileError([f"Line {exc.lineno}: SyntaxError: {exc.msg}"])
    refused = [f"Line {node.lineno}: import is not allowed in process scripts"  # RestrictedPython refuses them only when run
               for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    refused += [f"Line {node.lineno}: while loops are not allowed in process scripts (one that never ends would hold "
                "the instance); loop over a list instead" for node in ast.walk(tree) if isinstance(node, ast.While)]
    if refused:
        raise ScriptCompileError(refused)
    result = compile_restricted_exec(script)
    if result.errors or result.code is None:
        raise ScriptCompileError(list(result.errors) or ["does not compile"])
    return result.code


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Task-data environment that only runs code compiled by RestrictedPython with its guards."""

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        scope = dict(_GUARDS)
        scope.update(external_context or {})
        scope.update(context)
        return eval(compile_expression(expression), scope)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        scope = dict(_GUARDS)
        scope.update(external_context or {})
        scope.update(context)
        exec(compile_script(script), scope)
        for key in list(context):
            if key not in scope:
                del context[key]  # the script deleted it
        for key, value in scope.items():
            if key in _GUARDS or (external_context and key in external_context) or callable(value):
                continue
            context[key] = value
        return True

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise NotImplementedError("service tasks are not supported by Baton")


class RestrictedScriptEngine(PythonScriptEngine):
    def __init__(self) -> None:
        super().__init__(environment=RestrictedEnvironment())

    def validate(self, expression: str) -> None:
        # The DMN engine calls this to decide whether a cell needs "==": keep it a pure syntax check.
        ast.parse(expression)


SCRIPT_ENGINE = RestrictedScriptEngine()
