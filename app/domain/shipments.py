"""Shipments (发货) and tracking (物流跟踪): what a shipment request and a batch of tracking events
must look like, the tracking codes and what they do to a shipment, and the HMAC signature carriers
and the WMS sign their pushes with."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from app.domain.errors import ValidationFailed
from app.domain.orders import parse_price
from app.domain.uscc import normalise_code

TRACKING_CODES = ("picked_up", "in_transit", "out_for_delivery", "delivered", "exception")
STATUS_OF_CODE = {
    "picked_up": "in_transit",
    "in_transit": "in_transit",
    "out_for_delivery": "in_transit",
    "delivered": "delivered",
}
MAX_EVENTS = 500
WAYBILL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{3,59}$")
CARRIER = re.compile(r"^[A-Z0-9_]{2,40}$")


@dataclass(frozen=True)
class ShipLine:
    sku: str
    qty: int


@dataclass(frozen=True)
class ShipmentRequest:
    lines: tuple[ShipLine, ...]
    waybill: str
    carrier: str | None = None
    service: str | None = None
    parcels: int = 1
    weight_kg: Decimal | None = None
    volume_m3: Decimal | None = None
    cost: Decimal = Decimal("0.00")


def _whole(value: Any, low: int, high: int) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return f"a whole number from {low} to {high}"
    try:
        number = int(str(value).strip())
    except ValueError:
        return f"a whole number from {low} to {high}"
    return number if low <= number <= high else f"a whole number from {low} to {high}"


def _measure(value: Any, places: int) -> Decimal | str:
    number = parse_price(value)
    if isinstance(number, str):
        return number
    if number.as_tuple().exponent < -places:  # type: ignore[operator]
        return f"at most {places} decimals"
    return number


def parse_shipment(raw: Any) -> ShipmentRequest:
    """A shipment request; ``ValidationFailed`` names each bad field (``lines/0/qty``)."""
    if not isinstance(raw, dict):
        raise ValidationFailed("the shipment must be a JSON object", {"body": "a JSON object"})
    errors: dict[str, str] = {}
    for name in sorted(
        set(raw) - {"lines", "waybill", "carrier", "service", "parcels", "weight_kg", "volume_m3", "cost"}
    ):
        errors[name] = "unknown field"
    lines: list[ShipLine] = []
    items = raw.get("lines")
    if not isinstance(items, list) or not items or len(items) > 500:
        errors["lines"] = "1 to 500 lines of {sku, qty}"
        items = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors[f"lines/{index}"] = "an object with sku and qty"
            continue
        sku = normalise_code(str(item.get("sku") or "")) if isinstance(item.get("sku"), str) else ""
        qty = _whole(item.get("qty"), 1, 10**9)
        if not sku:
            errors[f"lines/{index}/sku"] = "required"
        elif sku in seen:
            errors[f"lines/{index}/sku"] = "the same SKU twice"
        seen.add(sku)
        if isinstance(qty, str):
            errors[f"lines/{index}/qty"] = qty
        elif sku:
            lines.append(ShipLine(sku, qty))
    waybill = str(raw.get("waybill") or "").strip()
    if not WAYBILL.match(waybill):
        errors["waybill"] = "4 to 60 letters, digits or '-'"
    carrier = raw.get("carrier")
    if carrier is not None and (not isinstance(carrier, str) or not CARRIER.match(carrier.strip().upper())):
        errors["carrier"] = "a carrier code (letters, digits, '_')"
    service = raw.get("service")
    if service is not None and (not isinstance(service, str) or not 1 <= len(service.strip()) <= 40):
        errors["service"] = "text of at most 40 characters"
    parcels = _whole(raw.get("parcels", 1), 1, 10000)
    if isinstance(parcels, str):
        errors["parcels"] = parcels
    measures: dict[str, Decimal | None] = {}
    for name, places in (("weight_kg", 3), ("volume_m3", 4), ("cost", 2)):
        if raw.get(name) is None:
            measures[name] = None
            continue
        value = _measure(raw[name], places)
        if isinstance(value, str):
            errors[name] = value
        else:
            measures[name] = value
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first]}", errors)
    return ShipmentRequest(
        lines=tuple(lines),
        waybill=waybill,
        carrier=carrier.strip().upper() if isinstance(carrier, str) else None,
        service=service.strip() if isinstance(service, str) else None,
        parcels=int(parcels),
        weight_kg=measures["weight_kg"],
        volume_m3=measures["volume_m3"],
        cost=measures["cost"] if measures["cost"] is not None else Decimal("0.00"),
    )


@dataclass(frozen=True)
class TrackingEvent:
    external_id: str
    waybill: str
    code: str
    at: datetime
    carrier: str | None = None
    location: str | None = None
    description: str | None = None


def _when(value: Any) -> datetime | str:
    if not isinstance(value, str):
        return "an ISO 8601 time with its zone"
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return "an ISO 8601 time with its zone"
    if at.tzinfo is None:
        return "an ISO 8601 time with its zone"
    if not 2000 <= at.year <= 2100:
        return "out of range"
    return at.astimezone(UTC)


def parse_events(raw: Any) -> list[TrackingEvent]:
    """``{"events": [{"id", "waybill", "code", "at", "carrier"?, "location"?, "description"?}]}``."""
    if not isinstance(raw, dict) or not isinstance(raw.get("events"), list):
        raise ValidationFailed('the body must be {"events": [...]}', {"events": "a list"})
    items = raw["events"]
    if not 1 <= len(items) <= MAX_EVENTS:
        raise ValidationFailed(f"1 to {MAX_EVENTS} events", {"events": f"1 to {MAX_EVENTS} events"})
    errors: dict[str, str] = {}
    events = []
    for index, item in enumerate(items):
        where = f"events/{index}"
        if not isinstance(item, dict):
            errors[where] = "an object"
            continue
        external_id = str(item.get("id") or "").strip()
        if not 1 <= len(external_id) <= 100:
            errors[f"{where}/id"] = "required, at most 100 characters"
        waybill = str(item.get("waybill") or "").strip()
        if not WAYBILL.match(waybill):
            errors[f"{where}/waybill"] = "a waybill number"
        code = item.get("code")
        if code not in TRACKING_CODES:
            errors[f"{where}/code"] = f"one of {', '.join(TRACKING_CODES)}"
        at = _when(item.get("at"))
        if isinstance(at, str):
            errors[f"{where}/at"] = at
        carrier = item.get("carrier")
        texts = {k: item.get(k) for k in ("location", "description")}
        for key, value in texts.items():
            if value is not None and (
                not isinstance(value, str) or len(value) > (200 if key == "location" else 500)
            ):
                errors[f"{where}/{key}"] = "text, too long or not text"
        if not any(k.startswith(where) for k in errors):
            events.append(
                TrackingEvent(
                    external_id,
                    waybill,
                    str(code),
                    at,  # type: ignore[arg-type]
                    str(carrier).strip().upper() if isinstance(carrier, str) and carrier.strip() else None,
                    texts["location"],
                    texts["description"],
                )
            )
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first]}", errors)
    return events


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the raw request body with the source's secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(signature(secret, body), str(given).strip())


def receipt_lines(raw: Any, shipped: dict[str, int]) -> dict[str, int]:
    """Received quantity per SKU of a shipment (``shipped``: SKU → quantity sent); SKUs not named
    count as fully received. Refuses unknown SKUs and quantities above what was sent."""
    if raw is None:
        return dict(shipped)
    if not isinstance(raw, list):
        raise ValidationFailed("lines must be a list", {"lines": "a list of {sku, received_qty}"})
    errors: dict[str, str] = {}
    received = dict(shipped)
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            errors[f"lines/{index}"] = "an object with sku and received_qty"
            continue
        sku = normalise_code(str(item.get("sku") or ""))
        if sku not in shipped:
            errors[f"lines/{index}/sku"] = "not in this shipment"
            continue
        qty = _whole(item.get("received_qty"), 0, shipped[sku])
        if isinstance(qty, str):
            errors[f"lines/{index}/received_qty"] = f"a whole number from 0 to {shipped[sku]} (what was sent)"
        else:
            received[sku] = qty
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first]}", errors)
    return received
