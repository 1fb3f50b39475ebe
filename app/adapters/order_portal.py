"""What the order pages need besides the order itself: the dealer's catalogue (its own prices —
never another dealer's special prices — and what is available at the warehouse that serves it),
the dealers a user may order for, and the dealer's ship-to addresses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.order_checks import available_at, serving_warehouse
from app.adapters.pricing import price_list
from app.adapters.scope_sql import dealer_clause
from app.domain.pricing_model import PROMO
from app.domain.scope import DataScope
from app.models import Dealer, DealerAddress, Product


@dataclass(frozen=True)
class CatalogueItem:
    sku: str
    name: str
    unit: str | None
    pack_size: int | None
    product_line: str | None
    unit_price: Decimal
    list_price: Decimal | None
    promotion: bool
    available: int


def catalogue(session: Session, dealer: Dealer) -> list[CatalogueItem]:
    """Every active, priced product with the dealer's unit price (quantity 1) and availability."""
    prices = {line.sku: line for line in price_list(session, dealer)}
    products = session.scalars(
        select(Product)
        .where(Product.status == "active", Product.code.in_(list(prices)))
        .order_by(Product.code)
    ).all()
    warehouse = serving_warehouse(session, dealer)
    available = available_at(session, warehouse, [p.id for p in products])
    return [
        CatalogueItem(
            sku=p.code,
            name=p.name,
            unit=p.unit,
            pack_size=p.pack_size,
            product_line=p.product_line.code if p.product_line is not None else None,
            unit_price=prices[p.code].unit_price,
            list_price=prices[p.code].list_price,
            promotion=any(step.get("type") == PROMO for step in prices[p.code].steps),
            available=max(available.get(p.id, 0), 0),
        )
        for p in products
    ]


def dealers_for(session: Session, scope: DataScope) -> list[tuple[str, str]]:
    """(code, name) of the active dealers the user may order for."""
    return list(
        session.execute(
            select(Dealer.code, Dealer.name)
            .where(dealer_clause(scope), Dealer.status == "active")
            .order_by(Dealer.code)
            .limit(500)
        ).all()
    )


def addresses(session: Session, dealer: Dealer) -> list[DealerAddress]:
    return list(
        session.scalars(
            select(DealerAddress).where(DealerAddress.dealer_id == dealer.id).order_by(DealerAddress.id)
        )
    )
