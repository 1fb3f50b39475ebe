"""On a phone, a dealer fills a task form with order lines, fixes an invalid row, submits."""

from __future__ import annotations

from playwright.sync_api import expect

from app.config import ROOT
from tests.browser.api import deploy, login, post_json
from tests.browser.test_login_journey import log_in
from tests.conftest import ADMIN_PASSWORD, PASSWORD


def test_dealer_fills_order_lines_on_a_phone(server, new_page, screenshot):
    admin = login(server, "admin", ADMIN_PASSWORD)
    assert (
        deploy(server, admin, [ROOT / "tests" / "data" / "engine" / "lines_flow.bpmn"])["key"] == "lines_flow"
    )
    consultant = login(server, "consultant", PASSWORD)
    started = post_json(
        f"{server}/api/v1/process_instance/",
        {"process_key": "lines_flow", "data": {"dealer": "D-SH-001", "business_key": "SO-PHONE"}},
        consultant,
    )

    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(page, "dealer_sh1")
    page.goto("/inbox/")
    page.locator("[data-testid=inbox] tr", has_text="SO-PHONE").get_by_role("link").first.click()
    page.locator("input[name=ship_to]").fill("上海市浦东新区世纪大道 1 号")
    page.get_by_role("button", name="添加一行").click()
    page.get_by_role("button", name="添加一行").click()
    page.locator("input[name='lines[0][sku]']").fill("SKU-001")
    page.locator("input[name='lines[0][qty]']").fill("3")
    page.locator("input[name='lines[1][sku]']").fill("SKU-002")
    page.locator("input[name='lines[1][qty]']").fill("0")
    page.get_by_role("button", name="提交").click()

    error = page.locator(".dms-error[data-field='lines[1][qty]']")
    expect(error).to_be_visible()
    expect(page.locator("input[name='lines[0][sku]']")).to_have_value("SKU-001")
    screenshot(page, "6-phone-form-row-error")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    page.locator("input[name='lines[1][qty]']").fill("5")
    page.get_by_role("button", name="提交").click()
    expect(page.locator("[data-testid=inbox]", has_text="SO-PHONE")).to_have_count(0)
    page.goto(f"/inbox/instance/{started['id']}")
    expect(page.get_by_test_id("status")).to_have_text("completed")
