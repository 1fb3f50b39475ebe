"""The web layer: Flask-AppBuilder pages and APIs, security, data scope, languages.

``register_views`` is the one place where the whole HTTP surface is registered.
"""

from __future__ import annotations

from flask import g, request
from flask_appbuilder.api import BaseApi
from flask_babel import lazy_gettext as _l

from app.services.actor import Actor


def register_views(appbuilder) -> None:
    """Register every page and API of the application (local imports keep startup lean)."""
    from app.web.api.admin import AuditLogApi
    from app.web.api.catalog import CategoryApi, ProductApi, ProductLineApi, WarehouseApi
    from app.web.api.engine import ProcessDefinitionApi, ProcessInstanceApi
    from app.web.api.files import FileApi
    from app.web.api.forms import FormApi
    from app.web.api.inventory import InventoryApi, ReplenishmentApi, StockRuleApi
    from app.web.api.master_data import (
        DealerAddressApi,
        DealerApi,
        DealerAuthorizationApi,
        DealerContactApi,
        DealerQualificationApi,
        RegionApi,
    )
    from app.web.api.price_policy import PricePolicyApi
    from app.web.api.pricing import PriceApi
    from app.web.api.stock import StockApi
    from app.web.api.tasks import MessageApi, TaskApi
    from app.web.views.admin import AuditLogView, UserScopeView
    from app.web.views.catalog import (
        CategoryView,
        ProductExcelView,
        ProductLineView,
        ProductView,
        WarehouseView,
    )
    from app.web.views.dealer_excel import DealerExcelView
    from app.web.views.dealer_parts import (
        DealerAddressView,
        DealerAuthorizationView,
        DealerContactView,
        DealerQualificationView,
    )
    from app.web.views.files import FileView
    from app.web.views.forms import FormDesignerView
    from app.web.views.inbox import InboxView
    from app.web.views.master_data import DealerView, RegionView
    from app.web.views.modeler import ModelerView
    from app.web.views.notifications import NotificationView
    from app.web.views.rules import RulesEditorView
    from app.web.views.signup import SignupView

    category = dict(category="Master data", category_label=_l("Master data"), category_icon="fa-database")
    appbuilder.add_view(InboxView, "Inbox", label=_l("Inbox"), icon="fa-inbox")
    appbuilder.add_view_no_menu(FileView)
    for part in (DealerContactView, DealerAddressView, DealerAuthorizationView, DealerQualificationView):
        appbuilder.add_view_no_menu(part)
    appbuilder.add_view_no_menu(NotificationView)
    appbuilder.add_view_no_menu(DealerExcelView)  # template, import with progress, export
    appbuilder.add_view_no_menu(SignupView)  # public: dealer sign-up and the applicant's status page
    appbuilder.add_view(RegionView, "Regions", label=_l("Regions"), icon="fa-sitemap", **category)
    appbuilder.add_view(DealerView, "Dealers", label=_l("Dealers"), icon="fa-store", **category)

    inventory = dict(category="Inventory", category_label=_l("Inventory"), category_icon="fa-cubes")
    appbuilder.add_view_no_menu(ProductExcelView)  # product template, import with progress, export
    appbuilder.add_view(ProductView, "Products", label=_l("Products"), icon="fa-barcode", **inventory)
    appbuilder.add_view(
        ProductLineView, "Product lines", label=_l("Product lines"), icon="fa-th-list", **inventory
    )
    appbuilder.add_view(CategoryView, "Categories", label=_l("Categories"), icon="fa-sitemap", **inventory)
    appbuilder.add_view(WarehouseView, "Warehouses", label=_l("Warehouses"), icon="fa-warehouse", **inventory)
    _register_inventory_views(appbuilder, inventory)
    _register_pricing_views(appbuilder)

    admin = dict(category="Administration", category_label=_l("Administration"), category_icon="fa-shield")
    appbuilder.add_view(UserScopeView, "User scopes", label=_l("User scopes"), icon="fa-user-lock", **admin)
    appbuilder.add_view(AuditLogView, "Audit log", label=_l("Audit log"), icon="fa-list", **admin)
    appbuilder.add_view(FormDesignerView, "Forms", label=_l("Forms"), icon="fa-wpforms", **admin)
    appbuilder.add_view(
        RulesEditorView, "Decision tables", label=_l("Decision tables"), icon="fa-table", **admin
    )
    appbuilder.add_view(
        ModelerView, "Process modeler", label=_l("Process modeler"), icon="fa-project-diagram", **admin
    )

    appbuilder.add_api(RegionApi)
    appbuilder.add_api(DealerApi)
    for api in (DealerContactApi, DealerAddressApi, DealerAuthorizationApi, DealerQualificationApi):
        appbuilder.add_api(api)
    for api in (ProductLineApi, CategoryApi, ProductApi, WarehouseApi, StockApi):
        appbuilder.add_api(api)
    for api in (InventoryApi, ReplenishmentApi, StockRuleApi):
        appbuilder.add_api(api)
    appbuilder.add_api(AuditLogApi)
    appbuilder.add_api(PriceApi)
    appbuilder.add_api(PricePolicyApi)
    appbuilder.add_api(FileApi)
    for api in (ProcessDefinitionApi, ProcessInstanceApi, TaskApi, MessageApi, FormApi):
        appbuilder.add_api(api)
    _register_price_monitoring(appbuilder)
    _register_orders(appbuilder)
    _register_receivables(appbuilder)
    _register_webhooks_and_alerts(appbuilder)
    _register_analytics(appbuilder)
    _register_forecast(appbuilder)
    _register_scorecards(appbuilder)
    _register_process_monitor(appbuilder)
    _register_templates(appbuilder)


