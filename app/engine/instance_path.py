"""What the instance viewer highlights: the BPMN of the instance's version, the elements it
has completed and the ones it is at now (open user tasks, waiting timers and messages)."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.util.task import TaskState

from app.engine.instance_store import workflow_of
from app.models import InstanceEvent, ProcessInstance

BPMN_MARK = "BPMN/20100524/MODEL"


def instance_path(instance: ProcessInstance, events: list[InstanceEvent]) -> dict[str, Any]:
    """``{"xml", "completed": [element ids], "current": [element ids]}`` for the viewer."""
    xml = next((c for n, c in instance.version.files.items() if BPMN_MARK in c[:2000]), "")
    completed = sorted({e.element_id for e in events if e.kind == "step" and e.element_id})
    current: set[str] = set()
    if instance.status not in ("completed", "cancelled"):
        workflow = workflow_of(instance)
        for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            element = getattr(task.task_spec, "bpmn_id", None)
            if element and element != instance.version.definition.key:
                current.add(element)
    return {"xml": xml, "completed": completed, "current": sorted(current)}
