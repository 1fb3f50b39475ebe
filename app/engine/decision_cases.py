"""Example cases of a decision table: ``rules/<table>.cases.json`` beside ``rules/<table>.dmn``.

A cases file names a decision and lists cases (``name``, ``inputs``, ``expect``: output name →
expected value, or null when no rule may match). They run through SpiffWorkflow's own DMN engine
with our sandboxed script engine — exactly as a business rule task would — in the editor before a
deploy, and in every deploy, which is refused when a case fails.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jsonschema import Draft202012Validator
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from app.domain.errors import ValidationFailed
from app.engine.lint import lint_dmn
from app.engine.script_engine import SCRIPT_ENGINE
from app.engine.xml_safety import XmlRefused, parse_xml

CASES_SUFFIX = ".cases.json"
MAX_CASES_BYTES = 256 * 1024
MAX_PROBLEMS = 20
SCHEMA: dict[str, Any] = json.loads(Path(__file__).with_name("decision_cases.schema.json").read_text())
_VALIDATOR = Draft202012Validator(SCHEMA)
_TYPE_NAMES = {"object": "an object", "array": "a list", "string": "text", "null": "null"}
_ROW_NOTE = re.compile(r"row (\d+)")
_MISSING = object()


class CasesRefused(ValidationFailed):
    """The table or its cases cannot run; ``problems`` lists ``{"file", "element", "line", "message"}``."""

    def __init__(self, problems: list[dict]) -> None:
        first = problems[0]
        where = first["file"] + (f", {first['element']}" if first.get("element") else "")
        super().__init__(f"{where}: {first['message']}")
        self.problems = problems


@dataclass(frozen=True)
class CaseResult:
    """One case's outcome: outputs are None when no rule matched; ``error`` when the table failed."""

    name: str
    passed: bool
    expected: dict[str, Any] | None
    actual: dict[str, Any] | None = None
    matched_rules: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def summary(self) -> str:
        """What happened, in one sentence (used by refused deploys)."""
        if self.error:
            return f"case {self.name!r}: {self.error}"
        actual = _text(self.actual) if self.actual is not None else "no matching rule"
        rules = ", ".join(f"rule {r['row']} ({r['id']})" for r in self.matched_rules)
        if self.expected is None:
            return f"case {self.name!r}: expected no rule to match, but {rules} matched, giving {actual}"
        return f"case {self.name!r}: expected {_text(self.expected)}, got {actual}"


def cases_filename(dmn_filename: str) -> str:
    """``order_approval.dmn`` → ``order_approval.cases.json``."""
    return dmn_filename.removesuffix(".dmn") + CASES_SUFFIX


def problem(filename: str, message: str, element: str | None = None, line: int | None = None) -> dict:
    """A problem in the shape deploys report them."""
    return {"file": filename, "element": element, "line": line, "message": message}


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def load_cases(content: bytes, filename: str) -> dict[str, Any]:
    """Parse and check a cases file; raises ``CasesRefused`` naming the line or the case and field."""
    doc = parse_cases(content, filename)
    check_cases(doc, filename)
    return doc


