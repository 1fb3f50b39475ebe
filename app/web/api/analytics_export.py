"""Shared by the analytics API and pages: labels of dimensions and measures, JSON-ready rows
(money as text) and the xlsx downloads of the figures, the orders and the lines of a cell."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Response
from flask_babel import lazy_gettext as _l

from app.adapters.analytics_drill import xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DIMENSION_LABELS = {
    "dealer": _l("Dealer"),
    "tier": _l("Tier"),
    "region": _l("Region"),
    "warehouse": _l("Warehouse"),
    "product_line": _l("Product line"),
    "category": _l("Category"),
    "sku": _l("SKU"),
    "day": _l("Day"),
    "week": _l("Week"),
    "month": _l("Month"),
    "quarter": _l("Quarter"),
    "year": _l("Year"),
}
MEASURE_LABELS = {
    "amount": _l("Sales amount"),
    "quantity": _l("Quantity"),
    "order_count": _l("Orders"),
    "average_order": _l("Average order"),
}
CODED = ("dealer", "tier", "region", "warehouse", "product_line", "category", "sku")


def plain(value: Any) -> Any:
    """Decimals become text (exact money in JSON), recursively."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _download(data: bytes, name: str) -> Response:
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})


def sales_xlsx(result: dict[str, Any]) -> Response:
    """The figures table: per dimension its code (and name), then each measure."""
    headers, keys = [], []
    for d in result["group_by"]:
        headers.append(str(DIMENSION_LABELS[d]))
        keys.append(d)
        if d in CODED:
            headers.append(f"{DIMENSION_LABELS[d]} ({_l('name')})")
            keys.append(f"{d}_name")
    for m in result["measures"]:
        headers.append(str(MEASURE_LABELS[m]))
        keys.append(m)
    rows = list(result["rows"])
    total = {keys[0] if keys else "total": str(_l("Total")), **result["totals"]}
    return _download(
        xlsx("sales", headers, keys, [*rows, total]), "sales_" + ("_".join(result["group_by"]) or "total")
    )


def orders_xlsx(result: dict[str, Any]) -> Response:
    headers = [_l("Order"), _l("Day"), _l("Dealer"), _l("Dealer name"), _l("Status"), _l("Lines"),
               _l("Quantity"), _l("Sales amount")]  # fmt: skip
    keys = ["number", "day", "dealer", "dealer_name", "status", "lines", "quantity", "amount"]
    return _download(xlsx("orders", [str(h) for h in headers], keys, result["rows"]), "sales_orders")


def lines_xlsx(result: dict[str, Any]) -> Response:
    headers = [_l("Order"), _l("Day"), _l("Dealer"), _l("SKU"), _l("Product"), _l("Quantity"),
               _l("Unit price"), _l("Sales amount")]  # fmt: skip
    keys = ["number", "day", "dealer", "sku", "product_name", "quantity", "unit_price", "amount"]
    return _download(xlsx("lines", [str(h) for h in headers], keys, result["rows"]), "sales_lines")
