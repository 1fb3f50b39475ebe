"""Deploy-time lint of BPMN and DMN roots from ``xml_safety.parse_xml``: our modelling rules on top of
the XSD. Every problem is returned (element id, line, message), so one failed deploy reports them all."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from app.engine.expressions import ExpressionError, check_expression

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NSMAP = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
FORM_PROPERTY = "formJsonSchemaFilename"
ROLES_PROPERTY = "candidateRoles"
DUE_PROPERTY = "dueIn"
ISO_DURATION = re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")

_SUBPROCESSES = tuple(f"{{{BPMN_NS}}}{tag}" for tag in ("subProcess", "transaction", "adHocSubProcess"))
# Text SpiffWorkflow evaluates as an expression, with the name used in messages.
_EXPRESSIONS = {
    ".//bpmn:conditionExpression": "condition",
    ".//bpmn:conditionalEventDefinition/bpmn:condition": "condition",
    ".//bpmn:loopCardinality": "loop cardinality",
    ".//bpmn:completionCondition": "completion condition",
    ".//bpmn:loopCondition": "loop condition",
    ".//spiffworkflow:messagePayload": "message payload",
    ".//spiffworkflow:payloadExpression": "payload expression",
    ".//spiffworkflow:processVariableCorrelation/spiffworkflow:expression": "correlation expression",
    ".//bpmn:correlationPropertyRetrievalExpression/bpmn:*": "correlation expression",
}
_SCRIPTS = ".//bpmn:scriptTask | .//spiffworkflow:preScript | .//spiffworkflow:postScript"


@dataclass(frozen=True)
class LintIssue:
    """One problem in a model: the BPMN/DMN element id (if any), its line and a message."""

    element: str | None
    line: int | None
    message: str


def _xpath(element: etree._Element, path: str) -> list[Any]:
    """``element.xpath`` with the BPMN and SpiffWorkflow prefixes."""
    return element.xpath(path, namespaces=NSMAP)


def _issue(element: etree._Element, message: str) -> LintIssue:
    """An issue at ``element``, named by the nearest BPMN element (itself or an ancestor) with an id."""
    for candidate in (element, *element.iterancestors()):
        if etree.QName(candidate).namespace == BPMN_NS and candidate.get("id"):
            return LintIssue(candidate.get("id"), element.sourceline, message)
    return LintIssue(None, element.sourceline, message)


def _expression_problem(text: str) -> str | None:
    """Why ``text`` is not an allowed expression, or None if it is."""
    try:
        check_expression(text)
    except SyntaxError as exc:
        return f"not a valid expression ({exc.msg})"
    except ExpressionError as exc:
        return str(exc)
    return None


def _properties(element: etree._Element) -> dict[str, str]:
    """The ``spiffworkflow:property`` name/value pairs of a task."""
    path = "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
    return {prop.get("name"): prop.get("value", "") for prop in _xpath(element, path) if prop.get("name")}


def _lane_of(task: etree._Element, lanes: dict[str, str | None]) -> str | None:
    """The lane name SpiffWorkflow gives ``task``: the outermost enclosing subprocess in a lane wins."""
    lane = lanes.get(task.get("id"))
    for subprocess in task.iterancestors(*_SUBPROCESSES):
        lane = lanes.get(subprocess.get("id")) or lane
    return lane


def _check_processes(root: etree._Element) -> Iterator[LintIssue]:
    """(h) The document holds at least one executable process."""
    if root.tag != f"{{{BPMN_NS}}}definitions":
        yield LintIssue(None, root.sourceline, "not a BPMN document (the root must be bpmn:definitions)")
    elif not any(p.get("isExecutable", "true") == "true" for p in _xpath(root, ".//bpmn:process")):
        yield LintIssue(None, root.sourceline, "the file has no executable bpmn:process")


def _check_user_tasks(
    root: etree._Element, form_exists: Callable[[str], bool], known_roles: set[str]
) -> Iterator[LintIssue]:
    """(a) Named forms exist; (b) every user task has known candidate roles."""
    lanes = {ref.text: ref.getparent().get("name") for ref in _xpath(root, ".//bpmn:flowNodeRef")}
    known = ", ".join(sorted(known_roles)) or "none"
    for task in _xpath(root, ".//bpmn:userTask"):
        properties = _properties(task)
        form = properties.get(FORM_PROPERTY)
        if form is not None and not form_exists(form):
            yield _issue(task, f"form '{form}' does not exist")
        due_in = properties.get(DUE_PROPERTY)
        if due_in is not None and not ISO_DURATION.match(due_in.strip().strip('"')):
            yield _issue(task, f"{DUE_PROPERTY} '{due_in}' is not an ISO-8601 duration such as P2D or PT4H")
        if ROLES_PROPERTY in properties:
            roles = [name.strip() for name in properties[ROLES_PROPERTY].split(",") if name.strip()]
            unknown = [name for name in roles if name not in known_roles]
            if not roles:
                yield _issue(task, f"the {ROLES_PROPERTY} property is empty")
            elif unknown:
                yield _issue(task, f"unknown {ROLES_PROPERTY}: {', '.join(unknown)} (known: {known})")
            continue
        lane = _lane_of(task, lanes)
        if lane is None:
            yield _issue(task, f"no candidate role: use a lane named after a role or set {ROLES_PROPERTY}")
        elif lane not in known_roles:
            yield _issue(task, f"lane '{lane}' is not a known role (known: {known})")


_TIMER_EXAMPLES = {"timeDuration": '"PT48H"', "timeDate": '"2026-12-01T00:00:00Z"', "timeCycle": '"R3/PT1H"'}


def _is_iso(kind: str, value: str) -> bool:
    """Whether the parsers SpiffWorkflow runs when the timer starts accept ``value`` as a ``kind``."""
    if kind == "timeDate":
        return isinstance(TimerEventDefinition.parse_time_or_duration(value), datetime)
    if kind == "timeCycle":
        return value[:1] in ("R", "r") and bool(TimerEventDefinition.parse_iso_recurring_interval(value))
    digits = any(map(str.isdigit, value))
    return value[:1] in ("P", "p") and digits and bool(TimerEventDefinition.parse_iso_duration(value))


def _timer_problem(kind: str, text: str | None) -> str | None:
    """Why a timer's value is not a quoted ISO-8601 string of the right kind, or None."""
    text, example = (text or "").strip(), _TIMER_EXAMPLES[kind]
    try:
        value = ast.literal_eval(text)
        valid = isinstance(value, str) and _is_iso(kind, value)
    except Exception:  # SyntaxError, ValueError for a bare name such as PT48H, and the parsers' errors
        value, valid = None, False
    if not isinstance(value, str):
        return f"the timer's {kind} must be a quoted ISO-8601 string such as {example}, not {text or 'empty'}"
    return None if valid else f"the timer's {kind} {text} is not ISO-8601 (e.g. {example})"