def parse_cases(content: bytes, filename: str) -> Any:
    """The JSON of a cases file, not yet checked against the schema (``CasesRefused`` if unreadable)."""
    if len(content) > MAX_CASES_BYTES:
        raise CasesRefused([problem(filename, f"file is larger than {MAX_CASES_BYTES // 1024} KiB")])
    try:
        doc = json.loads(content.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise CasesRefused([problem(filename, "the file is not UTF-8 text")]) from None
    except json.JSONDecodeError as error:
        raise CasesRefused([problem(filename, f"not valid JSON: {error.msg}", line=error.lineno)]) from None
    except ValueError as error:
        raise CasesRefused([problem(filename, f"not valid JSON: {error}")]) from None
    return doc


def _where(path: list[Any]) -> str:
    """``["cases", 1, "expect"]`` → ``cases[1].expect``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(error: Any) -> str:
    """A plain message for a schema error (jsonschema's own text when it is clear enough)."""
    kind, value = error.validator, error.validator_value
    if "propertyNames" in error.schema_path:
        return f"{error.instance!r} is not a variable name (letters, digits and _, starting with a letter)"
    if kind == "type":
        kinds = value if isinstance(value, list) else [value]
        return "must be " + " or ".join(_TYPE_NAMES.get(k, k) for k in kinds)
    if kind == "minLength":
        return "must not be empty"
    if kind == "minProperties":
        return "must name at least one output (or be null when no rule may match)"
    if kind in ("maxItems", "maxLength", "maxProperties"):
        return f"at most {value}"
    return error.message


def check_cases(doc: Any, filename: str) -> None:
    """Refuse a cases document that breaks the schema or repeats a case name, naming case and field."""
    problems = []
    errors = sorted(_VALIDATOR.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors[:MAX_PROBLEMS]:
        path = list(error.absolute_path)
        message = _describe(error)
        if len(path) >= 2 and path[0] == "cases" and isinstance(path[1], int):
            name = doc["cases"][path[1]].get("name") if isinstance(doc["cases"][path[1]], dict) else None
            label = f"case {path[1] + 1}" + (f" ({name!r})" if isinstance(name, str) else "")
            message = f"{label}: {message}"
        problems.append(problem(filename, message, element=_where(path) or None))
    if not problems:
        seen: dict[str, int] = {}
        for index, case in enumerate(doc["cases"]):
            if case["name"] in seen:
                first = seen[case["name"]]
                message = f"case {index + 1}: the name {case['name']!r} is already used by case {first}"
                problems.append(problem(filename, message, element=f"cases[{index}].name"))
            seen.setdefault(case["name"], index + 1)
    if problems:
        raise CasesRefused(problems)


class _RecordingEngine(DMNEngine):
    """SpiffWorkflow's DMN engine, remembering which rules matched."""

    def __init__(self, table: Any) -> None:
        super().__init__(table)
        self.matched: list[Any] = []

    def decide(self, task: Any) -> list[Any]:
        self.matched = super().decide(task)
        return self.matched


def _task(data: dict[str, Any], filename: str, decision_id: str) -> Any:
    """The little of a SpiffWorkflow task the DMN engine (and its error messages) use."""
    workflow = SimpleNamespace(script_engine=SCRIPT_ENGINE, spec=SimpleNamespace(file=filename))
    workflow.top_workflow = workflow
    spec = SimpleNamespace(name=decision_id, bpmn_id=decision_id, bpmn_name=decision_id)
    return SimpleNamespace(data=dict(data), workflow=workflow, task_spec=spec)


def decision_table(root: etree._Element, filename: str, decision_id: str, cases_file: str) -> Any:
    """The parsed table of ``decision_id`` in a DMN root (checked against the XSD)."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_dmn_xml(root, filename)
        dmn = parser.dmn_parsers.get(decision_id)
        if dmn is not None:
            dmn.parse()
    except ValidationException as error:
        line = getattr(error, "line_number", None) or getattr(error, "sourceline", None)
        message = str(error).split("\n")[0]
        raise CasesRefused([problem(filename, message, getattr(error, "id", None), line)]) from None
    if dmn is None or not dmn.decision.decisionTables:
        found = ", ".join(parser.dmn_parsers) or "none"
        message = f"decision {decision_id!r} is not a decision table of {filename} (it has: {found})"
        raise CasesRefused([problem(cases_file, message, element="decision")])
    return dmn.decision.decisionTables[0]


def blank_case(root: etree._Element, name: str) -> dict[str, Any]:
    """A case to fill in: the first table's plain-name inputs and its outputs, all null."""
    table = next(root.iter("{*}decisionTable"), None)
    inputs = [] if table is None else table.findall("{*}input/{*}inputExpression/{*}text")
    outputs = [] if table is None else table.findall("{*}output")
    names = [(text.text or "").strip() for text in inputs]
    return {
        "name": name,
        "inputs": {n: None for n in names if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", n)},
        "expect": {o.get("name") or o.get("label"): None for o in outputs if o.get("name") or o.get("label")}
        or None,
    }


def _explain(error: Exception, table: Any) -> str:
    """A failing cell or output as a sentence: which rule, which expression, why."""
    text = str(error.args[0]) if error.args else type(error).__name__
    cause = error.__cause__ or error.__context__
    if cause is not None and not isinstance(cause, SpiffWorkflowException):
        text += f": {cause}"
    text = text[:1].lower() + text[1:]
    notes = getattr(error, "notes", None) or []
    rows = [int(m.group(1)) for note in notes if (m := _ROW_NOTE.search(str(note)))]
    if rows and 0 < rows[0] <= len(table.rules):
        text = f"rule {rows[0]} ({table.rules[rows[0] - 1].id}): {text}"
    return text


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def same(expected: Any, actual: Any) -> bool:
    """Equality where numbers compare by value (500 == 500.0 == Decimal("500")), never bool == 1."""
    left, right = _number(expected), _number(actual)
    if left is not None or right is not None:
        return left is not None and right is not None and left == right
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(same(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list | tuple) and isinstance(actual, list | tuple):
        return len(expected) == len(actual) and all(same(e, a) for e, a in zip(expected, actual, strict=True))
    return type(expected) is type(actual) and expected == actual


def _lookup(outputs: dict[str, Any], key: str) -> Any:
    """An output by name; ``a.b`` also finds the nested value SpiffWorkflow builds for dotted names."""
    if key in outputs:
        return outputs[key]
    value: Any = outputs
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _plain(value: Any) -> Any:
    """JSON-ready copy of engine outputs (tuple/set → list).

    An integral Decimal becomes an int; any other Decimal becomes its exact text (``"0.1"``), not a
    float that may round it, so the editor shows exactly what the table computed.
    """
    if isinstance(value, Decimal):
        return int(value) if value.is_finite() and value == value.to_integral_value() else str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def run_case(table: Any, case: dict[str, Any], filename: str, decision_id: str) -> CaseResult:
    """Run one case through the table (hit policy as SpiffWorkflow applies it); never raises."""
    engine = _RecordingEngine(table)
    expected = case["expect"]
    try:
        outputs = engine.result(_task(case["inputs"], filename, decision_id))
    except Exception as error:  # a cell failing in the sandbox is this case's result, not a crash
        return CaseResult(case["name"], False, expected, error=_explain(error, table))
    matched = [{"id": rule.id, "row": rule.row_number} for rule in engine.matched]
    actual = _plain(dict(outputs)) if matched else None
    if expected is None:
        passed = not matched
    else:
        passed = bool(matched) and all(same(v, _lookup(outputs, k)) for k, v in expected.items())
    return CaseResult(case["name"], passed, expected, actual, matched)


def run_cases(dmn_xml: bytes, filename: str, cases_doc: Any) -> list[CaseResult]:
    """Check a DMN file as a deploy does (safe XML, lint, XSD) and run the cases document against it.

    Raises ``CasesRefused`` when the table or the document cannot run at all; a case whose cell
    fails in the sandbox comes back as a result with ``error``.
    """
    try:
        root = parse_xml(dmn_xml, filename)
    except XmlRefused as refused:
        raise CasesRefused([problem(filename, refused.message, line=refused.line)]) from None
    issues = lint_dmn(root)
    if issues:
        raise CasesRefused([problem(filename, i.message, i.element, i.line) for i in issues])
    cases_file = cases_filename(filename)
    check_cases(cases_doc, cases_file)
    table = decision_table(root, filename, cases_doc["decision"], cases_file)
    return [run_case(table, case, filename, cases_doc["decision"]) for case in cases_doc["cases"]]


def deploy_problems(dmn_roots: dict[str, etree._Element], cases_docs: dict[str, dict]) -> list[dict]:
    """Problems of a deploy's checked cases files: a decision no DMN file has, and every failing case."""
    owners = {
        decision.get("id"): name for name, root in dmn_roots.items() for decision in root.iter("{*}decision")
    }
    problems: list[dict] = []
    for cases_file, doc in sorted(cases_docs.items()):
        dmn_file = owners.get(doc["decision"])
        if dmn_file is None:
            message = f"decision {doc['decision']!r} is not in any DMN file of this deploy"
            problems.append(problem(cases_file, message, element="decision"))
            continue
        try:
            table = decision_table(dmn_roots[dmn_file], dmn_file, doc["decision"], cases_file)
        except CasesRefused as refused:
            problems.extend(refused.problems)
            continue
        for index, case in enumerate(doc["cases"]):
            result = run_case(table, case, dmn_file, doc["decision"])
            if not result.passed:
                problems.append(problem(cases_file, result.summary(), element=f"cases[{index}]"))
    return problems