def _register_inventory_views(appbuilder, inventory: dict) -> None:
    """Figures, alerts, replenishment suggestions and stock rules (menu "库存 Inventory")."""
    from app.web.views.inventory import InventoryView, ReplenishmentView, StockRuleExcelView, StockRuleView

    appbuilder.add_view(
        InventoryView, "Inventory overview", label=_l("Inventory overview"), icon="fa-chart-bar", **inventory
    )
    appbuilder.add_link(
        "Stock alerts", href="/inventory/alerts", label=_l("Stock alerts"), icon="fa-bell", **inventory
    )
    appbuilder.add_view(
        ReplenishmentView,
        "Replenishment suggestions",
        label=_l("Replenishment suggestions"),
        icon="fa-truck",
        **inventory,
    )
    appbuilder.add_view(
        StockRuleView, "Stock rules", label=_l("Stock rules"), icon="fa-sliders-h", **inventory
    )
    appbuilder.add_view_no_menu(StockRuleExcelView)


def _register_price_monitoring(appbuilder) -> None:
    """Special-price requests and the price-exceptions report (menu "价格 Pricing"), their API."""
    from app.web.api.price_monitoring import PriceMonitoringApi
    from app.web.views.price_monitoring import PriceMonitoringView

    pricing = dict(category="Pricing", category_label=_l("Pricing"), category_icon="fa-tags")
    appbuilder.add_view_no_menu(PriceMonitoringView)
    appbuilder.add_link(
        "Special price requests",
        href="/price/requests/",
        label=_l("Special-price requests"),
        icon="fa-hand-holding-usd",
        **pricing,
    )
    appbuilder.add_link(
        "Price exceptions",
        href="/price/exceptions/",
        label=_l("Price exceptions"),
        icon="fa-exclamation-triangle",
        **pricing,
    )
    appbuilder.add_api(PriceMonitoringApi)


