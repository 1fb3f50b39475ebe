"""Industry templates in a real browser (issue 10): the consultant sees the demo's fmcg template as
applied, plans the building-materials template (flows, forms and tables that would change, new
catalogue), applies it through the page, and the next plan has nothing left to apply; the plan
page works on a phone."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.test_login_journey import log_in


def _plan(page: Page, key: str) -> None:
    page.goto("/templates/")
    page.locator(f"tr[data-template={key}] a.btn-primary").click()
    expect(page.get_by_test_id("template-summary")).to_be_visible()


def test_a_consultant_plans_and_applies_an_industry_template(new_page, screenshot):
    page = new_page(viewport={"width": 1280, "height": 900})
    log_in(page, "consultant")
    page.goto("/templates/")
    rows = page.get_by_test_id("template-list")
    for key in ("fmcg", "building_materials", "auto_parts"):
        expect(rows.locator(f"tr[data-template={key}]")).to_be_visible()
    expect(rows.locator("tr[data-template=fmcg]")).to_contain_text("cli")  # applied by init --demo
    expect(rows.locator("tr[data-template=building_materials]")).to_contain_text(
        re.compile("从未应用|Never applied")
    )

    _plan(page, "building_materials")
    created = page.get_by_test_id("template-create")
    expect(created).to_contain_text("product:TILE")
    expect(page.get_by_test_id("template-update")).to_contain_text("workflow:order_approval")
    expect(page.get_by_test_id("template-update")).to_contain_text("form:dealer_application")
    screenshot(page, "templates-plan-building-materials")

    page.get_by_test_id("template-apply").locator("button[type=submit]").click()
    expect(page.get_by_test_id("template-applied")).to_be_visible(timeout=60_000)
    screenshot(page, "templates-applied")

    _plan(page, "building_materials")
    expect(page.get_by_test_id("template-create")).to_have_count(0)
    expect(page.get_by_test_id("template-update")).to_have_count(0)
    expect(page.get_by_test_id("template-conflict")).to_have_count(0)
    page.goto("/templates/")
    expect(
        page.get_by_test_id("template-list").locator("tr[data-template=building_materials]")
    ).to_contain_text("consultant")


def test_the_plan_page_works_on_a_phone(new_page, screenshot):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(page, "consultant")
    _plan(page, "auto_parts")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 2, f"the page scrolls sideways ({width}px)"
    screenshot(page, "templates-plan-phone")
