"""Bad API input gets a clear 4xx and changes nothing (found by schemathesis, kept as tests)."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Dealer, Region
from tests.conftest import auth


def _counts(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Region.id))), db.session.scalar(
            select(func.count(Dealer.id))
        )


@pytest.mark.parametrize("method", ["get", "put", "delete"])
@pytest.mark.parametrize("resource", ["dealer", "region", "audit"])
def test_ids_beyond_any_integer_are_404(client, tokens, method, resource):
    kwargs = {"json": {"name": "x"}} if method == "put" else {}
    resp = getattr(client, method)(f"/api/v1/{resource}/{10**30}", headers=auth(tokens["admin"]), **kwargs)
    assert resp.status_code in (404, 405)


def test_nested_related_object_is_refused_and_creates_nothing(app, client, tokens):
    before = _counts(app)
    resp = client.post(
        "/api/v1/dealer/",
        json={"code": "D-NEST", "name": "嵌套", "region": {"code": "HACK", "name": "x", "path": "/"}},
        headers=auth(tokens["rm_sh"]),
    )
    assert resp.status_code == 422 and resp.get_json()["errors"] == {"region": "a code or a record id"}
    assert _counts(app) == before


@pytest.mark.parametrize("value", [True, -1, "1", 1.5, [1]])
def test_related_must_be_an_id(client, tokens, value):
    resp = client.post(
        "/api/v1/region/", json={"code": "R-X", "name": "x", "parent": value}, headers=auth(tokens["admin"])
    )
    assert resp.status_code == 422 and "parent" in resp.get_json()["errors"]


def test_duplicate_code_is_409_naming_the_field(app, client, tokens):
    before = _counts(app)
    resp = client.post("/api/v1/region/", json={"code": "SH", "name": "重复"}, headers=auth(tokens["admin"]))
    assert resp.status_code == 409 and resp.get_json()["errors"] == {"code": "already used"}
    assert _counts(app) == before


def test_missing_fields_are_named(client, tokens):
    resp = client.post("/api/v1/region/", json={"name": "无编码"}, headers=auth(tokens["admin"]))
    assert resp.status_code == 422 and "code" in resp.get_data(as_text=True)
    resp = client.post(
        "/api/v1/dealer/", json={"code": "D-NOREG", "name": "无区域"}, headers=auth(tokens["admin"])
    )
    assert resp.status_code == 422 and "region" in resp.get_data(as_text=True)


def test_unknown_fields_are_refused(client, tokens):
    resp = client.post(
        "/api/v1/region/", json={"code": "R-Y", "name": "y", "path": "/evil/"}, headers=auth(tokens["admin"])
    )
    assert resp.status_code == 422 and "path" in resp.get_data(as_text=True)


@pytest.mark.parametrize("q", ["(page:", "(a:-6.15e)", "!(", "(page_size:1e)"])
def test_malformed_rison_is_400(client, tokens, q):
    for path in ("/api/v1/region/", "/api/v1/region/_info", "/api/v1/dealer/"):
        resp = client.get(path, query_string={"q": q}, headers=auth(tokens["admin"]))
        assert resp.status_code == 400, (path, q)
        assert resp.get_json()["errors"] == {"q": "invalid Rison"}


def test_region_in_use_cannot_be_deleted(app, client, tokens):
    admin = auth(tokens["admin"])
    regions = client.get("/api/v1/region/?q=(page_size:100)", headers=admin).get_json()["result"]
    sh = next(r["id"] for r in regions if r["code"] == "SH")
    before = _counts(app)
    resp = client.delete(f"/api/v1/region/{sh}", headers=admin)
    assert resp.status_code == 422 and "SQL" not in resp.get_json()["message"]
    assert _counts(app) == before


@pytest.mark.parametrize(
    "body", [{"username": "exec", "password": "x"}, {"username": "exec", "password": "x", "provider": 1}]
)
def test_api_login_without_provider_is_400(client, body):
    resp = client.post("/api/v1/security/login", json=body)
    assert resp.status_code == 400 and "provider" in resp.get_json()["errors"]


def test_deleting_a_record_still_in_use_is_refused_in_plain_words(app, tokens):
    client = app.test_client()
    headers = auth(tokens["admin"])
    line = client.post("/api/v1/product_line/", json={"code": "PL-INUSE", "name": "在用"}, headers=headers)
    assert line.status_code == 201, line.get_json()
    product = client.post(
        "/api/v1/product/",
        json={"code": "P-INUSE", "name": "在用品", "product_line": line.get_json()["id"]},
        headers=headers,
    )
    assert product.status_code == 201, product.get_json()
    refused = client.delete(f"/api/v1/product_line/{line.get_json()['id']}", headers=headers)
    body = refused.get_json()
    assert refused.status_code == 422 and body["errors"] == {"id": "still in use"}
    assert "SQL" not in body["message"] and "INSERT" not in body["message"]
