"""The generic BPMN engine around SpiffWorkflow (Workflow engine issue)."""
