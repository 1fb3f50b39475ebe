"""Diversion signal (窜货): goods a dealer orders for a region it may not sell into, or far more
than usual at a promotion price (to resell elsewhere).

    flags = diversion_flags(session, dealer, "GD", [{"sku": "BEV-W-550", "qty": 300, "promotion": True}])

(a) **Region**: every line's product line must be covered on ``on`` by one of the dealer's
authorisations (``DealerAuthorization``: product line × region, sub-regions included, validity).
(b) **Volume**: a line at a promotion price (``"promotion": True``, as the quote says) for more than
``VOLUME_FACTOR`` × the dealer's usual quantity of that SKU. The usual quantity comes from
``order_history``, which returns nothing until the Orders issue plugs its order lines in with
``set_history_provider``; until then (b) never flags.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.adapters.clock import business_today
from app.domain import price_monitoring as pm
from app.models import Dealer, DealerAuthorization, Product, ProductLine, Region

VOLUME_FACTOR = Decimal(3)
HISTORY_DAYS = 180

# (session, dealer, skus, on) -> per SKU the quantities of the dealer's earlier order lines of it.
HistoryProvider = Callable[[Session, Dealer, Sequence[str], date], dict[str, Sequence[Decimal]]]


def no_history(
    session: Session, dealer: Dealer, skus: Sequence[str], on: date
) -> dict[str, Sequence[Decimal]]:
    """The default provider: no orders exist yet."""
    return {}


_provider: HistoryProvider = no_history


def set_history_provider(provider: HistoryProvider | None) -> None:
    """Plug in where the quantities of a dealer's past order lines come from (None: back to none).
    The Orders issue calls this with lines of the last ``HISTORY_DAYS`` days."""
    global _provider
    _provider = provider or no_history


def history_provider() -> HistoryProvider:
    """The provider in use (to put it back after replacing it, e.g. in a test)."""
    return _provider


def order_history(
    session: Session, dealer: Dealer, skus: Sequence[str], on: date
) -> dict[str, Sequence[Decimal]]:
    """Per SKU the quantities of the dealer's earlier order lines (from the plugged-in provider)."""
    return _provider(session, dealer, list(skus), on) if skus else {}


AUTHORIZATIONS = (
    select(
        DealerAuthorization.product_line,
        Region.path,
        DealerAuthorization.valid_from,
        DealerAuthorization.valid_to,
    )
    .join(Region, DealerAuthorization.region_id == Region.id)
    .where(DealerAuthorization.dealer_id == bindparam("dealer_id"))
)  # built once


def _authorizations(session: Session, dealer: Dealer) -> list[pm.Authorization]:
    rows = session.execute(AUTHORIZATIONS, {"dealer_id": dealer.id}).all()
    return [pm.Authorization(line, path, start, end) for line, path, start, end in rows]


def diversion_flags(
    session: Session,
    dealer: Dealer,
    ship_to_region: str,
    lines: Sequence[dict[str, Any]],
    on: date | None = None,
    *,
    unmanaged_regions: bool = False,
    region_path: str | None = None,
) -> list[pm.DiversionFlag]:
    """Flags for lines (``{"sku", "qty", "promotion"?, "product_line"?}``) shipped to the region
    with code ``ship_to_region`` on ``on`` (today): region outside the authorisations, volume at
    promotion (``region_path``: that region's path, when the caller has it). With
    ``unmanaged_regions``, a dealer without any authorisation on file gets no
    region flag (its authorisations are not managed)."""
    on = on or business_today()
    path = region_path or session.scalar(select(Region.path).where(Region.code == ship_to_region))
    if path is None:
        raise ValueError(f"unknown region {ship_to_region!r}")
    skus = [str(line["sku"]) for line in lines]
    if all("product_line" in line for line in lines):
        line_of = {str(line["sku"]): line["product_line"] for line in lines}
    else:
        line_of = dict(
            session.execute(
                select(Product.code, ProductLine.code)
                .outerjoin(ProductLine, Product.product_line_id == ProductLine.id)
                .where(Product.code.in_(skus))
            ).all()
        )
    pairs = [(sku, line_of.get(sku)) for sku in skus]
    authorizations = _authorizations(session, dealer)
    flags = (
        [] if unmanaged_regions and not authorizations else pm.region_flags(pairs, path, authorizations, on)
    )
    promoted = [str(line["sku"]) for line in lines if line.get("promotion")]  # the volume signal's lines
    histories = order_history(session, dealer, promoted, on)
    for line in lines:
        if not line.get("promotion"):
            continue
        history = histories.get(str(line["sku"]), ())
        flag = pm.volume_flag(
            str(line["sku"]), Decimal(str(line["qty"])), history, bool(line.get("promotion")), VOLUME_FACTOR
        )
        if flag is not None:
            flags.append(flag)
    return flags
