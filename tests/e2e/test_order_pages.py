"""Order pages over HTTP: the dealer's catalogue with its own prices and availability, ordering
from it (submit or draft; refusals keep what was typed), the order page with its checks, shipping
and receipt from the page, and the data scope."""

from __future__ import annotations

import re

import pytest

from app.adapters.clock import business_today
from tests.conftest import csrf_token, web_login
from tests.order_helpers import close, order_app


@pytest.fixture(scope="module")
def app(database_url):
    from app.adapters import pricing
    from app.extensions import db
    from app.models import Dealer, Product

    application = order_app(database_url, AUTH_RATE_LIMIT="1000 per minute")  # many logins
    with application.app_context():
        gd = db.session.scalar(db.select(Dealer).where(Dealer.code == "D-GD-1"))
        t500 = db.session.scalar(db.select(Product).where(Product.code == "T-500"))

        pricing.add_special_price(
            db.session,
            dealer=gd,
            product=t500,
            price=pricing.Decimal("39.00"),
            valid_from=business_today(),
            valid_to=None,
            reference="SPR-TEST",
            actor="test",
        )
        db.session.commit()
        pricing.invalidate_cache()
    yield application
    close(application)


def logged_in(app, user):
    client = app.test_client()
    assert web_login(client, user).status_code == 302
    return client


def status_of(html: str) -> str:
    return re.search(r'data-testid="order-summary" data-status="(\w+)"', html).group(1)


def order_id_of(resp) -> int:
    match = re.search(r"/orders/(\d+)$", resp.headers["Location"])
    assert match, resp.headers.get("Location")
    return int(match.group(1))


def test_dealer_orders_from_its_catalogue_and_sees_the_checks(app):
    client = logged_in(app, "dealer_sh1")
    page = client.get("/orders/new")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-sku="W-550"' in html and 'data-price="30.0000"' in html
    assert 'data-price="39.0000"' not in html  # another dealer's special price never shows
    resp = client.post(
        "/orders/new",
        data={
            "csrf_token": csrf_token(html),
            "qty_W-550": "10",
            "qty_T-500": "",
            "note": "下午送货",
            "action": "submit",
        },
    )
    assert resp.status_code == 302
    order = client.get(f"/orders/{order_id_of(resp)}").get_data(as_text=True)
    assert status_of(order) == "confirmed" and "¥300.00" in order
    for kind in ("stock", "price", "credit", "diversion"):
        assert f'data-kind="{kind}"' in order
    assert "下午送货" in order


def test_a_refused_order_keeps_what_was_typed(app):
    client = logged_in(app, "dealer_sh1")
    html = client.get("/orders/new").get_data(as_text=True)
    resp = client.post(
        "/orders/new", data={"csrf_token": csrf_token(html), "qty_W-550": "-3", "action": "submit"}
    )
    text = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'data-testid="form-errors"' in text and 'value="-3"' in text
    resp = client.post("/orders/new", data={"csrf_token": csrf_token(html), "action": "submit"})
    assert resp.status_code == 422  # no lines at all


def test_draft_then_submit_from_the_order_page(app):
    client = logged_in(app, "dealer_gd1")
    html = client.get("/orders/new").get_data(as_text=True)
    assert 'data-price="39.0000"' in html  # its own special price
    resp = client.post(
        "/orders/new", data={"csrf_token": csrf_token(html), "qty_W-550": "2", "action": "draft"}
    )
    pk = order_id_of(resp)
    page = client.get(f"/orders/{pk}").get_data(as_text=True)
    assert status_of(page) == "draft" and 'data-testid="submit-draft"' in page
    client.post(f"/orders/{pk}/submit", data={"csrf_token": csrf_token(page)})
    assert status_of(client.get(f"/orders/{pk}").get_data(as_text=True)) == "confirmed"
    # another dealer cannot open it
    assert logged_in(app, "dealer_sh1").get(f"/orders/{pk}").status_code == 404


def test_warehouse_ships_and_dealer_confirms_receipt_on_the_page(app):
    dealer = logged_in(app, "dealer_sh1")
    html = dealer.get("/orders/new").get_data(as_text=True)
    pk = order_id_of(
        dealer.post(
            "/orders/new", data={"csrf_token": csrf_token(html), "qty_W-550": "6", "action": "submit"}
        )
    )
    warehouse = logged_in(app, "warehouse")
    page = warehouse.get(f"/orders/{pk}").get_data(as_text=True)
    assert 'data-testid="ship-form"' in page and 'data-testid="cancel-order"' not in page
    warehouse.post(
        f"/shipments/order/{pk}",
        data={"csrf_token": csrf_token(page), "qty_W-550": "6", "waybill": "ZT9000000001"},
    )
    page = dealer.get(f"/orders/{pk}").get_data(as_text=True)
    assert status_of(page) == "shipped" and 'data-testid="receipt-form"' in page
    shipment = re.search(r'action="/shipments/(\d+)/receipt"', page).group(1)
    dealer.post(
        f"/shipments/{shipment}/receipt",
        data={"csrf_token": csrf_token(page), "order_id": str(pk), "received_W-550": "6"},
    )
    assert status_of(dealer.get(f"/orders/{pk}").get_data(as_text=True)) == "received"


