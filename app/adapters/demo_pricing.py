"""The demo price records of a template's ``demo.yaml`` (``price_policy:``): dealer prices,
promotions relative to today and the history generator's list prices.

Records go through the same checks as the policy pages and API (``record_values``, then
``publish`` validates the whole version). Records whose natural key (type, target, tier, region,
dealer, minimum quantity) is already in the live version are skipped; the rest are published as
one new version — so loading twice changes nothing. ``valid_from_days``/``valid_to_days`` give
dates relative to today.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.clock import business_today
from app.adapters.pricing_admin import add_record, create_draft, live_version, publish, record_values
from app.models import PriceRecord

KEY = (
    "condition_type",
    "product_id",
    "product_line_id",
    "category_id",
    "tier_id",
    "region_id",
    "dealer_id",
    "min_qty",
)


def _key(values) -> tuple:
    if isinstance(values, dict):
        return tuple(values.get(k) for k in KEY)
    return tuple(getattr(values, k) for k in KEY)


def load_price_policy(session: Session, data: dict, actor: str = "demo") -> dict[str, int]:
    """Publish the demo records missing from the live version (flushed, not committed)."""
    policy = data.get("price_policy")
    if not policy or not policy.get("records"):
        return {"price_records": 0}
    live = live_version(session)
    have = set()
    if live is not None:
        have = {
            _key(r) for r in session.scalars(select(PriceRecord).where(PriceRecord.version_id == live.id))
        }
    wanted = []
    for raw in policy.get("records", []):
        row = dict(raw)
        for field in ("valid_from", "valid_to"):
            days = row.pop(f"{field}_days", None)
            if days is not None:
                row[field] = business_today() + timedelta(days=days)
        values = record_values(session, row)
        if _key(values) not in have:
            have.add(_key(values))
            wanted.append(values)
    if not wanted:
        return {"price_records": 0}
    draft = create_draft(session, actor, policy.get("note"))
    for values in wanted:
        add_record(session, draft, values)
    publish(session, draft, None, actor)
    return {"price_records": len(wanted)}
