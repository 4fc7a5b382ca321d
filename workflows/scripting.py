"""The restricted script environment: every BPMN script, condition, DMN cell and property expression runs here."""
from __future__ import annotations

import ast
import builtins
from functools import lru_cache
from types import CodeType
from typing import Any, Callable

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, limited_builtins, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.exceptions import SpiffWorkflowException

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

# Attribute names that lead from any class to BaseException and the interpreter's internals.
_REFUSED_ATTRIBUTES = frozenset({"mro", "format", "format_map", "with_traceback"})
MAX_EXPRESSION_CHARS = 10_000
MAX_SCRIPT_CHARS = 100_000


def _guarded_getattr(obj: Any, name: str, default: Any = None) -> Any:
    if name in _REFUSED_ATTRIBUTES:
        raise AttributeError(f'"{name}" is not available to process code')
    return safer_getattr(obj, name, default)


_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "__name__": "baton_script",
    "__metaclass__": type,
    "_getattr_": _guarded_getattr,
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


def _compiled(compile_fn, source: str) -> CodeType:
    try:
        result = compile_fn(source)
    except (RecursionError, MemoryError, ValueError, OverflowError) as exc:
        # Deeply nested or enormous code makes the compiler itself give up: a refusal, never a crash.
        raise ScriptCompileError([f"too deeply nested or too large to compile ({exc.__class__.__name__})"]) from None
    if result.errors or result.code is None:
        raise ScriptCompileError(list(result.errors) or ["does not compile"])
    return result.code


@lru_cache(maxsize=4096)
def compile_expression(expression: str) -> CodeType:
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ScriptCompileError([f"is {len(expression)} characters long; an expression may have at most "
                                  f"{MAX_EXPRESSION_CHARS} (move the logic into a script task)"])
    return _compiled(compile_restricted_eval, expression.strip())


@lru_cache(maxsize=1024)
def compile_script(script: str) -> CodeType:
    if len(script) > MAX_SCRIPT_CHARS:
        raise ScriptCompileError([f"is {len(script)} characters long; a script may have at most {MAX_SCRIPT_CHARS}"])
    try:
        tree = ast.parse(script)
    except SyntaxError as exc:
        raise ScriptCompileError([f"Line {exc.lineno}: SyntaxError: {exc.msg}"])
    except (RecursionError, MemoryError, ValueError) as exc:
        raise ScriptCompileError([f"too deeply nested or too large to compile ({exc.__class__.__name__})"]) from None
    refused = [f"Line {node.lineno}: import is not allowed in process scripts"  # RestrictedPython refuses them only when run
               for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    refused += [f"Line {node.lineno}: while loops are not allowed in process scripts (one that never ends would hold "
                "the instance); loop over a list instead" for node in ast.walk(tree) if isinstance(node, ast.While)]
    if refused:
        raise ScriptCompileError(refused)
    return _compiled(compile_restricted_exec, script)


def _scope(context: dict, external_context: dict | None) -> dict:
    """Task data first, the guards last: a data key named `_getattr_` or `__builtins__` cannot replace them."""
    scope = dict(context)
    scope.update(external_context or {})
    scope.update(_GUARDS)
    return scope


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Task-data environment that only runs code compiled by RestrictedPython with its guards."""

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        return eval(compile_expression(expression), _scope(context, external_context))

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        scope = _scope(context, external_context)
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


# Told the BPMN element whose code is about to run, so a budget stop can name it (set by the sandbox).
element_hook: Callable[[str], None] | None = None


def _element_of(task: Any) -> str:
    spec = getattr(task, "task_spec", None)
    return str(getattr(spec, "bpmn_id", None) or getattr(spec, "name", None) or "process")


class RestrictedScriptEngine(PythonScriptEngine):
    def __init__(self) -> None:
        super().__init__(environment=RestrictedEnvironment())

    def validate(self, expression: str) -> None:
        # The DMN engine calls this to decide whether a cell needs "==": keep it a pure syntax check.
        ast.parse(expression)

    def evaluate(self, task, expression, external_context=None):
        if element_hook is not None:
            element_hook(_element_of(task))
        return super().evaluate(task, expression, external_context)

    def execute(self, task, script, external_context=None):
        if element_hook is not None:
            element_hook(_element_of(task))
        return super().execute(task, script, external_context)

    def create_task_exec_exception(self, task, script, err):
        # SpiffWorkflow's own version fails (TypeError) on an exception whose first argument is not a string.
        if isinstance(err, SpiffWorkflowException):
            return super().create_task_exec_exception(task, script, err)
        line_number, error_line = self.get_error_line_number_and_content(script, err)
        detail = err.__class__.__name__ + (f": {err.args[0]}" if err.args else "")
        return WorkflowTaskException(detail[:1000], task=task, exception=err, line_number=line_number,
                                     error_line=error_line)


SCRIPT_ENGINE = RestrictedScriptEngine()
