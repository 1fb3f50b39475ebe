"""The process configuration of a template bundle — flows with their decision tables, forms, KPI
sets, role grants — normalised from the bundle and from the database, and applied through the
same functions as the admin pages: form release, flow deploy, KPI set save, role grants."""

from __future__ import annotations

import re
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.kpi_files import KPI_DIR, read_document
from app.adapters.kpi_store import save_set
from app.adapters.roles_file import RoleDefinition
from app.engine.definitions import deploy, latest_version
from app.engine.form_release import release_form
from app.formkit.schemas import form_exists
from app.formkit.store import form_snapshot
from app.models import KpiSetRecord, ProcessDefinition

PERMISSION_VERBS = ("read", "write", "manage", "move", "receive")


def _perm(name: str) -> str:
    return f"can_{name}" if name in PERMISSION_VERBS else name


# --- forms ----------------------------------------------------------------------------------


def form_state(session: Session, name: str) -> dict | None:
    found = form_snapshot(session, name)
    return None if found is None else {"schema": found["schema"], "uischema": found["uischema"]}


def form_version(session: Session, name: str) -> str:
    found = form_snapshot(session, name)
    if found is None:
        return "—"
    return f"v{found['version']}" if found["version"] else "file"


def apply_form(
    session: Session, name: str, form: tuple[dict, dict], actor: str, known_roles: set[str]
) -> None:
    release_form(session, name, form[0], form[1], actor=actor, known_roles=known_roles)


# --- flows and their decision tables ---------------------------------------------------------


def flow_state(session: Session, key: str) -> dict | None:
    latest = latest_version(session, key)
    return None if latest is None else {"files": dict(latest.files)}


def flow_desired(files: dict[str, bytes]) -> dict:
    return {"files": {name: content.decode("utf-8") for name, content in files.items()}}


def flow_version(session: Session, key: str) -> int:
    latest = latest_version(session, key)
    return latest.version if latest is not None else 0


def apply_flow(session: Session, files: dict[str, bytes], actor: str, known_roles: set[str], forms: set[str]):
    return deploy(
        session,
        files,
        actor=actor,
        form_exists=lambda name: name in forms or form_exists(name),
        known_roles=known_roles,
    )


def deployed_rules(session: Session) -> dict[str, str]:
    """DMN file name -> its text in the newest version of the first flow (by key) that holds it."""
    out: dict[str, str] = {}
    for key in session.scalars(select(ProcessDefinition.key).order_by(ProcessDefinition.key)):
        latest = latest_version(session, key)
        for name, text in (latest.files if latest else {}).items():
            if name.endswith(".dmn"):
                out.setdefault(name, text)
    return out


# --- KPI sets ---------------------------------------------------------------------------------


def kpi_states(session: Session) -> dict[str, dict]:
    return {r.key: r.document for r in session.scalars(select(KpiSetRecord))}


def kpi_defaults() -> dict[str, Any]:
    """The shipped sets' documents by key (the platform default of each)."""
    out = {}
    for path in sorted(KPI_DIR.glob("*.yaml")):
        doc = read_document(path.read_bytes(), path.name)
        out[doc["key"]] = doc
    return out


def apply_kpi_set(session: Session, key: str, text: str, actor: str) -> None:
    save_set(session, key, text, actor)


# --- roles ------------------------------------------------------------------------------------


def _all_pvms(sm) -> list:
    return sm.session.query(sm.permissionview_model).all()


def wanted_permissions(sm, definition: RoleDefinition, admin_role: str) -> list:
    pvms = _all_pvms(sm)
    if definition.name == admin_role:
        return pvms
    patterns = [(re.compile(view), {_perm(p) for p in perms}) for view, perms in definition.grants.items()]
    return [
        pvm
        for pvm in pvms
        if pvm.view_menu
        and pvm.permission
        and any(rx.fullmatch(pvm.view_menu.name) and pvm.permission.name in names for rx, names in patterns)
    ]


def _names(pvms) -> list[str]:
    return sorted(f"{p.view_menu.name}|{p.permission.name}" for p in pvms)


def role_state(sm, name: str) -> dict | None:
    role = sm.find_role(name)
    return None if role is None else {"grants": _names(role.permissions)}


def role_desired(sm, definition: RoleDefinition, admin_role: str) -> dict:
    return {"grants": _names(wanted_permissions(sm, definition, admin_role))}


def apply_role(sm, definition: RoleDefinition, admin_role: str) -> None:
    role = sm.find_role(definition.name)
    if role is None:
        role = sm.add_role(definition.name)
    role.permissions = wanted_permissions(sm, definition, admin_role)
    sm.session.flush()


def roles_yaml(sm, names: list[str]) -> str:
    """The grants of roles as a roles file (exact view names), for export."""
    roles = {}
    for name in names:
        role = sm.find_role(name)
        if role is None:
            continue
        grants: dict[str, list[str]] = {}
        for pvm in sorted(role.permissions, key=lambda p: (p.view_menu.name, p.permission.name)):
            grants.setdefault(re.escape(pvm.view_menu.name), []).append(pvm.permission.name)
        roles[name] = {"grants": grants}
    return yaml.safe_dump({"roles": roles}, allow_unicode=True, sort_keys=True)
