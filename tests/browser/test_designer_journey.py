"""The form designer says where a JSON box is broken while typing, before anything is posted."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_login_journey import log_in
from tests.conftest import ADMIN_PASSWORD


def test_designer_flags_broken_json_while_typing(new_page, screenshot):
    page = new_page()
    log_in(page, "admin", ADMIN_PASSWORD)
    page.goto("/forms/edit/")
    box = page.locator("#schema")
    box.fill('{"type": "object",\n "properties": {"a": }}')
    note = page.locator("[data-json-error='schema']")
    expect(note).to_contain_text("2")  # line 2 of the box
    expect(note).to_contain_text("}}")  # and what is there
    expect(page.locator(".form-group.has-error #schema")).to_have_count(1)
    screenshot(page, "11-designer-json-error")
    box.fill('{"type": "object"}')
    expect(note).to_have_text("")
    expect(page.locator(".form-group.has-error #schema")).to_have_count(0)
