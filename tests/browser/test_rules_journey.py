"""An administrator raises a decision table's threshold in the browser (no XML), deploys it,
and the next instance takes the new path while the old one keeps its version."""

from __future__ import annotations

import json
import urllib.request
import uuid

from playwright.sync_api import expect

from app.config import ROOT
from tests.browser.test_inbox_journey import _post
from tests.browser.test_login_journey import log_in
from tests.conftest import ADMIN_PASSWORD

DATA = ROOT / "tests" / "data" / "engine"


def _deploy(server: str, token: str, paths) -> dict:
    boundary = uuid.uuid4().hex
    body = b""
    for path in paths:
        body += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
                "Content-Type: application/xml\r\n\r\n"
            ).encode()
            + path.read_bytes()
            + b"\r\n"
        )
    body += f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(  # noqa: S310
        f"{server}/api/v1/process_definition/",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our local test server)
        return json.loads(response.read())


def _first_task(server: str, token: str, amount: int) -> str:
    started = _post(
        f"{server}/api/v1/process_instance/",
        {"process_key": "rules_flow", "data": {"amount": amount, "dealer": "D-SH-001"}},
        token,
    )
    return started["current_tasks"][0]["element_id"]


def test_admin_raises_a_threshold_in_the_decision_table(server, new_page, screenshot):
    admin = _post(
        f"{server}/api/v1/security/login", {"username": "admin", "password": ADMIN_PASSWORD, "provider": "db"}
    )["access_token"]
    assert _deploy(server, admin, [DATA / "rules_flow.bpmn", DATA / "route.dmn"])["key"] == "rules_flow"
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
