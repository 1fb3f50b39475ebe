"""Journeys in a real browser: Chinese by default, data scope, English kept per user, phone layout.

Each journey uses its own demo user, so the stored language of one never leaks into another.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

HOME = re.compile(r"^https?://[^/]+/$")


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and land on the home page."""
    page.goto("/login/")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(HOME)
    expect(page.get_by_test_id("welcome")).to_be_visible()


def list_table(page: Page):
    """FAB's list widget (the search form above it is a table too)."""
    return page.locator("table.table-bordered")


def listed_codes(page: Page) -> list[str]:
    """Dealer codes in the rows of the list table."""
    return sorted(set(re.findall(r"\bD-[A-Z]{2}-\d{3}\b", list_table(page).inner_text())))


def test_dealer_signs_in_in_chinese_and_sees_only_its_own_dealer(new_page, screenshot):
    page = new_page()
    page.goto("/login/")
    expect(page.locator("label[for=username]")).to_contain_text("用户名")
    expect(page.locator("input[type=submit]")).to_have_value("登录")

    log_in(page, "dealer_sh1")
    expect(page.get_by_test_id("welcome")).to_have_text("经销商管理平台")
    expect(page.locator("body")).to_contain_text("dealer_sh1")

    page.goto("/dealerview/list/")
    expect(list_table(page)).to_contain_text("D-SH-001")
    screenshot(page, "1-dealer-list-zh")
    assert listed_codes(page) == ["D-SH-001"]
    assert "D-GD-001" not in page.content()


def test_english_is_chosen_from_the_menu_and_kept_for_the_user(new_page, screenshot):
    page = new_page()
    log_in(page, "rm_east")
    welcome = page.get_by_test_id("welcome")
    expect(welcome).to_have_text("经销商管理平台")

    # FAB's language menu: the flag dropdown in the navbar, then "English".
    page.locator(".navbar-right .dropdown-toggle", has=page.locator(".flag")).click()
    page.get_by_role("link", name=re.compile("English")).click()
    expect(welcome).to_have_text("Dealer management platform")
    expect(page.locator(".dms-cards").first).to_contain_text("Dealers")
    expect(page.locator(".navbar")).to_contain_text("Master data")

    # Log out and back in within the same browser: still English.
    page.locator(".navbar-right .dropdown-toggle", has_text="rm_east").click()
    page.get_by_role("link", name=re.compile("Logout")).click()
    page.goto("/login/")
    expect(page.locator("label[for=username]")).to_contain_text("Username")
    log_in(page, "rm_east")
    expect(welcome).to_have_text("Dealer management platform")

    # A new browser (no cookies): the login page is Chinese again, but after signing
    # in the user's stored choice applies...
    fresh = new_page()
    fresh.goto("/login/")
    expect(fresh.locator("label[for=username]")).to_contain_text("用户名")
    log_in(fresh, "rm_east")
    expect(fresh.get_by_test_id("welcome")).to_have_text("Dealer management platform")
    expect(fresh.locator(".dms-cards").first).to_contain_text("Dealers")
    screenshot(fresh, "2-home-en-after-new-login")

    # ...and only to that user.
    other = new_page()
    log_in(other, "rm_south")
    expect(other.get_by_test_id("welcome")).to_have_text("经销商管理平台")


PHONE_WIDTH = 390

# Page width, viewport width, and the elements that stick out past the phone's width.
LAYOUT_JS = """(phoneWidth) => {
    const sticking = [];
    for (const el of document.querySelectorAll("body *")) {
        const box = el.getBoundingClientRect();
        if (box.width > 0 && box.right > phoneWidth + 1) {
            const name = [el.tagName.toLowerCase(), ...el.classList].join(".");
            sticking.push(`${name} [${Math.round(box.left)}, ${Math.round(box.right)}]`);
        }
    }
    return {
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        sticking: sticking.slice(0, 8),
    };
}"""


def horizontal_overflow(page: Page) -> dict | None:
    """None when the page fits the phone; otherwise what was measured.

    A mobile browser zooms out to fit a too-wide page, which widens ``innerWidth`` too;
    so the viewport must still be the phone's width, and the page no wider than that.
    """
    layout = page.evaluate(LAYOUT_JS, PHONE_WIDTH)
    fits = layout["innerWidth"] == PHONE_WIDTH and layout["scrollWidth"] <= layout["innerWidth"] + 1
    return None if fits else layout


def test_phone_sized_home_page_has_no_horizontal_overflow(new_page, screenshot):
    phone = {"viewport": {"width": PHONE_WIDTH, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
    page = new_page(**phone, has_touch=True)
    page.goto("/login/")
    overflow = {"/login/": horizontal_overflow(page)}

    log_in(page, "dealer_gd1")
    page.wait_for_load_state("networkidle")  # charts and fonts settled
    expect(page.locator(".navbar-toggle")).to_be_visible()  # the menu collapses behind the toggle
    screenshot(page, "3-home-phone-390x844")
    overflow["/ (home)"] = horizontal_overflow(page)

    too_wide = {path: layout for path, layout in overflow.items() if layout}
    if too_wide:
        pytest.fail(f"pages wider than a {PHONE_WIDTH}px phone: {too_wide}")
