"""What-if simulation wired to the data (docs/forecast.md, "What-if"): SKUs or a product line, in
one forecast region or every region of the user's scope, under a price change or a promotion.

Per SKU: the **base** volume is the latest run's forecast summed over the regions; the **price**
is the average price of the last 12 months of history there (cents ÷ quantity); the **cost** is
``product.standard_cost``. A SKU without a forecast, without sales in those 12 months or without a
standard cost is skipped and listed with the reason. One **elasticity** for the selection: the
log-log fit over SKU × month observations (average price, quantity) of the whole history in the
regions, each SKU's prices and quantities divided by their geometric means first (the slope of a
regression with one intercept per SKU), or the default when the data is too thin.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters.elasticity import DEFAULT_ELASTICITY, PriceObservation, estimate_elasticity
from app.adapters.forecasts import key_month, latest_run, month_key, months_of, top_regions
from app.adapters.forecasts_query import CODE, clean_code, product_by_code, region_in, visible_regions
from app.domain.errors import ValidationFailed
from app.domain.forecast import OK, add_months
from app.domain.scope import DataScope
from app.domain.what_if import PriceChange, Promotion, WhatIf, simulate
from app.models import Dealer, Forecast, Product, ProductLine, Region, SaleLine

PRICE_MONTHS = 12
MAX_SKUS = 200
DATA_SHOWN = 400  # observations kept with a result
ESTIMATE_FIELDS = ("elasticity", "is_default", "reason", "fitted", "ci_low", "ci_high", "p_value",
                   "observations", "periods", "excluded")  # fmt: skip


@dataclass(frozen=True)
class Request:
    skus: tuple[str, ...]
    product_line: str | None
    region: str | None
    change: PriceChange | Promotion

    def as_json(self) -> dict[str, Any]:
        if isinstance(self.change, PriceChange):
            change: dict[str, Any] = {"kind": "price", "pct": str(self.change.pct)}
        else:
            months = sorted(m.strftime("%Y-%m") for m in self.change.months)
            change = {"kind": "promotion", "cut_pct": str(self.change.cut_pct), "months": months}
        return {"skus": list(self.skus), "product_line": self.product_line, "region": self.region, **change}


def _number(body: dict, field: str, errors: dict) -> Decimal:
    try:
        value = Decimal(str(body.get(field)).strip())
        if value.is_finite():
            return value
    except (InvalidOperation, ValueError):
        pass
    errors[field] = "a number"
    return Decimal(0)


def _months(raw: Any, errors: dict) -> frozenset[date]:
    items = raw.split(",") if isinstance(raw, str) else raw
    out = set()
    if not isinstance(items, list) or not items or len(items) > 36:
        errors["months"] = "1 to 36 months like 2026-12"
        return frozenset()
    for item in items:
        try:
            year, month = str(item).strip().split("-")[:2]
            out.add(date(int(year), int(month), 1))
        except ValueError:
            errors["months"] = f"not a month like 2026-12: {str(item)[:20]}"
    return frozenset(out)


def parse_request(body: dict) -> Request:
    """The selection and the change from a JSON body or a form; 422 naming each bad field."""
    errors: dict[str, str] = {}
    raw = body.get("skus") or []
    skus = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(skus, list) or not all(isinstance(s, str) for s in skus):
        errors["skus"] = "a list of SKU codes"
        skus = []
    skus = [s.strip().upper() for s in skus if s.strip()]
    if any(not CODE.fullmatch(s) for s in skus):
        errors["skus"] = "SKU codes (letters, digits, . _ / -)"
    try:
        line = clean_code(body.get("product_line"), "product_line")
    except ValidationFailed as error:
        errors.update(error.errors)
        line = None
    if bool(skus) == bool(line) and "product_line" not in errors:
        errors["skus"] = "choose SKUs or a product line (one of the two)"
    elif len(skus) > MAX_SKUS and "skus" not in errors:
        errors["skus"] = f"at most {MAX_SKUS} SKUs"
    region = str(body.get("region") or "").strip().upper() or None
    kind = body.get("kind")
    change: PriceChange | Promotion = PriceChange(Decimal(0))
    if kind == "price":
        change = PriceChange(_number(body, "pct", errors))
    elif kind == "promotion":
        change = Promotion(_number(body, "cut_pct", errors), _months(body.get("months"), errors))
    else:
        errors["kind"] = "price or promotion"
    if errors:
        raise ValidationFailed(
            "invalid what-if: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        )
    return Request(tuple(dict.fromkeys(skus)), line, region, change)


def _products(session: Session, req: Request) -> list[Product]:
    if req.product_line:
        line = session.scalar(select(ProductLine).where(ProductLine.code == req.product_line))
        if line is None:
            raise ValidationFailed("product_line: unknown", {"product_line": f"unknown {req.product_line}"})
        found = list(
            session.scalars(select(Product).where(Product.product_line_id == line.id).order_by(Product.code))
        )
        if not found:
            raise ValidationFailed("product_line: no products", {"product_line": "has no products"})
        return found[:MAX_SKUS]
    return [p for code in req.skus if (p := product_by_code(session, code, "skus")) is not None]


def _region_ids(session: Session, scope: DataScope, req: Request) -> list[Region]:
    regions = visible_regions(session, scope)
    chosen = region_in(regions, req.region)
    if chosen is not None:
        return [chosen]
    if not regions:
        raise ValidationFailed(
            "region: none in your data scope", {"region": "no forecast region in your data scope"}
        )
    return list(regions.values())


def _observations(session: Session, product_ids: list[int], region_ids: list[int], before: date):
    """(product id, month) → (quantity, cents) of the history of the regions' dealers."""
    inside = [rid for rid, (top, _) in top_regions(session).items() if top in region_ids]
    rows = session.execute(
        select(SaleLine.product_id, SaleLine.month, func.sum(SaleLine.qty), func.sum(SaleLine.cents))
        .join(Dealer, Dealer.id == SaleLine.dealer_id)
        .where(
            SaleLine.product_id.in_(product_ids),
            SaleLine.month < month_key(before),
            Dealer.region_id.in_(inside),
        )
        .group_by(SaleLine.product_id, SaleLine.month)
    )
    return {(p, key_month(m)): (int(q or 0), int(c or 0)) for p, m, q, c in rows}


