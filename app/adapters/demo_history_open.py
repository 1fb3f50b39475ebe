"""Demo history, part 5: the currently open work, through the real flows (``orders.create_order``
and the engine), so each demo role finds tasks in its inbox: the regional managers orders to
approve, finance a larger one, the executive one that the regional manager and finance already
approved, the sales director a price exception, a dealer an order returned for revision
(docs/demo_data.md).

The orders are the template's ``open_orders`` (``demo_history.yaml``): either with their ``lines``
or with an ``amount``, for which the SKUs are picked from the catalogue — those with a list price
and the most stock in the dealer's serving warehouse, in a fixed order, so the same history gives
the same open orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters import orders
from app.adapters.clock import business_today
from app.adapters.demo_history import FILE, listed_products
from app.adapters.demo_history_params import check
from app.adapters.demo_history_write import ACTOR
from app.adapters.order_checks import serving_warehouse
from app.adapters.pricing import quote
from app.adapters.stock_ledger import apply_movements
from app.adapters.template_bundle import TEMPLATES_DIR
from app.domain.errors import ValidationFailed
from app.domain.scope import UNRESTRICTED
from app.domain.stock import Movement
from app.engine import runtime
from app.models import Dealer, HumanTask, SalesOrder, StockBalance, TemplateApplication


@dataclass(frozen=True)
class OpenOrder:
    """One open order to submit: its dealer, ordering user, lines (sku, qty, price asked or None),
    note, and the decisions (task, user, decision, comment) to take in its flow afterwards."""

    dealer: str
    user: str
    lines: tuple[tuple[str, int, str | None], ...]
    note: str
    decisions: tuple[tuple[str, str, str, str], ...] = ()


def applied_template(session: Session) -> Path | None:
    """The folder of the shipped template applied last (``template apply``), if any."""
    key = session.scalar(select(TemplateApplication.template).order_by(TemplateApplication.id.desc()))
    folder = TEMPLATES_DIR / key if key and "/" not in key and "\\" not in key else None
    return folder if folder is not None and (folder / FILE).is_file() else None


def _available(session: Session, warehouse_id: int) -> dict[int, Decimal]:
    rows = session.execute(
        select(StockBalance.product_id, StockBalance.on_hand - StockBalance.reserved).where(
            StockBalance.warehouse_id == warehouse_id
        )
    )
    return {pid: Decimal(qty) for pid, qty in rows if qty is not None and qty > 0}


def _picked(session: Session, dealer: Dealer, spec: dict, index: int) -> list[tuple[str, int, str | None]]:
    """Lines worth about ``spec["amount"]`` at the dealer's price over ``spec["skus"]`` SKUs: those
    with a list price and the most available stock in the serving warehouse (all listed SKUs when
    none has stock), from position ``index × skus`` of that ranking on."""
    listed = listed_products(session)
    warehouse = serving_warehouse(session, dealer)
    stock = _available(session, warehouse.id) if warehouse is not None else {}
    ranked = sorted((p for p in listed if p.id in stock), key=lambda p: (-stock[p.id], p.code)) or listed
    if not ranked:
        raise ValidationFailed(f"{FILE}: open_orders: no SKU with a list price for {dealer.code}")
    count = min(int(spec.get("skus", 2)), len(ranked))
    skus = [ranked[(index * count + k) % len(ranked)].code for k in range(count)]
    share = Decimal(str(spec["amount"])) / count
    unit = quote(session, dealer, [(sku, 1) for sku in skus]).lines
    qtys = [max(1, int((share / max(q.unit_price, Decimal("0.01"))).to_integral_value())) for q in unit]
    off = Decimal(str(spec.get("price_off_pct", 0)))
    if not off:
        return [(sku, qty, None) for sku, qty in zip(skus, qtys, strict=True)]
    priced = quote(session, dealer, list(zip(skus, qtys, strict=True))).lines
    return [
        (sku, qty, str((q.unit_price * (1 - off / 100)).quantize(Decimal("0.01"), ROUND_HALF_UP)))
        for sku, qty, q in zip(skus, qtys, priced, strict=True)
    ]


def open_orders(session: Session, template_dir: Path) -> list[OpenOrder]:
    """The template's open orders, their SKUs picked where the file gives an amount."""
    path = template_dir / FILE
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    check(path.name, raw)
    made = []
    for index, spec in enumerate(raw.get("open_orders", [])):
        dealer = session.scalar(select(Dealer).where(Dealer.code == spec["dealer"]))
        if dealer is None:
            raise ValidationFailed(
                f"{path.name}: open_orders[{index + 1}].dealer: no dealer {spec['dealer']}"
            )
        if "lines" in spec:
            lines = [(ln[0], int(ln[1]), str(ln[2]) if len(ln) > 2 else None) for ln in spec["lines"]]
        else:
            lines = _picked(session, dealer, spec, index)
        decisions = tuple(
            (d["task"], d["user"], d["decision"], str(d.get("comment", "")))
            for d in spec.get("decisions", [])
        )
        made.append(
            OpenOrder(spec["dealer"], spec["user"], tuple(lines), str(spec.get("note", "")), decisions)
        )
    return made