def _register_pricing_views(appbuilder) -> None:
    """Price policy versions and the dealer price list (menu "价格 Pricing")."""
    from app.web.views.pricing import PriceListView, PricePolicyView, PriceRecordExcelView

    pricing = dict(category="Pricing", category_label=_l("Pricing"), category_icon="fa-tags")
    appbuilder.add_view(
        PricePolicyView, "Price policy", label=_l("Price policy"), icon="fa-file-invoice-dollar", **pricing
    )
    appbuilder.add_view(PriceListView, "Price list", label=_l("Price list"), icon="fa-tags", **pricing)
    appbuilder.add_view_no_menu(PriceRecordExcelView)  # a draft's records: template, import, export


def api_blueprints(appbuilder) -> list:
    """Blueprints of all REST APIs (JWT-authenticated, so exempt from CSRF)."""
    return [v.blueprint for v in appbuilder.baseviews if isinstance(v, BaseApi)]


def request_actor() -> Actor | None:
    """The actor of the current request: the logged-in user (session or JWT)."""
    from flask import has_request_context
    from flask_jwt_extended import get_current_user

    if not has_request_context():
        return None
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        try:
            user = get_current_user()
        except RuntimeError:
            user = None
    if user is not None and getattr(user, "is_authenticated", True) and getattr(user, "id", None):
        return Actor(user.id, user.username, request.remote_addr)
    return Actor(None, "anonymous", request.remote_addr)


def _register_orders(appbuilder) -> None:
    """Orders and shipments (menu "订单 Orders"): pages and APIs."""
    from app.web.api.orders import OrderApi
    from app.web.api.shipments import ShipmentApi
    from app.web.views.orders import OrderExcelView, OrderView, ShipmentView

    menu = dict(category="Orders", category_label=_l("Orders"), category_icon="fa-shopping-cart")
    appbuilder.add_view_no_menu(OrderView)
    appbuilder.add_view_no_menu(ShipmentView)
    appbuilder.add_view_no_menu(OrderExcelView)
    appbuilder.add_link("Order list", href="/orders/", label=_l("Orders"), icon="fa-list", **menu)
    appbuilder.add_link("New order", href="/orders/new", label=_l("New order"), icon="fa-cart-plus", **menu)
    appbuilder.add_api(OrderApi)
    appbuilder.add_api(ShipmentApi)


def _register_webhooks_and_alerts(appbuilder) -> None:
    """Outgoing webhook subscriptions and their delivery log (administrators); order alerts."""
    from app.web.api.alerts import AlertApi
    from app.web.api.webhooks import WebhookApi

    appbuilder.add_api(WebhookApi)
    appbuilder.add_api(AlertApi)


def _register_receivables(appbuilder) -> None:
    """Receivables (menu "应收 Receivables"): statement, invoices, payments (with Excel import),
    temporary credit increases; their APIs."""
    from app.web.api.receivables import InvoiceApi, PaymentApi
    from app.web.api.statements import CreditIncreaseApi, StatementApi
    from app.web.views.receivables import CreditIncreaseView, PaymentExcelView, ReceivableView

    menu = dict(category="Receivables", category_label=_l("Receivables"), category_icon="fa-money-bill")
    for view in (ReceivableView, PaymentExcelView, CreditIncreaseView):
        appbuilder.add_view_no_menu(view)
    for name, href, label, icon in (
        ("Statement", "/receivables/statement", _l("Statement"), "fa-file-invoice"),
        ("Invoices", "/receivables/invoices", _l("Invoices"), "fa-file-invoice-dollar"),
        ("Payments", "/receivables/payments", _l("Payments"), "fa-hand-holding-usd"),
        ("Credit increases", "/receivables/credit_increases/", _l("Credit increases"), "fa-arrow-up"),
    ):
        appbuilder.add_link(name, href=href, label=label, icon=icon, **menu)
    for api in (PaymentApi, InvoiceApi, StatementApi, CreditIncreaseApi):
        appbuilder.add_api(api)


