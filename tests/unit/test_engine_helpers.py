"""Small engine pieces: due times, serializer version guard, service-task registry."""

from datetime import timedelta

import pytest

from app.engine import registry
from app.engine.serializer import SERIALIZER, StateTooNew, load_state
from app.engine.tracking import data_diff, due_time
from app.models.base import utcnow


def test_due_time_from_iso_durations():
    assert timedelta(days=1, hours=23) < due_time("P2D") - utcnow() <= timedelta(days=2)
    assert timedelta(hours=3) < due_time('"PT4H"') - utcnow() <= timedelta(hours=4)
    assert due_time(None) is None and due_time("P") is None and due_time("2 days") is None


def test_state_from_a_newer_serializer_is_refused():
    major, minor = SERIALIZER.VERSION.split(".")
    with pytest.raises(StateTooNew, match="newer"):
        load_state({}, (None, {}), f"{major}.{int(minor) + 1}")


def test_data_diff_keeps_only_changes():
    assert data_diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == ({"b": 2}, {"b": 3, "c": 4})


def test_registry_refuses_unknown_operations_and_parameters():
    with pytest.raises(registry.UnknownOperation):
        registry.call("no.such", {})

    @registry.service_task("test.typed")
    def typed(amount: int) -> int:
        return amount + 1

    assert registry.call("test.typed", {"amount": 1}) == 2
    with pytest.raises(TypeError, match="unexpected"):
        registry.call("test.typed", {"amount": 1, "evil": 2})
    assert registry.call("platform.echo", {"x": 1}) == {"x": 1}


def test_dump_state_is_the_serializer_output_without_the_spec():
    """Guards the shortcut in dump_state against a SpiffWorkflow upgrade changing its converter."""
    from pathlib import Path

    from lxml import etree
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
    from SpiffWorkflow.util.task import TaskState

    from app.engine.script_engine import SCRIPT_ENGINE
    from app.engine.serializer import SPEC_KEYS, dump_state

    parser = SpiffBpmnParser(validator=VALIDATOR)
    path = Path(__file__).parent.parent / "data" / "engine" / "two_step.bpmn"
    parser.add_bpmn_xml(etree.parse(str(path)).getroot(), path.name)
    workflow = BpmnWorkflow(parser.get_spec("two_step"), parser.get_subprocess_specs("two_step"))
    workflow.script_engine = SCRIPT_ENGINE
    workflow.get_tasks(state=TaskState.READY)[0].data.update({"amount": 5})
    workflow.do_engine_steps()
    expected = {k: v for k, v in SERIALIZER.to_dict(workflow).items() if k not in SPEC_KEYS}
    assert dump_state(workflow) == expected


def test_decimals_and_dates_in_process_data_survive_the_stored_state():
    import json
    from datetime import date
    from decimal import Decimal
    from pathlib import Path

    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    from app.engine.serializer import SERIALIZER, dump_state, load_state

    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(Path(__file__).parents[1] / "data" / "engine" / "visit_flow.bpmn"))
    spec = parser.get_spec("visit_flow")
    workflow = BpmnWorkflow(spec)
    workflow.do_engine_steps()
    task = workflow.get_tasks(manual=True)[0]
    task.data["terms"] = {"credit_limit": Decimal("120000.50"), "from": date(2026, 12, 1)}
    stored = json.loads(json.dumps(dump_state(workflow)))  # what the JSON column holds
    restored = load_state(stored, (spec, {}), SERIALIZER.VERSION)
    again = next(t for t in restored.get_tasks() if t.id == task.id)
    assert again.data["terms"] == {"credit_limit": Decimal("120000.50"), "from": date(2026, 12, 1)}
