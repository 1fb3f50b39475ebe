"""Policy simulation: a draft is replayed on the last months of confirmed orders against the live
policy — revenue and margin (standard cost) by region and tier; only drafts; bad months refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import auth
from tests.order_helpers import close, create, order_app, order_tokens


@pytest.fixture(scope="module")
def app(database_url):
    from app.extensions import db
    from app.models import Product

    application = order_app(database_url)
    with application.app_context():
        for code, cost in (("W-550", "20.00"), ("T-500", "30.00")):
            db.session.scalar(db.select(Product).where(Product.code == code)).standard_cost = Decimal(cost)
        db.session.commit()
    yield application
    close(application)


def test_a_cheaper_regional_price_shows_in_that_region_only(app):
    client, tokens = app.test_client(), order_tokens(app)
    for _ in range(2):
        assert (
            create(client, tokens["dealer_sh1"], {"lines": [{"sku": "W-550", "qty": 10}]})["status"]
            == "confirmed"
        )
    assert (
        create(client, tokens["dealer_gd1"], {"lines": [{"sku": "W-550", "qty": 20}]})["status"]
        == "confirmed"
    )
    draft = client.post(
        "/api/v1/price_policy/draft", json={"note": "华南降价"}, headers=auth(tokens["finance"])
    )
    assert draft.status_code == 201, draft.get_json()
    draft_id = draft.get_json()["id"]
    record = {"type": "region", "region": "SOUTH", "sku": "W-550", "price": "27.00"}
    resp = client.post(
        f"/api/v1/price_policy/{draft_id}/records", json=record, headers=auth(tokens["finance"])
    )
    assert resp.status_code == 201, resp.get_json()

    result = client.get(
        f"/api/v1/price_policy/{draft_id}/simulate?months=3", headers=auth(tokens["finance"])
    ).get_json()
    regions = {r["region"]: r for r in result["by_region"]}
    assert regions["EAST"]["live_revenue"] == regions["EAST"]["draft_revenue"] == "600.00"
    assert regions["SOUTH"]["live_revenue"] == "600.00" and regions["SOUTH"]["draft_revenue"] == "540.00"
    assert regions["SOUTH"]["revenue_diff"] == "-60.00" and regions["SOUTH"]["revenue_diff_pct"] == "-10.00"
    assert regions["SOUTH"]["live_margin"] == "200.00" and regions["SOUTH"]["draft_margin"] == "140.00"
    assert result["total"]["revenue_diff"] == "-60.00" and result["total"]["lines"] == 3
    tiers = {t["tier"]: t for t in result["by_tier"]}
    assert tiers["A"]["revenue_diff"] == "0.00" and tiers["-"]["revenue_diff"] == "-60.00"

    # the page shows the same figures
    from tests.conftest import web_login

    page_client = app.test_client()
    assert web_login(page_client, "finance").status_code == 302
    page = page_client.get(f"/pricing/{draft_id}?simulate=1&months=3").get_data(as_text=True)
    assert 'data-testid="simulation"' in page and "-60.00" in page


def test_only_drafts_and_sane_months(app):
    client, tokens = app.test_client(), order_tokens(app)
    versions = client.get("/api/v1/price_policy/", headers=auth(tokens["finance"])).get_json()["result"]
    live = next(v for v in versions if v["status"] == "published")
    assert (
        client.get(f"/api/v1/price_policy/{live['id']}/simulate", headers=auth(tokens["finance"])).status_code
        == 422
    )
    draft_id = client.post("/api/v1/price_policy/draft", json={}, headers=auth(tokens["finance"])).get_json()[
        "id"
    ]
    for months in ("0", "25", "x"):
        resp = client.get(
            f"/api/v1/price_policy/{draft_id}/simulate?months={months}", headers=auth(tokens["finance"])
        )
        assert resp.status_code == 422 and "months" in resp.get_json()["errors"]
    assert (
        client.get(
            f"/api/v1/price_policy/{draft_id}/simulate", headers=auth(tokens["dealer_sh1"])
        ).status_code
        == 403
    )
