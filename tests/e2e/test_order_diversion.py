"""The diversion signal on real orders: a dealer ordering far more than its usual quantity of a SKU
at a promotion price is flagged (its own confirmed orders of the last 180 days are the usual), and
the flag sends an otherwise automatic order to the regional manager."""

from __future__ import annotations

import pytest

from tests.order_helpers import close, create, order_app, order_tokens


@pytest.fixture(scope="module")
def app(database_url):
    from app.adapters import pricing, pricing_admin
    from app.extensions import db

    application = order_app(database_url)
    with application.app_context():
        draft = pricing_admin.create_draft(db.session, "finance")
        values = pricing_admin.record_values(
            db.session, {"type": "promo", "sku": "W-550", "discount_pct": "5"}
        )
        pricing_admin.add_record(db.session, draft, values)
        pricing_admin.publish(db.session, draft, None, "finance")
        db.session.commit()
        pricing.invalidate_cache()
    yield application
    close(application)


def test_far_above_the_usual_quantity_at_a_promotion_price_is_flagged(app):
    client, tokens = app.test_client(), order_tokens(app)
    for _ in range(2):  # the usual: 10 cases
        usual = create(client, tokens["dealer_sh1"], {"lines": [{"sku": "W-550", "qty": 10}]})
        assert usual["status"] == "confirmed" and usual["lines"][0]["promotion"] is True
        assert next(c for c in usual["checks"] if c["kind"] == "diversion")["outcome"] == "ok"
    big = create(client, tokens["dealer_sh1"], {"lines": [{"sku": "W-550", "qty": 100}]})
    diversion = next(c for c in big["checks"] if c["kind"] == "diversion")
    assert diversion["outcome"] == "flag"
    assert [f["kind"] for f in diversion["figures"]["flags"]] == ["volume"]
    assert big["amount"] == "2850.00" and big["route"] == "rm" and big["status"] == "in_review"
    # another dealer has no history: the same order is not flagged
    other = create(client, tokens["dealer_gd1"], {"lines": [{"sku": "W-550", "qty": 100}]})
    assert next(c for c in other["checks"] if c["kind"] == "diversion")["outcome"] == "ok"
