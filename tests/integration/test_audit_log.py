"""Audit log (C23): every change of an audited model is recorded; nothing can change a row."""

import pytest
from flask_appbuilder.security.sqla.models import Role, User
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.adapters.audit import AuditLogIsAppendOnly
from app.extensions import db
from app.models import AuditLog, Dealer, Region
from app.services.actor import Actor, acting_as
from tests.conftest import auth


def _rows(entity, entity_id=None):
    query = select(AuditLog).where(AuditLog.entity == entity).order_by(AuditLog.id)
    if entity_id is not None:
        query = query.where(AuditLog.entity_id == str(entity_id))
    return db.session.scalars(query).all()


def test_api_changes_are_audited_with_before_and_after(app, client, tokens):
    region = client.get(
        "/api/v1/region/?q=(filters:!((col:code,opr:eq,value:SH)))", headers=auth(tokens["admin"])
    )
    region_id = region.get_json()["result"][0]["id"]
    created = client.post(
        "/api/v1/dealer/",
        json={"code": "D-AUD-1", "name": "审计测试", "region": region_id, "status": "active"},
        headers=auth(tokens["rm_sh"]),
    )
    assert created.status_code == 201
    dealer_id = created.get_json()["id"]
    client.put(f"/api/v1/dealer/{dealer_id}", json={"name": "审计测试（改）"}, headers=auth(tokens["rm_sh"]))
    client.delete(f"/api/v1/dealer/{dealer_id}", headers=auth(tokens["admin"]))
    with app.app_context():
        rows = _rows("Dealer", dealer_id)
        assert [r.action for r in rows] == ["create", "update", "delete"]
        assert rows[0].actor == "rm_sh" and rows[0].actor_id is not None
        assert rows[0].before is None and rows[0].after["code"] == "D-AUD-1"
        assert rows[1].before == {"name": "审计测试"} and rows[1].after == {"name": "审计测试（改）"}
        assert (
            rows[2].actor == "admin" and rows[2].before["name"] == "审计测试（改）" and rows[2].after is None
        )


def test_role_change_is_audited(app):
    with app.app_context(), acting_as(Actor(None, "tester")):
        user = db.session.scalar(select(User).where(User.username == "warehouse"))
        user.roles.append(db.session.scalar(select(Role).where(Role.name == "Finance")))
        db.session.commit()
        row = _rows("User", user.id)[-1]
        assert row.action == "update" and row.actor == "tester"
        assert row.before == {"roles": ["Warehouse"]}
        assert row.after == {"roles": ["Finance", "Warehouse"]}
        assert "password" not in (row.after or {})
        user.roles = [r for r in user.roles if r.name == "Warehouse"]
        db.session.commit()


def test_cli_and_scope_changes_are_audited(app):
    with app.app_context():
        creates = [r for r in _rows("UserScope") if r.action == "create"]
        assert any(r.after.get("regions") == ["EAST"] for r in creates)
        region_rows = _rows("Region")
        assert {r.after["code"] for r in region_rows if r.action == "create"} >= {"EAST", "SH", "GD"}


def test_orm_cannot_update_or_delete_audit_rows(app):
    with app.app_context():
        row = db.session.scalars(select(AuditLog).limit(1)).one()
        row.actor = "forged"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.scalars(select(AuditLog).limit(1)).one())
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'forged'", "DELETE FROM audit_log"])
def test_database_refuses_changes_to_audit_rows(app, statement):
    with app.app_context():
        count = db.session.scalar(select(db.func.count(AuditLog.id)))
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
        assert db.session.scalar(select(db.func.count(AuditLog.id))) == count
        assert db.session.scalar(select(db.func.count(AuditLog.id)).where(AuditLog.actor == "forged")) == 0


def test_no_endpoint_changes_audit_rows(app, client, tokens):
    with app.app_context():
        row_id = db.session.scalars(select(AuditLog.id).limit(1)).one()
    admin = auth(tokens["admin"])
    assert client.put(f"/api/v1/audit/{row_id}", json={"actor": "x"}, headers=admin).status_code == 405
    assert client.delete(f"/api/v1/audit/{row_id}", headers=admin).status_code == 405
    assert client.post("/api/v1/audit/", json={"actor": "x", "action": "y"}, headers=admin).status_code == 405
    assert client.get(f"/api/v1/audit/{row_id}", headers=admin).status_code == 200
    from tests.conftest import ADMIN_PASSWORD, web_login

    web = app.test_client()
    web_login(web, "admin", ADMIN_PASSWORD)
    assert web.get("/auditlogview/list/").status_code == 200
    assert web.get(f"/auditlogview/edit/{row_id}").status_code == 404
    assert web.get(f"/auditlogview/delete/{row_id}").status_code == 404
    assert web.get("/auditlogview/add").status_code == 404


def test_region_move_rewrites_descendant_paths(app, client, tokens):
    admin = auth(tokens["admin"])
    ids = {
        r["code"]: r["id"]
        for r in client.get("/api/v1/region/?q=(page_size:100)", headers=admin).get_json()["result"]
    }
    new = client.post("/api/v1/region/", json={"code": "WEST", "name": "西部", "parent": None}, headers=admin)
    assert new.status_code == 201, new.get_json()
    moved = client.put(f"/api/v1/region/{ids['JS']}", json={"parent": new.get_json()["id"]}, headers=admin)
    assert moved.status_code == 200
    with app.app_context():
        assert db.session.get(Region, ids["JS"]).path == "/WEST/JS/"
        dealer = db.session.scalar(select(Dealer).where(Dealer.code == "D-JS-1"))
        assert dealer.region.path == "/WEST/JS/"
    cycle = client.put(f"/api/v1/region/{new.get_json()['id']}", json={"parent": ids["JS"]}, headers=admin)
    assert cycle.status_code == 422 and "parent" in cycle.get_json()["errors"]
    client.put(f"/api/v1/region/{ids['JS']}", json={"parent": ids["EAST"]}, headers=admin)
    with app.app_context():
        assert db.session.get(Region, ids["JS"]).path == "/EAST/JS/"
