"""The parts of a dealer's file: contacts, ship-to addresses, authorised product lines × regions,
qualifications (licences with their scans and validity)."""

from __future__ import annotations

from datetime import date

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Timestamps
from app.models.dealer import Dealer
from app.models.region import Region


def DEALER_FK() -> ForeignKey:  # noqa: N802 (a column-argument factory)
    return ForeignKey("dealer.id", ondelete="CASCADE")


QUALIFICATION_KINDS = ("business_license", "food_license", "tax_registration", "brand_authorization", "other")


class DealerContact(Audited, Timestamps, Model):
    __tablename__ = "dealer_contact"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_id: Mapped[int] = mapped_column(
        ForeignKey("dealer.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    title: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    is_primary: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    dealer: Mapped[Dealer] = relationship(backref="contacts")


class DealerAddress(Audited, Timestamps, Model):
    """A ship-to address (收货地址)."""

    __tablename__ = "dealer_address"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_id: Mapped[int] = mapped_column(
        ForeignKey("dealer.id", ondelete="CASCADE"), nullable=False, index=True
    )
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    address: Mapped[str] = mapped_column(String(300), nullable=False)
    receiver: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    dealer: Mapped[Dealer] = relationship(backref="addresses")


class DealerAuthorization(Audited, Timestamps, Model):
    """A product line the dealer may sell in a region, from/to a date (授权)."""

    __tablename__ = "dealer_authorization"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_id: Mapped[int] = mapped_column(
        ForeignKey("dealer.id", ondelete="CASCADE"), nullable=False, index=True
    )
    product_line: Mapped[str] = mapped_column(String(32), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[date | None] = mapped_column(Date)

    dealer: Mapped[Dealer] = relationship(backref="authorizations")
    region: Mapped[Region] = relationship()


class DealerQualification(Audited, Timestamps, Model):
    """A licence or certificate with its number, scan (a stored file's token) and validity."""

    __tablename__ = "dealer_qualification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_id: Mapped[int] = mapped_column(
        ForeignKey("dealer.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    number: Mapped[str] = mapped_column(String(100), nullable=False)
    file_token: Mapped[str | None] = mapped_column(String(32))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, index=True)

    dealer: Mapped[Dealer] = relationship(backref="qualifications")
