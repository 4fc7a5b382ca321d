"""The restricted script environment: a security boundary, checked."""
from __future__ import annotations

import pytest

from workflows.scripting import SCRIPT_ENGINE, ScriptCompileError, compile_expression, compile_script

env = SCRIPT_ENGINE.environment


@pytest.mark.parametrize("expression", [
    "().__class__.__base__.__subclasses__()",
    "getattr((), '__class__')",
    "[c for c in ().__class__.__mro__]",
    "(lambda: 1).__globals__",
])
def test_escapes_do_not_compile_or_run(expression):
    with pytest.raises(Exception):
        env.evaluate(expression, {})


@pytest.mark.parametrize("script", ["import os", "from os import system", "open('/etc/passwd')", "eval('1')",
                                    "__import__('os')"])
def test_dangerous_scripts_are_refused(script):
    with pytest.raises(Exception):
        env.execute(script, {})


def test_imports_are_refused_at_compile_time():
    with pytest.raises(ScriptCompileError, match="import"):
        compile_script("import os\nx = 1")


def test_ordinary_process_code_runs():
    data = {"project": {"land_area_ha": 0.6}, "items": ["a", None, "b"]}
    env.execute('big = project["land_area_ha"] >= 0.5\nkept = [i for i in items if i is not None]\ntotal = sum([1, 2])', data)
    assert data["big"] is True and data["kept"] == ["a", "b"] and data["total"] == 3
    assert env.evaluate('"x" if big else "y"', data) == "x"


def test_script_can_delete_a_key():
    data = {"tmp": 1, "keep": 2}
    env.execute("del tmp", data)
    assert data == {"keep": 2}


def test_syntax_errors_name_the_line():
    with pytest.raises(ScriptCompileError, match="Line 2"):
        compile_script("x = 1\nif x\n")
    with pytest.raises(ScriptCompileError):
        compile_expression("${approved}")
