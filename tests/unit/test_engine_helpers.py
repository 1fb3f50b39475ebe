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
