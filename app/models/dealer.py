"""The dealer company (经销商). The Dealers issue extends it with the full master file."""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Timestamps
from app.models.region import Region

DEALER_STATUSES = ("applicant", "active", "suspended", "terminated")


class Dealer(Audited, Timestamps, Model):
    __tablename__ = "dealer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active")

    region: Mapped[Region] = relationship()

    def __repr__(self) -> str:
        return f"{self.name} ({self.code})"