def _caller(session: Session, username: str) -> runtime.Caller:
    user = session.scalar(select(User).where(User.username == username))
    roles = frozenset(r.name for r in user.roles) if user is not None else frozenset()
    return runtime.Caller(user.id if user else None, username, roles, UNRESTRICTED)


def _open_task(session: Session, order: SalesOrder, element: str) -> HumanTask | None:
    return session.scalar(
        select(HumanTask).where(
            HumanTask.instance_id == order.instance_id,
            HumanTask.element_id == element,
            HumanTask.state.in_(("open", "claimed")),
        )
    )


def _replenish(session: Session, wanted_orders: list[OpenOrder], today: date) -> None:
    """This month's receipt at each serving warehouse of what the open orders ask for (the stock
    check passes), through the ledger; applied once (external ids)."""
    wanted: dict[tuple[str, str], int] = {}
    for spec in wanted_orders:
        dealer = session.scalar(select(Dealer).where(Dealer.code == spec.dealer))
        warehouse = serving_warehouse(session, dealer) if dealer is not None else None
        if warehouse is None:
            continue
        for sku, qty, _ in spec.lines:
            wanted[(warehouse.code, sku)] = wanted.get((warehouse.code, sku), 0) + qty
    received = today - timedelta(days=3)
    apply_movements(
        session,
        [
            Movement(
                kind="receipt",
                warehouse=w,
                sku=sku,
                qty=qty,
                batch=f"H{received:%Y%m}",
                received_on=received,
                reference="demo open orders",
                external_id=f"dh-open-{w}-{sku}",
            )
            for (w, sku), qty in sorted(wanted.items())
        ],
        ACTOR,
    )
    session.commit()


def open_work(
    session: Session, today: date | None = None, template_dir: Path | None = None
) -> dict[str, Any]:
    """Submit the template's open orders (``template_dir``, else the template applied last) and
    take their decisions in the flows. Returns the order numbers and their statuses."""
    folder = template_dir or applied_template(session)
    if folder is None or not (folder / FILE).is_file():
        return {"open work": "skipped: no demo_history.yaml of the applied template"}
    wanted = open_orders(session, folder)
    _replenish(session, wanted, today or business_today())
    made = []
    for spec in wanted:
        raw = {
            "dealer": spec.dealer,
            "note": spec.note,
            "lines": [
                {"sku": sku, "qty": qty, **({"unit_price": price} if price is not None else {})}
                for sku, qty, price in spec.lines
            ],
        }
        made.append(orders.create_order(session, raw, _caller(session, spec.user), source="portal"))
    for spec, order in zip(wanted, made, strict=True):
        for element, username, decision, comment in spec.decisions:
            session.refresh(order)
            task = _open_task(session, order, element)
            if task is not None:
                runtime.complete_task(
                    session, task.id, _caller(session, username), {"decision": decision, "comment": comment}
                )
    result = {}
    for order in made:
        session.refresh(order)
        result[order.number] = f"{order.status} ({order.route}, {order.amount.quantize(Decimal(1))})"
    return result
