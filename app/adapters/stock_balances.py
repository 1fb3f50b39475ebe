"""Balance and batch rows of the stock ledger: the changes ``stock_ledger.apply_movements`` makes.

A change that could oversell is one conditional ``UPDATE … WHERE on_hand + Δ − reserved ≥ 0`` (and
reserved, in transit ≥ 0) that raises ``Conflict`` when it changes no row; outbound stock without a
batch is taken FIFO (oldest receipt first); incoming stock, which cannot be refused, is collected
and written together.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.adapters.clock import business_today
from app.domain.errors import Conflict, NotFound
from app.domain.stock import Effect
from app.models import StockBalance, StockBatch, StockEntry, Warehouse

BALANCE, BATCH, ENTRY = StockBalance.__table__, StockBatch.__table__, StockEntry.__table__


def _dialect_insert(session: Session, table):
    """INSERT with ON CONFLICT for the session's database (PostgreSQL or SQLite)."""
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)


def ensure_balances(session: Session, pairs: list[tuple[int, int]]) -> None:
    """Balance rows for every warehouse × product pair (created at zero when missing)."""
    if pairs:
        session.execute(
            _dialect_insert(session, BALANCE).on_conflict_do_nothing(
                index_elements=["warehouse_id", "product_id"]
            ),
            [
                {"warehouse_id": w, "product_id": p, "on_hand": 0, "reserved": 0, "in_transit": 0}
                for w, p in pairs
            ],
        )


def change_balance(
    session: Session, warehouse: Warehouse, product_id: int, e: Effect, now: datetime, where: str
) -> None:
    """Change one balance row (it exists: ``ensure_balances``), refusing what would oversell
    (409 naming the movement)."""
    b = BALANCE.c
    conditions = [b.warehouse_id == warehouse.id, b.product_id == product_id]
    if e.takes_available and not warehouse.allow_negative:
        conditions.append(b.on_hand + e.on_hand - (b.reserved + e.reserved) >= 0)
    if e.reserved < 0:
        conditions.append(b.reserved + e.reserved >= 0)
    if e.in_transit < 0:
        conditions.append(b.in_transit + e.in_transit >= 0)
    values: dict[str, Any] = {
        "on_hand": b.on_hand + e.on_hand,
        "reserved": b.reserved + e.reserved,
        "in_transit": b.in_transit + e.in_transit,
    }
    if e.on_hand > 0:
        values["last_in_at"] = now
    elif e.on_hand < 0:
        values["last_out_at"] = now
    changed = session.execute(update(BALANCE).where(and_(*conditions)).values(**values)).rowcount
    if changed != 1:
        raise Conflict(
            f"not enough stock of this product in {warehouse.code}",
            {
                where: "more than the available stock"
                if e.takes_available
                else "more than is reserved or in transit"
            },
        )


def take_batches(
    session: Session, warehouse: Warehouse, product_id: int, qty: int, batch: str | None
) -> list[tuple[str, date, int]]:
    """(batch, received_on, qty) taken for an outbound ``qty``: the named batch, else FIFO."""
    s = BATCH.c
    query = select(s.batch, s.received_on, s.on_hand).where(
        s.warehouse_id == warehouse.id, s.product_id == product_id, s.on_hand > 0
    )
    if batch is not None:
        query = query.where(s.batch == batch)
    taken, left = [], qty
    for name, received_on, on_hand in session.execute(query.order_by(s.received_on, s.batch)):
        part = min(left, on_hand)
        taken.append((name, received_on, part))
        left -= part
        if left == 0:
            break
    if left:
        if not warehouse.allow_negative:
            if batch is not None and not taken:
                raise NotFound(f"no stock in batch {batch}", {"batch": "unknown batch or none left"})
            raise Conflict(f"not enough stock in batch {batch}", {"qty": "more than the batch holds"})
        taken.append((batch or "", business_today(), left))  # only where negative stock is allowed
    return taken


def change_batch(
    session: Session, warehouse_id: int, product_id: int, batch: str, received_on: date, delta: int
) -> None:
    """Add ``delta`` to a batch's on-hand quantity (the batch row is created when missing)."""
    s = BATCH.c
    changed = session.execute(
        update(BATCH)
        .where(s.warehouse_id == warehouse_id, s.product_id == product_id, s.batch == batch)
        .values(on_hand=s.on_hand + delta)
    ).rowcount
    if not changed:
        session.execute(
            insert(BATCH).values(
                warehouse_id=warehouse_id,
                product_id=product_id,
                batch=batch,
                received_on=received_on,
                on_hand=delta,
            )
        )


def in_transit_batches(
    session: Session, warehouse_id: int, product_id: int, reference: str, qty: int
) -> list[tuple[str, date, int]]:
    """(batch, received_on, qty) booked in for ``qty`` arriving under ``reference``: the batches sent
    to this warehouse not yet booked in, oldest first; ``Conflict`` for more than is in transit."""
    e = ENTRY.c
    rows = session.execute(
        select(e.batch, e.received_on, func.sum(e.in_transit))
        .where(e.warehouse_id == warehouse_id, e.product_id == product_id, e.reference == reference)
        .group_by(e.batch, e.received_on)
        .having(func.sum(e.in_transit) > 0)
        .order_by(e.received_on, e.batch)
    ).all()
    taken, left = [], qty
    for batch, received_on, pending in rows:
        part = min(left, int(pending))
        taken.append((batch, received_on, part))
        left -= part
        if left == 0:
            break
    if left:
        raise Conflict("more than is in transit under this reference", {"qty": "more than is in transit"})
    return taken


class Receipts:
    """Stock only coming in (receipts, positive adjustments) cannot be refused: its balance and
    batch changes are collected and written together, before anything that checks levels."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session, self.now = session, now
        self.balances: dict[tuple[int, int], int] = {}
        self.batches: dict[tuple[int, int, str], tuple[date, int]] = {}

    def add(self, warehouse_id: int, product_id: int, batch: str, received_on: date, qty: int) -> None:
        """Collect ``qty`` received into a batch (its first receipt date is kept)."""
        key = (warehouse_id, product_id)
        self.balances[key] = self.balances.get(key, 0) + qty
        old = self.batches.get((*key, batch))
        self.batches[(*key, batch)] = (old[0] if old else received_on, (old[1] if old else 0) + qty)

    def flush(self) -> None:
        """Write what was collected: balances in one UPDATE, batches in one upsert."""
        if not self.balances:
            return
        b = BALANCE.c
        self.session.execute(
            update(BALANCE)
            .where(b.warehouse_id == bindparam("w"), b.product_id == bindparam("p"))
            .values(on_hand=b.on_hand + bindparam("q"), last_in_at=self.now),
            [{"w": w, "p": p, "q": q} for (w, p), q in self.balances.items()],
        )
        rows = [
            {"warehouse_id": w, "product_id": p, "batch": name, "received_on": day, "on_hand": q}
            for (w, p, name), (day, q) in self.batches.items()
        ]
        stmt = _dialect_insert(self.session, BATCH)
        self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["warehouse_id", "product_id", "batch"],
                set_={"on_hand": BATCH.c.on_hand + stmt.excluded.on_hand},
            ),
            rows,
        )
        self.balances.clear()
        self.batches.clear()
