"""Policy simulation (政策模拟) before publishing: the order lines of the last N months priced
under the live policy and under a draft, on the same day, so the difference is the policy's alone;
revenue and margin (revenue − standard cost × quantity, where the product has a standard cost)
by region (top level) and dealer tier, and in total.

Each order line is priced at its own quantity (volume breaks and buy-X-get-Y depend on it); lines
with the same dealer, SKU and quantity are priced once and counted. The dealer's special prices
apply under both policies. A line the draft (or the live policy) cannot price is counted under
``unpriced`` and left out of both sides.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters import pricing
from app.adapters.clock import business_day, business_today, day_start
from app.adapters.order_checks import EXPOSED
from app.adapters.scope_sql import dealer_clause
from app.domain.errors import ValidationFailed
from app.domain.pricing_model import Item
from app.domain.scope import DataScope
from app.models import Dealer, OrderLine, PolicyVersion, Product, SalesOrder

MAX_MONTHS = 24
CENT = Decimal("0.01")


@dataclass
class Figures:
    """Revenue and margin under the live policy and the draft for one group."""

    lines: int = 0
    qty: int = 0
    live_revenue: Decimal = Decimal(0)
    draft_revenue: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    costed_revenue_live: Decimal = Decimal(0)  # revenue of the lines with a standard cost
    costed_revenue_draft: Decimal = Decimal(0)

    def add(self, count: int, qty: int, live: Decimal, draft: Decimal, cost: Decimal | None) -> None:
        self.lines += count
        self.qty += qty * count
        self.live_revenue += live * count
        self.draft_revenue += draft * count
        if cost is not None:
            self.cost += cost * qty * count
            self.costed_revenue_live += live * count
            self.costed_revenue_draft += draft * count

    def as_dict(self) -> dict[str, Any]:
        live, draft = self.live_revenue.quantize(CENT), self.draft_revenue.quantize(CENT)
        live_margin = (self.costed_revenue_live - self.cost).quantize(CENT)
        draft_margin = (self.costed_revenue_draft - self.cost).quantize(CENT)

        def pct(part: Decimal, whole: Decimal) -> str | None:
            return str((part * 100 / whole).quantize(CENT)) if whole else None

        return {
            "lines": self.lines,
            "qty": self.qty,
            "live_revenue": str(live),
            "draft_revenue": str(draft),
            "revenue_diff": str(draft - live),
            "revenue_diff_pct": pct(draft - live, live),
            "live_margin": str(live_margin),
            "draft_margin": str(draft_margin),
            "margin_diff": str(draft_margin - live_margin),
            "live_margin_pct": pct(live_margin, self.costed_revenue_live),
            "draft_margin_pct": pct(draft_margin, self.costed_revenue_draft),
        }


@dataclass
class Simulation:
    months: int
    on: date
    since: date
    total: Figures = field(default_factory=Figures)
    by_region: dict[str, Figures] = field(default_factory=lambda: defaultdict(Figures))
    by_tier: dict[str, Figures] = field(default_factory=lambda: defaultdict(Figures))
    unpriced: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "months": self.months,
            "on": self.on.isoformat(),
            "since": self.since.isoformat(),
            "total": self.total.as_dict(),
            "by_region": [{"region": k, **v.as_dict()} for k, v in sorted(self.by_region.items())],
            "by_tier": [{"tier": k, **v.as_dict()} for k, v in sorted(self.by_tier.items())],
            "unpriced_lines": self.unpriced,
        }


def parse_months(raw: Any) -> int:
    try:
        months = int(str(raw if raw not in (None, "") else 6))
    except ValueError:
        months = 0
    if not 1 <= months <= MAX_MONTHS:
        raise ValidationFailed("months must be 1 to 24", {"months": f"a whole number from 1 to {MAX_MONTHS}"})
    return months


def simulate(
    session: Session, draft: PolicyVersion, scope: DataScope, months: int = 6, on: date | None = None
) -> Simulation:
    """Price the last ``months`` of order lines (dealers in ``scope``) under the live policy and
    under ``draft``, both on ``on`` (the draft's effective day, else today)."""
    if draft.status != "draft":
        raise ValidationFailed("only a draft can be simulated", {"version": f"is {draft.status}"})
    on = on or (business_day(draft.effective_from) if draft.effective_from else business_today())
    since = business_today() - timedelta(days=round(months * 30.44))
    live = pricing.index_for(session, pricing.version_in_force(session, pricing.moment(on)))
    proposed = pricing.index_for(session, draft)
    result = Simulation(months, on, since)
    rows = session.execute(
        select(SalesOrder.dealer_id, Product.code, Product.standard_cost, OrderLine.qty, func.count())
        .join(SalesOrder, OrderLine.order_id == SalesOrder.id)
        .join(Product, OrderLine.product_id == Product.id)
        .join(Dealer, SalesOrder.dealer_id == Dealer.id)
        .where(
            dealer_clause(scope),
            SalesOrder.status.in_(EXPOSED),
            SalesOrder.confirmed_at >= day_start(since),
        )
        .group_by(SalesOrder.dealer_id, Product.code, Product.standard_cost, OrderLine.qty)
        .order_by(SalesOrder.dealer_id)
    ).all()
    buyers: dict[int, tuple] = {}
    for dealer_id, sku, cost, qty, count in rows:
        if dealer_id not in buyers:
            dealer = session.get(Dealer, dealer_id)
            buyers[dealer_id] = (
                pricing.buyer_of(dealer),
                pricing.specials_of(session, dealer, on),
                next((p for p in dealer.region.path.split("/") if p), dealer.region.code),
                dealer.tier.code if dealer.tier is not None else "-",
            )
        buyer, specials, region, tier = buyers[dealer_id]
        qty = int(qty)
        before = live.price_line(buyer, live.items.get(sku) or Item(sku), qty, on, specials)
        after = proposed.price_line(buyer, proposed.items.get(sku) or Item(sku), qty, on, specials)
        if before is None or after is None:
            result.unpriced += count
            continue
        cost_value = Decimal(cost) if cost is not None else None
        for figures in (result.total, result.by_region[region], result.by_tier[tier]):
            figures.add(count, qty, before.amount, after.amount, cost_value)
    return result
