"""The price policy of a template bundle: records matched with the live version's by natural key
(type, target, tier, region, dealer, minimum quantity, valid from); apply publishes one new
version — a draft copied from the live one, the bundle's records added or replaced, validated and
published like the policy pages do."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.pricing_admin import (
    add_record,
    create_draft,
    live_version,
    publish,
    record_values,
    update_record,
)
from app.domain.errors import ValidationFailed
from app.domain.pricing_model import RECORD_TYPES
from app.domain.pricing_values import parse_money, parse_pct, parse_qty
from app.domain.templates import Problem
from app.models import PriceRecord

TARGETS = ("sku", "product_line", "category", "tier", "region", "dealer")
KEY_FIELDS = ("type", *TARGETS, "min_qty", "valid_from")
VALUE_FIELDS = ("price", "discount_pct", "buy_x", "get_y", "valid_to", "stackable", "reference")
RELATIONS = {
    "sku": "product",
    "product_line": "product_line",
    "category": "category",
    "tier": "tier",
    "region": "region",
    "dealer": "dealer",
}


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value).strip()


def normalised(raw: dict, where: str) -> dict[str, Any]:
    """A record of the bundle as plain values (ValidationFailed naming the field)."""
    if any(k.endswith("_days") for k in raw):
        raise ValidationFailed(f"{where}: relative dates (…_days) belong in demo.yaml; give YYYY-MM-DD")
    kind = raw.get("type")
    if kind not in RECORD_TYPES:
        raise ValidationFailed(f"{where}: type must be one of {', '.join(RECORD_TYPES)}")
    out: dict[str, Any] = {"type": kind, **{t: _text(raw.get(t)) for t in TARGETS}}
    out["min_qty"] = parse_qty(raw.get("min_qty") or 1, "min_qty")
    out["price"] = (
        None if raw.get("price") in (None, "") else f"{parse_money(raw['price'], 'price').normalize():f}"
    )
    pct = raw.get("discount_pct")
    out["discount_pct"] = None if pct in (None, "") else f"{parse_pct(pct, 'discount_pct').normalize():f}"
    for name in ("buy_x", "get_y"):
        out[name] = None if raw.get(name) in (None, "") else parse_qty(raw[name], name)
    for name in ("valid_from", "valid_to"):
        out[name] = _text(raw.get(name))
    stackable = raw.get("stackable", False)
    out["stackable"] = stackable is True or str(stackable).lower() in ("1", "true", "yes")
    out["reference"] = _text(raw.get("reference"))
    return out


def key_of(record: dict[str, Any]) -> tuple:
    return tuple(record.get(k) for k in KEY_FIELDS)


def label(key: tuple) -> str:
    """A record's natural key as a plan shows it: ``volume:sku=BEV-W-550,min_qty=100``."""
    record = dict(zip(KEY_FIELDS, key, strict=True))
    parts = [f"{name}={record[name]}" for name in KEY_FIELDS[1:] if record[name] not in (None, 1)]
    return f"{record['type']}:" + ",".join(parts)


def bundle_records(policy: Any) -> tuple[dict[tuple, dict], list[Problem]]:
    """The bundle's records by natural key, and problems naming the row."""
    if policy is None:
        return {}, []
    if not isinstance(policy, dict) or not isinstance(policy.get("records", []), list):
        return {}, [Problem("reference.yaml", "price_policy", "a mapping with a list of records")]
    out: dict[tuple, dict] = {}
    problems = []
    for index, raw in enumerate(policy.get("records") or [], start=1):
        where = f"price_policy.records[{index}]"
        try:
            if not isinstance(raw, dict):
                raise ValidationFailed("a mapping")
            record = normalised(raw, where)
        except ValidationFailed as error:
            problems.append(Problem("reference.yaml", where, error.message.removeprefix(f"{where}: ")))
            continue
        if key_of(record) in out:
            problems.append(
                Problem("reference.yaml", where, "the same record (type, target, quantity, date) twice")
            )
        out[key_of(record)] = record
    return out, problems


def _stored(record: PriceRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"type": record.condition_type}
    for name, relation in RELATIONS.items():
        target = getattr(record, relation)
        out[name] = target.code if target is not None else None
    out["min_qty"] = record.min_qty
    out["price"] = None if record.price is None else f"{record.price.normalize():f}"
    out["discount_pct"] = None if record.discount_pct is None else f"{record.discount_pct.normalize():f}"
    out["buy_x"], out["get_y"] = record.buy_x, record.get_y
    out["valid_from"] = record.valid_from.isoformat() if record.valid_from else None
    out["valid_to"] = record.valid_to.isoformat() if record.valid_to else None
    out["stackable"], out["reference"] = bool(record.stackable), record.reference
    return out


def live_records(session: Session) -> dict[tuple, dict] | None:
    """The live version's records by natural key (None: no policy published yet)."""
    live = live_version(session)
    if live is None:
        return None
    records = session.scalars(select(PriceRecord).where(PriceRecord.version_id == live.id))
    return {key_of(r): r for r in (_stored(x) for x in records)}


def apply_policy(session: Session, wanted: dict[tuple, dict], note: str | None, actor: str) -> int:
    """Publish a new version with the bundle's records added or replaced; returns how many."""
    draft = create_draft(session, actor, note)
    existing = {
        key_of(_stored(r)): r
        for r in session.scalars(select(PriceRecord).where(PriceRecord.version_id == draft.id))
    }
    changed = 0
    for index, (key, record) in enumerate(wanted.items(), start=1):
        raw = {k: v for k, v in record.items() if v is not None}
        values = record_values(session, raw, prefix=f"price_policy.records[{index}].")
        found = existing.get(key)
        if found is None:
            add_record(session, draft, values)
            changed += 1
        elif _stored(found) != record:
            update_record(session, found, values)
            changed += 1
    publish(session, draft, None, actor)
    return changed
