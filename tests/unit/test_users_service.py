"""create_user: validation of username, password, roles and scope, with a fake unit of work."""

import pytest

from app.domain.errors import Conflict, ValidationFailed
from app.domain.scope import ScopeKind
from app.services.ports import ScopeRecord
from app.services.scope import scope_of_user
from app.services.users import NewUser, create_user

KINDS = {
    "Admin": ScopeKind.ALL,
    "RegionalManager": ScopeKind.REGION,
    "SalesRep": ScopeKind.ASSIGNED,
    "Dealer": ScopeKind.COMPANY,
}


class FakeRoles:
    def exists(self, role):
        return role in KINDS

    def scope_kind(self, role):
        return KINDS.get(role, ScopeKind.NONE)


class FakeUsers:
    def __init__(self):
        self.rows = {}

    def username_taken(self, username):
        return any(r["username"] == username for r in self.rows.values())

    def add(self, **row):
        user_id = len(self.rows) + 1
        self.rows[user_id] = row
        return user_id

    def scope_record(self, user_id):
        row = self.rows.get(user_id)
        if row is None:
            return None
        paths = {1: "/EAST/", 2: "/SOUTH/"}
        return ScopeRecord(
            tuple(row["roles"]),
            tuple(paths[i] for i in row["region_ids"]),
            tuple(row["dealer_ids"]),
            row["company_id"],
        )


class FakeCodes:
    def __init__(self, table):
        self.table = table

    def ids_by_code(self, codes):
        return {c: self.table[c] for c in codes if c in self.table}


class FakeUow:
    def __init__(self):
        self.roles, self.users = FakeRoles(), FakeUsers()
        self.regions = FakeCodes({"EAST": 1, "SOUTH": 2})
        self.dealers = FakeCodes({"D1": 11, "D2": 12})
        self.committed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def commit(self):
        self.committed = True

    def rollback(self):
        pass


def test_creates_regional_manager_with_regions():
    uow = FakeUow()
    created = create_user(uow, NewUser("rm1", ("RegionalManager",), regions=("EAST",), password="longenough"))
    assert uow.committed and created.password is None
    assert uow.users.rows[created.id]["region_ids"] == [1]
    assert scope_of_user(uow, created.id).region_paths == frozenset({"/EAST/"})


def test_generates_a_password_when_none_given():
    created = create_user(FakeUow(), NewUser("boss", ("Admin",)))
    assert created.password and len(created.password) >= 12


def test_dealer_user_gets_company_not_assignments():
    uow = FakeUow()
    created = create_user(uow, NewUser("dealer1", ("Dealer",), dealers=("D2",), password="longenough"))
    row = uow.users.rows[created.id]
    assert row["company_id"] == 12 and row["dealer_ids"] == []
    assert scope_of_user(uow, created.id).dealer_ids == frozenset({12})


@pytest.mark.parametrize(
    ("req", "field"),
    [
        (NewUser("x", ("Admin",), password="longenough"), "username"),
        (NewUser("user1", (), password="longenough"), "role"),
        (NewUser("user1", ("Nope",), password="longenough"), "role"),
        (NewUser("user1", ("Admin",), password="short"), "password"),
        (NewUser("user1", ("RegionalManager",), password="longenough"), "region"),
        (NewUser("user1", ("RegionalManager",), regions=("MARS",), password="longenough"), "region"),
        (NewUser("user1", ("Dealer",), password="longenough"), "dealer"),
        (NewUser("user1", ("Dealer",), dealers=("D1", "D2"), password="longenough"), "dealer"),
        (NewUser("user1", ("SalesRep",), dealers=("D9",), password="longenough"), "dealer"),
        (NewUser("user1", ("Admin",), regions=("EAST",), password="longenough"), "region"),
    ],
)
def test_bad_requests_name_the_field_and_change_nothing(req, field):
    uow = FakeUow()
    with pytest.raises(ValidationFailed) as err:
        create_user(uow, req)
    assert field in err.value.errors
    assert uow.users.rows == {} and not uow.committed


def test_duplicate_username_is_a_conflict():
    uow = FakeUow()
    create_user(uow, NewUser("same", ("Admin",), password="longenough"))
    with pytest.raises(Conflict):
        create_user(uow, NewUser("same", ("Admin",), password="longenough"))
    assert len(uow.users.rows) == 1


def test_unknown_user_has_empty_scope():
    assert scope_of_user(FakeUow(), 42).is_empty
