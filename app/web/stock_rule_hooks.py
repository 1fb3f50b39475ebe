"""Create/update checks of a stock rule, shared by its page and its API."""

from __future__ import annotations

from app.domain.errors import ValidationFailed
from app.domain.replenishment import RuleFields, check_rule
from app.web.hooks import refusing
from app.web.scope import check_related_in_scope

DEFAULTS = {"safety_stock": 0, "min_qty": 0, "max_qty": 0, "order_multiple": 1, "review_cycle_days": 1,
            "lead_time_days": 0}  # fmt: skip
RULE_COLUMNS = ["safety_stock", "min_qty", "max_qty", "order_multiple", "review_cycle_days", "lead_time_days"]


def check_stock_rule(item) -> None:
    """The targets are consistent, the warehouse is in the caller's scope, the source differs."""
    for key, default in DEFAULTS.items():
        if getattr(item, key) is None:
            setattr(item, key, default)
    check_rule(RuleFields(**{k: getattr(item, k) for k in RULE_COLUMNS}))
    if item.warehouse is None:
        raise ValidationFailed("warehouse: required", {"warehouse": "required"})
    if item.product is None:
        raise ValidationFailed("product: required", {"product": "required"})
    check_related_in_scope(item.warehouse, "warehouse")
    if item.source_warehouse is not None and item.source_warehouse.id == item.warehouse.id:
        raise ValidationFailed(
            "source_warehouse: must differ from the warehouse",
            {"source_warehouse": "must differ from the warehouse"},
        )


class StockRuleHooks:
    @refusing
    def pre_add(self, item):
        check_stock_rule(item)

    @refusing
    def pre_update(self, item):
        check_stock_rule(item)
