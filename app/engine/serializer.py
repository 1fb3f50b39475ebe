"""SpiffWorkflow serializer setup, and the split of instance state from the version's spec."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from app.domain.errors import Conflict


class TypedDataTaskConverter(TaskConverter):
    """SpiffWorkflow 3.2 writes a task's data (and its delta) without the registry's typed
    conversions, although it restores them through it: convert them too, so Decimal and date
    values survive JSON."""

    def to_dict(self, task):
        dct = super().to_dict(task)
        dct["data"] = self.registry.convert(dct["data"])
        if dct["delta"]:
            dct["delta"] = {**dct["delta"], "updates": self.registry.convert(dct["delta"]["updates"])}
        return dct


SERIALIZER = BpmnWorkflowSerializer(
    BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, Task: TypedDataTaskConverter})
)
# Money and other numbers entered in forms are Decimal: kept exact through the stored state.
SERIALIZER.registry.register(
    Decimal, lambda value, **_: {"value": str(value)}, lambda dct, **_: Decimal(dct["value"])
)
SERIALIZER.registry.register(
    date, lambda value, **_: {"value": value.isoformat()}, lambda dct, **_: date.fromisoformat(dct["value"])
)
SPEC_KEYS = ("spec", "subprocess_specs")


class StateTooNew(Conflict):
    """Stored state was written by a newer SpiffWorkflow than the one installed (refused, 409)."""


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _workflow_converter() -> tuple[BpmnWorkflowConverter, str] | None:
    """The registry's converter of BpmnWorkflow and its typename, if it is SpiffWorkflow's own."""
    typename = SERIALIZER.registry.typenames.get(BpmnWorkflow)
    to_dict = SERIALIZER.registry.convert_to_dict.get(typename)
    func = getattr(to_dict, "args", (None, None))[1]
    converter = getattr(func, "__self__", None)
    if type(converter) is BpmnWorkflowConverter and typename is not None:
        return converter, typename
    return None


_CONVERTER = _workflow_converter()


def dump_state(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The workflow's state without its spec (the spec is stored once per version).

    ``SERIALIZER.to_dict`` without converting the spec and the subprocess specs only to drop
    them: the same parts as ``BpmnWorkflowConverter.to_dict``, in the same order.
    """
    if _CONVERTER is None:
        dct = SERIALIZER.to_dict(workflow)
        for key in SPEC_KEYS:
            dct.pop(key, None)
        return dct
    converter, typename = _CONVERTER
    dct = WorkflowConverter.to_dict(converter, workflow)
    dct["subprocesses"] = converter.mapping_to_dict(workflow.subprocesses)
    dct["bpmn_events"] = converter.registry.convert(workflow.bpmn_events)
    dct["typename"] = typename
    return dct


def _copy(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts, lists, scalars), faster than ``copy.deepcopy``."""
    kind = type(value)
    if kind is dict:
        return {k: _copy(v) for k, v in value.items()}
    if kind is list:
        return [_copy(v) for v in value]
    if kind in (str, int, float, bool) or value is None:
        return value
    return copy.deepcopy(value)


def load_state(state: dict[str, Any], specs: tuple[Any, dict[str, Any]], serializer_version: str,
               spec_json: dict[str, Any] | None = None) -> BpmnWorkflow:  # fmt: skip
    """Rebuild a workflow from stored state and the version's (cached) spec objects.

    State of the current serializer version is restored around the spec objects as they are
    (they are immutable); older state is migrated from a copy of the spec JSON; newer is refused.
    """
    if _version_tuple(serializer_version) > _version_tuple(SERIALIZER.VERSION):
        raise StateTooNew(
            f"instance state has serializer version {serializer_version}, newer than "
            f"{SERIALIZER.VERSION} of the installed SpiffWorkflow"
        )
    if serializer_version == SERIALIZER.VERSION:
        spec, subprocess_specs = specs
        return SERIALIZER.from_dict({**_copy(state), "spec": spec, "subprocess_specs": subprocess_specs})
    dct = {**_copy(state), **copy.deepcopy(spec_json or {})}
    dct[SERIALIZER.VERSION_KEY] = serializer_version
    SERIALIZER.migrate(dct)
    return SERIALIZER.from_dict(dct)


_SPECS: dict[tuple[int, str], tuple[Any, dict[str, Any]]] = {}


def specs_of(
    version_id: int, content_hash: str, spec: Callable[[], dict[str, Any]]
) -> tuple[Any, dict[str, Any]]:
    """The spec objects of a version: immutable, so restored once per process and cached.

    ``spec`` returns the version's spec JSON; it is called only when the cache misses.
    """
    key = (version_id, content_hash)
    if key not in _SPECS:
        if len(_SPECS) >= 256:
            _SPECS.clear()
        dct = copy.deepcopy(spec())
        subprocesses = {name: SERIALIZER.registry.restore(s) for name, s in dct["subprocess_specs"].items()}
        _SPECS[key] = (SERIALIZER.registry.restore(dct["spec"]), subprocesses)
    return _SPECS[key]
