"""Rows of the stock figures table (``stock_figures.figures``): the quantities a row sums, how
rows add up (region roll-ups, totals), the figures derived from them, and the codes, names and
drill-down parameters that label the rows of each level.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from app.models import Product, Region, Warehouse

BUCKETS = ("0_30", "31_90", "91_180", "over_180")
SUMMED = ("on_hand", "reserved", "in_transit", "slow_on_hand", "start_level", "end_level", "outbound")


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def finish(row: dict[str, Any], days: int) -> dict[str, Any]:
    """Derived figures of a row of summed quantities (so totals are computed the same way)."""
    row["available"] = row["on_hand"] - row["reserved"]
    aged = sum(row["age"].values())
    row["age_share"] = {k: _ratio(v, aged) for k, v in row["age"].items()}
    row["over_90_share"] = _ratio(row["age"]["91_180"] + row["age"]["over_180"], aged)
    row["slow_rate"] = _ratio(row["slow_on_hand"], row["on_hand"])
    average = (row["start_level"] + row["end_level"]) / 2
    row["avg_inventory"] = average
    row["turnover_rate"] = _ratio(row["outbound"], average) if average > 0 else None
    daily = row["outbound"] / days
    row["days_of_inventory"] = round(row["end_level"] / daily, 1) if daily else None
    return row


def empty_row() -> dict[str, Any]:
    """A row of zeros (what a key with no stock starts from)."""
    return {**dict.fromkeys(SUMMED, 0), "age": dict.fromkeys(BUCKETS, 0)}


def add_row(into: dict[str, Any], other: dict[str, Any]) -> None:
    """Add the summed quantities of ``other`` to ``into`` (region roll-ups and totals)."""
    for k in SUMMED:
        into[k] += other[k]
    for k in BUCKETS:
        into["age"][k] += other["age"][k]


def label_rows(
    session: Session,
    level: str,
    raw: dict[tuple, dict[str, Any]],
    received: dict[tuple, Any],
    *,
    chosen: dict[str, str | None],
    region: Region | None,
    as_of: date,
) -> list[dict[str, Any]]:
    """The rows of ``level`` (``raw``: key → summed row) with codes, names and the parameters of the
    next level down; ``chosen`` are the region, warehouse and SKU codes asked for, ``region`` the
    Region row of the region asked for (or None), ``received`` the batches' receipt dates."""
    keep = {k: v for k, v in chosen.items() if v}
    if level == "network":
        row = raw.get((0,), empty_row())
        return [{**row, "code": "", "name": "", "name_en": "", "drill": {"level": "region"}}]
    if level == "region":
        return _region_rows(session, region, raw, keep)
    if level == "warehouse":
        names = _names(session, Warehouse, [k[0] for k in raw])
        return [
            {**v, **names[k[0]], "drill": {**keep, "level": "sku", "warehouse": names[k[0]]["code"]}}
            for k, v in raw.items()
        ]
    if level == "sku":
        names = _names(session, Product, [k[0] for k in raw])
        return [
            {**v, **names[k[0]], "drill": {**keep, "level": "batch", "sku": names[k[0]]["code"]}}
            for k, v in raw.items()
        ]
    warehouses = _names(session, Warehouse, [k[0] for k in raw])
    products = _names(session, Product, [k[1] for k in raw])
    rows = []
    for (warehouse_id, product_id, batch), v in raw.items():
        on = received.get((warehouse_id, product_id, batch))
        rows.append(
            {
                **v,
                "code": batch,
                "name": f"{warehouses[warehouse_id]['code']} · {products[product_id]['code']}",
                "name_en": None,
                "warehouse": warehouses[warehouse_id]["code"],
                "sku": products[product_id]["code"],
                "received_on": on.isoformat() if on else None,
                "age_days": (as_of - on).days if on else None,
                "drill": None,
            }
        )
    return rows


def _names(session: Session, model, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    wanted = sorted(set(ids))
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        for row in session.execute(
            select(model.id, model.code, model.name, getattr(model, "name_en", literal(None))).where(
                model.id.in_(chunk)
            )
        ):
            found[row[0]] = {"code": row[1], "name": row[2], "name_en": row[3]}
    return found


def _region_rows(session: Session, region: Region | None, raw: dict, keep: dict) -> list[dict[str, Any]]:
    """Roll the per-region sums up to the children of ?region= (or the top-level regions)."""
    regions = {
        r.id: r
        for r in session.execute(select(Region.id, Region.code, Region.name, Region.name_en, Region.path))
    }
    by_code = {r.code: r for r in regions.values()}
    depth = len([c for c in region.path.split("/") if c]) if region is not None else 0
    has_children = {c for r in regions.values() for c in [c for c in r.path.split("/") if c][:-1]}
    grouped: dict[str, dict[str, Any]] = {}
    for (region_id,), values in raw.items():
        parts = [c for c in regions[region_id].path.split("/") if c]
        code = parts[depth] if len(parts) > depth else parts[-1]
        if code not in grouped:
            grouped[code] = empty_row()
        add_row(grouped[code], values)
    rows = []
    for code, values in grouped.items():
        found = by_code[code]
        direct = region is not None and code == region.code
        next_level = "region" if code in has_children and not direct else "warehouse"
        drill = {**keep, "level": next_level, "region": code}
        rows.append({**values, "code": code, "name": found.name, "name_en": found.name_en, "drill": drill})
    return rows
