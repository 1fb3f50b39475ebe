"""A stock snapshot from an ERP/WMS: the counted on-hand level of each SKU in one warehouse.

``parse_snapshot`` checks the request (ValidationFailed naming ``balances/2/on_hand``);
``differences`` turns it into ``adjust`` movements for what differs from the current levels,
each with an external id derived from the snapshot id and the SKU, so a retried snapshot
applies once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.domain.errors import ValidationFailed
from app.domain.stock import MAX_BATCH, MAX_QTY, Movement
from app.domain.uscc import normalise_code

REASON = "snapshot sync"
SNAPSHOT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,59}$")


@dataclass(frozen=True)
class Snapshot:
    warehouse: str
    snapshot_id: str | None
    levels: tuple[tuple[str, int], ...]  # (sku, counted on hand), in request order


def _level(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\d{1,13}", value.strip()):
        value = int(value.strip())
    if isinstance(value, int) and 0 <= value <= MAX_QTY:
        return value
    return None


def parse_snapshot(raw: Any) -> Snapshot:
    """A snapshot from JSON-like data; every problem named by its path."""
    if not isinstance(raw, dict):
        raise ValidationFailed("the body must be a JSON object", {"body": "a JSON object"})
    errors: dict[str, str] = {}
    warehouse = normalise_code(str(raw.get("warehouse") or ""))
    if not warehouse:
        errors["warehouse"] = "required"
    snapshot_id = raw.get("snapshot_id")
    if snapshot_id is not None and not (isinstance(snapshot_id, str) and SNAPSHOT_ID.match(snapshot_id)):
        errors["snapshot_id"] = "1-60 letters, digits and . _ : / -"
    rows = raw.get("balances")
    levels: list[tuple[str, int]] = []
    if not isinstance(rows, list) or not rows:
        errors["balances"] = "a non-empty list of {sku, on_hand}"
        rows = []
    elif len(rows) > MAX_BATCH:
        errors["balances"] = f"at most {MAX_BATCH} per request"
        rows = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            errors[f"balances/{index}"] = "an object {sku, on_hand}"
            continue
        sku = normalise_code(str(row.get("sku") or ""))
        level = _level(row.get("on_hand"))
        if not sku:
            errors[f"balances/{index}/sku"] = "required"
        elif sku in seen:
            errors[f"balances/{index}/sku"] = f"duplicate of balances/{seen[sku]}"
        else:
            seen[sku] = index
        if level is None:
            errors[f"balances/{index}/on_hand"] = "a whole number ≥ 0"
        if sku and level is not None:
            levels.append((sku, level))
    if errors:
        raise ValidationFailed(
            "invalid snapshot: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        )
    return Snapshot(warehouse, snapshot_id, tuple(levels))


def external_id(snapshot_id: str, sku: str) -> str:
    """The external id of the adjustment for ``sku`` under ``snapshot_id``."""
    return f"snapshot:{snapshot_id}:{sku}"


def differences(
    snapshot: Snapshot, current: Mapping[str, int], applied: frozenset[str] = frozenset()
) -> list[tuple[int, Movement]]:
    """(index in the snapshot, adjust movement) for each SKU whose count differs from ``current``;
    SKUs in ``applied`` were already adjusted under this snapshot id and are skipped."""
    result = []
    for index, (sku, counted) in enumerate(snapshot.levels):
        if sku in applied:
            continue
        delta = counted - current.get(sku, 0)
        if delta == 0:
            continue
        result.append(
            (
                index,
                Movement(
                    kind="adjust",
                    warehouse=snapshot.warehouse,
                    sku=sku,
                    qty=delta,
                    reason=REASON,
                    external_id=external_id(snapshot.snapshot_id, sku) if snapshot.snapshot_id else None,
                ),
            )
        )
    return result
