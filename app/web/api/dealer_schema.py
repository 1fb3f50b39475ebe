"""Marshmallow schemas of the dealer API: related records by their natural code (region, tier,
parent dealer) or user name (sales rep), money as decimal strings, nested parts on show.

Loading builds or updates a ``Dealer``; the domain rules run afterwards in ``DealerHooks``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_appbuilder.security.sqla.models import User
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from app.domain.dealers import CODE_PATTERN, STATUSES
from app.domain.uscc import normalise_code
from app.extensions import db
from app.models import Dealer, DealerTier, Region
from app.web.api.base import is_id


class CodeRef(fields.Field):
    """A related record given and shown as its code (a record id is accepted too)."""

    def __init__(self, model: type, attr: str = "code", **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)
        self.model, self.attr = model, attr

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else getattr(value, self.attr)

    def _deserialize(self, value, attr, data, **kwargs):
        column = getattr(self.model, self.attr)
        if isinstance(value, str) and value.strip():
            key = value.strip() if self.model is User else normalise_code(value)
            found = db.session.scalar(select(self.model).where(column == key))
        elif is_id(value):
            found = db.session.get(self.model, value)
        else:
            raise ValidationError(f"a {self.attr} or a record id")
        if found is None:
            raise ValidationError(f"unknown {self.attr}")
        return found


class DecimalString(fields.Field):
    """A decimal shown as a string ("1000.00"); a string or number is accepted on input."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise ValidationError("a decimal number (as a string)")
        return value


class Whole(fields.Field):
    """A whole number (validated by the domain; strings of digits are accepted)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValidationError("a whole number")
        return value


def _text(length: int) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(max=length))


class DealerSchema(Schema):
    """What a client may post or put; also the shape of every dealer the API returns."""

    code = fields.String(required=True, validate=validate.Regexp(CODE_PATTERN))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    uscc = _text(40)
    region = CodeRef(Region, required=True)
    tier = CodeRef(DealerTier)
    parent = CodeRef(Dealer)
    sales_rep = CodeRef(User, attr="username")
    status = fields.String(load_default="active", validate=validate.OneOf(STATUSES))
    credit_limit = DecimalString(allow_none=True)
    payment_terms_days = Whole(allow_none=True)
    staff_count = Whole(allow_none=True)
    warehouse_area = DecimalString(allow_none=True)
    revenue_band = _text(4)
    invoice_title = _text(200)
    invoice_address = _text(300)
    invoice_phone = _text(40)
    bank_name = _text(200)
    bank_account = _text(40)
    custom = fields.Dict(allow_none=True)

    def load(self, data, *, instance=None, **kwargs):
        """The posted values set on ``instance`` (FAB passes the row being edited) or a new Dealer."""
        values = super().load(data, **kwargs)
        dealer = instance if instance is not None else Dealer()
        for key, value in values.items():
            setattr(dealer, key, value)
        return dealer


COLUMNS = list(DealerSchema._declared_fields)


def _parts(rows, names: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for row in sorted(rows, key=lambda r: r.id):
        item = {"id": row.id}
        for name in names:
            value = getattr(row, name)
            item[name] = value.isoformat() if hasattr(value, "isoformat") else value
        out.append(item)
    return out


class DealerListSchema(DealerSchema):
    id = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class DealerShowSchema(DealerListSchema):
    """One dealer with its contacts, addresses, qualifications and authorisations (read-only)."""

    contacts = fields.Method("_contacts", dump_only=True)
    addresses = fields.Method("_addresses", dump_only=True)
    qualifications = fields.Method("_qualifications", dump_only=True)
    authorizations = fields.Method("_authorizations", dump_only=True)

    def _contacts(self, dealer):
        return _parts(dealer.contacts, ("name", "title", "phone", "email", "is_primary"))

    def _addresses(self, dealer):
        return _parts(dealer.addresses, ("label", "address", "receiver", "phone", "is_default"))

    def _qualifications(self, dealer):
        return _parts(dealer.qualifications, ("kind", "number", "file_token", "valid_from", "valid_to"))

    def _authorizations(self, dealer):
        rows = _parts(dealer.authorizations, ("product_line", "valid_from", "valid_to"))
        regions = {a.id: a.region.code for a in dealer.authorizations}
        return [{**row, "region": regions[row["id"]]} for row in rows]