def _check_timers(root: etree._Element) -> Iterator[LintIssue]:
    """(c) Timers are quoted ISO-8601 literals: durations, dates or cycles."""
    for definition in _xpath(root, ".//bpmn:timerEventDefinition"):
        values = _xpath(definition, "bpmn:timeDuration | bpmn:timeDate | bpmn:timeCycle")
        if len(values) != 1:
            yield _issue(definition, "a timer needs exactly one of timeDuration, timeDate or timeCycle")
        for value in values:
            problem = _timer_problem(etree.QName(value).localname, value.text)
            if problem:  # named by the event, not by its timerEventDefinition
                yield LintIssue(_issue(definition.getparent(), problem).element, value.sourceline, problem)


def _check_gateways(root: etree._Element) -> Iterator[LintIssue]:
    """(d) A branching exclusive/inclusive gateway has a default flow or a condition on every flow."""
    outgoing: dict[str | None, list[etree._Element]] = defaultdict(list)
    for flow in _xpath(root, ".//bpmn:sequenceFlow"):
        outgoing[flow.get("sourceRef")].append(flow)
    for gateway in _xpath(root, ".//bpmn:exclusiveGateway | .//bpmn:inclusiveGateway"):
        flows = outgoing[gateway.get("id")]
        default = gateway.get("default")
        if default is not None and default not in {flow.get("id") for flow in flows}:
            yield _issue(gateway, f"default flow '{default}' is not an outgoing flow of this gateway")
        elif default is None and len(flows) > 1:
            bare = [f.get("id") for f in flows if not _xpath(f, "bpmn:conditionExpression/text()")]
            if bare:
                yield _issue(
                    gateway, f"no default flow and no condition on {', '.join(bare)}: mark a default"
                )


def _check_scripts(root: etree._Element, trusted: bool) -> Iterator[LintIssue]:
    """(e) Script tasks and pre/post scripts run Python: only in definitions marked trusted."""
    if trusted:
        return
    for script in _xpath(root, _SCRIPTS):
        what = etree.QName(script).localname
        if what != "scriptTask" and not (script.text or "").strip():
            continue  # an empty pre/post script is never run
        yield _issue(script, f"{what} runs Python code and is only allowed in a trusted definition")


