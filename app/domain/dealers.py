"""Rules on the dealer record that hold wherever it is edited (pages, API, Excel import,
onboarding): codes normalised (full-width → half-width, no spaces, upper case), the USCC
checked per GB 32100-2015, amounts and counts in range, the lifecycle's allowed moves."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.errors import ValidationFailed
from app.domain.uscc import normalise_code, uscc_problem

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")
STATUSES = ("applicant", "active", "suspended", "terminated")
REVENUE_BANDS = ("R1", "R2", "R3", "R4", "R5")
QUALIFICATION_KINDS = ("business_license", "food_license", "tax_registration", "brand_authorization", "other")
# Lifecycle: which status may follow which (terminated is final).
TRANSITIONS = {
    "applicant": {"applicant", "active", "terminated"},
    "active": {"active", "suspended", "terminated"},
    "suspended": {"suspended", "active", "terminated"},
    "terminated": {"terminated"},
}
MAX_CREDIT = Decimal("999999999999.99")


def validate_dealer(code: str | None, name: str | None, status: str | None) -> None:
    """Raise ValidationFailed naming every bad field of a dealer's core fields."""
    errors = _core_errors(code, name, status)
    if errors:
        raise ValidationFailed("invalid dealer: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors)


def _core_errors(code: str | None, name: str | None, status: str | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not code or not CODE_PATTERN.match(code):
        errors["code"] = "2-32 letters, digits, '-' or '_'"
    if not name or not name.strip():
        errors["name"] = "required"
    elif len(name) > 200:
        errors["name"] = "at most 200 characters"
    if status not in STATUSES:
        errors["status"] = f"one of {', '.join(STATUSES)}"
    return errors


@dataclass
class DealerFields:
    """A dealer's own fields as entered (strings from forms or Excel, or typed values)."""

    code: Any = None
    name: Any = None
    status: Any = "active"
    uscc: Any = None
    credit_limit: Any = None
    payment_terms_days: Any = None
    staff_count: Any = None
    warehouse_area: Any = None
    revenue_band: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def _decimal(value: Any, name: str, errors: dict[str, str], low: Decimal, high: Decimal) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        errors[name] = "not a number"
        return None
    if not number.is_finite() or number < low or number > high:
        errors[name] = f"between {low} and {high}"
        return None
    return number.quantize(Decimal("0.01"))


def _integer(value: Any, name: str, errors: dict[str, str], high: int) -> int | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if not re.fullmatch(r"\d{1,9}", text) or int(text) > high:
        errors[name] = f"a whole number from 0 to {high}"
        return None
    return int(text)


def clean_dealer(fields: DealerFields) -> dict[str, Any]:
    """Normalised values of ``fields``, or ValidationFailed naming every bad field."""
    code = normalise_code(str(fields.code)) if fields.code not in (None, "") else None
    name = " ".join(str(fields.name).split()) if fields.name not in (None, "") else None
    status = (str(fields.status).strip().lower() if fields.status not in (None, "") else None) or "active"
    errors = _core_errors(code, name, status)
    uscc = normalise_code(str(fields.uscc)) if fields.uscc not in (None, "") else None
    if uscc is not None:
        problem = uscc_problem(uscc)
        if problem:
            errors["uscc"] = problem
    credit = _decimal(fields.credit_limit, "credit_limit", errors, Decimal("0"), MAX_CREDIT)
    terms = _integer(fields.payment_terms_days, "payment_terms_days", errors, 365)
    staff = _integer(fields.staff_count, "staff_count", errors, 1_000_000)
    area = _decimal(fields.warehouse_area, "warehouse_area", errors, Decimal("0"), Decimal("99999999"))
    band = str(fields.revenue_band).strip().upper() if fields.revenue_band not in (None, "") else None
    if band is not None and band not in REVENUE_BANDS:
        errors["revenue_band"] = f"one of {', '.join(REVENUE_BANDS)}"
    if errors:
        raise ValidationFailed("invalid dealer: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    return {
        "code": code,
        "name": name,
        "status": status,
        "uscc": uscc,
        "credit_limit": credit if credit is not None else Decimal("0.00"),
        "payment_terms_days": terms or 0,
        "staff_count": staff,
        "warehouse_area": area,
        "revenue_band": band,
    }


def check_transition(old: str | None, new: str) -> None:
    """Refuse a status change the lifecycle does not allow (e.g. terminated → active)."""
    if old is not None and new not in TRANSITIONS.get(old, set()):
        raise ValidationFailed(
            f"a dealer cannot go from {old} to {new}", {"status": f"not allowed after {old}"}
        )


# Licences a dealer must hold while active; when one expires the dealer may be suspended.
REQUIRED_QUALIFICATIONS = ("business_license",)


def qualification_state(valid_to: date | None, today: date, warn_days: int) -> str:
    """``expired`` (valid_to before today), ``expiring`` (within ``warn_days``), else ``valid``."""
    if valid_to is None:
        return "valid"
    if valid_to < today:
        return "expired"
    if valid_to <= today + timedelta(days=warn_days):
        return "expiring"
    return "valid"


def check_qualification(
    kind: str | None, number: str | None, valid_from: date | None, valid_to: date | None
) -> None:
    """Refuse an unknown kind, an empty number, or a validity that ends before it starts."""
    errors: dict[str, str] = {}
    if kind not in QUALIFICATION_KINDS:
        errors["kind"] = f"one of {', '.join(QUALIFICATION_KINDS)}"
    if not number or not str(number).strip():
        errors["number"] = "required"
    if valid_from and valid_to and valid_to < valid_from:
        errors["valid_to"] = "before valid_from"
    if errors:
        raise ValidationFailed(
            "invalid qualification: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        )
