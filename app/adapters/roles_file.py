"""Roles as data: load ``roles.yaml`` (role → scope kind, labels, grants)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from app.domain.errors import ValidationFailed
from app.domain.scope import ScopeKind


@dataclass(frozen=True)
class RoleDefinition:
    """One role: how it limits data, its zh/en labels and its permission grants."""

    name: str
    scope: ScopeKind
    labels: dict[str, str] = field(default_factory=dict)
    grants: dict[str, tuple[str, ...]] = field(default_factory=dict)


def load_roles(path: str | Path) -> dict[str, RoleDefinition]:
    """Parse a roles file; refuse unknown scope kinds or malformed grants, naming the role."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    roles = data.get("roles")
    if not isinstance(roles, dict) or not roles:
        raise ValidationFailed(f"{path}: top-level 'roles' mapping is missing")
    common = data.get("common_grants") or {}
    result: dict[str, RoleDefinition] = {}
    for name, spec in roles.items():
        spec = spec or {}
        try:
            scope = ScopeKind(spec.get("scope", "none"))
        except ValueError:
            raise ValidationFailed(
                f"{path}: role {name}: unknown scope {spec.get('scope')!r}",
                {name: f"scope must be one of {', '.join(k.value for k in ScopeKind)}"},
            ) from None
        grants: dict[str, tuple[str, ...]] = {}
        for source in (common, spec.get("grants") or {}):
            if not isinstance(source, dict):
                raise ValidationFailed(f"{path}: role {name}: grants must be a mapping")
            for view, perms in source.items():
                if isinstance(perms, str):
                    perms = [perms]
                grants[view] = tuple(dict.fromkeys([*grants.get(view, ()), *perms]))
        result[name] = RoleDefinition(name, scope, dict(spec.get("label") or {}), grants)
    return result


class YamlRoleCatalog:
    """RoleCatalog port over a roles file."""

    def __init__(self, roles: dict[str, RoleDefinition]) -> None:
        self._roles = roles

    def exists(self, role: str) -> bool:
        return role in self._roles

    def scope_kind(self, role: str) -> ScopeKind:
        definition = self._roles.get(role)
        return definition.scope if definition else ScopeKind.NONE
