"""SpiffWorkflow's script engine, made safe.

Expressions (gateway conditions, DMN cells, service-task parameters) run in the
sandbox of ``expressions.py``; script tasks run only in trusted definitions (and
then still only as sandboxed expressions assigning variables, never ``exec``);
service tasks call registered handlers, and a failing handler raises a
``WorkflowTaskException`` that the runtime turns into an incident (SpiffWorkflow
3.2.0's own ``call_service`` error path raises ``NameError`` instead).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from app.engine import expressions, registry


class ScriptTasksDisabled(Exception):
    """A script task ran in a definition that is not trusted."""


ASSIGNMENT = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*=(?!=)\s*(.+)$")


def run_assignments(script: str, context: dict[str, Any]) -> None:
    """Run a trusted script: lines of ``name = expression``, each expression sandboxed."""
    for number, line in enumerate(script.splitlines(), start=1):
        if not line.strip() or line.strip().startswith("#"):
            continue
        match = ASSIGNMENT.match(line)
        if match is None:
            raise expressions.ExpressionError(f"line {number}: only 'name = expression' lines are allowed")
        context[match.group(1)] = expressions.evaluate(match.group(2), context)


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions in the sandbox; never ``eval``/``exec``."""

    def __init__(self, trusted: bool = False) -> None:
        super().__init__()
        self.trusted = trusted

    def evaluate(self, expression, context, external_context=None):
        names = {**(context or {}), **(external_context or {})}
        return expressions.evaluate(expression, names)

    def execute(self, script, context, external_context=None):
        if not self.trusted:
            raise ScriptTasksDisabled("script tasks are disabled; use a service task or a decision table")
        run_assignments(script, context)
        return True

    def call_service(self, context, **kwargs):
        params = {name: spec["value"] for name, spec in (kwargs.get("operation_params") or {}).items()}
        return registry.call(kwargs["operation_name"], params)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


class SandboxScriptEngine(PythonScriptEngine):
    """The script engine every workflow of the platform runs with."""

    def __init__(self, trusted: bool = False) -> None:
        super().__init__(environment=SandboxEnvironment(trusted))

    def validate(self, expression):
        expressions.check_expression(expression)

    def call_service(self, task, **kwargs):
        try:
            result = self.environment.call_service(task.data, **kwargs)
        except Exception as err:  # any handler failure becomes a recorded, retryable incident
            raise WorkflowTaskException(
                f"service task {kwargs.get('operation_name')!r} failed: {err}", task=task, exception=err
            ) from err
        return json.dumps(result, default=_json_default)


SCRIPT_ENGINE = SandboxScriptEngine()
TRUSTED_SCRIPT_ENGINE = SandboxScriptEngine(trusted=True)


def engine_for(trusted: bool) -> SandboxScriptEngine:
    """The script engine for a definition version (script tasks only when trusted)."""
    return TRUSTED_SCRIPT_ENGINE if trusted else SCRIPT_ENGINE