def _register_analytics(appbuilder) -> None:
    """Sales analytics (menu "数据分析 Analytics"): the page with drill-down and its API."""
    from app.web.api.analytics import AnalyticsApi
    from app.web.views.analytics import SalesAnalyticsView

    menu = dict(category="Analytics", category_label=_l("Analytics"), category_icon="fa-chart-line")
    appbuilder.add_view(
        SalesAnalyticsView, "Sales analytics", label=_l("Sales analytics"), icon="fa-chart-area", **menu
    )
    appbuilder.add_api(AnalyticsApi)


def _register_scorecards(appbuilder) -> None:
    """Dealer scorecards (menu "数据分析 Analytics"): ranking and dealer cards, the KPI set editor,
    dealer targets in Excel; their APIs."""
    from app.web.api.kpi_set import KpiSetApi
    from app.web.api.scorecard import ScorecardApi
    from app.web.api.scorecard_targets import DealerTargetApi
    from app.web.views.scorecards import DealerTargetExcelView, KpiSetView, ScorecardView

    menu = dict(category="Analytics", category_label=_l("Analytics"), category_icon="fa-chart-line")
    appbuilder.add_view(
        ScorecardView, "Dealer scorecards", label=_l("Dealer scorecards"), icon="fa-star-half-alt", **menu
    )
    appbuilder.add_view(KpiSetView, "KPI sets", label=_l("KPI sets"), icon="fa-sliders-h", **menu)
    appbuilder.add_view_no_menu(DealerTargetExcelView)
    for api in (ScorecardApi, KpiSetApi, DealerTargetApi):
        appbuilder.add_api(api)


def _register_forecast(appbuilder) -> None:
    """Demand forecast and what-if simulation (menu "数据分析 Analytics"), their APIs."""
    from app.web.api.forecast import ForecastApi
    from app.web.api.what_if import WhatIfApi
    from app.web.views.forecast import ForecastView
    from app.web.views.what_if import WhatIfView

    menu = dict(category="Analytics", category_label=_l("Analytics"), category_icon="fa-chart-line")
    appbuilder.add_view(
        ForecastView, "Demand forecast", label=_l("Demand forecast"), icon="fa-chart-line", **menu
    )
    appbuilder.add_view(
        WhatIfView, "What-if simulation", label=_l("What-if simulation"), icon="fa-sliders-h", **menu
    )
    appbuilder.add_api(ForecastApi)
    appbuilder.add_api(WhatIfApi)


def _register_process_monitor(appbuilder) -> None:
    """Process monitoring (menu "系统管理 Administration"): figures per process, stuck instances,
    incidents with retry/skip (docs/monitoring.md); its API."""
    from app.web.api.monitor import ProcessMonitorApi
    from app.web.views.monitor import ProcessMonitorView

    admin = dict(category="Administration", category_label=_l("Administration"), category_icon="fa-shield")
    appbuilder.add_view(
        ProcessMonitorView, "Process monitoring", label=_l("Process monitoring"), icon="fa-heartbeat", **admin
    )
    appbuilder.add_link(
        "Stuck instances",
        href="/monitor/stuck",
        label=_l("Stuck instances"),
        icon="fa-hourglass-half",
        **admin,
    )
    appbuilder.add_link("Incidents", href="/monitor/incidents", label=_l("Incidents"), icon="fa-bug", **admin)
    appbuilder.add_api(ProcessMonitorApi)


def _register_templates(appbuilder) -> None:
    """Industry templates (menu "系统管理 Administration" → 行业模板): list, plan, apply, export
    (docs/templates.md); its API."""
    from app.web.api.templates_admin import TemplateApi
    from app.web.views.templates_admin import TemplatesAdminView

    admin = dict(category="Administration", category_label=_l("Administration"), category_icon="fa-shield")
    appbuilder.add_view(
        TemplatesAdminView, "Industry templates", label=_l("Industry templates"), icon="fa-cubes", **admin
    )
    appbuilder.add_api(TemplateApi)
