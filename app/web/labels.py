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
