"""The price API over HTTP: quotes (bad input named), scope (a dealer sees only its own prices),
point-in-time lookups, price lists, and the policy endpoints (draft → validate → diff → publish)."""

from __future__ import annotations

import pytest

from app.adapters.clock import business_today
from app.extensions import db
from tests.conftest import auth
from tests.pricing_helpers import load_catalogue, publish_policy

URL = "/api/v1/price"
POLICY = "/api/v1/price_policy"


@pytest.fixture(scope="module")
def policy(app):
    with app.app_context():  # left before the tests: an active app context would keep ``g`` between requests
        load_catalogue()
        version = publish_policy(backdate_days=30).id
        db.session.remove()
    return version


def quote(client, token, body):
    return client.post(f"{URL}/quote", json=body, headers=auth(token))


def test_quote_returns_lines_steps_and_money_as_strings(client, tokens, policy):
    resp = quote(
        client,
        tokens["rep"],
        {"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 22}, {"sku": "B-100", "qty": 3}]},
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["total"] == "654.00" and body["version"] == policy
    water, biscuit = body["lines"]
    assert water == {
        **water,
        "sku": "W-550",
        "qty": 22,
        "unit_price": "27.2727",
        "amount": "600.00",
        "list_price": "30.0000",
    }
    assert [s["type"] for s in water["steps"]] == ["base", "promo"]
    assert set(water["steps"][1]) == {"record", "type", "value", "why", "overrode"}
    assert biscuit["unit_price"] == "18.0000" and biscuit["amount"] == "54.00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "dealer": "D-SH-1",
                "lines": [{"sku": "W-550", "qty": 1}, {"sku": "B-100", "qty": 1}, {"sku": "NOPE", "qty": 1}],
            },
            "lines/2/sku",
        ),
        ({"dealer": "NO-SUCH", "lines": [{"sku": "W-550", "qty": 1}]}, "dealer"),
        ({"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 0}]}, "lines/0/qty"),
        ({"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": -3}]}, "lines/0/qty"),
        ({"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 1.00001}]}, "lines/0/qty"),
        ({"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": "2.5"}]}, "lines/0/qty"),
        ({"dealer": "D-SH-1", "lines": [{"sku": "W-550"}]}, "lines/0/qty"),
        ({"dealer": "D-SH-1", "lines": [{"qty": 1}]}, "lines/0/sku"),
        ({"dealer": "D-SH-1", "lines": []}, "lines"),
        ({"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 1}], "date": "2026-13-01"}, "date"),
        ({"lines": [{"sku": "W-550", "qty": 1}]}, "dealer"),
    ],
)
def test_bad_quote_input_is_a_422_naming_the_field(client, tokens, policy, body, field):
    resp = quote(client, tokens["admin"], body)
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["errors"]


def test_a_dealer_quotes_and_lists_only_its_own_prices(client, tokens, policy):
    mine = quote(client, tokens["dealer_sh1"], {"dealer": "D-SH-1", "lines": [{"sku": "T-500", "qty": 1}]})
    assert mine.status_code == 200 and mine.get_json()["lines"][0]["unit_price"] == "42.0000"
    other = quote(client, tokens["dealer_gd1"], {"dealer": "D-SH-1", "lines": [{"sku": "T-500", "qty": 1}]})
    assert other.status_code == 404
    assert client.get(f"{URL}/list?dealer=D-SH-1", headers=auth(tokens["dealer_gd1"])).status_code == 404
    assert client.get(f"{URL}/list?dealer=NO-SUCH", headers=auth(tokens["dealer_gd1"])).status_code == 404
    own = client.get(f"{URL}/list", headers=auth(tokens["dealer_gd1"]))
    assert own.status_code == 200 and own.get_json()["dealer"] == "D-GD-1"
    prices = {x["sku"]: x["unit_price"] for x in own.get_json()["result"]}
    assert prices == {"B-100": "20.0000", "T-500": "45.0000", "W-1500": "40.0000", "W-550": "30.0000"}


def test_regional_manager_and_sales_rep_stay_in_their_scope(client, tokens, policy):
    body = {"dealer": "D-GD-1", "lines": [{"sku": "W-550", "qty": 1}]}
    assert quote(client, tokens["rm_east"], body).status_code == 404
    assert quote(client, tokens["rep"], body).status_code == 200
    assert quote(client, tokens["rep"], dict(body, dealer="D-JS-1")).status_code == 404