def elasticity_for(history: dict, products: dict[int, Product]):
    """The estimate over SKU × month observations, each SKU normalised by its geometric means."""
    by_sku: dict[int, list[tuple[date, float, int]]] = defaultdict(list)
    for (pid, month), (qty, cents) in sorted(history.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if qty > 0 and cents > 0:
            by_sku[pid].append((month, cents / 100 / qty, qty))
    observations, data = [], []
    for pid, rows in by_sku.items():
        gp = math.exp(sum(math.log(p) for _, p, _ in rows) / len(rows))
        gq = math.exp(sum(math.log(q) for _, _, q in rows) / len(rows))
        for month, price, qty in rows:
            observations.append(PriceObservation(month, price / gp, qty / gq))
            data.append(
                {
                    "sku": products[pid].code,
                    "month": month.strftime("%Y-%m"),
                    "price": round(price, 4),
                    "qty": qty,
                }
            )
    estimate = estimate_elasticity(observations, DEFAULT_ELASTICITY)
    out = {k: getattr(estimate, k) for k in ESTIMATE_FIELDS}
    return Decimal(str(round(estimate.elasticity, 4))), {
        **out,
        "default": DEFAULT_ELASTICITY,
        "data": data[:DATA_SHOWN],
    }


def run_what_if(session: Session, scope: DataScope, req: Request) -> dict[str, Any]:
    """Simulate ``req`` on the latest run; the selection, elasticity and results as JSON-ready dicts."""
    products = {p.id: p for p in _products(session, req)}
    regions = _region_ids(session, scope, req)
    run = latest_run(session)
    if run is None:
        raise ValidationFailed("no forecast yet: run the forecast first", {"forecast": "no forecast run yet"})
    history = _observations(session, list(products), [r.id for r in regions], run.history_end)
    value, elasticity = elasticity_for(history, products)
    bases: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for pid, start, values in session.execute(
        select(Forecast.product_id, Forecast.forecast_start, Forecast.values).where(
            Forecast.run_id == run.id, Forecast.status == OK, Forecast.product_id.in_(list(products)),
            Forecast.region_id.in_([r.id for r in regions]))
    ):  # fmt: skip
        for i, v in enumerate(values):
            bases[pid][add_months(start, i)] += Decimal(str(v))
    if isinstance(req.change, Promotion):
        horizon = set(months_of(run.history_end, run.horizon))
        outside = sorted(m.strftime("%Y-%m") for m in req.change.months if m.strftime("%Y-%m") not in horizon)
        if outside:
            raise ValidationFailed(
                "months: outside the forecast", {"months": f"not forecast: {', '.join(outside)}"}
            )
    first_price_month = add_months(run.history_end, -PRICE_MONTHS)
    per_sku, skipped, results = [], [], []
    for pid, product in products.items():
        qty = sum(q for (p, m), (q, _) in history.items() if p == pid and m >= first_price_month)
        cents = sum(c for (p, m), (_, c) in history.items() if p == pid and m >= first_price_month)
        reason = _skip_reason(pid in bases, qty, cents, product.standard_cost)
        if reason:
            skipped.append({"sku": product.code, "reason": reason})
            continue
        price = (Decimal(cents) / 100 / qty).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        result = simulate(dict(bases[pid]), price, Decimal(product.standard_cost), value, req.change)
        results.append(result)
        per_sku.append({"sku": product.code, "name": product.name, "price": str(price),
                        "unit_cost": str(Decimal(product.standard_cost)), **totals_json(result)})  # fmt: skip
    if not results:
        field = "product_line" if req.product_line else "skus"
        why = "; ".join(f"{s['sku']}: {s['reason']}" for s in skipped)
        raise ValidationFailed(f"nothing to simulate: {why}", {field: "no SKU can be simulated"})
    selection = {**req.as_json(), "regions": [r.code for r in regions], "run_id": run.id}
    return {"selection": selection, "elasticity": elasticity, "results": combine(results, per_sku, skipped)}


def _skip_reason(has_forecast: bool, qty: int, cents: int, cost) -> str:
    if not has_forecast:
        return "no forecast (not enough history)"
    if qty <= 0 or cents <= 0:
        return f"no sales in the last {PRICE_MONTHS} months to take a price from"
    if cost is None:
        return "no standard cost"
    return ""


def outcome_json(o) -> dict[str, str]:
    return {"volume": str(o.volume), "revenue": str(o.revenue), "margin": str(o.margin)}


def totals_json(result: WhatIf) -> dict[str, Any]:
    pct = result.volume_change_pct
    return {
        "without": outcome_json(result.without),
        "with": outcome_json(result.with_change),
        "difference": outcome_json(result.difference),
        "volume_change_pct": str(pct) if pct is not None else None,
    }


def combine(results: list[WhatIf], per_sku: list[dict], skipped: list[dict]) -> dict[str, Any]:
    """Months and totals added over the SKUs' simulations (each already rounded)."""
    months: dict[date, list] = {}
    for result in results:
        for m in result.months:
            acc = months.setdefault(m.month, [None, None])
            acc[0] = m.without if acc[0] is None else acc[0] + m.without
            acc[1] = m.with_change if acc[1] is None else acc[1] + m.with_change
    total = results[0]
    for result in results[1:]:
        total = WhatIf(
            total.elasticity, (), total.without + result.without, total.with_change + result.with_change
        )
    return {
        "elasticity": str(total.elasticity),
        "months": [
            {"month": m.strftime("%Y-%m"), "without": outcome_json(w), "with": outcome_json(c)}
            for m, (w, c) in sorted(months.items())
        ],  # fmt: skip
        **totals_json(total),
        "skus": per_sku,
        "skipped": skipped,
    }
