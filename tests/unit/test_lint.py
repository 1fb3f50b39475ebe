"""Deploy-time lint of BPMN and DMN files (fixtures in tests/data/bpmn, one problem each)."""

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from app.engine.expressions import check_expression, evaluate
from app.engine.lint import LintIssue, lint_bpmn, lint_dmn
from app.engine.xml_safety import parse_xml

BPMN = Path(__file__).parent.parent / "data" / "bpmn"
ROLES = {"RegionalManager", "SalesDirector"}

TIMER_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="timer" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def load(name: str):
    """A fixture file parsed the safe way."""
    return parse_xml((BPMN / name).read_bytes(), name)


def lint(root, trusted: bool = False) -> list[LintIssue]:
    """lint_bpmn with one existing form, two roles and one service operation."""
    return lint_bpmn(
        root,
        form_exists=lambda name: name == "order-review.json",
        known_roles=ROLES,
        service_operations={"credit.check"},
        trusted=trusted,
    )


def by_element(issues: list[LintIssue]) -> dict[str | None, str]:
    """Issue messages keyed by element id."""
    return {issue.element: issue.message for issue in issues}


def test_clean_approval_lints_clean_and_parses_with_spiff():
    root = load("approval_clean.bpmn")
    assert lint(root) == []
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_xml(root, "approval_clean.bpmn")
    spec = parser.get_spec("approval")
    assert spec.task_specs["review"].lane == "RegionalManager"


@pytest.mark.parametrize("name", sorted(path.name for path in BPMN.glob("*.bpmn")))
def test_every_fixture_passes_the_xsd_so_only_the_lint_catches_it(name):
    VALIDATOR.validate(load(name), name)


def test_missing_form_is_reported():
    issues = lint(load("missing_form.bpmn"))
    assert by_element(issues) == {"unknown_form": "form 'no-such-form.json' does not exist"}
    assert issues[0].line == 22


def test_candidate_roles_come_from_the_lane_or_the_property():
    issues = by_element(lint(load("candidate_roles.bpmn")))
    assert set(issues) == {"unknown_property_role", "no_role", "unknown_lane"}
    assert "Ghost" in issues["unknown_property_role"]
    assert "no candidate role" in issues["no_role"]
    assert "'Janitor'" in issues["unknown_lane"]


def test_unquoted_timer_is_refused_with_a_hint_to_quote_it():
    issues = lint(load("unquoted_timer.bpmn"))
    assert [issue.element for issue in issues] == ["escalate"]
    assert '"PT48H"' in issues[0].message and "quote" in issues[0].message


@pytest.mark.parametrize(
    ("kind", "value", "ok"),
    [
        ("timeDuration", '"PT48H"', True),
        ("timeDuration", "'P2D'", True),
        ("timeDuration", '"P1Y2M3DT4H5M6S"', True),
        ("timeDuration", "PT48H", False),
        ("timeDuration", '"48 hours"', False),
        ("timeDuration", '"P"', False),
        ("timeDuration", '"2026-12-01T00:00:00Z"', False),
        ("timeDuration", "", False),
        ("timeDuration", "due_in", False),
        ("timeDate", '"2026-12-01T00:00:00Z"', True),
        ("timeDate", '"2026-12-01"', True),
        ("timeDate", "2026-12-01T00:00:00Z", False),
        ("timeDate", '"PT1H"', False),
        ("timeDate", '"tomorrow"', False),
        ("timeCycle", '"R3/PT1H"', True),
        ("timeCycle", '"R/2026-12-01T00:00:00Z/P1D"', True),
        ("timeCycle", "R3/PT1H", False),
        ("timeCycle", '"PT1H"', False),
    ],
)
def test_timer_values_must_be_quoted_iso_8601(kind, value, ok):
    root = parse_xml(TIMER_TEMPLATE.format(kind=kind, value=value).encode(), "timer.bpmn")
    issues = lint(root)
    assert (issues == []) is ok, issues
    assert all(issue.element == "wait" for issue in issues)


def test_gateway_needs_a_default_or_conditions_on_every_flow():
    issues = lint(load("gateway_without_default.bpmn"))
    assert [issue.element for issue in issues] == ["decide"]
    assert "other" in issues[0].message


