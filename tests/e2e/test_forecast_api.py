"""``/api/v1/forecast/`` and the forecast page: history, forecast, the chosen model and each
model's backtest errors; a pair that never sold is "not enough history" (200, not an error);
scope per role (executive all, a regional manager the top regions their scope covers whole,
sales reps and dealers no access); 422 naming the argument."""

from __future__ import annotations

import pytest

from tests.conftest import auth, web_login
from tests.forecast_helpers import forecast_app, history


@pytest.fixture(scope="module")
def app(database_url):
    application = forecast_app(database_url)
    yield application
    from app.domain.replenishment import register_seasonal_factor
    from app.extensions import db

    register_seasonal_factor(None)
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def get(client, token, expect=200, **args):
    resp = client.get("/api/v1/forecast/", query_string=args, headers=auth(token))
    assert resp.status_code == expect, resp.get_data(as_text=True)[:500]
    return resp.get_json()


def test_one_series_with_history_forecast_and_errors(client, tokens):
    body = get(client, tokens["exec"], sku="W-550", region="EAST")
    assert body["run"]["status"] == "done" and body["run"]["history_end"] == "2026-11-01"
    (s,) = body["series"]
    want = history("W-550", ("D-SH-1",))
    assert s["history"]["months"] == sorted(want) and s["history"]["values"] == [
        want[k][0] for k in sorted(want)
    ]
    assert s["forecast"]["months"][0] == "2026-11" and len(s["forecast"]["values"]) == 12
    assert {x["model"] for x in s["scores"]} == {"seasonal_naive", "ets"}
    assert s["chosen"]["model"] == s["model"] and s["chosen"]["wape"] == min(x["wape"] for x in s["scores"])
    assert s["region_name"] == "华东" and s["backtested"] is True


def test_a_pair_that_never_sold_is_not_enough_history(client, tokens):
    (s,) = get(client, tokens["exec"], sku="T-500", region="SOUTH")["series"]
    assert s["status"] == "not_enough_history" and s["forecast"]["values"] == []
    assert "not enough history for T-500 in SOUTH: no demand history" in s["message"]
    (c,) = get(client, tokens["exec"], sku="C-1KG", region="EAST")["series"]
    assert c["status"] == "not_enough_history" and "only 2 month(s)" in c["message"]


@pytest.mark.parametrize(
    ("user", "regions", "pairs"),
    [
        ("exec", ["EAST", "SOUTH"], 4),
        ("consultant", ["EAST", "SOUTH"], 4),
        ("warehouse", ["EAST", "SOUTH"], 4),
        ("rm_east", ["EAST"], 3),
        ("rm_sh", [], 0),  # 上海 alone covers only part of 华东
    ],
)
def test_scope_per_role(client, tokens, user, regions, pairs):
    body = get(client, tokens[user])
    assert body["regions"] == regions
    assert len(body["series"]) == pairs
    assert {s["region"] for s in body["series"]} <= set(regions)


@pytest.mark.parametrize("user", ["rep", "dealer_sh1", "dealer_gd1"])
def test_sales_reps_and_dealers_have_no_forecasts(client, tokens, user):
    get(client, tokens[user], expect=403)


@pytest.mark.parametrize(
    ("user", "args", "field"),
    [
        ("exec", {"sku": "NOPE"}, "sku"),
        ("exec", {"sku": "W-\u0000"}, "sku"),
        ("exec", {"region": "SH"}, "region"),  # not a top-level region
        ("exec", {"region": "MARS"}, "region"),
        ("rm_east", {"region": "SOUTH"}, "region"),  # outside the scope reads like unknown
    ],
)
def test_bad_arguments_are_422_naming_them(client, tokens, user, args, field):
    body = get(client, tokens[user], expect=422, **args)
    assert field in body["errors"]


def test_page_shows_the_chart_errors_and_filters(app):
    client = app.test_client()
    web_login(client, "rm_east")
    html = client.get("/forecast/?sku=W-550&region=EAST").get_data(as_text=True)
    assert 'id="forecast-chart"' in html and 'data-testid="backtest-table"' in html
    assert "WAPE" in html and "vendor/echarts/echarts.min.js" in html
    assert '<option value="EAST" selected>' in html and "SOUTH" not in html
    short = client.get("/forecast/?sku=C-1KG&region=EAST").get_data(as_text=True)
    assert 'data-testid="not-enough-history"' in short
    bad = client.get("/forecast/?region=SOUTH", follow_redirects=True)
    assert bad.status_code == 200 and "SOUTH" in bad.get_data(as_text=True)  # the flash names it


def test_dealer_page_is_refused(app):
    client = app.test_client()
    web_login(client, "dealer_sh1")
    resp = client.get("/forecast/")
    assert resp.status_code in (302, 403)
