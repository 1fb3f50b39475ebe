"""The sales analytics pages in zh_CN and en: dashboard (cards, charts' data, regions, dealers,
product contribution) with the filters in the URL, drill-down to orders and lines, xlsx
downloads; the same figures as the API; each user sees only their scope."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.analytics_helpers import analytics_app, at, make_order
from tests.conftest import auth, web_login

PERIOD = "from=2026-01-01&to=2026-03-31"


@pytest.fixture(scope="module")
def app(database_url):
    application = analytics_app(database_url)
    from app.extensions import db
    from app.jobs.analytics import analytics_update

    with application.app_context():
        s = db.session
        make_order(s, "D-SH-1", [("W-550", 10, "30.00"), ("T-500", 2, "45.50")], at(2026, 1, 3))
        make_order(s, "D-JS-1", [("C-1KG", 12, "58.80")], at(2026, 2, 15))
        make_order(s, "D-GD-1", [("W-550", 50, "29.00"), ("C-1KG", 3, "60.00")], at(2026, 3, 1))
        make_order(s, "D-GD-1", [("W-550", 5, "29.00")], at(2025, 12, 1))  # the previous period
        s.commit()
        analytics_update(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _chart(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="analytics-data">(.*?)</script>', page, re.S)
    assert match, "no chart data"
    return json.loads(match.group(1))


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh_CN", ["销售分析", "华东", "华南"]),
        ("en", ["Sales analytics", "Product contribution", "Top dealers", "East China"]),
    ],
)
def test_dashboard_in_both_languages(app, lang, words):
    client = app.test_client()
    web_login(client, "exec")
    client.get(f"/lang/{lang}")
    page = client.get(f"/analytics/sales?{PERIOD}&grain=month").get_data(as_text=True)
    for word in words:
        assert word in page, (lang, word)
    for testid in ("analytics-cards", "trend-table", "region-table", "top-dealers", "pareto-table"):
        assert f'data-testid="{testid}"' in page
    chart = _chart(page)
    assert chart["trend"]["labels"] == ["2026-01", "2026-02", "2026-03"]
    assert sum(chart["trend"]["values"]) == pytest.approx(300 + 91 + 705.6 + 1450 + 180)
    assert {r["code"] for r in chart["regions"]} == {"EAST", "SOUTH"}
    assert chart["pareto"]["cumulative"][-1] == 100.0
    assert 'value="2026-01-01"' in page  # the filters stay in the form and the links
    assert "from=2026-01-01" in page


def test_page_figures_equal_the_api(app):
    client = app.test_client()
    from tests.conftest import api_token

    token = api_token(client, "rep")
    api = client.get(f"/api/v1/analytics/sales?group_by=month&{PERIOD}", headers=auth(token)).get_json()
    web_login(client, "rep")
    chart = _chart(client.get(f"/analytics/sales?{PERIOD}").get_data(as_text=True))
    assert chart["trend"]["values"] == [float(Decimal(r["amount"])) for r in api["rows"]]
    assert chart["trend"]["labels"] == [r["month"] for r in api["rows"]]


def test_dealer_sees_only_itself_and_drills_to_lines(app):
    client = app.test_client()
    web_login(client, "dealer_gd1")
    page = client.get(f"/analytics/sales?{PERIOD}").get_data(as_text=True)
    assert "D-GD-1" in page and "D-SH-1" not in page and "D-JS-1" not in page
    orders = client.get(f"/analytics/sales/orders?{PERIOD}&dealer=D-GD-1").get_data(as_text=True)
    number = re.search(r"SO-T\d+", orders).group(0)
    lines = client.get(f"/analytics/sales/lines?{PERIOD}&order={number}").get_data(as_text=True)
    assert "W-550" in lines and "C-1KG" in lines
    refused = client.get(f"/analytics/sales/orders?{PERIOD}&dealer=D-SH-1", follow_redirects=True)
    assert "D-SH-1" in refused.get_data(as_text=True)  # named in the refusal, no figures
    assert "SO-T" not in refused.get_data(as_text=True)


def test_page_downloads(app):
    client = app.test_client()
    web_login(client, "rm_east")
    table = client.get(f"/analytics/sales/table?group_by=region&measure=amount&{PERIOD}")
    rows = list(load_workbook(BytesIO(table.data)).active.iter_rows(values_only=True))
    assert rows[1][0] == "EAST" and Decimal(str(rows[1][2])) == Decimal("1096.60")
    orders = client.get(f"/analytics/sales/orders?{PERIOD}&format=xlsx")
    assert len(list(load_workbook(BytesIO(orders.data)).active.iter_rows(values_only=True))) == 3
    lines = client.get(f"/analytics/sales/lines?{PERIOD}&format=xlsx")
    assert len(list(load_workbook(BytesIO(lines.data)).active.iter_rows(values_only=True))) == 4


def test_bad_filters_are_named_on_the_page(app):
    client = app.test_client()
    web_login(client, "exec")
    page = client.get("/analytics/sales?grain=fortnight&from=2026-02-01&to=2026-01-01").get_data(as_text=True)
    assert "grain" in page and 'data-testid="analytics-cards"' in page
