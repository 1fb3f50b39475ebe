"""The analytics store follows real orders: an order confirmed through the API counts after the
job runs (not inside the order's transaction), a back-office cancellation takes it out again;
the figures stay equal to a full rebuild."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import auth
from tests.order_helpers import close, create, order_app, order_tokens


@pytest.fixture(scope="module")
def app(database_url):
    application = order_app(database_url)
    yield application
    close(application)


@pytest.fixture(scope="module")
def tokens(app):
    return order_tokens(app)


def _sales(client, token, **args):
    resp = client.get("/api/v1/analytics/sales", query_string=args, headers=auth(token))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_confirmed_order_counts_after_the_job_and_cancellation_reverses_it(app, tokens):
    from app.extensions import db
    from app.jobs.analytics import analytics_rebuild, analytics_update
    from tests.analytics_helpers import store_rows

    client = app.test_client()
    order = create(client, tokens["rep"], {"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 5}]})
    assert order["status"] == "confirmed"
    assert _sales(client, tokens["exec"], group_by="dealer")["rows"] == []  # not booked yet
    with app.app_context():
        assert analytics_update(app).orders >= 1  # PostgreSQL also looks back at earlier events
    body = _sales(client, tokens["exec"], group_by="dealer,sku", measure="amount,quantity,order_count")
    assert body["rows"][0] | {"drill": None} == {
        "dealer": "D-SH-1",
        "dealer_name": "上海一号经销商",
        "dealer_name_en": None,
        "sku": "W-550",
        "sku_name": "矿泉水 550ml",
        "sku_name_en": None,
        "amount": str(Decimal(order["amount"]).quantize(Decimal("0.01"))),
        "quantity": 5,
        "order_count": 1,
        "drill": None,
    }
    assert _sales(client, tokens["dealer_gd1"], group_by="dealer")["rows"] == []
    resp = client.post(
        f"/api/v1/order/{order['id']}/cancel", json={"reason": "客户取消"}, headers=auth(tokens["rep"])
    )
    assert resp.status_code == 200
    with app.app_context():
        analytics_update(app)
        booked = store_rows(db.session)
        analytics_rebuild(app)
        assert store_rows(db.session) == booked
    assert _sales(client, tokens["exec"], group_by="dealer")["rows"] == []
