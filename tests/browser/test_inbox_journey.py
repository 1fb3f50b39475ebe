"""A regional manager approves a task from the inbox (待办) in a real browser."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.api import login, post_json
from tests.browser.test_login_journey import log_in
from tests.conftest import PASSWORD


def test_regional_manager_approves_from_the_inbox(server, new_page, screenshot):
    token = login(server, "consultant", PASSWORD)
    started = post_json(
        f"{server}/api/v1/process_instance/",
        {"process_key": "generic_approval", "data": {"dealer": "D-SH-002", "business_key": "GA-0001"}},
        token,
    )
    assert started["status"] == "waiting"

    page = new_page()
    log_in(page, "rm_east")
    page.goto("/inbox/")
    row = page.locator("[data-testid=inbox] tr", has_text="GA-0001")
    expect(row).to_be_visible()
    row.get_by_role("link", name="区域经理审核").click()
    page.locator("input[name=decision][value=approve]").check()
    page.locator("textarea[name=comment]").fill("同意，价格符合政策")
    screenshot(page, "4-task-form-zh")
    page.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=inbox]", has_text="GA-0001")).to_have_count(0)

    page.goto(f"/inbox/instance/{started['id']}")
    expect(page.get_by_test_id("status")).to_have_text("completed")
    expect(page.get_by_test_id("history")).to_contain_text("rm_east")
    screenshot(page, "5-instance-history")
