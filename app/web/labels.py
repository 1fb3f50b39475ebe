"""Column labels shared by pages and APIs, translatable (zh_CN default, en)."""

from flask_babel import lazy_gettext as _l

LABELS = {
    "code": _l("Code"),
    "name": _l("Name"),
    "name_en": _l("English name"),
    "parent": _l("Parent region"),
    "path": _l("Path"),
    "region": _l("Region"),
    "status": _l("Status"),
    "created_at": _l("Created at"),
    "updated_at": _l("Updated at"),
    "user": _l("User"),
    "company": _l("Dealer company"),
    "regions": _l("Regions"),
    "dealers": _l("Assigned dealers"),
    "locale": _l("Language"),
    "at": _l("Time"),
    "actor": _l("Actor"),
    "action": _l("Action"),
    "entity": _l("Object"),
    "entity_id": _l("Object id"),
    "before": _l("Before"),
    "after": _l("After"),
    "ip": _l("IP address"),
}

DEALER_STATUS = {
    "applicant": _l("Applicant"),
    "active": _l("Active"),
    "suspended": _l("Suspended"),
    "terminated": _l("Terminated"),
}


def dealer_status(value: str | None) -> str:
    """The translated label of a dealer status (the raw value if unknown)."""
    return str(DEALER_STATUS.get(value or "", value or ""))


QUALIFICATION_KINDS = {
    "business_license": _l("Business licence"),
    "food_license": _l("Food business licence"),
    "tax_registration": _l("Tax registration"),
    "brand_authorization": _l("Brand authorisation"),
    "other": _l("Other"),
}


def qualification_kind(value: str | None) -> str:
    """The translated name of a qualification kind (the raw value if unknown)."""
    return str(QUALIFICATION_KINDS.get(value or "", value or ""))


DEALER_LABELS = {
    **LABELS,
    "uscc": _l("Unified social credit code"),
    "tier": _l("Tier"),
    "parent": _l("Parent dealer"),
    "sales_rep": _l("Sales rep"),
    "credit_limit": _l("Credit limit"),
    "payment_terms_days": _l("Payment terms (days)"),
    "staff_count": _l("Staff"),
    "warehouse_area": _l("Warehouse area (m²)"),
    "revenue_band": _l("Annual revenue band"),
    "invoice_title": _l("Invoice title"),
    "invoice_address": _l("Invoice address"),
    "invoice_phone": _l("Invoice phone"),
    "bank_name": _l("Bank"),
    "bank_account": _l("Bank account"),
    "custom": _l("Custom fields"),
}

REVENUE_BANDS = {
    "R1": _l("under 1 million CNY"),
    "R2": _l("1–5 million CNY"),
    "R3": _l("5–20 million CNY"),
    "R4": _l("20–100 million CNY"),
    "R5": _l("over 100 million CNY"),
}
