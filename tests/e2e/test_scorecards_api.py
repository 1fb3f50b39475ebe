"""``/api/v1/scorecard/``: metric values cross-checked against the hand-worked figures of a small
world (sales against an independent sum over the order lines), scores from the domain, the
ranking and the dealer card in each role's data scope, the xlsx export."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from app.adapters.clock import business_today
from tests.analytics_helpers import expected
from tests.conftest import auth
from tests.scorecard_helpers import EXPECTED, PERIOD, scorecard_app

SCOPES = {
    "exec": {"D-SH-1", "D-SH-2", "D-JS-1", "D-GD-1"},
    "rm_east": {"D-SH-1", "D-SH-2", "D-JS-1"},
    "rm_sh": {"D-SH-1", "D-SH-2"},
    "rep": {"D-SH-1", "D-GD-1"},
    "dealer_sh1": {"D-SH-1"},
    "dealer_gd1": {"D-GD-1"},
}


@pytest.fixture(scope="module")
def app(database_url):
    application = scorecard_app(database_url)
    yield application
    from app.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_metric_values_match_an_independent_computation(app):
    from app.adapters.kpi_values import Context, metric_values
    from app.domain.kpi_metrics import METRICS
    from app.domain.scorecards import Period
    from app.extensions import db
    from app.models import Dealer

    with app.app_context():
        ids = {c: i for i, c in db.session.query(Dealer.id, Dealer.code)}
        ctx = Context(date(2026, 11, 27), __import__("zoneinfo").ZoneInfo("Asia/Shanghai"), 30)
        values = metric_values(db.session, list(ids.values()), Period("month", 2026, 10), list(METRICS), ctx)
        sh1 = values[ids["D-SH-1"]]
        for key, value in EXPECTED.items():
            assert sh1[key] == value, key
        assert sh1["credit_utilisation"] is None  # a closed period: receivables keep no history
        # sales: the same figures as a plain sum over the order lines, for every dealer
        sums = expected(db.session, date(2026, 10, 1), date(2026, 10, 31), lambda r: r["dealer"])
        for code, dealer_id in ids.items():
            assert values[dealer_id]["sales_amount"] == sums.get(code, [Decimal(0)])[0], code
        sh2 = values[ids["D-SH-2"]]
        assert sh2["target_attainment"] is None and sh2["sales_growth_yoy"] is None
        assert sh2["order_on_time_rate"] is None and sh2["stock_age_days"] is None
        assert sh2["qualification_status"] == 0  # no licence on file


def test_running_period_has_credit_utilisation(app):
    from app.adapters.kpi_values import Context, metric_values
    from app.domain.scorecards import period_of
    from app.extensions import db
    from app.models import Dealer, SalesOrder

    with app.app_context():
        sh1 = db.session.query(Dealer).filter_by(code="D-SH-1").one()
        open_amount = sum(
            (o.amount for o in db.session.query(SalesOrder).filter_by(dealer_id=sh1.id)
             if o.status in ("confirmed", "partially_shipped", "shipped", "received")),
            Decimal(0),
        )  # fmt: skip
        ctx = Context(business_today(), __import__("zoneinfo").ZoneInfo("Asia/Shanghai"), 30)
        got = metric_values(
            db.session, [sh1.id], period_of("month", business_today()), ["credit_utilisation"], ctx
        )
        assert got[sh1.id]["credit_utilisation"] == (open_amount / Decimal(100000)).quantize(
            Decimal("0.0001")
        )


def test_dealer_card_explains_every_figure(app, tokens):
    client = app.test_client()
    resp = client.get(f"/api/v1/scorecard/D-SH-1?period={PERIOD}", headers=auth(tokens["exec"]))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    kpis = {k["key"]: k for k in body["kpis"]}
    assert Decimal(kpis["attainment"]["value"]) == EXPECTED["target_attainment"]
    assert Decimal(kpis["turnover"]["value"]) == EXPECTED["stock_turnover_days"]
    weights = sum(Decimal(k["weight"]) for k in body["kpis"])
    assert weights == 100
    total = sum(Decimal(k["points"]) * Decimal(k["weight"]) for k in body["kpis"]) / 100
    assert Decimal(body["total"]) == total.quantize(Decimal("0.01"))
    keys = {s["key"] for s in body["suggestions"]}
    assert {"promote_aged_stock", "renew_qualification"} <= keys
    assert body["change_previous"] is not None  # September has values too


@pytest.mark.parametrize("user", sorted(SCOPES))
def test_ranking_and_cards_keep_to_the_scope(app, tokens, user):
    client = app.test_client()
    resp = client.get(f"/api/v1/scorecard/?set=default&period={PERIOD}", headers=auth(tokens[user]))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    rows = resp.get_json()["rows"]
    assert {r["dealer"] for r in rows} == SCOPES[user]
    totals = [Decimal(r["total"]) for r in rows]
    assert totals == sorted(totals, reverse=True)
    for code in SCOPES["exec"]:
        card = client.get(f"/api/v1/scorecard/{code}?period={PERIOD}", headers=auth(tokens[user]))
        assert card.status_code == (200 if code in SCOPES[user] else 404), (user, code)
    export = client.get(f"/api/v1/scorecard/?period={PERIOD}&format=xlsx", headers=auth(tokens[user]))
    sheet = load_workbook(BytesIO(export.data)).active
    exported = [row for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert {r[0] for r in exported} == SCOPES[user]
    assert all(isinstance(r[5], (int, float)) for r in exported)  # scores stay numbers


def test_ranks_are_within_region_and_tier(app, tokens):
    rows = (
        app.test_client()
        .get(f"/api/v1/scorecard/?period={PERIOD}", headers=auth(tokens["exec"]))
        .get_json()["rows"]
    )
    by = {r["dealer"]: r for r in rows}
    assert by["D-SH-1"]["region_size"] == 2 and by["D-SH-2"]["region_size"] == 2
    assert {by["D-SH-1"]["rank_region"], by["D-SH-2"]["rank_region"]} == {1, 2}
    assert by["D-GD-1"]["rank_region"] == 1 and by["D-GD-1"]["region_size"] == 1
    assert by["D-SH-1"]["tier_size"] == 1  # the only tier A dealer
    # a regional manager of EAST filtering SOUTH sees nothing; region=SH keeps the SH dealers
    rm = auth(tokens["rm_east"])
    client = app.test_client()
    assert client.get(f"/api/v1/scorecard/?period={PERIOD}&region=SOUTH", headers=rm).get_json()["rows"] == []
    sh = client.get(f"/api/v1/scorecard/?period={PERIOD}&region=SH", headers=rm).get_json()["rows"]
    assert {r["dealer"] for r in sh} == {"D-SH-1", "D-SH-2"}


@pytest.mark.parametrize(
    "query,status",
    [
        ("period=2026-13", 422),
        ("period=2026-Q1", 422),
        ("set=nope", 404),
        ("set=quarterly&period=2026-Q3", 200),
        ("region=NOWHERE", 422),
    ],
)
def test_bad_arguments(app, tokens, query, status):
    resp = app.test_client().get(f"/api/v1/scorecard/?{query}", headers=auth(tokens["exec"]))
    assert resp.status_code == status, resp.get_data(as_text=True)
