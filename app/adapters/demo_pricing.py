"""The demo price policy from a template's YAML (``price_policy:``): published once.

Records go through the same checks as the policy pages and API (``record_values``, then
``publish`` validates the whole version). If any policy version exists, nothing is loaded, so
loading twice changes nothing. ``valid_from_days``/``valid_to_days`` give dates relative to today.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.pricing_admin import add_record, create_draft, publish, record_values
from app.models import PolicyVersion


def load_price_policy(session: Session, data: dict, actor: str = "demo") -> dict[str, int]:
    """Create and publish the demo policy when there is none yet (flushed, not committed)."""
    policy = data.get("price_policy")
    if not policy or session.scalar(select(PolicyVersion.id).limit(1)) is not None:
        return {"price_records": 0}
    draft = create_draft(session, actor, policy.get("note"))
    for raw in policy.get("records", []):
        row = dict(raw)
        for field in ("valid_from", "valid_to"):
            days = row.pop(f"{field}_days", None)
            if days is not None:
                row[field] = date.today() + timedelta(days=days)
        add_record(session, draft, record_values(session, row))
    publish(session, draft, None, actor)
    return {"price_records": len(policy.get("records", []))}
