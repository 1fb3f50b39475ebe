"""Data scope resolution: which dealers/regions a combination of roles may see."""

from app.domain.scope import NOTHING, DataScope, ScopeKind, resolve_scope


def test_any_all_role_gives_everything():
    scope = resolve_scope([ScopeKind.REGION, ScopeKind.ALL], region_paths=["/EAST/"])
    assert scope.unrestricted
    assert scope.allows_dealer(99, "/SOUTH/GD/")


def test_regional_manager_sees_own_region_and_subregions_only():
    scope = resolve_scope([ScopeKind.REGION], region_paths=["/EAST/"])
    assert scope.allows_dealer(1, "/EAST/SH/")
    assert scope.allows_dealer(1, "/EAST/")
    assert not scope.allows_dealer(1, "/SOUTH/GD/")
    assert not scope.allows_dealer(1, "/EASTERN/")  # a prefix of the code is not the subtree


def test_sales_rep_sees_assigned_dealers_not_their_regions():
    scope = resolve_scope([ScopeKind.ASSIGNED], region_paths=["/EAST/"], assigned_dealer_ids=[3, 4])
    assert scope.region_paths == frozenset()
    assert scope.allows_dealer(3, "/SOUTH/")
    assert not scope.allows_dealer(5, "/EAST/SH/")


def test_dealer_user_sees_only_own_company():
    scope = resolve_scope([ScopeKind.COMPANY], assigned_dealer_ids=[7], company_dealer_id=3)
    assert scope.dealer_ids == frozenset({3})


def test_roles_combine_as_union():
    scope = resolve_scope(
        [ScopeKind.REGION, ScopeKind.ASSIGNED], region_paths=["/EAST/"], assigned_dealer_ids=[9]
    )
    assert scope.allows_dealer(9, "/SOUTH/")
    assert scope.allows_dealer(1, "/EAST/JS/")


def test_no_scope_data_means_nothing():
    assert resolve_scope([ScopeKind.REGION]).is_empty
    assert resolve_scope([ScopeKind.COMPANY]).is_empty
    assert resolve_scope([]) == NOTHING
    assert not NOTHING.allows_dealer(1, "/EAST/")


def test_allows_region():
    scope = DataScope(region_paths=frozenset({"/EAST/SH/"}))
    assert scope.allows_region("/EAST/SH/X/")
    assert not scope.allows_region("/EAST/")
    assert not scope.allows_region(None)
