"""An administrator opens an approval flow in the BPMN modeler, raises the amount threshold of
a gateway in the properties panel (no XML), deploys, and the next instance takes the new path;
an invalid edit is refused with the problem pinned to the element and nothing deployed.
The instance page then shows the diagram with the path taken."""

from __future__ import annotations

import json
import urllib.request

from playwright.sync_api import expect

from app.config import ROOT
from tests.browser.api import deploy, login, post_json
from tests.browser.test_login_journey import log_in
from tests.conftest import ADMIN_PASSWORD

DATA = ROOT / "tests" / "data" / "engine"


def _start(server: str, token: str, amount: int) -> dict:
    return post_json(
        f"{server}/api/v1/process_instance/",
        {"process_key": "amount_gate", "data": {"amount": amount, "dealer": "D-SH-001"}},
        token,
    )


def _versions(server: str, token: str) -> list[int]:
    request = urllib.request.Request(  # noqa: S310 (local test server)
        f"{server}/api/v1/process_definition/", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local test server)
        listing = json.loads(response.read())
    found = [d for d in listing["result"] if d["key"] == "amount_gate"]
    return [v["version"] for v in found[0]["versions"]] if found else []


def _bpmn(server: str, token: str) -> str:
    """The deployed BPMN of the newest amount_gate version, read through the modeler's page data."""
    request = urllib.request.Request(  # noqa: S310 (local test server)
        f"{server}/api/v1/process_definition/amount_gate/xml", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local test server)
        return response.read().decode()


def _select(page, element_id: str, name: str) -> None:
    """Click the element's label in the diagram: the properties panel shows it."""
    page.locator(f'#bpmn-canvas [data-element-id="{element_id}_label"]').first.click(force=True)
    expect(page.locator("#bpmn-properties .bio-properties-panel-header")).to_contain_text(name)


def _condition_box(page):
    return page.locator("#bpmn-properties textarea[name='dms-condition-expr']")


def test_admin_raises_a_gateway_threshold_in_the_modeler(server, new_page, screenshot):
    admin = login(server, "admin", ADMIN_PASSWORD)
    assert deploy(server, admin, [DATA / "amount_gate.bpmn"])["key"] == "amount_gate"
    before = _start(server, admin, 20000)
    assert before["current_tasks"][0]["element_id"] == "manager_review"  # above the old 10,000

    page = new_page(viewport={"width": 1400, "height": 900})
    log_in(page, "admin", ADMIN_PASSWORD)
    page.goto("/modeler/")
    page.get_by_test_id("open-amount_gate").click()
    expect(page.locator("#bpmn-canvas[data-ready='1']")).to_be_attached()
    # The user task's settings are fields, not XML: its candidate role is shown, a time limit is set.
    page.locator('#bpmn-canvas [data-element-id="manager_review"]').first.click()
    expect(page.locator("#bpmn-properties input[name='dms-roles']")).to_have_value("RegionalManager")
    page.locator("#bpmn-properties input[name='dms-due']").fill("P3D")
    _select(page, "big", "大额")
    box = _condition_box(page)
    expect(box).to_have_value("amount > 10000")

    # An expression the sandbox refuses: deploy is refused, the flow is marked, nothing deployed.
    box.fill("amount.__class__ > 1")
    page.locator("h2").click()
    page.locator("[data-action='deploy']").click()
    problems = page.get_by_test_id("problems")
    expect(problems).to_be_visible()
    expect(problems).to_contain_text("big")
    expect(page.locator('#bpmn-canvas .djs-element.dms-error[data-element-id="big"]')).to_have_count(1)
    screenshot(page, "8-modeler-refused")
    assert _versions(server, admin) == [1]

    box.fill("amount > 50000")
    page.locator("h2").click()
    page.locator("[data-action='validate']").click()
    expect(page.locator("#modeler-status.alert-success")).to_be_visible()
    expect(problems).to_be_hidden()
    page.locator("[data-action='deploy']").click()
    expect(page.locator("#modeler-status.alert-success")).to_contain_text("amount_gate")
    screenshot(page, "9-modeler-deployed")
    assert _versions(server, admin) == [1, 2]

    assert _start(server, admin, 20000)["current_tasks"][0]["element_id"] == "rep_review"  # new path
    assert "P3D" in _bpmn(server, admin)  # the time limit went into the deployed XML
    assert _start(server, admin, 60000)["current_tasks"][0]["element_id"] == "manager_review"

    # The instance started before the change keeps version 1; its page shows where it stands.
    page.goto(f"/inbox/instance/{before['id']}")
    expect(page.locator("#instance-diagram[data-ready='1']")).to_be_attached()
    expect(page.locator('#instance-diagram .dms-current[data-element-id="manager_review"]')).to_have_count(1)
    expect(page.locator('#instance-diagram .dms-completed[data-element-id="gate"]')).to_have_count(1)
    expect(page.locator('#instance-diagram .dms-taken[data-element-id="big"]')).to_have_count(1)
    screenshot(page, "10-instance-viewer")
