"""Apply stock movements: ledger lines appended and balances changed in the same transaction.

No oversell: every level change is one conditional ``UPDATE … WHERE on_hand + Δ − reserved ≥ 0``
(and reserved, in transit ≥ 0). On PostgreSQL the row lock makes concurrent changes of one
warehouse × product wait and re-check the condition; SQLite serialises writers. A change the
condition refuses changes nothing: the whole request is rolled back by the caller.
Outbound stock without a batch is taken FIFO (oldest receipt first), one ledger line per batch.
The balance and batch row changes themselves are in ``stock_balances``; ``drift`` checks both
against the ledger.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.adapters.clock import business_day
from app.adapters.stock_balances import (
    BALANCE,
    BATCH,
    ENTRY,
    Receipts,
    change_balance,
    change_batch,
    ensure_balances,
    in_transit_batches,
    take_batches,
)
from app.domain.errors import Conflict, ValidationFailed
from app.domain.stock import Effect, Movement, effects
from app.models import Product, StockMovement, Warehouse

MOVEMENT = StockMovement.__table__


@dataclass(frozen=True)
class Applied:
    """Outcome of one movement: its id, and whether it had been applied before (same external id)."""

    movement_id: int
    duplicate: bool = False


class Lookups:
    """Warehouses and products of a request, each looked up once."""

    def __init__(self, session: Session, movements: list[Movement], prefix: str = "movements/") -> None:
        codes = {m.warehouse for m in movements} | {m.to_warehouse for m in movements if m.to_warehouse}
        skus = {m.sku for m in movements}
        self.warehouses = {
            w.code: w for w in session.scalars(select(Warehouse).where(Warehouse.code.in_(sorted(codes))))
        }
        self.products = {
            p.code: p for p in session.scalars(select(Product).where(Product.code.in_(sorted(skus))))
        }
        errors: dict[str, str] = {}
        for index, m in enumerate(movements):
            for key, code in (("warehouse", m.warehouse), ("to_warehouse", m.to_warehouse)):
                if code and (code not in self.warehouses or not self.warehouses[code].active):
                    errors[f"{prefix}{index}/{key}"] = f"unknown warehouse {code}"
            if m.sku not in self.products:
                errors[f"{prefix}{index}/sku"] = f"unknown SKU {m.sku}"
            elif self.products[m.sku].status != "active" and m.kind == "receipt":
                errors[f"{prefix}{index}/sku"] = f"SKU {m.sku} is inactive"
            if (
                m.kind == "sell_out"
                and m.warehouse in self.warehouses
                and self.warehouses[m.warehouse].kind != "dealer"
            ):
                errors[f"{prefix}{index}/warehouse"] = "sell-out is reported from a dealer's warehouse"
        if errors:
            raise ValidationFailed(
                "invalid movements: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
            )


def _digest(m: Movement) -> str:
    return hashlib.sha256(json.dumps(asdict(m), default=str, sort_keys=True).encode()).hexdigest()


def _duplicates(session: Session, movements: list[Movement]) -> dict[int, tuple[int | None, int | None]]:
    """Movements whose external id was applied before (or earlier in this request): index →
    (earlier movement id, or None, index of the earlier one in this request, or None); a reused id
    with a different body is refused (409 naming it)."""
    ids = sorted({m.external_id for m in movements if m.external_id is not None})
    seen: dict[str, tuple[int | None, str]] = {}
    for chunk in range(0, len(ids), 500):
        rows = session.execute(
            select(MOVEMENT.c.external_id, MOVEMENT.c.id, MOVEMENT.c.digest).where(
                MOVEMENT.c.external_id.in_(ids[chunk : chunk + 500])
            )
        )
        seen.update({r.external_id: (r.id, r.digest) for r in rows})
    found: dict[int, tuple[int | None, int | None]] = {}
    first_in_request: dict[str, int] = {}
    for index, m in enumerate(movements):
        if m.external_id is None:
            continue
        digest = _digest(m)
        earlier = seen.get(m.external_id)
        first = first_in_request.get(m.external_id)
        if earlier is None and first is not None:
            earlier = (None, _digest(movements[first]))
        if earlier is None:
            first_in_request[m.external_id] = index
            continue
        if earlier[1] != digest:
            raise Conflict(
                f"external id {m.external_id} was used for a different movement",
                {f"movements/{index}/external_id": "already used for a different movement"},
            )
        found[index] = (earlier[0], first if earlier[0] is None else None)
    return found


def _insert_movements(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert movement rows in one statement; their ids in order."""
    if not rows:
        return []
    result = session.execute(insert(MOVEMENT).returning(MOVEMENT.c.id, sort_by_parameter_order=True), rows)
    return [r[0] for r in result]