def test_a_sales_rep_chooses_among_its_dealers_only(app):
    rep = logged_in(app, "rep")
    page = rep.get("/orders/new").get_data(as_text=True)
    assert 'value="D-SH-1"' in page and 'value="D-GD-1"' in page and 'value="D-JS-1"' not in page
    assert rep.get("/orders/new?dealer=D-JS-1").status_code == 404
    assert 'data-sku="W-550"' in rep.get("/orders/new?dealer=D-GD-1").get_data(as_text=True)
    listing = rep.get("/orders/").get_data(as_text=True)
    assert 'data-testid="orders-table"' in listing


def test_a_change_is_requested_from_the_order_page(app):
    dealer = logged_in(app, "dealer_sh1")
    html = dealer.get("/orders/new").get_data(as_text=True)
    pk = order_id_of(
        dealer.post(
            "/orders/new", data={"csrf_token": csrf_token(html), "qty_W-550": "4", "action": "submit"}
        )
    )
    page = dealer.get(f"/orders/{pk}").get_data(as_text=True)
    assert 'data-testid="change-form"' in page
    dealer.post(
        f"/orders/{pk}/change", data={"csrf_token": csrf_token(page), "qty_W-550": "8", "reason": "加量"}
    )
    page = dealer.get(f"/orders/{pk}").get_data(as_text=True)
    assert 'data-testid="change-requests"' in page and "W-550→8" in page


def test_the_excel_pages_are_linked_from_the_list(app):
    rep = logged_in(app, "rep")
    listing = rep.get("/orders/").get_data(as_text=True)
    assert "/orders/excel/import" in listing and "/orders/excel/template" in listing
    assert rep.get("/orders/excel/import").status_code == 200
    template = rep.get("/orders/excel/template")
    assert template.status_code == 200 and template.mimetype.endswith("spreadsheetml.sheet")
    assert logged_in(app, "warehouse").get("/orders/excel/import").status_code in (302, 403)


def test_bulk_actions_recheck_each_order(app):
    from io import BytesIO

    from openpyxl import load_workbook

    rep = logged_in(app, "rep")
    dealer_gd = logged_in(app, "dealer_gd1")
    html = dealer_gd.get("/orders/new").get_data(as_text=True)
    gd_order = order_id_of(
        dealer_gd.post(
            "/orders/new", data={"csrf_token": csrf_token(html), "qty_W-550": "1", "action": "draft"}
        )
    )
    sh = logged_in(app, "dealer_sh1")
    html = sh.get("/orders/new").get_data(as_text=True)
    sh_order = order_id_of(
        sh.post("/orders/new", data={"csrf_token": csrf_token(html), "qty_W-550": "1", "action": "draft"})
    )
    listing = sh.get("/orders/").get_data(as_text=True)
    # the dealer ticks its own order and (by a forged id) another dealer's: only its own is touched
    resp = sh.post(
        "/orders/bulk",
        data={
            "csrf_token": csrf_token(listing),
            "ids": [str(sh_order), str(gd_order)],
            "action": "cancel",
            "reason": "重复下单",
        },
    )
    assert resp.status_code == 302
    assert status_of(sh.get(f"/orders/{sh_order}").get_data(as_text=True)) == "cancelled"
    assert status_of(dealer_gd.get(f"/orders/{gd_order}").get_data(as_text=True)) == "draft"
    export = rep.post(
        "/orders/bulk",
        data={
            "csrf_token": csrf_token(rep.get("/orders/").get_data(as_text=True)),
            "ids": [str(sh_order), str(gd_order)],
            "action": "export",
        },
    )
    rows = list(load_workbook(BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[0][0] and {r[1] for r in rows[1:]} == {"D-SH-1", "D-GD-1"}
    export = sh.post(
        "/orders/bulk",
        data={"csrf_token": csrf_token(listing), "ids": [str(sh_order), str(gd_order)], "action": "export"},
    )
    assert {
        r[1] for r in list(load_workbook(BytesIO(export.data)).active.iter_rows(values_only=True))[1:]
    } == {"D-SH-1"}


def test_a_browser_session_does_not_open_the_json_apis(app):
    """The APIs take tokens only (they are exempt from CSRF): a logged-in page session gets a 401."""
    dealer = logged_in(app, "dealer_sh1")
    body = {"lines": [{"sku": "W-550", "qty": 1}]}
    assert dealer.post("/api/v1/order/", json=body).status_code == 401
    assert dealer.get("/api/v1/order/").status_code == 401
    assert dealer.post("/api/v1/shipment/1/receipt", json={}).status_code == 401
    assert dealer.get("/api/v1/statement/credit").status_code == 401