def test_scripts_are_refused_unless_trusted():
    root = load("script_task.bpmn")
    issues = by_element(lint(root))
    assert set(issues) == {"compute", "note"}  # the empty postScript never runs
    assert "trusted" in issues["compute"]
    assert "preScript" in issues["note"]
    assert lint(root, trusted=True) == []


def test_conditions_must_pass_the_sandbox():
    issues = by_element(lint(load("bad_condition.bpmn")))
    assert set(issues) == {"escape", "method", "broken"}
    assert "attribute access" in issues["escape"]
    assert "not a valid expression" in issues["broken"]


def test_service_operations_must_be_registered_and_parameters_sandboxed():
    issues = lint(load("service_task.bpmn"))
    assert [issue.element for issue in issues] == ["reserve", "reserve"]
    assert "'inventory.steal'" in issues[0].message
    assert "parameter 'path'" in issues[1].message and "open()" in issues[1].message


def test_a_file_without_an_executable_process_is_refused():
    assert lint(load("no_executable_process.bpmn"))[0].message == "the file has no executable bpmn:process"
    assert "not a BPMN document" in lint(load("discount_clean.dmn"))[0].message


def test_clean_decision_table_lints_clean():
    assert lint_dmn(load("discount_clean.dmn")) == []


def test_bad_decision_table_cells_are_reported_as_spiff_rewrites_them():
    issues = by_element(lint_dmn(load("discount_bad.dmn")))
    expected = {"input_region", "cell_escape", "cell_power", "cell_blank", "cell_lambda", "cell_glued"}
    assert set(issues) == expected
    assert issues["cell_escape"].startswith("cell \"> __import__('os').getpid()\"")
    assert "**" in issues["cell_power"]
    # Spiff glues an operator cell to the input without a space: "amountin [1000, 2000]"
    assert "'amountin [1000, 2000]'" in issues["cell_glued"]
    assert "'? in [1000, 2000]'" in issues["cell_glued"]


def test_a_bpmn_file_is_not_a_decision_table():
    assert lint_dmn(load("approval_clean.bpmn"))[0].message == "the file has no decision table"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"amount": 60000, "region": "EAST"}, {"rate": Decimal("0.08"), "approver": "SalesDirector"}),
        ({"amount": 20000, "region": "SOUTH"}, {"rate": Decimal("0.05"), "approver": "RegionalManager"}),
        ({"amount": 60000, "region": "WEST"}, {"rate": 0, "approver": "RegionalManager"}),
    ],
)
def test_clean_decision_table_runs_in_the_sandbox(data, expected):
    """The cells the lint accepts evaluate under Spiff's DMN engine with our sandbox."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_dmn_xml(load("discount_clean.dmn"), "discount_clean.dmn")
    table = parser.get_engine("discount", None).decision_table
    engine = SimpleNamespace(
        validate=check_expression,
        evaluate=lambda task, text, external_context=None: evaluate(
            text, {**task.data, **(external_context or {})}
        ),
    )
    task = SimpleNamespace(data=data, task_spec=None, workflow=SimpleNamespace(script_engine=engine))
    assert DMNEngine(table).result(task) == expected


def test_due_in_must_be_an_iso_duration():
    from lxml import etree

    root = etree.fromstring((BPMN / "approval_clean.bpmn").read_bytes())
    ns = {
        "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
        "s": "http://spiffworkflow.org/bpmn/schema/1.0/core",
    }
    task = root.find(".//bpmn:userTask", ns)
    ext = etree.SubElement(task, "{http://www.omg.org/spec/BPMN/20100524/MODEL}extensionElements")
    props = etree.SubElement(ext, "{http://spiffworkflow.org/bpmn/schema/1.0/core}properties")
    etree.SubElement(
        props, "{http://spiffworkflow.org/bpmn/schema/1.0/core}property", name="dueIn", value="2 days"
    )
    issues = lint_bpmn(
        root,
        form_exists=lambda n: True,
        known_roles={"RegionalManager"},
        service_operations=set(),
        trusted=False,
    )
    assert any("dueIn" in i.message and i.element == task.get("id") for i in issues)