def apply_movements(
    session: Session, movements: list[Movement], actor: str, at: datetime | None = None
) -> list[Applied]:
    """Apply every movement in order (no commit); a refusal raises and the caller rolls back.
    ``at`` dates the ledger lines (default now; the demo history books past movements).

    Set-wise where it is safe: duplicates looked up at once, movements and ledger lines inserted
    at once, balance rows created at once, incoming stock written together; every change that
    could oversell stays one conditional UPDATE per movement, in order."""
    found = Lookups(session, movements)
    now = at or datetime.now(UTC)
    duplicates = _duplicates(session, movements)
    fresh = [i for i in range(len(movements)) if i not in duplicates]
    ids = dict(
        zip(
            fresh,
            _insert_movements(
                session,
                [
                    {
                        "external_id": movements[i].external_id,
                        "kind": movements[i].kind,
                        "at": now,
                        "actor": actor,
                        "digest": _digest(movements[i]),
                    }
                    for i in fresh
                ],
            ),
            strict=True,
        )
    )
    pairs = set()
    for i in fresh:
        m = movements[i]
        product_id = found.products[m.sku].id
        pairs.add((found.warehouses[m.warehouse].id, product_id))
        if m.to_warehouse:
            pairs.add((found.warehouses[m.to_warehouse].id, product_id))
    ensure_balances(session, sorted(pairs))
    incoming = Receipts(session, now)
    entries: list[dict[str, Any]] = []
    for index in fresh:
        m = movements[index]
        product_id = found.products[m.sku].id
        common = {"movement_id": ids[index], "at": now, "kind": m.kind, "product_id": product_id,
                  "reference": m.reference, "reason": m.reason, "actor": actor}  # fmt: skip
        if m.kind == "receipt" or (m.kind == "adjust" and m.qty > 0):
            received_on = m.received_on or business_day(now)
            batch = m.batch or f"R{received_on:%Y%m%d}"
            warehouse_id = found.warehouses[m.warehouse].id
            incoming.add(warehouse_id, product_id, batch, received_on, m.qty)
            entries.append({**common, **_line(warehouse_id, batch, received_on, on_hand=m.qty)})
            continue
        incoming.flush()
        if m.kind == "transfer_in" and entries:  # it reads what is in transit from the ledger
            session.execute(insert(ENTRY), entries)
            entries = []
        lines = _apply_one(session, m, found, product_id, now, f"movements/{index}/qty")
        entries.extend({**common, **line} for line in lines)
    incoming.flush()
    if entries:
        session.execute(insert(ENTRY), entries)
    results = []
    for i in range(len(movements)):
        if i in duplicates:
            stored, first = duplicates[i]
            results.append(Applied(stored if stored is not None else ids[first or 0], duplicate=True))
        else:
            results.append(Applied(ids[i]))
    return results


def _line(warehouse_id: int, batch: str, received_on: date | None, **levels: int) -> dict[str, Any]:
    return {
        "warehouse_id": warehouse_id,
        "batch": batch,
        "received_on": received_on,
        "on_hand": levels.get("on_hand", 0),
        "reserved": levels.get("reserved", 0),
        "in_transit": levels.get("in_transit", 0),
    }


def _apply_one(
    session: Session, m: Movement, found: Lookups, product_id: int, now: datetime, where: str
) -> list[dict[str, Any]]:
    """Change balances and batches for one movement that may be refused (everything but incoming
    stock); the ledger lines it writes."""
    source = found.warehouses[m.warehouse]
    effect = effects(m)[0][1]
    change_balance(session, source, product_id, effect, now, where)
    if m.kind in ("reserve", "release"):
        return [_line(source.id, "", None, reserved=effect.reserved)]
    if m.kind == "transfer_in":
        lines = []
        for batch, received_on, part in in_transit_batches(
            session, source.id, product_id, m.reference or "", m.qty
        ):
            change_batch(session, source.id, product_id, batch, received_on, part)
            lines.append(_line(source.id, batch, received_on, on_hand=part, in_transit=-part))
        return lines
    # outbound: transfer_out, ship, sell_out, negative adjust
    lines = []
    taken = take_batches(session, source, product_id, abs(m.qty), m.batch)
    destination = found.warehouses.get(m.to_warehouse or "")
    if destination is not None:
        change_balance(session, destination, product_id, Effect(in_transit=m.qty), now, where)
    for batch, received_on, part in taken:
        change_batch(session, source.id, product_id, batch, received_on, -part)
        reserved = -part if (m.kind == "ship" and m.from_reserved) else 0
        lines.append(_line(source.id, batch, received_on, on_hand=-part, reserved=reserved))
        if destination is not None:
            lines.append(_line(destination.id, batch, received_on, in_transit=part))
    return lines


def drift(session: Session) -> list[dict[str, Any]]:
    """Balances and batches that differ from what the ledger sums to (empty when all agree)."""
    e, s = ENTRY.c, BATCH.c
    sums = (
        select(
            e.warehouse_id,
            e.product_id,
            func.sum(e.on_hand).label("on_hand"),
            func.sum(e.reserved).label("reserved"),
            func.sum(e.in_transit).label("in_transit"),
        )
        .group_by(e.warehouse_id, e.product_id)
        .subquery()
    )
    found = []
    ledger = {(r.warehouse_id, r.product_id): r for r in session.execute(select(sums))}
    kept = {(r.warehouse_id, r.product_id): r for r in session.execute(select(BALANCE))}
    for key in sorted(set(ledger) | set(kept)):
        want, have = ledger.get(key), kept.get(key)
        for level in ("on_hand", "reserved", "in_transit"):
            expected = int(getattr(want, level) or 0) if want is not None else 0
            actual = int(getattr(have, level) or 0) if have is not None else 0
            if expected != actual:
                found.append(
                    {"warehouse_id": key[0], "product_id": key[1], "batch": None, "level": level,
                     "ledger": expected, "balance": actual}
                )  # fmt: skip
    batch_sums = session.execute(
        select(e.warehouse_id, e.product_id, e.batch, func.sum(e.on_hand)).group_by(
            e.warehouse_id, e.product_id, e.batch
        )
    ).all()
    ledger_batches = {(w, p, name): int(q or 0) for w, p, name, q in batch_sums}
    batches = {
        (r.warehouse_id, r.product_id, r.batch): int(r.on_hand or 0)
        for r in session.execute(select(s.warehouse_id, s.product_id, s.batch, s.on_hand))
    }
    for key in sorted(set(ledger_batches) | set(batches)):
        expected, actual = ledger_batches.get(key, 0), batches.get(key, 0)
        if expected != actual:
            found.append(
                {"warehouse_id": key[0], "product_id": key[1], "batch": key[2], "level": "on_hand",
                 "ledger": expected, "balance": actual}
            )  # fmt: skip
    return found
