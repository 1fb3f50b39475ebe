"""What the dealer page shows: custom fields through the formkit renderer, qualifications with
their validity state, computed figures and the dealer's history from the audit log."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, request
from flask_babel import get_locale, gettext
from sqlalchemy import and_, or_, select

from app.adapters.clock import business_today
from app.adapters.dealer_custom import custom_form
from app.adapters.dealer_figures import dealer_figures
from app.domain.dealers import qualification_state
from app.extensions import db
from app.formkit.fields import Builder, Field
from app.formkit.parse import parse_object
from app.models import AuditLog, Dealer
from app.web.uploads import describe_file

PREFIX = ("custom",)
PARTS = {
    "DealerContact": "contacts",
    "DealerAddress": "addresses",
    "DealerQualification": "qualifications",
    "DealerAuthorization": "authorizations",
}


def custom_fields(values: dict | None, readonly: bool, errors: dict | None = None) -> list[Field]:
    """The ``dealer_custom`` form's fields named ``custom[...]`` (none when no form is stored)."""
    form = custom_form(db.session)
    if form is None:
        return []
    schema, uischema = form
    builder = Builder(str(get_locale() or "zh_CN"), gettext, errors or {}, describe_file, None)
    return builder.properties(schema, uischema, values or {}, PREFIX, readonly)


def posted_custom() -> dict[str, Any] | None:
    """The custom field values posted with the dealer form (None when no form is stored)."""
    form = custom_form(db.session)
    if form is None:
        return None
    return parse_object(form[0], request.form, PREFIX) or None


def qualification_rows(dealer: Dealer, today: date | None = None) -> list[dict[str, Any]]:
    today = today or business_today()
    warn = current_app.config["DMS_QUALIFICATION_WARN_DAYS"]
    return [
        {
            "row": q,
            "state": qualification_state(q.valid_to, today, warn),
            "file": describe_file(q.file_token) if q.file_token else None,
        }
        for q in sorted(dealer.qualifications, key=lambda q: (q.valid_to or date.max, q.id))
    ]


def figures(dealer: Dealer) -> dict[str, Any]:
    return dealer_figures(db.session, dealer)


def history(dealer: Dealer, limit: int = 100) -> list[AuditLog]:
    """Audit rows of the dealer and of its current parts, newest first."""
    clauses = [and_(AuditLog.entity == "Dealer", AuditLog.entity_id == str(dealer.id))]
    for entity, attr in PARTS.items():
        ids = [str(p.id) for p in getattr(dealer, attr)]
        if ids:
            clauses.append(and_(AuditLog.entity == entity, AuditLog.entity_id.in_(ids)))
    query = select(AuditLog).where(or_(*clauses)).order_by(AuditLog.id.desc()).limit(limit)
    return list(db.session.scalars(query))
