"""Saving a form is releasing it: the flows that use it are deployed again with the new version,
so their next instances show it (running instances keep the form they started with)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.engine.definitions import Deployed, redeploy_using_form
from app.formkit.store import save_form
from app.models import FormVersion


def release_form(
    session: Session, name: Any, schema: Any, uischema: Any, *, actor: str, known_roles: set[str]
) -> tuple[FormVersion, bool, list[Deployed]]:
    """Store a new form version and redeploy the flows using it; (version, created, new flow versions).

    No commit. A flow that no longer deploys with the new form refuses the whole save
    (``DeployRefused`` naming the flow's file and element)."""
    version, created = save_form(session, name, schema, uischema, actor)
    if not created:
        return version, False, []
    deployed = redeploy_using_form(session, version.name, actor=actor, known_roles=known_roles)
    return version, True, [d for d in deployed if d.created]
