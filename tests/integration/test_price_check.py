"""The price check and the diversion signal on a real database: lines against a (fake) policy
price and the tolerance table; ship-to regions against the dealer's authorisations; volume at
promotion prices against a history provider fed by the test."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.adapters import diversion
from app.adapters.clock import business_today
from app.adapters.price_check import check_lines
from app.domain.errors import ValidationFailed
from app.extensions import db

TODAY = business_today()
PRICES = {"BEV-1": Decimal("10.00"), "HPC-1": Decimal("50.00")}


def fake_policy(session, dealer, product, qty, on):
    return PRICES.get(product.code)


@pytest.fixture(scope="module")
def world(app):
    from app.models import Dealer, DealerAuthorization, Product, ProductLine, Region

    with app.app_context():
        bev, hpc = ProductLine(code="BEV", name="饮料"), ProductLine(code="HPC", name="日化")
        db.session.add_all([bev, hpc])
        db.session.add_all(
            [
                Product(code="BEV-1", name="水", product_line=bev),
                Product(code="HPC-1", name="洗衣液", product_line=hpc),
                Product(code="NEW-1", name="无价格", product_line=bev),
            ]
        )
        dealer = db.session.query(Dealer).filter_by(code="D-SH-1").one()
        east = db.session.query(Region).filter_by(code="EAST").one()
        db.session.add(
            DealerAuthorization(
                dealer=dealer, product_line="BEV", region=east, valid_from=TODAY - timedelta(days=10)
            )
        )
        db.session.commit()
    yield app


@pytest.fixture
def ctx(world):
    with world.app_context():
        previous = diversion.history_provider()
        yield world
        db.session.rollback()
        diversion.set_history_provider(previous)


def test_lines_get_policy_price_deviation_and_the_deepest_level(ctx):
    check = check_lines(
        db.session,
        "D-SH-1",
        [
            {"sku": "BEV-1", "qty": 10, "unit_price": "9.95"},  # -0.5 %: ok
            {"sku": "HPC-1", "qty": 2, "unit_price": "45"},  # -10 %: sales director
            {"sku": "BEV-1", "qty": 1, "unit_price": "9.7"},  # -3 %: regional manager
        ],
        policy_price=fake_policy,
    )
    assert [line.level for line in check.lines] == ["none", "sales_director", "regional_manager"]
    assert check.outcome == "review" and check.level == "sales_director" and check.deciding == 1
    assert check.lines[1].deviation_pct == Decimal("-10.00") and check.lines[1].deviation_amount == Decimal(
        "10.0000"
    )
    assert check.flow_inputs() == {"tier": "A", "product_line": "HPC", "deviation": Decimal("-10.00")}
    assert check.as_dict()["lines"][0]["policy_price"] == "10.00"


def test_within_tolerance_and_without_a_policy_price(ctx):
    ok = check_lines(
        db.session, "D-SH-1", [{"sku": "BEV-1", "qty": 1, "unit_price": 10}], policy_price=fake_policy
    )
    assert ok.outcome == "ok" and ok.level == "none"
    unpriced = check_lines(
        db.session, "D-SH-1", [{"sku": "NEW-1", "qty": 1, "unit_price": 1}], policy_price=fake_policy
    )
    assert unpriced.level == "executive" and unpriced.lines[0].policy_price is None


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"sku": "NOPE", "qty": 1, "unit_price": 1}, "lines/0/sku"),
        ({"sku": "BEV-1", "qty": 0, "unit_price": 1}, "lines/0/qty"),
        ({"sku": "BEV-1", "qty": 1, "unit_price": "1.00001"}, "lines/0/unit_price"),
        ({"sku": "BEV-1", "qty": 1, "unit_price": -1}, "lines/0/unit_price"),
        ({"sku": "BEV-1", "qty": "many", "unit_price": 1}, "lines/0/qty"),
    ],
)
def test_bad_lines_name_the_field(ctx, line, field):
    with pytest.raises(ValidationFailed) as refused:
        check_lines(db.session, "D-SH-1", [line], policy_price=fake_policy)
    assert field in refused.value.errors


def test_diversion_region_outside_the_authorisations(ctx):
    from app.models import Dealer

    dealer = db.session.query(Dealer).filter_by(code="D-SH-1").one()
    assert diversion.diversion_flags(db.session, dealer, "SH", [{"sku": "BEV-1", "qty": 5}]) == []
    flags = diversion.diversion_flags(db.session, dealer, "GD", [{"sku": "BEV-1", "qty": 5}])
    assert [(f.kind, f.sku) for f in flags] == [("region", "BEV-1")]
    flags = diversion.diversion_flags(db.session, dealer, "JS", [{"sku": "HPC-1", "qty": 5}])
    assert [(f.kind, f.sku) for f in flags] == [("region", "HPC-1")]  # line not authorised
    later = TODAY - timedelta(days=11)
    assert len(diversion.diversion_flags(db.session, dealer, "SH", [{"sku": "BEV-1", "qty": 5}], later)) == 1
    with pytest.raises(ValueError):
        diversion.diversion_flags(db.session, dealer, "NOWHERE", [{"sku": "BEV-1", "qty": 5}])


def test_diversion_volume_at_promotion_prices_uses_the_plugged_in_history(ctx):
    from app.models import Dealer

    dealer = db.session.query(Dealer).filter_by(code="D-SH-1").one()
    big = [{"sku": "BEV-1", "qty": 400, "promotion": True}]
    assert diversion.diversion_flags(db.session, dealer, "SH", big) == []  # no orders yet: no history
    diversion.set_history_provider(lambda session, d, skus, on: {s: [Decimal(50), Decimal(70)] for s in skus})
    flags = diversion.diversion_flags(db.session, dealer, "SH", big)
    assert [(f.kind, f.sku) for f in flags] == [("volume", "BEV-1")]
    assert diversion.diversion_flags(db.session, dealer, "SH", [{"sku": "BEV-1", "qty": 400}]) == []
    assert diversion.diversion_flags(db.session, dealer, "SH", [{**big[0], "qty": 180}]) == []
