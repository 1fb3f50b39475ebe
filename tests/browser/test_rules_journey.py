"""An administrator raises a decision table's threshold in the browser (no XML), deploys it,
and the next instance takes the new path while the old one keeps its version."""

from __future__ import annotations

import json

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


def _cases(old_threshold: bool) -> dict:
    """Example cases of route.dmn; with ``old_threshold`` one still expects 20,000 to need a countersign."""
    return {
        "decision": "route_decision",
        "cases": [
            {"name": "small order", "inputs": {"amount": 500}, "expect": {"level": "single"}},
            {
                "name": "<b>20,000</b>",
                "inputs": {"amount": 20000},
                "expect": {"level": "countersign" if old_threshold else "single"},
            },
            {"name": "big order", "inputs": {"amount": 60000}, "expect": {"level": "countersign"}},
        ],
    }


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

    # the table has no examples yet: write some, one still expecting the old threshold
    cases = page.locator("#dmn-cases")
    assert json.loads(cases.input_value()) == {"decision": "route_decision", "cases": []}
    cases.fill(json.dumps(_cases(old_threshold=True), indent=2))
    page.locator("#run-cases").click()
    results = page.locator("#case-results")
    expect(results.locator("tr[data-case='failed']")).to_have_count(1)
    failed = results.locator("tr[data-case='failed']")
    expect(failed).to_contain_text("<b>20,000</b>")  # the name is shown as text, not markup
    expect(failed).to_contain_text('{"level":"single"}')  # what the edited table gives
    screenshot(page, "7b-decision-table-examples-failed")
    cases.fill(json.dumps(_cases(old_threshold=False), indent=2))
    page.locator("#run-cases").click()
    expect(results.locator("tr[data-case='passed']")).to_have_count(3)
    expect(results.locator("p.text-success")).to_contain_text("3")  # "3 of 3 cases passed", in Chinese
    screenshot(page, "7c-decision-table-examples-passed")

    page.locator("#deploy").click()
    expect(page.locator(".alert-success, .alert-info").first).to_be_visible()
    assert json.loads(page.locator("#dmn-cases").input_value()) == _cases(old_threshold=False)

    assert _first_task(server, admin, 20000) == "single"  # now below the new threshold of 50,000
    assert _first_task(server, admin, 60000) == "countersign"


def test_examples_on_a_phone(server, new_page, screenshot):
    """On a phone-width screen the examples run and the page does not scroll sideways."""
    page = new_page(viewport={"width": 390, "height": 844})
    log_in(page, "admin", ADMIN_PASSWORD)
    page.goto("/rules/")
    page.get_by_role("link", name="route.dmn").click()
    expect(page.locator("#dmn-editor[data-ready='1']")).to_be_visible()
    page.locator("#run-cases").click()
    expect(page.locator("#case-results tr[data-case='passed']")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("#add-case").click()  # a new case to fill in, with the table's inputs and outputs
    added = json.loads(page.locator("#dmn-cases").input_value())["cases"][-1]
    assert (added["inputs"], added["expect"]) == ({"amount": None}, {"level": None})
    screenshot(page, "7d-decision-table-examples-phone")
