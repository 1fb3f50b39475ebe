"""Reading prices, percentages and quantities from people and clients: Decimal, at most 4 decimals.

A float is read through its shortest repr (``0.1`` → ``Decimal("0.1")``), so a JSON number
means what it shows; anything with more than 4 decimals, not finite, or of the wrong sign is
refused with the field named.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from app.domain.errors import ValidationFailed

MAX_DECIMALS = 4
MAX_MONEY = Decimal("9999999999.9999")  # NUMERIC(14, 4)
MAX_QTY = 10**9


def _refuse(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {reason}", {field: reason})


def parse_decimal(raw: object, field: str) -> Decimal:
    """A finite Decimal with at most 4 decimals (strings, ints, floats; never booleans)."""
    if isinstance(raw, bool) or raw is None or raw == "":
        raise _refuse(field, "a number is required")
    try:
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise _refuse(field, "not a number") from None
    if not value.is_finite():
        raise _refuse(field, "not a number")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        raise _refuse(field, f"at most {MAX_DECIMALS} decimals")
    return value


def parse_money(raw: object, field: str) -> Decimal:
    """A price: ≥ 0, at most 4 decimals, within NUMERIC(14, 4)."""
    value = parse_decimal(raw, field)
    if value < 0:
        raise _refuse(field, "must not be negative")
    if value > MAX_MONEY:
        raise _refuse(field, "too large")
    return value


def parse_pct(raw: object, field: str) -> Decimal:
    """A discount in percent: more than 0, at most 100, at most 4 decimals."""
    value = parse_decimal(raw, field)
    if not Decimal(0) < value <= Decimal(100):
        raise _refuse(field, "a percentage above 0 and at most 100")
    return value


def parse_qty(raw: object, field: str) -> int:
    """A quantity: a whole number of units above 0."""
    if type(raw) is int and 0 < raw <= MAX_QTY:  # the usual case, fast
        return raw
    value = parse_decimal(raw, field)
    if value != value.to_integral_value():
        raise _refuse(field, "a whole number of units")
    if not 0 < value <= MAX_QTY:
        raise _refuse(field, "must be above 0")
    return int(value)
