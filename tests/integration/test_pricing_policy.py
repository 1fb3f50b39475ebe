"""Price policy on a real database: publishing (now, later), supersede, point-in-time lookups,
special prices, the index cache, validation refusals and the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.adapters import pricing, pricing_admin
from app.adapters.clock import business_today
from app.domain.errors import Conflict, ValidationFailed
from app.extensions import db
from app.models import AuditLog, Dealer, PolicyVersion, PriceRecord, Product
from tests.pricing_helpers import backdate, load_catalogue, publish_policy


@pytest.fixture(scope="module")
def ctx(app):
    with app.app_context():
        load_catalogue()
        first = publish_policy(backdate_days=60)
        yield first
        db.session.remove()


def dealer(code: str) -> Dealer:
    return db.session.scalar(select(Dealer).where(Dealer.code == code))


def product(code: str) -> Product:
    return db.session.scalar(select(Product).where(Product.code == code))


def test_quote_explains_each_line(ctx):
    quote = pricing.quote(
        db.session, dealer("D-SH-1"), [("W-550", 22), ("W-1500", 1), ("T-500", 2), ("B-100", 5)]
    )
    w550, w1500, tea, biscuit = quote.lines
    assert (w550.list_price, w550.unit_price) == (D("30.0000"), D("27.2727"))  # 2 of 22 free
    assert [s["type"] for s in w550.steps] == ["base", "promo"]
    assert w1500.unit_price == D("38.0000") and "region EAST" in w1500.steps[0]["why"]
    assert tea.unit_price == D("42.0000") and tea.steps[0]["overrode"][0]["type"] == "base"
    assert biscuit.unit_price == D("18.0000")  # tier A: 10 % off the snack line
    assert quote.total == w550.amount + w1500.amount + tea.amount + biscuit.amount
    other = pricing.quote(db.session, dealer("D-GD-1"), [("W-1500", 1), ("B-100", 1)])
    assert [x.unit_price for x in other.lines] == [D("40.0000"), D("20.0000")]


def test_unknown_sku_and_unpriced_sku_are_named(ctx):
    with pytest.raises(ValidationFailed) as caught:
        pricing.quote(db.session, dealer("D-SH-1"), [("W-550", 1), ("NOPE", 1), ("NOPRICE", 1)])
    assert set(caught.value.errors) == {"lines/1/sku", "lines/2/sku"}
    assert pricing.policy_unit_price(db.session, dealer("D-SH-1"), product("NOPRICE"), 1) is None


def test_future_publication_supersedes_then_and_history_stays_answerable(ctx):
    draft = pricing_admin.create_draft(db.session, "finance", "price rise")
    assert db.session.scalar(select(PriceRecord.id).where(PriceRecord.version_id == draft.id).limit(1))
    record = db.session.scalar(
        select(PriceRecord)
        .where(PriceRecord.version_id == draft.id, PriceRecord.condition_type == "base")
        .where(PriceRecord.product_id == product("W-1500").id)
    )
    pricing_admin.update_record(db.session, record, {"price": D("44")})
    changes = pricing_admin.diff_with_live(db.session, draft)
    assert [(a.price, b.price) for a, b in changes.changed] == [(D("40.0000"), D("44"))]
    starts = datetime.now(UTC) + timedelta(days=3)
    pricing_admin.publish(db.session, draft, starts, "finance")
    db.session.commit()
    assert ctx.status == "superseded" and ctx.effective_to == starts
    gd = dealer("D-GD-1")
    assert pricing.policy_unit_price(db.session, gd, product("W-1500"), 1) == D("40.0000")  # still the old
    later = starts.date() + timedelta(days=1)
    assert pricing.policy_unit_price(db.session, gd, product("W-1500"), 1, later) == D("44.0000")
    past = business_today() - timedelta(days=30)
    assert pricing.quote(db.session, gd, [("W-1500", 1)], past).version == ctx.id


def test_before_the_first_version_there_is_no_price(ctx):
    long_ago = business_today() - timedelta(days=400)
    with pytest.raises(ValidationFailed) as caught:
        pricing.quote(db.session, dealer("D-GD-1"), [("W-1500", 1)], long_ago)
    assert caught.value.errors == {"lines/0/sku": "no price for W-1500 in the policy"}


def test_publishing_is_refused_in_the_past_before_a_scheduled_version_or_twice(ctx):
    draft = pricing_admin.create_draft(db.session, "finance")
    with pytest.raises(ValidationFailed):
        pricing_admin.publish(db.session, draft, datetime.now(UTC) - timedelta(days=1), "finance")
    with pytest.raises(Conflict):  # the version of the previous test takes effect in 3 days
        pricing_admin.publish(db.session, draft, None, "finance")
    live = db.session.scalar(select(PolicyVersion).where(PolicyVersion.status == "published"))
    with pytest.raises(Conflict):
        pricing_admin.add_record(db.session, live, {"condition_type": "base"})
    db.session.rollback()


def test_special_price_is_the_most_specific_within_its_validity(ctx):
    sh1, tea = dealer("D-SH-1"), product("T-500")
    today = business_today()
    special = pricing.add_special_price(
        db.session, dealer=sh1, product=tea, price=D("39.5"), valid_from=today,
        valid_to=today + timedelta(days=9), reference="SP-1", actor="rm_east",
    )  # fmt: skip
    db.session.commit()
    line = pricing.quote(db.session, sh1, [("T-500", 1)]).lines[0]
    assert line.unit_price == D("39.5000")
    assert line.steps[0] == {
        "record": special.id,
        "type": "special",
        "value": "39.5000",
        "why": line.steps[0]["why"],
        "overrode": [{"record": line.steps[0]["overrode"][0]["record"], "type": "dealer", "value": "42.0000"}]
        + line.steps[0]["overrode"][1:],
    }
    assert pricing.policy_unit_price(db.session, sh1, tea, 1, today + timedelta(days=10)) == D("42.0000")
    assert pricing.policy_unit_price(db.session, dealer("D-SH-2"), tea, 1) == D("45.0000")
    with pytest.raises(ValidationFailed):
        pricing.add_special_price(
            db.session, dealer=sh1, product=tea, price=D("-1"), valid_from=today, valid_to=None,
            reference=None, actor="x",
        )  # fmt: skip
    db.session.rollback()


def test_a_special_price_applies_on_its_business_days_not_utc_days(ctx):
    """Valid on one day in Shanghai: from 00:00 local (16:00 UTC the day before) to 23:59 local."""
    sh1, tea = dealer("D-SH-1"), product("T-500")
    day = business_today() + timedelta(days=40)
    pricing.add_special_price(
        db.session, dealer=sh1, product=tea, price=D("38"), valid_from=day, valid_to=day,
        reference="SP-DAY", actor="rm_east",
    )  # fmt: skip
    db.session.commit()
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=8)  # 00:00 local

    def price(at):
        return pricing.quote(db.session, sh1, [("T-500", 1)], at).lines[0].unit_price

    assert price(midnight - timedelta(minutes=1)) == D("42.0000")  # 23:59 the day before
    assert price(midnight + timedelta(minutes=30)) == D("38.0000")  # still the day before in UTC
    assert price(midnight + timedelta(hours=23, minutes=59)) == D("38.0000")
    assert price(midnight + timedelta(hours=24)) == D("42.0000")
    assert pricing.policy_unit_price(db.session, sh1, tea, 1, day) == D("38.0000")  # the day itself
    db.session.rollback()


def test_the_index_is_cached_per_version_and_refreshed_on_publish(ctx):
    backdate(ctx, 5)  # the scheduled version now took effect 2 days ago
    db.session.commit()
    live = pricing.effective_version(db.session, datetime.now(UTC))
    assert pricing.index_for(db.session, live) is pricing.index_for(db.session, live)
    draft = pricing_admin.create_draft(db.session, "finance")
    record = pricing_admin.add_record(
        db.session,
        draft,
        pricing_admin.record_values(
            db.session, {"type": "region", "region": "GD", "sku": "W-550", "price": "29"}
        ),
    )
    pricing_admin.publish(db.session, draft, None, "finance")
    db.session.commit()
    assert pricing._cache == {}
    line = pricing.quote(db.session, dealer("D-GD-1"), [("W-550", 1)]).lines[0]
    assert line.unit_price == D("29.0000") and line.steps[0]["record"] == record.id


def test_a_draft_with_conflicts_is_refused_naming_the_records(ctx):
    draft = pricing_admin.create_draft(db.session, "finance")
    values = pricing_admin.record_values(
        db.session, {"type": "dealer", "dealer": "D-SH-2", "sku": "W-550", "price": "25"}
    )
    a = pricing_admin.add_record(db.session, draft, values)
    b = pricing_admin.add_record(db.session, draft, dict(values, price=D("26")))
    promo = {
        "type": "promo",
        "sku": "B-100",
        "discount_pct": "5",
        "valid_from": "2026-03-01",
        "valid_to": "2026-02-01",
    }
    with pytest.raises(ValidationFailed) as bad:
        pricing_admin.record_values(db.session, promo)
    assert "ends 2026-02-01 before it starts 2026-03-01" in bad.value.errors["record"]
    problems = pricing_admin.validate(db.session, draft)
    assert [p.records for p in problems] == [(a.id, b.id)]
    with pytest.raises(ValidationFailed) as caught:
        pricing_admin.publish(db.session, draft, None, "finance")
    assert set(caught.value.errors) == {f"records/{a.id}", f"records/{b.id}"}
    db.session.rollback()


def test_record_changes_and_publications_are_in_the_audit_log(ctx):
    entities = set(db.session.scalars(select(AuditLog.entity)))
    assert {"PriceRecord", "PolicyVersion", "SpecialPrice"} <= entities
