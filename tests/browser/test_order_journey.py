"""The order journey (issue 8's acceptance): a dealer orders on a phone and sees the checks, the
regional manager approves in the inbox, the warehouse ships in two shipments from the order page,
the carrier pushes signed tracking events, the dealer confirms receipt on the phone."""

from __future__ import annotations

import json
import re
import urllib.request
from decimal import Decimal

from playwright.sync_api import expect

from app.domain.shipments import signature
from tests.browser.api import login, post_json
from tests.browser.conftest import TRACKING_SECRET
from tests.browser.test_login_journey import log_in
from tests.conftest import PASSWORD

SKU, DEALER, QTY = "BEV-W-550", "D-SH-001", 400


def push_tracking(server: str, events: list[dict]) -> dict:
    body = json.dumps({"events": events}).encode()
    headers = {
        "Content-Type": "application/json",
        "X-DMS-Source": "SF",
        "X-DMS-Signature": signature(TRACKING_SECRET, body),
    }
    url = f"{server}/api/v1/shipment/events"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our local test server)
        return json.loads(response.read())


def test_order_on_a_phone_approve_ship_twice_track_and_receive(server, new_page, screenshot):
    token = login(server, "finance", PASSWORD)
    quote = post_json(
        f"{server}/api/v1/price/quote", {"dealer": DEALER, "lines": [{"sku": SKU, "qty": QTY}]}, token
    )
    assert (
        Decimal(10000) <= Decimal(quote["total"]) < Decimal(50000)
    )  # the approval table sends it to the regional manager

    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(phone, "dealer_sh1")
    phone.goto("/orders/new")
    phone.get_by_test_id("catalogue-search").fill("550")
    phone.get_by_test_id(f"qty-{SKU}").fill(str(QTY))
    expect(phone.get_by_test_id("cart")).to_contain_text(quote["total"][:-3])
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(phone, "order-1-phone-cart")
    phone.get_by_test_id("submit-order").click()
    expect(phone).to_have_url(re.compile(r"/orders/\d+$"))
    order_url = phone.url
    summary = phone.get_by_test_id("order-summary")
    expect(summary).to_have_attribute("data-status", "in_review")
    checks = phone.get_by_test_id("order-checks")
    for kind in ("stock", "price", "credit", "diversion"):
        expect(checks.locator(f"[data-kind={kind}]")).to_have_count(1)
    expect(checks.locator("[data-kind=stock]")).to_have_attribute("data-outcome", "ok")
    expect(checks.locator("[data-kind=credit]")).to_contain_text("500000.00")
    screenshot(phone, "order-2-phone-checks")

    manager = new_page()
    log_in(manager, "rm_east")
    manager.goto("/inbox/")
    manager.locator("[data-testid=inbox] tr", has_text="区域经理审批订单").get_by_role("link").first.click()
    manager.locator("input[name=decision][value=approve]").check()
    manager.locator("textarea[name=comment]").fill("同意，按时发货")
    manager.locator("form.dms-form button[type=submit]").click()
    expect(manager).to_have_url(re.compile(r"/inbox/$"))

    warehouse = new_page()
    log_in(warehouse, "warehouse")
    warehouse.goto(order_url)
    expect(warehouse.get_by_test_id("order-summary")).to_have_attribute("data-status", "confirmed")
    warehouse.get_by_test_id(f"ship-qty-{SKU}").fill("250")
    warehouse.get_by_test_id("waybill").fill("SF7000000001")
    warehouse.locator("input[name=carrier]").fill("SF")
    warehouse.get_by_test_id("ship").click()
    expect(warehouse.get_by_test_id("order-summary")).to_have_attribute("data-status", "partially_shipped")
    warehouse.get_by_test_id("waybill").fill("SF7000000002")
    warehouse.locator("input[name=carrier]").fill("SF")
    warehouse.get_by_test_id("ship").click()  # the rest (150) is prefilled
    expect(warehouse.get_by_test_id("order-summary")).to_have_attribute("data-status", "shipped")
    expect(warehouse.get_by_test_id("shipment")).to_have_count(2)
    screenshot(warehouse, "order-3-two-shipments")

    result = push_tracking(
        server,
        [
            {
                "id": "sf-1",
                "waybill": "SF7000000001",
                "carrier": "SF",
                "code": "picked_up",
                "at": "2026-11-27T09:00:00+08:00",
                "location": "苏州",
            },
            {
                "id": "sf-2",
                "waybill": "SF7000000001",
                "carrier": "SF",
                "code": "delivered",
                "at": "2026-11-28T14:00:00+08:00",
                "location": "上海",
            },
            {
                "id": "sf-3",
                "waybill": "SF7000000002",
                "carrier": "SF",
                "code": "in_transit",
                "at": "2026-11-28T10:00:00+08:00",
                "location": "昆山",
            },
        ],
    )
    assert [r["duplicate"] for r in result["results"]] == [False, False, False]

    phone.goto(order_url)
    first = phone.locator("[data-testid=shipment][data-number$='-1']")
    expect(first).to_have_attribute("data-status", "delivered")
    expect(first.get_by_test_id("tracking")).to_contain_text("上海")
    first.get_by_test_id("confirm-receipt").click()
    second = phone.locator("[data-testid=shipment][data-number$='-2']")
    second.get_by_test_id(f"received-{SKU}").fill("148")
    second.locator("input[name=note]").fill("两箱破损")
    second.get_by_test_id("confirm-receipt").click()
    expect(phone.get_by_test_id("order-summary")).to_have_attribute("data-status", "received")
    expect(phone.get_by_test_id("claims")).to_contain_text("2")
    expect(phone.get_by_test_id("timeline").locator("[data-action=receipt]")).to_have_count(2)
    screenshot(phone, "order-4-phone-received")
