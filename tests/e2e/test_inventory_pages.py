"""The inventory pages in zh_CN and en: overview (cards, chart, table by region), drill-down with
filters in the URL, alerts, suggestions (accept through the page) and stock rules; scope."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.adapters.replenishment import evaluate
from app.adapters.stock_ledger import apply_movements
from app.domain.stock import parse_movements
from app.extensions import db
from app.models import Product, ReplenishmentSuggestion, StockRule, Warehouse
from tests.conftest import ADMIN_PASSWORD, csrf_token, web_login


@pytest.fixture(scope="module")
def stock(app):
    with app.app_context():
        from app.models import Region

        east = db.session.scalar(select(Region).where(Region.code == "EAST"))
        south = db.session.scalar(select(Region).where(Region.code == "SOUTH"))
        hq = Warehouse(code="WH-HQ", name="总仓", kind="hq", path="/WH-HQ/", region_id=east.id)
        db.session.add(hq)
        db.session.flush()
        regional = Warehouse(code="WH-EAST", name="华东仓", kind="regional", parent_id=hq.id,
                             path="/WH-HQ/WH-EAST/", region_id=east.id)  # fmt: skip
        db.session.add_all(
            [regional, Warehouse(code="WH-SOUTH", name="华南仓", kind="regional", parent_id=hq.id,
                                 path="/WH-HQ/WH-SOUTH/", region_id=south.id)]
        )  # fmt: skip
        product = Product(code="SKU-1", name="矿泉水", name_en="Water")
        db.session.add(product)
        db.session.commit()
        movements = [
            {
                "kind": "receipt",
                "warehouse": "WH-HQ",
                "sku": "SKU-1",
                "qty": 500,
                "received_on": "2025-01-01",
            },
            {"kind": "receipt", "warehouse": "WH-EAST", "sku": "SKU-1", "qty": 3},
            {"kind": "receipt", "warehouse": "WH-SOUTH", "sku": "SKU-1", "qty": 9},
        ]
        apply_movements(db.session, parse_movements(movements), "test")
        db.session.add(StockRule(warehouse_id=regional.id, product_id=product.id, safety_stock=5, min_qty=5,
                                 max_qty=20, order_multiple=10))  # fmt: skip
        evaluate(db.session, datetime.now(UTC))
        db.session.commit()


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh_CN", ["在途", "补货建议", "华东"]),
        ("en", ["On hand", "In transit", "Slow-moving rate", "East China"]),
    ],
)
def test_pages_in_both_languages(app, stock, lang, words):
    client = app.test_client()
    web_login(client, "admin", ADMIN_PASSWORD)
    client.get(f"/lang/{lang}")
    page = client.get("/inventory/").get_data(as_text=True)
    for word in words:
        assert word in page, (lang, word)
    assert 'id="stock-age-data"' in page and 'data-testid="inventory-cards"' in page
    drill = client.get("/inventory/figures?level=sku&warehouse=WH-EAST&as_of=2026-01-31")
    assert drill.status_code == 200 and "SKU-1" in drill.get_data(as_text=True)
    assert 'value="2026-01-31"' in drill.get_data(as_text=True)  # the filter stays in the URL and form
    for url in ("/inventory/alerts", "/replenishment/", "/stockruleview/list/", "/stock-rules/excel/import"):
        assert client.get(url).status_code == 200, url
    assert "WH-EAST" in client.get("/inventory/alerts").get_data(as_text=True)


def test_accept_through_the_page_and_scope(app, stock):
    client = app.test_client()
    web_login(client, "rm_east")
    page = client.get("/replenishment/").get_data(as_text=True)
    with app.app_context():
        suggestion = db.session.scalar(select(ReplenishmentSuggestion))
    assert f'data-id="{suggestion.id}"' in page and suggestion.qty == 20  # 3 < 5 → up to 20 in tens
    assert client.get("/inventory/figures?level=sku&warehouse=WH-SOUTH").status_code == 404
    resp = client.post(f"/replenishment/{suggestion.id}/accept", data={"csrf_token": csrf_token(page)})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(ReplenishmentSuggestion, suggestion.id).status == "accepted"
    dealer = app.test_client()
    web_login(dealer, "dealer_sh1")
    assert f'data-id="{suggestion.id}"' not in dealer.get("/replenishment/?status=all").get_data(as_text=True)


def test_suggestion_api_refuses_a_body_that_is_not_an_object(app, tokens):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    refused = client.post("/api/v1/replenishment/suggestions/1/accept", json=[None, None], headers=headers)
    assert refused.status_code == 422 and refused.get_json()["errors"] == {"body": "a JSON object"}


def test_figure_dates_out_of_range_are_422(app, tokens):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    for url in ("/api/v1/inventory/figures?as_of=0001-01-01", "/api/v1/inventory/alerts?as_of=0001-01-01"):
        refused = client.get(url, headers=headers)
        assert refused.status_code == 422 and "as_of" in refused.get_json()["errors"], url


def test_suggestion_ids_too_large_for_the_database_are_404(app, tokens):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    huge = 25402908435723285491532863373312
    assert (
        client.post(f"/api/v1/replenishment/suggestions/{huge}/accept", json={}, headers=headers).status_code
        == 404
    )
