"""roles.yaml parsing."""

import pytest

from app.adapters.roles_file import load_roles
from app.config import ROOT
from app.domain.errors import ValidationFailed
from app.domain.scope import ScopeKind


def test_shipped_roles_have_the_eleven_roles_and_scopes():
    roles = load_roles(ROOT / "app" / "web" / "roles.yaml")
    assert set(roles) == {
        "Admin",
        "Consultant",
        "Executive",
        "RegionalManager",
        "SalesDirector",
        "SalesRep",
        "SalesOps",
        "Applicant",
        "Finance",
        "Warehouse",
        "Dealer",
    }
    assert roles["RegionalManager"].scope is ScopeKind.REGION
    assert roles["SalesRep"].scope is ScopeKind.ASSIGNED
    assert roles["SalesDirector"].scope is ScopeKind.REGION  # price exceptions of its regions
    assert roles["Dealer"].scope is ScopeKind.COMPANY
    assert roles["Executive"].scope is ScopeKind.ALL
    assert roles["Applicant"].scope is ScopeKind.NONE  # held by nobody: the onboarding status page
    assert roles["Dealer"].labels["zh_CN"] == "经销商用户"
    assert "UserInfoEditView" in roles["Dealer"].grants  # common grants apply to all


def test_unknown_scope_names_the_role(tmp_path):
    path = tmp_path / "roles.yaml"
    path.write_text("roles:\n  Boss:\n    scope: galaxy\n")
    with pytest.raises(ValidationFailed) as err:
        load_roles(path)
    assert "Boss" in err.value.message
