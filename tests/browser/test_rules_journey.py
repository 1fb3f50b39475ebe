"""An administrator raises a decision table's threshold in the browser (no XML), deploys it,
and the next instance takes the new path while the old one keeps its version."""

from __future__ import annotations

from playwright.sync_api import expect

from app.config import ROOT
from tests.browser.api import deploy, login, post_json
from tests.browser.test_login_journey import log_in
from tests.conftest import ADMIN_PASSWORD

DATA = ROOT / "tests" / "data" / "engine"


def _first_task(server: str, token: str, amount: int) -> str:
    started = post_json(
        f"{server}/api/v1/process_instance/",
        {"process_key": "rules_flow", "data": {"amount": amount, "dealer": "D-SH-001"}},
        token,
    )
    return started["current_tasks"][0]["element_id"]


def test_admin_raises_a_threshold_in_the_decision_table(server, new_page, screenshot):
    admin = login(server, "admin", ADMIN_PASSWORD)
    assert deploy(server, admin, [DATA / "rules_flow.bpmn", DATA / "route.dmn"])["key"] == "rules_flow"
    assert _first_task(server, admin, 20000) == "countersign"  # above the old threshold of 10,000

    page = new_page()
    log_in(page, "admin", ADMIN_PASSWORD)
    page.goto("/rules/")
    page.get_by_role("link", name="route.dmn").click()
    expect(page.locator("#dmn-editor[data-ready='1']")).to_be_visible()
    cell = page.locator("#dmn-editor td", has_text="> 10000").first
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("> 50000")
    page.locator("h2").click()  # leave the cell
    screenshot(page, "7-decision-table-edited")
    page.locator("#deploy").click()
    expect(page.locator(".alert-success, .alert-info").first).to_be_visible()

    assert _first_task(server, admin, 20000) == "single"  # now below the new threshold of 50,000
    assert _first_task(server, admin, 60000) == "countersign"
