"""The product catalogue: product lines, a category tree and products (SKUs)."""

from __future__ import annotations

from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Timestamps

PRODUCT_STATUSES = ("active", "inactive")


class ProductLine(Audited, Timestamps, Model):
    __tablename__ = "product_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(100))

    def __repr__(self) -> str:
        return self.name


class Category(Audited, Timestamps, Model):
    """A node of the category tree; ``path`` holds the ancestors' codes (``/FOOD/SNACK/``)."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id", ondelete="RESTRICT"))
    path: Mapped[str] = mapped_column(String(400), nullable=False, index=True)
    # no outbound movement for this many days → slow-moving (None: the configured default)
    slow_moving_days: Mapped[int | None] = mapped_column(Integer)

    parent: Mapped[Category | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return self.name


class Product(Audited, Timestamps, Model):
    """A SKU, counted in whole ``unit``s (a case of ``pack_size`` pieces, a bottle …)."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(200))
    product_line_id: Mapped[int | None] = mapped_column(ForeignKey("product_line.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    brand: Mapped[str | None] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(20), nullable=False, default="箱")
    pack_size: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active")
    # per unit, for margins (policy simulation); empty when unknown
    standard_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))

    product_line: Mapped[ProductLine | None] = relationship()
    category: Mapped[Category | None] = relationship()

    def __repr__(self) -> str:
        return f"{self.name} ({self.code})"
