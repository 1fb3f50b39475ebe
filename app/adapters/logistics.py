"""Logistics strategy and cost: the decision table ``logistics_strategy`` (top-level region of the
ship-to region, shipment value, weight, main product line → carrier and service) picks a carrier
when the warehouse does not name one; the cost report sums shipments by carrier, region or month
inside the caller's data scope."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.clock import day_start
from app.adapters.scope_sql import dealer_clause
from app.domain.errors import ValidationFailed
from app.domain.scope import DataScope
from app.engine import decisions
from app.models import Dealer, Region, SalesOrder, Shipment

PROCESS_KEY = "order_approval"
FILE, DECISION = "logistics_strategy.dmn", "logistics_strategy"
GROUPS = ("carrier", "region", "month")


def top_region(session: Session, region: Region) -> str:
    """Code of the top-level region above ``region`` (its own when it is top-level)."""
    del session  # the path holds the codes: /EAST/SH/
    return next((part for part in region.path.split("/") if part), region.code)


def choose_carrier(
    session: Session, order: SalesOrder, picks: list, weight_kg: Decimal | None
) -> tuple[str, str]:
    value = sum((Decimal(line.unit_price) * qty for line, qty in picks), Decimal(0))
    lines = Counter()
    for line, qty in picks:
        lines[line.product.product_line.code if line.product.product_line is not None else None] += qty
    main = lines.most_common(1)[0][0] if lines else None
    inputs = {
        "region": top_region(session, order.ship_to_region),
        "amount": str(value),
        "weight_kg": str(weight_kg or 0),
        "product_line": main,
    }
    result = decisions.evaluate(decisions.table_xml(session, PROCESS_KEY, FILE), FILE, DECISION, inputs)
    if not result.get("carrier"):
        raise ValidationFailed("the logistics strategy gives no carrier: name one", {"carrier": "required"})
    return str(result["carrier"]).upper()[:40], str(result.get("service") or "")[:40] or None


@dataclass(frozen=True)
class CostRow:
    key: str
    shipments: int
    parcels: int
    weight_kg: Decimal
    cost: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "shipments": self.shipments,
            "parcels": self.parcels,
            "weight_kg": str(self.weight_kg),
            "cost": str(self.cost),
        }


def cost_report(
    session: Session, scope: DataScope, group_by: str, start: date | None, end: date | None
) -> list[CostRow]:
    if group_by not in GROUPS:
        raise ValidationFailed("unknown group_by", {"group_by": f"one of {', '.join(GROUPS)}"})
    query = (
        select(Shipment, Region.code)
        .join(SalesOrder, Shipment.order_id == SalesOrder.id)
        .join(Dealer, SalesOrder.dealer_id == Dealer.id)
        .join(Region, SalesOrder.ship_to_region_id == Region.id)
        .where(dealer_clause(scope), Shipment.status != "cancelled")
    )
    if start:
        query = query.where(Shipment.shipped_at >= day_start(start))
    if end:
        query = query.where(Shipment.shipped_at < day_start(end + timedelta(days=1)))
    sums: dict[str, list] = {}
    for shipment, region in session.execute(query):
        key = {
            "carrier": shipment.carrier,
            "region": region,
            "month": shipment.shipped_at.strftime("%Y-%m"),
        }[group_by]
        row = sums.setdefault(key, [0, 0, Decimal(0), Decimal(0)])
        row[0] += 1
        row[1] += shipment.parcels
        row[2] += Decimal(shipment.weight_kg or 0)
        row[3] += Decimal(shipment.cost or 0)
    rows = [CostRow(k, v[0], v[1], v[2], v[3]) for k, v in sums.items()]
    return sorted(rows, key=lambda r: (-r.cost, r.key))


def cost_xlsx(rows: list[CostRow], group_by: str) -> bytes:
    import io

    book = Workbook()
    sheet = book.active
    sheet.title = "物流费用 Logistics cost"
    sheet.append([group_by, "发货单数 Shipments", "件数 Parcels", "重量kg Weight kg", "运费 Cost"])
    for row in rows:
        sheet.append([row.key, row.shipments, row.parcels, row.weight_kg, row.cost])  # Decimals kept
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
