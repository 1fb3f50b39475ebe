"""Demo history, part 5: the currently open work, through the real flows (``orders.create_order``
and the engine), so each demo role finds tasks in its inbox: the regional managers orders to
approve, finance orders over 50,000, the executive an order over 200,000 that the regional
manager and finance already approved, the sales director a price exception, a dealer an order
returned for revision (docs/demo_data.md).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters import orders
from app.adapters.demo_history_write import ACTOR
from app.adapters.order_checks import serving_warehouse
from app.adapters.stock_ledger import apply_movements
from app.domain.scope import UNRESTRICTED
from app.domain.stock import Movement
from app.engine import runtime
from app.models import Dealer, HumanTask, SalesOrder

# (dealer, ordering user, lines [(sku, qty, unit price asked or None)], note)
OPEN_ORDERS: tuple[tuple[str, str, list[tuple[str, int, str | None]], str], ...] = (
    ("D-SH-001", "dealer_sh1", [("BEV-W-550", 300), ("BEV-T-500G", 60)], "月度补货"),
    ("D-GD-001", "dealer_gd1", [("BEV-W-550", 1500), ("HPC-P-400S", 300)], "季度备货"),
    ("D-JS-001", "rep_sh", [("BEV-W-550", 4000), ("HPC-P-400S", 400)], "旺季大单"),
    ("D-SH-001", "dealer_sh1", [("BEV-W-1500", 40, "27.00")], "申请特价：新店开业"),
    ("D-SH-001", "dealer_sh1", [("SNK-B-200", 100)], "端午备货"),
)
# decisions taken in the flow: (order index, task, user, decision) — the big order waits for the
# executive; the last one is returned to the dealer for revision (the dealer's task)
DECISIONS = (
    (2, "rm_approve", "rm_east", {"decision": "approve", "comment": "演示：同意"}),
    (2, "finance_approve", "finance", {"decision": "approve", "comment": "演示：信用核对无误"}),
    (4, "rm_approve", "rm_east", {"decision": "revise", "comment": "演示：请减少数量后重新提交"}),
)


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


def _replenish(session: Session, today: date) -> None:
    """This month's receipt at each serving warehouse of what the open orders ask for (the stock
    check passes), through the ledger; applied once (external ids)."""
    wanted: dict[tuple[str, str], int] = {}
    for dealer_code, _, lines, _ in OPEN_ORDERS:
        dealer = session.scalar(select(Dealer).where(Dealer.code == dealer_code))
        warehouse = serving_warehouse(session, dealer) if dealer is not None else None
        if warehouse is None:
            continue
        for line in lines:
            wanted[(warehouse.code, line[0])] = wanted.get((warehouse.code, line[0]), 0) + int(line[1])
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


def open_work(session: Session, today: date | None = None) -> dict[str, Any]:
    """Submit the open demo orders and take the ``DECISIONS`` in their flows. Returns the order
    numbers and their statuses."""
    _replenish(session, today or date.today())
    made = []
    for dealer, username, lines, note in OPEN_ORDERS:
        raw = {
            "dealer": dealer,
            "note": note,
            "lines": [
                {"sku": ln[0], "qty": ln[1], **({"unit_price": ln[2]} if len(ln) > 2 else {})} for ln in lines
            ],
        }
        made.append(orders.create_order(session, raw, _caller(session, username), source="portal"))
    for index, element, username, decision in DECISIONS:
        session.refresh(made[index])
        task = _open_task(session, made[index], element)
        if task is not None:
            runtime.complete_task(session, task.id, _caller(session, username), decision)
    result = {}
    for order in made:
        session.refresh(order)
        result[order.number] = f"{order.status} ({order.route}, {order.amount.quantize(Decimal(1))})"
    return result
