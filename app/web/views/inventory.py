"""Inventory pages: the overview (cards, table by region, chart), drill-down pages with the
filters in the URL, the alert list, replenishment suggestions (accept/edit/reject) and rules."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.adapters.replenishment import decide
from app.adapters.stock_alerts import alerts
from app.adapters.stock_figures import figures, parse_query
from app.domain.errors import DomainError, NotFound
from app.extensions import db
from app.models import StockRule
from app.web.api.inventory import alert_args, slow_days
from app.web.caller import caller
from app.web.inventory_data import suggestion_page
from app.web.permissions import READ, WRITE
from app.web.scope import current_scope
from app.web.stock_rule_hooks import RULE_COLUMNS, StockRuleHooks
from app.web.views.base import DmsModelView
from app.web.views.excel import ExcelView, excel_buttons

LEVEL_LABELS = {
    "network": _l("Network"),
    "region": _l("Regions"),
    "warehouse": _l("Warehouses"),
    "sku": _l("SKUs"),
    "batch": _l("Batches"),
}
BUCKET_LABELS = {"0_30": _l("0–30 days"), "31_90": _l("31–90 days"), "91_180": _l("91–180 days"),
                 "over_180": _l("over 180 days")}  # fmt: skip
KEPT = ("as_of", "from", "to")


def _english() -> bool:
    return str(get_locale() or "").startswith("en")


def _kept() -> dict[str, str]:
    """Date arguments carried from page to page."""
    return {k: request.args[k] for k in KEPT if request.args.get(k)}


class InventoryView(BaseView):
    route_base = "/inventory"
    class_permission_name = "Inventory"
    method_permission_name = {"overview": READ, "drill": READ, "alert_list": READ}
    default_view = "overview"

    def _figures_page(self, args, overview: bool):
        try:
            query = parse_query(args, slow_days())
            data = figures(db.session, current_scope(), query)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash(error.message, "danger")
            query = parse_query({}, slow_days())
            data = figures(db.session, current_scope(), query)
        for row in data["rows"]:
            row["href"] = (
                url_for("InventoryView.drill", **{**_kept(), **row["drill"]}) if row["drill"] else None
            )
        chart = {
            "labels": [r["code"] or _("Network") for r in data["rows"][:30]],
            "series": [
                {"name": str(BUCKET_LABELS[b]), "values": [r["age"][b] for r in data["rows"][:30]]}
                for b in BUCKET_LABELS
            ],
        }
        return self.render_template(
            "inventory/figures.html",
            data=data,
            chart=chart,
            overview=overview,
            level_labels=LEVEL_LABELS,
            buckets=BUCKET_LABELS,
            kept=_kept(),
            english=_english(),
            title=_("Inventory overview") if overview else _("Stock figures"),
        )

    @expose("/")
    @has_access
    def overview(self):
        return self._figures_page({**_kept(), "level": "region"}, overview=True)

    @expose("/figures")
    @has_access
    def drill(self):
        return self._figures_page(request.args, overview=False)

    @expose("/alerts")
    @has_access
    def alert_list(self):
        try:
            as_of, kinds = alert_args(request.args)
        except DomainError as error:
            flash(error.message, "danger")
            as_of, kinds = alert_args({})
        found = alerts(
            db.session,
            current_scope(),
            as_of,
            slow_days(),
            int(current_app.config["DMS_EXPIRY_WARN_DAYS"]),
            kinds,
        )
        return self.render_template(
            "inventory/alerts.html", alerts=found, kind=request.args.get("kind", ""), title=_("Stock alerts")
        )


class ReplenishmentView(BaseView):
    route_base = "/replenishment"
    class_permission_name = "Replenishment"
    method_permission_name = {"suggestions": READ, "decide_page": WRITE}
    default_view = "suggestions"

    @expose("/")
    @has_access
    def suggestions(self):
        status = request.args.get("status", "open")
        page = request.args.get("page", "0")
        page_no = int(page) if page.isdigit() and int(page) < 10**6 else 0
        count, rows = suggestion_page(db.session, current_scope(), status, page_no)
        return self.render_template(
            "inventory/suggestions.html",
            rows=rows,
            count=count,
            status=status,
            page=page_no,
            english=_english(),
            title=_("Replenishment suggestions"),
        )

    @expose("/<int:suggestion_id>/<string:action>", methods=["POST"])
    @has_access
    def decide_page(self, suggestion_id: int, action: str):
        who = caller()
        try:
            found = decide(db.session, who.scope, suggestion_id, action, who.name, request.form.get("qty"))
            db.session.commit()
        except NotFound:
            db.session.rollback()
            abort(404)
        except DomainError as error:
            db.session.rollback()
            flash(f"{_('Not done')}: {error.message}", "danger")
        else:
            flash(
                _("Suggestion %(id)s: %(status)s", id=found.id, status=status_label(found.status)), "success"
            )
        return redirect(url_for("ReplenishmentView.suggestions", status=request.args.get("status", "open")))


STATUS_LABELS = {"proposed": _l("Proposed"), "edited": _l("Edited"), "accepted": _l("Accepted"),
                 "rejected": _l("Rejected")}  # fmt: skip


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


RULE_LABELS = {
    "warehouse": _l("Warehouse"),
    "product": _l("Product"),
    "safety_stock": _l("Safety stock"),
    "min_qty": _l("Minimum"),
    "max_qty": _l("Maximum"),
    "order_multiple": _l("Order multiple"),
    "review_cycle_days": _l("Review cycle (days)"),
    "lead_time_days": _l("Lead time (days)"),
    "source_warehouse": _l("Source warehouse"),
    "last_reviewed_at": _l("Last reviewed"),
}


class StockRuleView(excel_buttons("StockRuleExcelView", "Replenishment"), StockRuleHooks, DmsModelView):
    datamodel = SQLAInterface(StockRule)
    class_permission_name = "Replenishment"
    list_title, show_title = _l("Stock rules"), _l("Stock rule")
    add_title, edit_title = _l("Add stock rule"), _l("Edit stock rule")
    list_columns = ["warehouse", "product", *RULE_COLUMNS, "source_warehouse", "last_reviewed_at"]
    show_columns = list_columns
    add_columns = edit_columns = ["warehouse", "product", *RULE_COLUMNS, "source_warehouse"]
    search_columns = ["warehouse", "product"]
    label_columns = RULE_LABELS


class StockRuleExcelView(ExcelView):
    route_base = "/stock-rules/excel"
    class_permission_name = "Replenishment"
    excel_kind = "stock_rule"
    list_endpoint = "StockRuleView.list"
    import_title = _l("Import stock rules")
    insert_label = _l("Insert new rules")
    back_label = _l("Back to stock rules")
