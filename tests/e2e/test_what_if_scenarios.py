"""Saved what-if scenarios: save (audited, computed on the server), list and read inside the scope,
compare two or more (API and page with table and chart), 422s; the what-if page with the default
elasticity flagged and a scenario saved through its form."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import auth, csrf_token, web_login
from tests.forecast_helpers import forecast_app

PATH = "/api/v1/what_if/scenarios"


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


@pytest.fixture(scope="module")
def saved(app, tokens):
    client = app.test_client()
    bodies = [
        {"name": "T-500 −10 % EAST", "skus": ["T-500"], "region": "EAST", "kind": "price", "pct": -10},
        {
            "name": "W-550 promo SOUTH",
            "skus": ["W-550"],
            "region": "SOUTH",
            "kind": "promotion",
            "cut_pct": 15,
            "months": ["2026-12"],
        },  # fmt: skip
        {"name": "BEV +5 %", "product_line": "BEV", "kind": "price", "pct": 5},
    ]
    out = []
    for body in bodies:
        resp = client.post(PATH, json=body, headers=auth(tokens["exec"]))
        assert resp.status_code == 201, resp.get_data(as_text=True)
        out.append(resp.get_json())
    return out


def test_saved_scenario_keeps_everything_it_was_computed_from(app, client, tokens, saved):
    first = saved[0]
    assert first["owner"] == "exec" and first["selection"]["regions"] == ["EAST"]
    assert first["parameters"] == {"kind": "price", "pct": "-10"}
    assert first["elasticity"]["is_default"] is False and first["elasticity"]["data"]
    same = {"skus": ["T-500"], "region": "EAST", "kind": "price", "pct": -10}
    again = client.post("/api/v1/what_if/simulate", json=same, headers=auth(tokens["exec"])).get_json()
    assert first["with"] == again["results"]["with"] and first["months"] == again["results"]["months"]
    from app.extensions import db
    from app.models import AuditLog

    with app.app_context():
        logged = db.session.scalars(select(AuditLog).where(AuditLog.entity == "WhatIfScenario")).all()
    assert len(logged) >= 3 and any(a.actor == "exec" for a in logged)


def test_list_and_read_inside_the_scope(client, tokens, saved):
    names = [s["name"] for s in client.get(PATH, headers=auth(tokens["exec"])).get_json()["scenarios"]]
    assert names == ["BEV +5 %", "W-550 promo SOUTH", "T-500 −10 % EAST"]
    east = [s["name"] for s in client.get(PATH, headers=auth(tokens["rm_east"])).get_json()["scenarios"]]
    assert east == ["T-500 −10 % EAST"]  # the others cover SOUTH
    south_id = saved[1]["id"]
    assert client.get(f"{PATH}/{south_id}", headers=auth(tokens["rm_east"])).status_code == 404
    assert (
        client.get(f"{PATH}/{south_id}", headers=auth(tokens["exec"])).get_json()["name"]
        == "W-550 promo SOUTH"
    )
    assert client.get(f"{PATH}/99999999999999999999", headers=auth(tokens["exec"])).status_code == 404
    assert client.get(PATH, headers=auth(tokens["dealer_sh1"])).status_code == 403


def test_compare_side_by_side(client, tokens, saved):
    ids = ",".join(str(s["id"]) for s in saved)
    body = client.get(
        "/api/v1/what_if/compare", query_string={"ids": ids}, headers=auth(tokens["exec"])
    ).get_json()
    assert [s["name"] for s in body["scenarios"]] == [s["name"] for s in saved]
    assert all(s["months"] and "difference" in s for s in body["scenarios"])


@pytest.mark.parametrize(
    ("user", "ids"),
    [("exec", "1"), ("exec", "a,b"), ("exec", "1,999"), ("rm_east", "1,2"), ("exec", "")],
)
def test_compare_refusals_name_ids(client, tokens, saved, user, ids):
    resp = client.get("/api/v1/what_if/compare", query_string={"ids": ids}, headers=auth(tokens[user]))
    assert resp.status_code == 422 and "ids" in resp.get_json()["errors"]


def test_save_refusals_name_the_fields(client, tokens):
    resp = client.post(
        PATH, json={"skus": "W-550", "kind": "price", "pct": "x"}, headers=auth(tokens["exec"])
    )
    assert resp.status_code == 422 and {"name", "pct"} <= set(resp.get_json()["errors"])


def test_pages_simulate_save_and_compare(app, saved):
    client = app.test_client()
    web_login(client, "exec")
    page = client.get("/what_if/?skus=W-550&kind=price&pct=-5").get_data(as_text=True)
    assert 'data-testid="default-elasticity"' in page and 'id="what-if-chart"' in page
    assert "历史价格几乎没有变化" in page and "too little price variation" in page  # summary + figures
    assert 'data-testid="what-if-totals"' in page and "T-500 −10 % EAST" in page
    form = {
        "csrf_token": csrf_token(page),
        "skus": "W-550",
        "kind": "price",
        "pct": "-5",
        "name": "from the page",
    }
    done = client.post("/what_if/save", data=form, follow_redirects=True).get_data(as_text=True)
    assert "from the page" in done
    ids = f"{saved[0]['id']},{saved[2]['id']}"
    compare = client.get(f"/what_if/compare?ids={ids}").get_data(as_text=True)
    assert (
        'id="compare-chart"' in compare and "BEV +5 %" in compare and 'data-testid="compare-table"' in compare
    )
    bad = client.get("/what_if/?skus=W-550&kind=price&pct=abc").get_data(as_text=True)
    assert 'data-testid="what-if-errors"' in bad and "pct" in bad
