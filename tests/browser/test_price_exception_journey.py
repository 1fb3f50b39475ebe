"""On a phone, a sales rep files a special-price request (特价申请); the regional manager of the
dealer's region approves it in the inbox; the request then shows approved."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from playwright.sync_api import expect

from app.adapters.clock import business_today
from tests.browser.api import login, post_json
from tests.browser.test_login_journey import log_in
from tests.conftest import PASSWORD

SKU, DEALER = "BEV-T-500G", "D-SH-001"


def policy_price(server: str) -> Decimal:
    """The dealer's policy unit price for the SKU at the journey's quantity (demo policy)."""
    token = login(server, "finance", PASSWORD)
    quote = post_json(
        f"{server}/api/v1/price/quote", {"dealer": DEALER, "lines": [{"sku": SKU, "qty": 200}]}, token
    )
    return Decimal(quote["lines"][0]["unit_price"])


def test_rep_files_on_a_phone_and_the_regional_manager_approves(server, new_page, screenshot):
    asked = (policy_price(server) * Decimal("0.97")).quantize(Decimal("0.0001"))  # 3 % below
    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(phone, "rep_sh")
    phone.goto("/price/requests/new")
    phone.locator("select[name=dealer]").select_option(DEALER)
    if phone.locator("input[name='lines[0][sku]']").count() == 0:
        phone.locator(".dms-add-row").first.click()
    phone.locator("input[name='lines[0][sku]']").fill(SKU)
    phone.locator("input[name='lines[0][qty]']").fill("200")
    phone.locator("input[name='lines[0][requested_price]']").fill(str(asked))  # regional manager
    phone.locator("select[name=reason_code]").select_option("COMPETITOR")
    phone.locator("textarea[name=reason]").fill("竞品在浦东门店促销 57 元")
    phone.locator("input[name=valid_from]").fill(business_today().isoformat())
    phone.locator("input[name=valid_to]").fill((business_today() + timedelta(days=30)).isoformat())
    screenshot(phone, "price-1-phone-request")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone.get_by_test_id("submit-request").click()
    expect(phone).to_have_url(re.compile(r"/price/requests/\d+$"))
    request_url = phone.url
    summary = phone.get_by_test_id("request-summary")
    expect(summary).to_have_attribute("data-status", "pending")
    expect(phone.get_by_test_id("request-lines")).to_contain_text("-3.00")
    screenshot(phone, "price-2-phone-pending")

    desk = new_page()
    log_in(desk, "rm_east")
    desk.goto("/inbox/")
    desk.locator("[data-testid=inbox] tr", has_text="区域经理审批价格").get_by_role("link").first.click()
    desk.locator("input[name=decision][value=approve]").check()
    desk.locator("select[name=reason_code]").select_option("COMPETITOR")
    desk.locator("textarea[name=comment]").fill("同意，跟进竞品价格")
    screenshot(desk, "price-3-manager-review")
    desk.locator("form.dms-form button[type=submit]").click()
    expect(desk).to_have_url(re.compile(r"/inbox/$"))
    expect(desk.locator("[data-testid=inbox]", has_text="区域经理审批价格")).to_have_count(0)

    phone.goto(request_url)
    expect(phone.get_by_test_id("request-summary")).to_have_attribute("data-status", "approved")
    expect(phone.get_by_test_id("request-summary")).to_contain_text("rm_east")
    screenshot(phone, "price-4-phone-approved")


def test_the_regional_manager_rejects_and_the_request_shows_rejected(server, new_page, screenshot):
    asked = (policy_price(server) * Decimal("0.96")).quantize(Decimal("0.0001"))  # 4 % below
    rep = new_page()
    log_in(rep, "rep_sh")
    rep.goto("/price/requests/new")
    rep.locator("select[name=dealer]").select_option(DEALER)
    if rep.locator("input[name='lines[0][sku]']").count() == 0:
        rep.locator(".dms-add-row").first.click()
    rep.locator("input[name='lines[0][sku]']").fill(SKU)
    rep.locator("input[name='lines[0][qty]']").fill("120")
    rep.locator("input[name='lines[0][requested_price]']").fill(str(asked))
    rep.locator("select[name=reason_code]").select_option("VOLUME")
    rep.locator("textarea[name=reason]").fill("大单，客户要求让利 4%")
    rep.locator("input[name=valid_from]").fill(business_today().isoformat())
    rep.locator("input[name=valid_to]").fill((business_today() + timedelta(days=14)).isoformat())
    rep.get_by_test_id("submit-request").click()
    expect(rep).to_have_url(re.compile(r"/price/requests/\d+$"))
    request_url = rep.url

    desk = new_page()
    log_in(desk, "rm_east")
    desk.goto("/inbox/")
    desk.locator("[data-testid=inbox] tr", has_text="区域经理审批价格").get_by_role("link").first.click()
    desk.locator("input[name=decision][value=reject]").check()
    desk.locator("select[name=reason_code]").select_option("OTHER")
    desk.locator("textarea[name=comment]").fill("利润不足，不同意")
    desk.locator("form.dms-form button[type=submit]").click()
    expect(desk).to_have_url(re.compile(r"/inbox/$"))

    rep.goto(request_url)
    expect(rep.get_by_test_id("request-summary")).to_have_attribute("data-status", "rejected")
    expect(rep.get_by_test_id("request-summary")).to_contain_text("利润不足")
    screenshot(rep, "price-5-rejected")
