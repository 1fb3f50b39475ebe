"""``/api/v1/what_if/``: a price change and a promotion on the latest forecast, cross-checked by
an independent computation from the plan's order lines (price, elasticity fitted with numpy,
volume, revenue and margin month by month); the default elasticity when prices never moved;
422s naming the field; scope per role."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from tests.conftest import auth
from tests.forecast_helpers import COSTS, forecast_app, history

Q2, Q4 = Decimal("0.01"), Decimal("0.0001")


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


def post(client, token, body, expect=200, path="/api/v1/what_if/simulate"):
    resp = client.post(path, json=body, headers=auth(token))
    assert resp.status_code == expect, resp.get_data(as_text=True)[:600]
    return resp.get_json()


def _forecast(client, token, sku, region):
    (s,) = client.get(
        "/api/v1/forecast/", query_string={"sku": sku, "region": region}, headers=auth(token)
    ).get_json()["series"]
    return dict(zip(s["forecast"]["months"], s["forecast"]["values"], strict=True))


def _expected(base: dict, price: Decimal, cost: Decimal, e: float, factor: dict) -> dict:
    """Month by month: volume × (price'/price) ** e, rounded like a price list (independent)."""
    out = {"without": [Decimal(0)] * 3, "with": [Decimal(0)] * 3}
    for month, v in base.items():
        new_price = (price * factor.get(month, Decimal(1))).quantize(Q4, ROUND_HALF_UP)
        volume = Decimal(str(v))
        changed = Decimal(str(float(volume) * (float(new_price) / float(price)) ** e))
        for key, vol, p in (("without", volume, price), ("with", changed, new_price)):
            vol = vol.quantize(Q2, ROUND_HALF_UP)
            revenue = (p * vol).quantize(Q2, ROUND_HALF_UP)
            out[key][0] += vol
            out[key][1] += revenue
            out[key][2] += revenue - (cost * vol).quantize(Q2, ROUND_HALF_UP)
    return out


def _last_year_price(sku, dealers):
    h = history(sku, dealers)
    months = [m for m in sorted(h) if "2025-11" <= m <= "2026-10"]
    qty, cents = sum(h[m][0] for m in months), sum(h[m][1] for m in months)
    return (Decimal(cents) / 100 / qty).quantize(Q4, ROUND_HALF_UP)


def test_price_cut_matches_an_independent_computation(client, tokens):
    body = post(client, tokens["exec"], {"skus": ["T-500"], "region": "EAST", "kind": "price", "pct": -10})
    h = history("T-500", ("D-SH-2", "D-JS-1"))
    prices = np.array([h[m][1] / 100 / h[m][0] for m in sorted(h)])
    qty = np.array([h[m][0] for m in sorted(h)])
    slope = np.polyfit(np.log(prices), np.log(qty), 1)[0]
    e = body["elasticity"]
    assert e["is_default"] is False and abs(e["fitted"] - slope) < 1e-6 and -1.8 < slope < -1.2
    assert e["ci_low"] < e["fitted"] < e["ci_high"] and e["observations"] == 30 and e["periods"] == 30
    first = {"sku": "T-500", "month": "2024-05", "price": round(prices[0], 4), "qty": int(qty[0])}
    assert len(e["data"]) == 30 and e["data"][0] == first
    r = body["results"]
    price = _last_year_price("T-500", ("D-SH-2", "D-JS-1"))
    assert r["skus"][0]["price"] == str(price) and r["skus"][0]["unit_cost"] == "30.0000"
    base = _forecast(client, tokens["exec"], "T-500", "EAST")
    want = _expected(
        base, price, Decimal(COSTS["T-500"]), round(slope, 4), dict.fromkeys(base, Decimal("0.9"))
    )
    for key in ("without", "with"):
        got = [Decimal(r[key][k]) for k in ("volume", "revenue", "margin")]
        assert all(abs(g - w) <= Decimal("0.02") for g, w in zip(got, want[key], strict=True)), (
            key,
            got,
            want[key],
        )
    assert Decimal(r["with"]["volume"]) > Decimal(r["without"]["volume"])  # cheaper sells more
    assert [m["month"] for m in r["months"]] == sorted(base)
    assert body["selection"]["regions"] == ["EAST"]


def test_promotion_changes_only_its_months_and_constant_prices_use_the_default(client, tokens):
    months = ["2026-12", "2027-01"]
    body = post(
        client, tokens["exec"], {"skus": "W-550", "kind": "promotion", "cut_pct": "20", "months": months}
    )
    e = body["elasticity"]
    assert e["is_default"] is True and e["elasticity"] == -1.2 and "price variation" in e["reason"]
    assert body["selection"]["regions"] == ["EAST", "SOUTH"]
    base = _forecast(client, tokens["exec"], "W-550", "EAST")
    south = _forecast(client, tokens["exec"], "W-550", "SOUTH")
    both = {m: base[m] + south[m] for m in base}
    factor = {m: Decimal("0.8") for m in months}
    want = _expected(both, Decimal("30.0000"), Decimal(COSTS["W-550"]), -1.2, factor)
    r = body["results"]
    for key in ("without", "with"):
        got = [Decimal(r[key][k]) for k in ("volume", "revenue", "margin")]
        assert all(abs(g - w) <= Decimal("0.05") for g, w in zip(got, want[key], strict=True)), (
            key,
            got,
            want[key],
        )
    for m in r["months"]:
        assert (m["with"] == m["without"]) == (m["month"] not in months)


def test_product_line_skips_what_cannot_be_simulated(client, tokens):
    body = post(client, tokens["exec"], {"product_line": "BEV", "kind": "price", "pct": 5})
    assert [s["sku"] for s in body["results"]["skus"]] == ["T-500", "W-550"]
    hpc = post(client, tokens["exec"], {"product_line": "HPC", "kind": "price", "pct": 5}, expect=422)
    assert "product_line" in hpc["errors"] and "not enough history" in hpc["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "price", "pct": 5}, "skus"),
        ({"skus": ["W-550"], "product_line": "BEV", "kind": "price", "pct": 5}, "skus"),
        ({"skus": ["NOPE"], "kind": "price", "pct": 5}, "skus"),
        ({"skus": "W-550", "kind": "discount"}, "kind"),
        ({"skus": "W-550", "kind": "price", "pct": "abc"}, "pct"),
        ({"skus": "W-550", "kind": "price", "pct": -100}, "pct"),
        ({"skus": "W-550", "kind": "promotion", "cut_pct": 0, "months": ["2026-12"]}, "cut_pct"),
        ({"skus": "W-550", "kind": "promotion", "cut_pct": 10, "months": ["2030-01"]}, "months"),
        ({"skus": "W-550", "kind": "promotion", "cut_pct": 10, "months": "December"}, "months"),
        ({"skus": "W-550", "region": "SH", "kind": "price", "pct": 5}, "region"),
        ({"product_line": "NOPE", "kind": "price", "pct": 5}, "product_line"),
        ({"skus": ["W-\u0000"], "kind": "price", "pct": 5}, "skus"),  # PostgreSQL refuses NUL in text
        ({"product_line": "B\u0001EV", "kind": "price", "pct": 5}, "product_line"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, tokens, body, field):
    answer = post(client, tokens["exec"], body, expect=422)
    assert field in answer["errors"], answer


def test_body_must_be_an_object(client, tokens):
    resp = client.post("/api/v1/what_if/simulate", data="[1]", content_type="application/json",
                       headers=auth(tokens["exec"]))  # fmt: skip
    assert resp.status_code == 422 and "body" in resp.get_json()["errors"]


def test_scope(client, tokens):
    east = {"skus": ["W-550"], "region": "SOUTH", "kind": "price", "pct": 5}
    assert "region" in post(client, tokens["rm_east"], east, expect=422)["errors"]
    mine = post(client, tokens["rm_east"], {"skus": ["W-550"], "kind": "price", "pct": 5})
    assert mine["selection"]["regions"] == ["EAST"]  # all regions = the user's regions
    assert (
        "region"
        in post(client, tokens["rm_sh"], {"skus": ["W-550"], "kind": "price", "pct": 5}, expect=422)["errors"]
    )
    for user in ("rep", "dealer_sh1"):
        post(client, tokens[user], {"skus": ["W-550"], "kind": "price", "pct": 5}, expect=403)
