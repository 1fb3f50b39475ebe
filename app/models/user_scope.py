"""A user's data scope: regions (regional manager), assigned dealers (sales rep),
own company (dealer user), plus the preferred UI language."""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited
from app.models.dealer import Dealer
from app.models.region import Region

user_scope_region = Table(
    "user_scope_region",
    Model.metadata,
    Column("user_scope_id", ForeignKey("user_scope.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("region.id", ondelete="CASCADE"), primary_key=True),
)

user_scope_dealer = Table(
    "user_scope_dealer",
    Model.metadata,
    Column("user_scope_id", ForeignKey("user_scope.id", ondelete="CASCADE"), primary_key=True),
    Column("dealer_id", ForeignKey("dealer.id", ondelete="CASCADE"), primary_key=True),
)


class UserScope(Audited, Model):
    __tablename__ = "user_scope"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("ab_user.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    company_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"))
    locale: Mapped[str | None] = mapped_column(String(10))

    user = relationship("User")
    company: Mapped[Dealer | None] = relationship(foreign_keys=[company_id])
    regions: Mapped[list[Region]] = relationship(secondary=user_scope_region)
    dealers: Mapped[list[Dealer]] = relationship(secondary=user_scope_dealer)

    def __repr__(self) -> str:
        return f"scope of {self.user}"
