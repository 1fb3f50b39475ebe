"""What a quote reads afresh although versions are cached: a special price approved after a quote
counts in the next one, and so does a version published after it."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.adapters import pricing, pricing_admin
from app.adapters.clock import business_today
from app.extensions import db
from app.models import Dealer, Product
from tests.pricing_helpers import load_catalogue, publish_policy


@pytest.fixture(scope="module")
def ctx(app):
    with app.app_context():
        load_catalogue()
        yield publish_policy(backdate_days=10)
        db.session.remove()


def dealer(code: str) -> Dealer:
    return db.session.scalar(select(Dealer).where(Dealer.code == code))


def test_a_special_price_added_after_a_quote_is_in_the_next_quote(ctx):
    sh2 = dealer("D-SH-2")
    lines = [("W-1500", 1), ("T-500", 3)]
    assert [x.unit_price for x in pricing.quote(db.session, sh2, lines).lines] == [D("38.0000"), D("45.0000")]
    tea = db.session.scalar(select(Product).where(Product.code == "T-500"))
    special = pricing.add_special_price(
        db.session, dealer=sh2, product=tea, price=D("41"), valid_from=business_today(), valid_to=None,
        reference="SP-FRESH", actor="rm_east",
    )  # fmt: skip
    db.session.commit()
    line = pricing.quote(db.session, sh2, lines).lines[1]
    assert line.unit_price == D("41.0000") and line.steps[0]["record"] == special.id
    assert pricing.quote(db.session, dealer("D-SH-1"), lines).lines[1].unit_price == D("42.0000")


def test_a_version_published_after_a_quote_is_used_by_the_next_quote(ctx):
    gd1 = dealer("D-GD-1")
    first = pricing.quote(db.session, gd1, [("B-100", 2)])
    assert first.version == ctx.id and first.lines[0].unit_price == D("20.0000")
    draft = pricing_admin.create_draft(db.session, "finance", "biscuits dearer")
    pricing_admin.add_record(
        db.session,
        draft,
        pricing_admin.record_values(
            db.session, {"type": "dealer", "dealer": "D-GD-1", "sku": "B-100", "price": "19.5"}
        ),
    )
    pricing_admin.publish(db.session, draft, None, "finance")
    db.session.commit()
    second = pricing.quote(db.session, gd1, [("B-100", 2)])
    assert second.version == draft.id and second.lines[0].unit_price == D("19.5000")