def test_lookup_answers_for_a_past_date(client, tokens, policy):
    resp = client.get(
        f"{URL}/lookup?dealer=D-SH-1&sku=W-550&qty=100&date=2020-01-01", headers=auth(tokens["finance"])
    )
    assert resp.status_code == 422 and "lines/0/sku" in resp.get_json()["errors"]  # no policy back then
    from datetime import timedelta

    day = (business_today() - timedelta(days=10)).isoformat()
    resp = client.get(
        f"{URL}/lookup?dealer=D-SH-1&sku=W-550&qty=100&date={day}", headers=auth(tokens["finance"])
    )
    assert resp.status_code == 200
    assert resp.get_json()["line"]["unit_price"] == "25.4800"  # the 100+ break (28), 9 of 100 free


def test_policy_endpoints_draft_validate_diff_publish(client, tokens, policy):
    headers = auth(tokens["finance"])
    draft = client.post(f"{POLICY}/draft", json={"note": "夏季调价"}, headers=headers)
    assert draft.status_code == 201
    pk = draft.get_json()["id"]
    bad = client.post(
        f"{POLICY}/{pk}/records", json={"type": "base", "sku": "W-550", "price": "0.12345"}, headers=headers
    )
    assert bad.status_code == 422 and "price" in bad.get_json()["errors"]
    neg = client.post(
        f"{POLICY}/{pk}/records", json={"type": "base", "sku": "W-550", "price": -1}, headers=headers
    )
    assert neg.status_code == 422 and "price" in neg.get_json()["errors"]
    unknown = client.post(
        f"{POLICY}/{pk}/records",
        json={"type": "region", "region": "MARS", "sku": "W-550", "price": 1},
        headers=headers,
    )
    assert unknown.get_json()["errors"] == {"region": "unknown region MARS"}
    dup = client.post(
        f"{POLICY}/{pk}/records", json={"type": "base", "sku": "W-550", "price": "31"}, headers=headers
    )
    assert dup.status_code == 201
    checked = client.get(f"{POLICY}/{pk}/validate", headers=headers).get_json()
    assert checked["ok"] is False and dup.get_json()["id"] in checked["problems"][0]["records"]
    refused = client.post(f"{POLICY}/{pk}/publish", json={}, headers=headers)
    assert refused.status_code == 422 and f"records/{dup.get_json()['id']}" in refused.get_json()["errors"]
    records = client.get(f"{POLICY}/{pk}/records", headers=headers).get_json()["result"]
    old = next(
        r for r in records if r["type"] == "base" and r["sku"] == "W-550" and r["id"] != dup.get_json()["id"]
    )
    assert client.delete(f"{POLICY}/{pk}/records/{old['id']}", headers=headers).status_code == 200
    changes = client.get(f"{POLICY}/{pk}/diff", headers=headers).get_json()
    assert [(c["live"]["price"], c["draft"]["price"]) for c in changes["changed"]] == [("30.0000", "31.0000")]
    published = client.post(f"{POLICY}/{pk}/publish", json={}, headers=headers)
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    again = client.post(
        f"{POLICY}/{pk}/records", json={"type": "base", "sku": "T-500", "price": "1"}, headers=headers
    )
    assert again.status_code == 409
    resp = quote(client, tokens["dealer_gd1"], {"dealer": "D-GD-1", "lines": [{"sku": "W-550", "qty": 1}]})
    assert resp.get_json()["lines"][0]["unit_price"] == "31.0000"
    versions = client.get(f"{POLICY}/", headers=headers).get_json()["result"]
    assert [v["status"] for v in versions[:2]] == ["published", "superseded"]


def test_policy_endpoints_need_the_price_policy_permission(client, tokens, policy):
    assert client.post(f"{POLICY}/draft", json={}, headers=auth(tokens["dealer_sh1"])).status_code == 403
    assert client.get(f"{POLICY}/", headers=auth(tokens["rm_east"])).status_code == 403
    assert client.post(f"{POLICY}/draft", json={}, headers=auth(tokens["exec"])).status_code == 403
    assert client.get(f"{POLICY}/", headers=auth(tokens["exec"])).status_code == 200
    assert client.get(f"{POLICY}/999999/validate", headers=auth(tokens["finance"])).status_code == 404


def test_policy_ids_too_large_for_the_database_are_404(app, tokens):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    huge = 21757044362152603648
    assert client.post(f"/api/v1/price_policy/{huge}/publish", json={}, headers=headers).status_code == 404
    assert client.get(f"/api/v1/price_policy/1/records/{huge}", headers=headers).status_code in (404, 405)


def test_a_record_with_a_bad_min_qty_is_422_naming_it(app, tokens):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    draft = client.post("/api/v1/price_policy/draft", json={"note": "bad qty"}, headers=headers)
    assert draft.status_code in (200, 201), draft.get_json()
    refused = client.post(
        f"/api/v1/price_policy/{draft.get_json()['id']}/records",
        json={"type": "base", "sku": "X", "price": "1", "min_qty": 1252036036252036036},
        headers=headers,
    )
    assert refused.status_code == 422 and any("min_qty" in k for k in refused.get_json()["errors"])
