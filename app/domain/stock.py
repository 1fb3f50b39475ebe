"""Stock movements as requested (by a person, an order, an ERP/WMS), checked before anything is
written, and what each kind does to the levels of a warehouse × product.

Kinds:
- ``receipt``: goods arrive (on hand +), into a batch with its receipt date;
- ``transfer_out``: goods leave a warehouse for another (on hand − at the source, FIFO by batch;
  in transit + at the destination, same batches); ``transfer_in`` books them in at the
  destination (in transit −, on hand +) for the same ``reference``;
- ``reserve`` / ``release``: an order holds stock (reserved ±; available = on hand − reserved);
- ``ship``: goods leave the network (on hand −, and reserved − when ``from_reserved``);
- ``sell_out``: a dealer reports what it sold from its own warehouse (on hand −);
- ``adjust``: a counted difference, signed, with a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.errors import ValidationFailed
from app.domain.uscc import normalise_code

KINDS = ("receipt", "transfer_out", "transfer_in", "reserve", "release", "ship", "sell_out", "adjust")
MAX_QTY = 10**12
MAX_BATCH = 1000  # movements per request
BATCH_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")


@dataclass(frozen=True)
class Movement:
    kind: str
    warehouse: str
    sku: str
    qty: int
    batch: str | None = None
    to_warehouse: str | None = None
    received_on: date | None = None
    reference: str | None = None
    reason: str | None = None
    external_id: str | None = None
    from_reserved: bool = False


@dataclass(frozen=True)
class Effect:
    """Change of (on hand, reserved, in transit) at one warehouse."""

    on_hand: int = 0
    reserved: int = 0
    in_transit: int = 0

    @property
    def takes_available(self) -> bool:
        """Does it lower available stock (on hand − reserved)?"""
        return self.on_hand - self.reserved < 0


def effects(m: Movement) -> list[tuple[str, Effect]]:
    """(warehouse code, effect) pairs of a movement, source first."""
    q = m.qty
    if m.kind == "receipt":
        return [(m.warehouse, Effect(on_hand=q))]
    if m.kind == "transfer_out":
        return [(m.warehouse, Effect(on_hand=-q)), (m.to_warehouse or "", Effect(in_transit=q))]
    if m.kind == "transfer_in":
        return [(m.warehouse, Effect(on_hand=q, in_transit=-q))]
    if m.kind == "reserve":
        return [(m.warehouse, Effect(reserved=q))]
    if m.kind == "release":
        return [(m.warehouse, Effect(reserved=-q))]
    if m.kind == "ship":
        return [(m.warehouse, Effect(on_hand=-q, reserved=-q if m.from_reserved else 0))]
    if m.kind == "sell_out":
        return [(m.warehouse, Effect(on_hand=-q))]
    if m.kind == "adjust":
        return [(m.warehouse, Effect(on_hand=q))]
    raise ValueError(m.kind)


def _text(raw: dict, key: str, limit: int) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    return str(value).strip()[:limit] or None


def _qty(value: Any, signed: bool) -> int | str:
    """An integer quantity, or the reason it is not one."""
    if isinstance(value, bool) or value is None or value == "":
        return "required, a whole number"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,13}", value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        return "must be a whole number"
    if value == 0 or abs(value) > MAX_QTY:
        return "must not be zero" if value == 0 else "too large"
    if value < 0 and not signed:
        return "must be positive"
    return value


def parse_movement(raw: Any, prefix: str = "") -> Movement:
    """A movement from JSON-like data; ValidationFailed names each bad field (``movements/2/qty``)."""
    errors: dict[str, str] = {}
    if not isinstance(raw, dict):
        raise ValidationFailed(
            "a movement must be an object", {prefix.rstrip("/") or "movement": "an object"}
        )
    kind = str(raw.get("kind") or "").strip()
    if kind not in KINDS:
        errors[prefix + "kind"] = f"one of {', '.join(KINDS)}"
    warehouse = normalise_code(str(raw.get("warehouse") or ""))
    if not warehouse:
        errors[prefix + "warehouse"] = "required"
    sku = normalise_code(str(raw.get("sku") or ""))
    if not sku:
        errors[prefix + "sku"] = "required"
    qty = _qty(raw.get("qty"), signed=kind == "adjust")
    if isinstance(qty, str):
        errors[prefix + "qty"] = qty
    to_warehouse = normalise_code(str(raw.get("to_warehouse") or "")) or None
    if kind == "transfer_out":
        if not to_warehouse:
            errors[prefix + "to_warehouse"] = "required for a transfer"
        elif to_warehouse == warehouse:
            errors[prefix + "to_warehouse"] = "must differ from the source warehouse"
    batch = _text(raw, "batch", 40)
    if batch is not None and not BATCH_PATTERN.match(batch):
        errors[prefix + "batch"] = "letters, digits and . _ / - (at most 40)"
    received_on = None
    if raw.get("received_on"):
        try:
            received_on = date.fromisoformat(str(raw["received_on"])[:10])
        except ValueError:
            errors[prefix + "received_on"] = "a date like 2026-01-31"
    reason = _text(raw, "reason", 200)
    if kind == "adjust" and not reason:
        errors[prefix + "reason"] = "an adjustment needs a reason"
    reference = _text(raw, "reference", 100)
    if kind == "transfer_in" and not reference:
        errors[prefix + "reference"] = "the transfer's reference is required"
    if errors:
        raise ValidationFailed(
            "invalid movement: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        )
    return Movement(
        kind=kind,
        warehouse=warehouse,
        sku=sku,
        qty=int(qty),
        batch=batch,
        to_warehouse=to_warehouse,
        received_on=received_on,
        reference=reference,
        reason=reason,
        external_id=_text(raw, "external_id", 100),
        from_reserved=bool(raw.get("from_reserved")),
    )


def parse_movements(raw: Any) -> list[Movement]:
    """Every movement of a request, all checked; errors of all of them together."""
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed("movements must be a non-empty list", {"movements": "a non-empty list"})
    if len(raw) > MAX_BATCH:
        raise ValidationFailed(f"at most {MAX_BATCH} movements per request", {"movements": "too many"})
    parsed, errors = [], {}
    for index, item in enumerate(raw):
        try:
            parsed.append(parse_movement(item, f"movements/{index}/"))
        except ValidationFailed as failure:
            errors.update(failure.errors)
    if errors:
        raise ValidationFailed(
            "invalid movements: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        )
    return parsed
