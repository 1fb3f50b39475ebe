"""Order alerts (mission C12): facts about open orders that need someone to act.

- ``review_overdue``: submitted or in review for more than ``DMS_ORDER_REVIEW_HOURS`` hours;
  told: RegionalManager.
- ``approval_overdue``: an open task of the order's ``order_approval`` flow is past its due time;
  told: the task's roles.
- ``promise_overdue``: confirmed or partially shipped, and the promised date has passed;
  told: Warehouse, SalesRep.
- ``stock_short``: open, and the stock check found it short (backorder / partial);
  told: Warehouse, SalesOps.

Each role is told within the dealer's data scope (a role notification about the dealer).
``find_alerts`` lists the current alerts (optionally within a data scope) for the API and the home
page; ``run_order_alerts`` (the scheduled job) turns each into notifications, one per order, kind,
role and day (``dedupe_key``), so a fact that lasts is repeated once a day, not every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.orm import Session

from app.adapters.notifications import notify
from app.adapters.scope_sql import dealer_clause
from app.domain.orders import OPEN_STATUSES
from app.domain.scope import DataScope
from app.models import Dealer, HumanTask, ProcessDefinition, ProcessInstance, ProcessVersion, SalesOrder

KINDS = ("review_overdue", "approval_overdue", "promise_overdue", "stock_short")
ROLES = {
    "review_overdue": ("RegionalManager",),
    "promise_overdue": ("Warehouse", "SalesRep"),
    "stock_short": ("Warehouse", "SalesOps"),
}
APPROVAL_FLOW = "order_approval"
IN_REVIEW = ("submitted", "in_review")
SHIPPING = ("confirmed", "partially_shipped")
SHORT = ("backorder", "partial")
LIMIT = 500  # alerts listed per kind (counts are exact)


@dataclass(frozen=True)
class OrderAlert:
    """One alert about one order."""

    kind: str
    order_id: int
    number: str
    status: str
    dealer_id: int
    dealer: str
    dealer_name: str
    since: datetime | date | None  # submitted at, task due at, promised on
    roles: tuple[str, ...]
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "order": {"id": self.order_id, "number": self.number, "status": self.status},
            "dealer": {"id": self.dealer_id, "code": self.dealer, "name": self.dealer_name},
            "since": self.since.isoformat() if self.since else None,
            "roles": list(self.roles),
            **self.detail,
        }


def _in_scope(scope: DataScope | None) -> ColumnElement[bool]:
    if scope is None or scope.unrestricted:
        return true()
    return SalesOrder.dealer_id.in_(select(Dealer.id).where(dealer_clause(scope)))


def _orders(*where: ColumnElement[bool]) -> Select:
    return select(SalesOrder, Dealer).join(Dealer, Dealer.id == SalesOrder.dealer_id).where(*where)


def _queries(now: datetime, today: date, review_hours: int, scope: DataScope | None) -> dict[str, Select]:
    """For each kind, the query of its alerts (orders, and tasks for approvals)."""
    in_scope = _in_scope(scope)
    approval_instances = (
        select(ProcessInstance.id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessVersion.definition_id)
        .where(ProcessDefinition.key == APPROVAL_FLOW)
    )
    return {
        "review_overdue": _orders(
            SalesOrder.status.in_(IN_REVIEW),
            SalesOrder.submitted_at <= now - timedelta(hours=review_hours),
            in_scope,
        ).order_by(SalesOrder.submitted_at, SalesOrder.id),
        "approval_overdue": select(SalesOrder, Dealer, HumanTask)
        .join(Dealer, Dealer.id == SalesOrder.dealer_id)
        .join(HumanTask, HumanTask.instance_id == SalesOrder.instance_id)
        .where(
            HumanTask.state.in_(("open", "claimed")),
            HumanTask.due_at.is_not(None),
            HumanTask.due_at < now,
            HumanTask.instance_id.in_(approval_instances),
            SalesOrder.status.in_(OPEN_STATUSES),
            in_scope,
        )
        .order_by(HumanTask.due_at, HumanTask.id),
        "promise_overdue": _orders(
            SalesOrder.status.in_(SHIPPING),
            SalesOrder.promised_on.is_not(None),
            SalesOrder.promised_on < today,
            in_scope,
        ).order_by(SalesOrder.promised_on, SalesOrder.id),
        "stock_short": _orders(
            SalesOrder.status.in_(OPEN_STATUSES), SalesOrder.stock_outcome.in_(SHORT), in_scope
        ).order_by(SalesOrder.id),
    }


def _alert(kind: str, row) -> OrderAlert:
    order, dealer = row[0], row[1]
    common = {
        "kind": kind,
        "order_id": order.id,
        "number": order.number,
        "status": order.status,
        "dealer_id": dealer.id,
        "dealer": dealer.code,
        "dealer_name": dealer.name,
    }
    if kind == "approval_overdue":
        task = row[2]
        roles = tuple(r for r in task.candidate_roles.split(",") if r)
        detail = {"task": {"id": task.id, "element_id": task.element_id, "name": task.name}}
        return OrderAlert(since=task.due_at, roles=roles, detail=detail, **common)
    if kind == "review_overdue":
        return OrderAlert(since=order.submitted_at, roles=ROLES[kind], **common)
    if kind == "promise_overdue":
        return OrderAlert(since=order.promised_on, roles=ROLES[kind], **common)
    return OrderAlert(since=None, roles=ROLES[kind], detail={"stock": order.stock_outcome}, **common)


def count_alerts(
    session: Session, now: datetime, today: date, review_hours: int, scope: DataScope | None = None
) -> dict[str, int]:
    """How many alerts of each kind (within ``scope``)."""
    counts = {}
    for kind, query in _queries(now, today, review_hours, scope).items():
        counts[kind] = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return counts


def find_alerts(
    session: Session,
    now: datetime,
    today: date,
    review_hours: int,
    scope: DataScope | None = None,
    kinds: tuple[str, ...] = KINDS,
    limit: int | None = LIMIT,
) -> list[OrderAlert]:
    """The current alerts (within ``scope``), by kind, oldest first."""
    found = []
    for kind, query in _queries(now, today, review_hours, scope).items():
        if kind in kinds:
            rows = session.execute(query.limit(limit) if limit else query).all()
            found += [_alert(kind, row) for row in rows]
    return found


def _title(alert: OrderAlert, review_hours: int) -> str:
    who = f"{alert.number} {alert.dealer_name}"
    if alert.kind == "review_overdue":
        return f"订单超过 {review_hours} 小时未审核 Order not reviewed within {review_hours} h: {who}"
    if alert.kind == "approval_overdue":
        return f"订单审批已超期 Order approval overdue: {who} ({alert.detail['task']['name']})"
    if alert.kind == "promise_overdue":
        promised = alert.since.isoformat() if alert.since else ""
        return f"订单超过承诺交期未发完 Order not shipped by its promised date {promised}: {who}"
    return f"订单缺货 Order short of stock ({alert.detail.get('stock')}): {who}"


def run_order_alerts(session: Session, now: datetime, today: date, review_hours: int) -> dict[str, int]:
    """Notify the roles concerned about every current alert, once per order, kind, role and day;
    commits. New notifications per kind."""
    added = dict.fromkeys(KINDS, 0)
    for alert in find_alerts(session, now, today, review_hours, limit=None):
        for role in alert.roles:
            note = notify(
                session,
                kind=f"order_{alert.kind}",
                title=_title(alert, review_hours),
                link=f"/orders/{alert.order_id}",
                role=role,
                dealer_id=alert.dealer_id,
                dedupe_key=f"order_alert:{alert.kind}:{alert.order_id}:{role}:{today.isoformat()}",
            )
            if note is not None:
                session.flush()  # the next lookup of the same key sees it
                added[alert.kind] += 1
    session.commit()
    return added
