"""A small catalogue and a published price policy for the pricing tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from app.adapters import pricing, pricing_admin
from app.adapters.demo_inventory import load_inventory
from app.extensions import db
from app.models import PolicyVersion

CATALOGUE = {
    "product_lines": [{"code": "BEV", "name": "饮料"}, {"code": "SNK", "name": "零食"}],
    "categories": [
        {"code": "DRINK", "name": "饮品"},
        {"code": "WATER", "name": "饮用水", "parent": "DRINK"},
    ],
    "products": [
        {"code": "W-550", "name": "矿泉水 550ml", "product_line": "BEV", "category": "WATER"},
        {"code": "W-1500", "name": "矿泉水 1.5L", "product_line": "BEV", "category": "WATER"},
        {"code": "T-500", "name": "绿茶 500ml", "product_line": "BEV", "category": "DRINK"},
        {"code": "B-100", "name": "饼干 100g", "product_line": "SNK"},
        {"code": "NOPRICE", "name": "未定价", "product_line": "SNK"},
    ],
}
RECORDS = [
    {"type": "base", "sku": "W-550", "price": "30"},
    {"type": "base", "sku": "W-1500", "price": "40"},
    {"type": "base", "sku": "T-500", "price": "45"},
    {"type": "base", "sku": "B-100", "price": "20"},
    {"type": "volume", "sku": "W-550", "min_qty": 100, "price": "28"},
    {"type": "region", "region": "EAST", "sku": "W-1500", "price": "38"},
    {"type": "tier", "tier": "A", "product_line": "SNK", "discount_pct": "10"},
    {"type": "dealer", "dealer": "D-SH-1", "sku": "T-500", "price": "42"},
    {"type": "promo", "category": "WATER", "buy_x": 10, "get_y": 1, "reference": "夏季促销"},
]


def load_catalogue() -> None:
    """The products above (inside an app context); loading twice changes nothing."""
    load_inventory(db.session, CATALOGUE)
    db.session.commit()


def publish_policy(
    records: list[dict] = RECORDS, actor: str = "test", backdate_days: int = 0
) -> PolicyVersion:
    """A draft copied from the live version, ``records`` added, published now (optionally moved
    ``backdate_days`` into the past, as if published back then)."""
    draft = pricing_admin.create_draft(db.session, actor, "test policy")
    for raw in records:
        pricing_admin.add_record(db.session, draft, pricing_admin.record_values(db.session, raw))
    pricing_admin.publish(db.session, draft, None, actor)
    if backdate_days:
        backdate(draft, backdate_days)
    db.session.commit()
    return draft


def backdate(version: PolicyVersion, days: int) -> None:
    """Move every live version's dates ``days`` back (simulated history)."""
    shift = timedelta(days=days)
    for v in db.session.scalars(select(PolicyVersion).where(PolicyVersion.status != "draft")):
        db.session.execute(
            update(PolicyVersion)
            .where(PolicyVersion.id == v.id)
            .values(
                effective_from=v.effective_from - shift,
                effective_to=v.effective_to - shift if v.effective_to else None,
                published_at=(v.published_at or datetime.now(UTC)) - shift,
            )
        )
    db.session.expire_all()
    pricing.invalidate_cache()
