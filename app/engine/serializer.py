"""SpiffWorkflow serializer setup, and the split of instance state from the version's spec."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from app.domain.errors import Conflict

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
SPEC_KEYS = ("spec", "subprocess_specs")


class StateTooNew(Conflict):
    """Stored state was written by a newer SpiffWorkflow than the one installed (refused, 409)."""


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def dump_state(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The workflow's state without its spec (the spec is stored once per version)."""
    dct = SERIALIZER.to_dict(workflow)
    for key in SPEC_KEYS:
        dct.pop(key, None)
    return dct


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
        return SERIALIZER.from_dict(
            {**copy.deepcopy(state), "spec": spec, "subprocess_specs": subprocess_specs}
        )
    dct = {**copy.deepcopy(state), **copy.deepcopy(spec_json or {})}
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
