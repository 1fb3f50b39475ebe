"""Sync roles.yaml into FAB's roles and permissions (``init`` and ``sync-roles``)."""

from __future__ import annotations

import re

from flask import current_app

from app.adapters.roles_file import RoleDefinition
from app.web.permissions import MANAGE, MOVE, READ, RECEIVE, WRITE


def _perm_name(name: str) -> str:
    return f"can_{name}" if name in (READ, WRITE, MANAGE, MOVE, RECEIVE) else name


def sync_roles(appbuilder, roles: dict[str, RoleDefinition]) -> dict[str, int]:
    """Create missing permissions, then give each role exactly the grants of the file.

    View names in grants are regular expressions matched in full. The admin role
    (AUTH_ROLE_ADMIN) always gets every permission. Returns permissions per role.
    """
    sm = appbuilder.sm
    for name in [*roles, current_app.config["AUTH_ROLE_PUBLIC"]]:
        if sm.find_role(name) is None:
            sm.add_role(name)
    appbuilder.add_permissions(update_perms=True)
    all_pvms = sm.session.query(sm.permissionview_model).all()
    admin_role = current_app.config["AUTH_ROLE_ADMIN"]
    summary: dict[str, int] = {}
    for name, definition in roles.items():
        role = sm.find_role(name)
        if name == admin_role:
            wanted = list(all_pvms)
        else:
            patterns = [
                (re.compile(view), {_perm_name(p) for p in perms})
                for view, perms in definition.grants.items()
            ]
            wanted = [
                pvm
                for pvm in all_pvms
                if pvm.view_menu
                and pvm.permission
                and any(
                    rx.fullmatch(pvm.view_menu.name) and pvm.permission.name in names
                    for rx, names in patterns
                )
            ]
        role.permissions = wanted
        summary[name] = len(wanted)
    sm.session.commit()
    return summary
