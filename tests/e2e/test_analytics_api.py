"""``/api/v1/analytics/``: figures cross-checked against an independent sum over the order lines,
for every table of the store (the answer names it), in each role's data scope; filters never
widen the scope; 422s; drill-down to orders and lines; xlsx exports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.analytics_helpers import analytics_app, at, change_line, expected, make_order, move
from tests.conftest import auth

PERIOD = {"from": "2025-01-01", "to": "2026-06-30"}
SCOPES = {
    "exec": None,
    "rm_east": {"D-SH-1", "D-SH-2", "D-JS-1"},
    "rm_sh": {"D-SH-1", "D-SH-2"},
    "rep": {"D-SH-1", "D-GD-1"},
    "dealer_sh1": {"D-SH-1"},
    "dealer_gd1": {"D-GD-1"},
}


@pytest.fixture(scope="module")
def app(database_url):
    application = analytics_app(database_url)
    from app.extensions import db
    from app.jobs.analytics import analytics_update

    with application.app_context():
        s = db.session
        plan = [
            ("D-SH-1", [("W-550", 10, "30.00"), ("T-500", 2, "45.50")], at(2025, 3, 3)),
            ("D-SH-1", [("W-550", 4, "30.00")], at(2025, 3, 20)),
            ("D-SH-2", [("T-500", 8, "44.00"), ("C-1KG", 1, "60.00")], at(2025, 11, 30, hour=18)),
            ("D-JS-1", [("C-1KG", 12, "58.80")], at(2026, 1, 15)),
            (
                "D-GD-1",
                [("W-550", 50, "29.00"), ("T-500", 5, "45.00"), ("C-1KG", 3, "60.00")],
                at(2026, 2, 1),
            ),
            ("D-GD-1", [("W-550", 7, "30.00")], at(2026, 6, 30)),
            ("D-SH-1", [("C-1KG", 2, "60.00")], at(2026, 4, 9)),
        ]
        made = [make_order(s, dealer, lines, when) for dealer, lines, when in plan]
        make_order(s, "D-SH-2", [("W-550", 99, "30.00")], None, status="in_review")
        s.commit()
        analytics_update(application)
        move(s, made[1], "cancelled", "cancel")
        change_line(s, made[4], "T-500", 1)
        s.commit()
        analytics_update(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def get(client, token, path="/api/v1/analytics/sales", expect=200, **args):
    resp = client.get(path, query_string=args, headers=auth(token))
    assert resp.status_code == expect, resp.get_data(as_text=True)[:500]
    return resp


def _want(app, key, dealers=None, start=date(2025, 1, 1), end=date(2026, 6, 30)):
    from app.extensions import db

    with app.app_context():
        return expected(db.session, start, end, key, dealers)


def test_region_by_month_matches_order_lines(app, client, tokens):
    body = get(client, tokens["exec"], group_by="region,month", measure="amount", **PERIOD).get_json()
    assert body["source"] == "dealer_month"
    want = _want(app, lambda r: (r["region"].strip("/").split("/")[0], r["day"].strftime("%Y-%m")))
    got = {(r["region"], r["month"]): Decimal(r["amount"]) for r in body["rows"]}
    assert got == {k: v[0] for k, v in want.items()}
    assert Decimal(body["total"]) == sum(v[0] for v in want.values())
    assert body["rows"][0]["region_name"] in ("华东", "华南")


@pytest.mark.parametrize(
    ("args", "source"),
    [
        ({"from": "2025-01-01", "to": "2026-06-30"}, "dealer_month"),
        ({"from": "2025-01-02", "to": "2026-06-29"}, "order_day+dealer_month+order_day"),
        ({"from": "2025-01-02", "to": "2025-01-30"}, "order_day"),
        ({"from": "2025-03-04", "to": "2026-06-30", "group_by": "dealer,sku"}, "sale_line"),
        (
            {"from": "2025-03-04", "to": "2026-06-30", "group_by": "dealer,tier,month"},
            "order_day+dealer_month",
        ),
        ({"from": "2025-01-01", "to": "2026-06-30", "group_by": "dealer,warehouse"}, "sale_line"),
        ({"from": "2025-01-01", "to": "2026-06-30", "group_by": "dealer,sku"}, "sale_line"),
    ],
)
def test_every_table_gives_the_same_dealer_figures(app, client, tokens, args, source):
    body = get(
        client, tokens["exec"], measure="amount,quantity,order_count", **{"group_by": "dealer", **args}
    )
    assert body.get_json()["source"] == source
    got: dict = {}
    for r in body.get_json()["rows"]:
        acc = got.setdefault(r["dealer"], [Decimal(0), 0])
        acc[0] += Decimal(r["amount"])
        acc[1] += r["quantity"]
    period = date.fromisoformat(args["from"]), date.fromisoformat(args["to"])
    want = _want(app, lambda r: r["dealer"], None, *period)
    assert got == {k: [v[0], v[1]] for k, v in want.items()}
    assert body.get_json()["totals"]["order_count"] == len(set().union(set(), *(v[2] for v in want.values())))


def test_order_count_and_average_by_product_line(app, client, tokens):
    body = get(client, tokens["exec"], group_by="product_line", measure="order_count,average_order", **PERIOD)
    data = body.get_json()
    want = _want(app, lambda r: r["product_line"])
    for row in data["rows"]:
        amount, _, orders = want[row["product_line"]]
        assert row["order_count"] == len(orders)
        assert Decimal(row["average_order"]) == (amount / len(orders)).quantize(Decimal("0.01"))
    all_orders = set().union(*(v[2] for v in want.values()))
    assert data["totals"]["order_count"] == len(all_orders)  # an order with two lines counts once


def test_time_buckets(app, client, tokens):
    weeks = get(client, tokens["exec"], group_by="week", **PERIOD).get_json()
    want = _want(app, lambda r: f"{r['day'].isocalendar()[0]}-W{r['day'].isocalendar()[1]:02d}")
    assert {r["week"]: Decimal(r["amount"]) for r in weeks["rows"]} == {k: v[0] for k, v in want.items()}
    quarters = get(client, tokens["exec"], group_by="quarter", **PERIOD).get_json()
    want = _want(app, lambda r: f"{r['day'].year}-Q{(r['day'].month + 2) // 3}")
    assert {r["quarter"]: Decimal(r["amount"]) for r in quarters["rows"]} == {
        k: v[0] for k, v in want.items()
    }
    days = get(client, tokens["exec"], group_by="day", **PERIOD).get_json()
    assert "2025-12-01" in {r["day"] for r in days["rows"]}  # 18:00 UTC on 30 Nov is 1 Dec in Shanghai


@pytest.mark.parametrize("user", sorted(SCOPES))
def test_scope_of_each_role(app, client, tokens, user):
    if user not in tokens:
        pytest.skip("no token")
    body = get(client, tokens[user], group_by="dealer", measure="amount", **PERIOD).get_json()
    want = _want(app, lambda r: r["dealer"], SCOPES[user])
    assert {r["dealer"]: Decimal(r["amount"]) for r in body["rows"]} == {k: v[0] for k, v in want.items()}
    sku = get(client, tokens[user], group_by="sku,region", **PERIOD).get_json()
    assert Decimal(sku["total"]) == sum((v[0] for v in want.values()), Decimal(0))


def test_filters_never_widen_the_scope(client, tokens):
    assert get(client, tokens["rm_sh"], group_by="dealer", region="SOUTH", **PERIOD).get_json()["rows"] == []
    refused = get(client, tokens["rm_sh"], expect=422, dealer="D-GD-1", **PERIOD).get_json()
    assert "dealer" in refused["errors"]
    assert (
        get(client, tokens["dealer_sh1"], group_by="region", region="EAST", **PERIOD).get_json()["rows"][0][
            "region"
        ]
        == "SH"
    )
    assert get(client, tokens["dealer_sh1"], "/api/v1/analytics/sales/lines", dealer="D-SH-2", expect=422)


def test_region_drills_to_children(client, tokens):
    body = get(client, tokens["exec"], group_by="region", region="EAST", **PERIOD).get_json()
    assert {r["region"] for r in body["rows"]} == {"SH", "JS"}
    assert body["rows"][0]["drill"]["region"] in ("SH", "JS")


@pytest.mark.parametrize(
    ("args", "field", "text"),
    [
        ({"group_by": "colour"}, "group_by", "valid: dealer, tier, region"),
        ({"measure": "profit"}, "measure", "valid: amount, quantity, order_count, average_order"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from", "after"),
        ({"from": "2010-01-01", "to": "2021-01-01"}, "to", "10 years"),
        ({"group_by": "month,year"}, "group_by", "at most one"),
        ({"from": "2026-13-01"}, "from", "a date"),
        ({"sku": "NOPE"}, "sku", "no sku"),
    ],
)
def test_bad_queries_are_422(client, tokens, args, field, text):
    body = get(client, tokens["exec"], expect=422, **args).get_json()
    assert text in body["errors"][field]


def test_drill_down_orders_and_lines_add_up(app, client, tokens):
    cell = get(client, tokens["rep"], group_by="dealer", **PERIOD).get_json()["rows"]
    gd = next(r for r in cell if r["dealer"] == "D-GD-1")
    orders = get(client, tokens["rep"], "/api/v1/analytics/sales/orders", **gd["drill"]).get_json()
    assert orders["count"] == 2
    assert sum(Decimal(o["amount"]) for o in orders["rows"]) == Decimal(gd["amount"])
    first = orders["rows"][0]
    lines = get(client, tokens["rep"], "/api/v1/analytics/sales/lines", order=first["number"], **gd["drill"])
    rows = lines.get_json()["rows"]
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal(first["amount"])
    assert {r["sku"] for r in rows} == {"W-550", "T-500", "C-1KG"}
    # the same order is not there for another dealer's user
    other = get(
        client, tokens["dealer_sh1"], "/api/v1/analytics/sales/lines", order=first["number"], **PERIOD
    )
    assert other.get_json()["rows"] == []


def test_xlsx_exports_are_scoped_with_decimal_money(client, tokens):
    resp = get(
        client, tokens["dealer_gd1"], group_by="sku", measure="amount,quantity", format="xlsx", **PERIOD
    )
    sheet = load_workbook(BytesIO(resp.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] and rows[0][2]  # headers: SKU, its name, the measures
    body = get(client, tokens["dealer_gd1"], group_by="sku", measure="amount,quantity", **PERIOD).get_json()
    assert [r[0] for r in rows[1:-1]] == [r["sku"] for r in body["rows"]]
    assert [Decimal(str(r[2])) for r in rows[1:-1]] == [Decimal(r["amount"]) for r in body["rows"]]
    assert Decimal(str(rows[-1][2])) == Decimal(body["total"])
    orders = get(client, tokens["dealer_gd1"], "/api/v1/analytics/sales/orders", format="xlsx", **PERIOD)
    order_rows = list(load_workbook(BytesIO(orders.data)).active.iter_rows(values_only=True))[1:]
    assert {r[2] for r in order_rows} == {"D-GD-1"}
    lines = get(client, tokens["dealer_gd1"], "/api/v1/analytics/sales/lines", format="xlsx", **PERIOD)
    line_rows = list(load_workbook(BytesIO(lines.data)).active.iter_rows(values_only=True))[1:]
    assert len(line_rows) == 4 and {r[2] for r in line_rows} == {"D-GD-1"}


def test_no_token_no_figures(client):
    assert client.get("/api/v1/analytics/sales").status_code == 401


def test_odd_input_is_422_not_an_error(client, tokens):
    lines = get(
        client, tokens["exec"], "/api/v1/analytics/sales/lines", expect=422, order="SO\x00-1"
    ).get_json()
    assert "order" in lines["errors"]
    assert "to" in get(client, tokens["exec"], expect=422, to="9999-12-31").get_json()["errors"]
    assert (
        "page"
        in get(client, tokens["exec"], "/api/v1/analytics/sales/orders", expect=422, page="-1").get_json()[
            "errors"
        ]
    )
