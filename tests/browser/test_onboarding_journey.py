"""A company applies on a phone through the public sign-up page with a licence scan; sales ops,
the regional manager and finance handle it in their inboxes; the dealer and its user exist."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from app.domain.uscc import check_character
from tests.browser.test_login_journey import log_in

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
USCC = "91440100MA5XY0007" + check_character("91440100MA5XY0007")


def fill_application(page: Page) -> None:
    page.locator("input[name=company_name]").fill("广州手机申请商贸有限公司")
    page.locator("input[name=uscc]").fill(USCC)
    page.locator("select[name=region]").select_option("GD")
    page.locator("select[name=tier]").select_option("B")  # the fmcg template's tiers: A, B, KA
    page.locator("select[name=revenue_band]").select_option("R2")
    page.locator("input[name='contact[name]']").fill("李女士")
    page.locator("input[name='contact[phone]']").fill("13900000000")
    page.locator("textarea[name='address[address]']").fill("广州市越秀区中山五路 2 号")
    page.locator("input[name='business_license[number]']").fill("440100000000777")
    page.locator("input[name='business_license[scan]']").set_input_files(
        {"name": "licence.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )


def handle(page: Page, user: str, task_name: str, fill) -> None:
    log_in(page, user)
    page.goto("/inbox/")
    page.locator("[data-testid=inbox] tr", has_text=task_name).get_by_role("link").first.click()
    fill(page)
    page.locator("form.dms-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    expect(page.locator("[data-testid=inbox]", has_text=task_name)).to_have_count(0)
    page.goto("/logout/")


def approve(page: Page) -> None:
    page.locator("input[name=decision][value=approve]").check()


def test_public_sign_up_on_a_phone_to_dealer_created(new_page, screenshot):
    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.goto("/signup/")
    fill_application(phone)
    screenshot(phone, "onboarding-1-phone-application")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone.get_by_test_id("submit-application").click()
    link = phone.get_by_test_id("status-link").get_by_role("link")
    expect(link).to_be_visible()
    status_url = link.get_attribute("href")
    assert status_url and re.search(r"/signup/status/[A-Za-z0-9_-]{20,}$", status_url)
    phone.goto(status_url)
    expect(phone.get_by_test_id("application-status")).to_have_attribute("data-outcome", "in_review")
    screenshot(phone, "onboarding-2-phone-status")

    desk = new_page()

    def review(page: Page) -> None:
        # the reviewer reads the application as its form, with the licence scan as a link
        step = page.get_by_test_id("earlier-step").first
        expect(step).to_contain_text("广州")
        expect(step.locator("a[href^='/files/']")).to_have_count(1)
        screenshot(page, "onboarding-2b-review-shows-the-application")
        approve(page)

    handle(desk, "salesops", "资质审核", review)
    handle(desk, "rm_south", "区域经理审批", approve)

    def terms(page: Page) -> None:
        page.locator("input[name=credit_limit]").fill("80000.50")
        page.locator("input[name=payment_terms_days]").fill("30")

    handle(desk, "finance", "信用额度", terms)

    phone.goto(status_url)
    expect(phone.get_by_test_id("application-status")).to_have_attribute("data-outcome", "approved")
    username = phone.get_by_test_id("dealer-username").inner_text()
    assert username.startswith("d-gd-")
    phone.locator("#pw").fill("dealer-pass-1")
    phone.locator("#pw2").fill("dealer-pass-1")
    phone.locator("form.dms-form button[type=submit]").click()
    screenshot(phone, "onboarding-3-phone-approved")

    dealer = new_page()
    log_in(dealer, username, "dealer-pass-1")
    dealer.goto("/dealerview/list/")
    expect(dealer.get_by_text("广州手机申请商贸有限公司")).to_be_visible()
    screenshot(dealer, "onboarding-4-dealer-sees-itself")
