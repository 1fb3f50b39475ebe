"""Managing the price policy: drafts (a copy of the live version), their records, validation,
the diff with the live version, and publishing (now or later, for every dealer at once).

Nothing here commits: the caller (an endpoint, the Excel import, the demo loader) does, once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.adapters.clock import business_day
from app.adapters.pricing import conditions_of, effective_version, invalidate_cache
from app.domain.errors import Conflict, ValidationFailed
from app.domain.pricing_model import RECORD_TYPES, Condition
from app.domain.pricing_rules import Diff, Problem, check, diff, problems, record_problems
from app.domain.pricing_values import parse_money, parse_pct, parse_qty
from app.models import Category, Dealer, DealerTier, PolicyVersion, PriceRecord, Product, ProductLine, Region

CODE_FIELDS = {
    "sku": ("product_id", Product),
    "product_line": ("product_line_id", ProductLine),
    "category": ("category_id", Category),
    "region": ("region_id", Region),
    "tier": ("tier_id", DealerTier),
    "dealer": ("dealer_id", Dealer),
}
COPIED = [c.key for c in PriceRecord.__table__.columns if c.key not in ("id", "version_id")]
PAST_TOLERANCE = timedelta(minutes=5)  # "now" from a client whose clock runs a little behind


def live_version(session: Session) -> PolicyVersion | None:
    """The version in force now."""
    return effective_version(session, datetime.now(UTC))


def create_draft(session: Session, actor: str, note: str | None = None) -> PolicyVersion:
    """A new draft holding a copy of the live version's records."""
    number = (session.scalar(select(func.max(PolicyVersion.number))) or 0) + 1
    draft = PolicyVersion(number=number, status="draft", note=note, created_by=actor)
    session.add(draft)
    session.flush()
    live = live_version(session)
    if live is not None:
        cols = [getattr(PriceRecord, c) for c in COPIED]
        session.execute(
            insert(PriceRecord).from_select(
                ["version_id", *COPIED],
                select(func.cast(draft.id, PriceRecord.version_id.type), *cols).where(
                    PriceRecord.version_id == live.id
                ),
            )
        )
    return draft


def _date(raw: Any, field: str) -> date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ValidationFailed(f"{field}: not a date", {field: "a date YYYY-MM-DD"}) from None


def record_values(session: Session, raw: dict, prefix: str = "") -> dict[str, Any]:
    """Column values of a record from codes and numbers; ValidationFailed names each bad field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    ctype = raw.get("type") or raw.get("condition_type")
    if ctype not in RECORD_TYPES:
        errors[f"{prefix}type"] = f"one of {', '.join(RECORD_TYPES)}"
    values["condition_type"] = ctype
    for name, (column, model) in CODE_FIELDS.items():
        code = raw.get(name)
        values[column] = None
        if code in (None, ""):
            continue
        found = session.scalar(select(model.id).where(model.code == str(code).strip()))
        if found is None:
            errors[f"{prefix}{name}"] = f"unknown {name.replace('_', ' ')} {code}"
        values[column] = found
    parsers = {"min_qty": parse_qty, "price": parse_money, "discount_pct": parse_pct}
    parsers.update(buy_x=parse_qty, get_y=parse_qty)
    for name, parse in parsers.items():
        value = raw.get(name)
        try:
            values[name] = None if value in (None, "") else parse(value, f"{prefix}{name}")  # type: ignore[operator]
        except ValidationFailed as error:
            errors.update(error.errors)
    values["min_qty"] = values.get("min_qty") or 1
    for name in ("valid_from", "valid_to"):
        try:
            values[name] = _date(raw.get(name), f"{prefix}{name}")
        except ValidationFailed as error:
            errors.update(error.errors)
    stackable = raw.get("stackable", False)
    values["stackable"] = stackable is True or str(stackable).lower() in ("1", "true", "yes", "是", "y")
    reference = raw.get("reference")
    values["reference"] = str(reference).strip()[:100] if reference not in (None, "") else None
    if errors:
        raise ValidationFailed("invalid price record", errors)
    names = {k: raw.get(k) or None for k in CODE_FIELDS}
    shape = record_problems(_condition(0, values, names))
    if shape:
        raise ValidationFailed(shape[0], {f"{prefix}record": "; ".join(shape)})
    return values


def _condition(rid: int, values: dict[str, Any], codes: dict[str, Any]) -> Condition:
    fields = {k: values[k] for k in ("min_qty", "price", "discount_pct", "buy_x", "get_y")}
    fields.update({k: values[k] for k in ("valid_from", "valid_to", "stackable", "reference")})
    return Condition(rid, values["condition_type"], **{k: codes[k] for k in CODE_FIELDS}, **fields)


def _require_draft(version: PolicyVersion) -> None:
    if version.status != "draft":
        raise Conflict(
            f"version {version.number} is {version.status}: only drafts change", {"version": "not a draft"}
        )


def add_record(session: Session, version: PolicyVersion, values: dict[str, Any]) -> PriceRecord:
    """Add a record (values from ``record_values``) to a draft."""
    _require_draft(version)
    record = PriceRecord(version_id=version.id, **values)
    session.add(record)
    session.flush()
    return record


def update_record(session: Session, record: PriceRecord, values: dict[str, Any]) -> PriceRecord:
    """Replace a draft record's fields."""
    _require_draft(record.version)
    for key, value in values.items():
        setattr(record, key, value)
    session.flush()
    return record


def delete_record(session: Session, record: PriceRecord) -> None:
    """Remove a record from a draft."""
    _require_draft(record.version)
    session.delete(record)
    session.flush()


def validate(session: Session, version: PolicyVersion, starts: datetime | None = None) -> list[Problem]:
    """Everything wrong with a version's records (empty: it may be published)."""
    moment = starts or version.effective_from or datetime.now(UTC)
    return problems(conditions_of(session, version.id), business_day(moment))


def diff_with_live(session: Session, draft: PolicyVersion) -> Diff:
    """Records added, removed and changed in ``draft`` compared with the live version."""
    live = live_version(session)
    return diff(conditions_of(session, draft.id), conditions_of(session, live.id) if live else [])


def publish(
    session: Session, version: PolicyVersion, effective_from: datetime | None, actor: str
) -> PolicyVersion:
    """Validate and publish a draft, effective now or later, for every dealer at once.

    The latest published version is marked superseded from ``effective_from`` (it stays in
    force until then); quotes read the version in force, so no per-dealer push is needed.
    """
    _require_draft(version)
    now = datetime.now(UTC)
    starts = effective_from or now
    if starts.tzinfo is None:
        starts = starts.replace(tzinfo=UTC)
    if starts < now - PAST_TOLERANCE:
        raise ValidationFailed("a version cannot take effect in the past", {"effective_from": "now or later"})
    latest = session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.status == "published")
        .order_by(PolicyVersion.effective_from.desc())
        .limit(1)
    )
    if latest is not None and latest.effective_from is not None and starts <= latest.effective_from:
        raise Conflict(
            f"version {latest.number} takes effect {latest.effective_from.isoformat()}: publish after it",
            {"effective_from": f"after {latest.effective_from.isoformat()}"},
        )
    check(conditions_of(session, version.id), business_day(starts))
    for previous in session.scalars(select(PolicyVersion).where(PolicyVersion.status == "published")):
        previous.status = "superseded"
        previous.effective_to = starts
    version.status = "published"
    version.effective_from = starts
    version.published_by = actor
    version.published_at = now
    session.flush()
    invalidate_cache()
    return version
