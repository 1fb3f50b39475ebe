"""Charts in a real browser (issue 9's acceptance): orders placed through the API are booked by
``run.py analytics update``; the executive's home page draws the twelve-month trend and the sales
analytics page draws its charts (screenshots kept); a regional manager of another region sees
none of those sales; the analytics page works on a phone."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.browser.api import login, post_json
from tests.browser.test_login_journey import log_in
from tests.conftest import PASSWORD

SKU = "BEV-W-550"
ORDERS = [("dealer_sh1", "D-SH-001", 10), ("dealer_gd1", "D-GD-001", 60)]  # both approved at once


def _drawn(page: Page, selector: str) -> dict:
    """What ECharts drew in ``selector``: its canvas size and the number of data points."""
    return page.evaluate(
        """(selector) => {
            const el = document.querySelector(selector);
            const chart = window.echarts && echarts.getInstanceByDom(el);
            const canvas = el && el.querySelector("canvas");
            if (!chart || !canvas) return {points: 0, width: 0, height: 0};
            const points = chart.getOption().series.reduce((n, s) => n + (s.data || []).length, 0);
            return {points: points, width: canvas.width, height: canvas.height};
        }""",
        selector,
    )


@pytest.fixture(scope="module")
def booked(server, cli) -> Decimal:
    """Place the orders and book them into the analytics store; their total."""
    total = Decimal(0)
    for user, dealer, qty in ORDERS:
        token = login(server, user, PASSWORD)
        order = post_json(
            f"{server}/api/v1/order/", {"dealer": dealer, "lines": [{"sku": SKU, "qty": qty}]}, token
        )
        assert order["status"] == "confirmed", order
        total += Decimal(order["amount"])
    cli("analytics", "update")
    return total


def test_sales_charts_render_for_the_executive_and_follow_the_scope(booked, new_page, screenshot):

    page = new_page(viewport={"width": 1280, "height": 900})
    log_in(page, "exec")
    page.goto("/")
    expect(page.get_by_test_id("month-amount")).to_be_visible()
    assert Decimal(page.get_by_test_id("month-amount").inner_text().replace(",", "")) >= booked
    page.wait_for_selector("#sales-trend canvas")
    drawn = _drawn(page, "#sales-trend")
    assert drawn["points"] >= 1 and drawn["width"] > 100 and drawn["height"] > 50
    screenshot(page, "analytics-home-exec")

    page.goto("/analytics/sales")
    for chart in ("#trend-chart", "#region-chart"):
        page.wait_for_selector(f"{chart} canvas")
        assert _drawn(page, chart)["points"] >= 1, chart
    expect(page.locator("body")).to_contain_text("D-GD-001")
    screenshot(page, "analytics-sales-exec")

    other = new_page(viewport={"width": 1280, "height": 900})
    log_in(other, "rm_east")  # East China: Shanghai's order, not Guangdong's
    other.goto("/analytics/sales")
    expect(other.locator("body")).to_contain_text("D-SH-001")
    expect(other.locator("body")).not_to_contain_text("D-GD-001")


def test_sales_analytics_on_a_phone(booked, new_page, screenshot):
    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(phone, "rm_south")
    phone.goto("/analytics/sales")
    phone.wait_for_selector("#trend-chart canvas")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 16, f"the page scrolls sideways on a phone ({width}px)"
    screenshot(phone, "analytics-sales-phone")