def _check_service_tasks(root: etree._Element, service_operations: set[str]) -> Iterator[LintIssue]:
    """(g) Service tasks name a registered operation; (f) their parameter values are expressions."""
    for task in _xpath(root, ".//bpmn:serviceTask"):
        operators = _xpath(task, "./bpmn:extensionElements/spiffworkflow:serviceTaskOperator")
        if not operators:
            yield _issue(task, "service task has no spiffworkflow:serviceTaskOperator")
            continue
        name = operators[0].get("id")
        if name not in service_operations:
            known = ", ".join(sorted(service_operations)) or "none"
            yield _issue(task, f"unknown service operation '{name}' (known: {known})")
        for parameter in _xpath(operators[0], ".//spiffworkflow:parameter[@value]"):
            problem = _expression_problem(parameter.get("value"))
            if problem:
                yield _issue(parameter, f"parameter '{parameter.get('id')}': {problem}")


def _check_expressions(root: etree._Element) -> Iterator[LintIssue]:
    """(f) Every condition and other evaluated text is allowed by the expression sandbox."""
    for path, what in _EXPRESSIONS.items():
        for element in _xpath(root, path):
            problem = None if element.text is None else _expression_problem(element.text)
            if problem:
                yield _issue(element, f"{what}: {problem}")


def lint_bpmn(
    root: etree._Element,
    *,
    form_exists: Callable[[str], bool],
    known_roles: set[str],
    service_operations: set[str],
    trusted: bool,
) -> list[LintIssue]:
    """Every problem our modelling rules find in a parsed BPMN document, in line order."""
    issues = [
        *_check_processes(root),
        *_check_user_tasks(root, form_exists, known_roles),
        *_check_timers(root),
        *_check_gateways(root),
        *_check_scripts(root, trusted),
        *_check_service_tasks(root, service_operations),
        *_check_expressions(root),
    ]
    return sorted(issues, key=lambda issue: issue.line or 0)


def _cell_problem(input_expression: str, cell: str) -> str | None:
    """Why an input cell fails once SpiffWorkflow's DMN engine has turned it into an expression, or None.

    The engine is run with a script engine that checks instead of evaluating (a SyntaxError from
    ``validate`` is how it decides whether to add ``==``) and records the expression it built.
    """
    if not cell.strip():
        return "a blank cell must be empty or '-'"
    built: list[str] = []
    engine = SimpleNamespace(validate=check_expression, evaluate=lambda _, text, **__: built.append(text))
    task = SimpleNamespace(workflow=SimpleNamespace(script_engine=engine))
    try:
        DMNEngine(None).evaluate(input_expression, cell, task)
        for text in built:
            check_expression(text)
    except SyntaxError as exc:
        return f"cell {cell!r} is not a valid expression ({exc.msg})"
    except ExpressionError as exc:
        return f"cell {cell!r}: {exc}"
    last = built[-1]  # the expression Spiff would evaluate
    if last == input_expression + cell and re.match(r"\w", cell) and re.search(r"\w$", input_expression):
        return f"cell {cell!r} would run as {last!r}: write '? {cell}'"
    return None


def _dmn_issue(element: etree._Element, message: str) -> LintIssue:
    """An issue at a DMN element, named by its id or its rule's."""
    return LintIssue(element.get("id") or element.getparent().get("id"), element.sourceline, message)


def _check_table(table: etree._Element) -> Iterator[LintIssue]:
    """Input expressions, input cells (as Spiff rewrites them) and output cells of one decision table."""
    inputs: list[str | None] = []
    for column in table.iterfind("{*}input"):
        text = column.findtext("{*}inputExpression/{*}text") or ""
        problem = _expression_problem(text) if text.strip() else "input has no expression"
        inputs.append(None if problem else text)
        if problem:
            yield _dmn_issue(column, f"input: {problem}")
    for rule in table.iterfind("{*}rule"):
        cells = list(rule.iterfind("{*}inputEntry"))
        if len(cells) != len(inputs):
            yield _dmn_issue(rule, f"rule has {len(cells)} input cells for {len(inputs)} inputs")
            continue
        for cell, expression in zip(cells, inputs, strict=True):
            text = cell.findtext("{*}text") or "-"
            problem = _cell_problem(expression, text) if expression and text != "-" else None
            if problem:
                yield _dmn_issue(cell, problem)
        for cell in rule.iterfind("{*}outputEntry"):
            text = cell.findtext("{*}text")
            problem = _expression_problem(text) if text else None
            if problem:
                yield _dmn_issue(cell, f"output: {problem}")


def lint_dmn(root: etree._Element) -> list[LintIssue]:
    """Every input expression and rule cell of the decision tables that the sandbox would refuse.

    Input cells are checked as SpiffWorkflow's DMN engine rewrites them: ``> 10000`` becomes
    ``amount> 10000``, ``"EAST"`` becomes ``(region) == ("EAST")``, ``?`` stands for the input — and
    ``in ["EAST"]`` would become ``regionin ["EAST"]``, so it must be written ``? in ["EAST"]``.
    """
    tables = list(root.iter("{*}decisionTable"))
    if not tables:
        return [LintIssue(None, root.sourceline, "the file has no decision table")]
    return [issue for table in tables for issue in _check_table(table)]
