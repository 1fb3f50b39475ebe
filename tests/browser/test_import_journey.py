"""Browser journey: a regional manager imports dealers from Excel on a phone and watches the
progress page reach the report; a row outside the manager's region is reported, then the
good rows are written with "valid rows only"."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_login_journey import log_in
from tests.excel_helpers import uscc, workbook_bytes

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _upload(page, path, all_or_nothing: bool) -> None:
    page.goto("/dealerview/list/")
    page.get_by_test_id("excel-buttons").locator("a[href$='/dealers/excel/import']").click()  # any language
    page.locator("#file").set_input_files(str(path))
    page.locator("#mode").select_option("insert")
    page.locator("input[name=all_or_nothing]").set_checked(all_or_nothing)
    page.get_by_test_id("import-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("import-state")).to_have_attribute("data-status", "done")


def test_import_on_a_phone_shows_progress_and_report(new_page, screenshot, tmp_path):
    path = tmp_path / "经销商导入.xlsx"
    path.write_bytes(
        workbook_bytes(
            [
                {"code": "BR-SH-01", "name": "浏览器导入上海店", "region": "SH", "uscc": uscc(4242)},
                {"code": "BR-BJ-01", "name": "北京店", "region": "BJ"},
            ]
        )
    )
    page = new_page(**PHONE)
    log_in(page, "rm_east")

    _upload(page, path, all_or_nothing=True)
    expect(page.get_by_test_id("import-progress")).to_have_text("100%")
    report = page.get_by_test_id("import-report")
    expect(report.locator("tbody tr")).to_have_count(1)
    expect(report.locator("tbody tr").first).to_contain_text("3")
    expect(report.locator("tbody tr").first).to_contain_text("region BJ is outside your data scope")
    expect(page.locator("#n-inserted")).to_have_text("0")
    expect(page.locator("#not-written")).to_be_visible()
    expect(page.get_by_test_id("error-file")).to_have_attribute("href", re.compile(r"/files/[0-9a-f]{32}$"))
    screenshot(page, "import-report-phone")

    _upload(page, path, all_or_nothing=False)
    expect(page.locator("#n-inserted")).to_have_text("1")
    page.goto("/dealerview/list/?_flt_0_code=BR-SH-01")
    expect(page.locator("body")).to_contain_text("浏览器导入上海店")
