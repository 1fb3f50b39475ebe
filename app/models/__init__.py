"""SQLAlchemy 2.x models on Flask-AppBuilder's declarative ``Model``.

Importing this package registers every table on ``Model.metadata`` (used by Alembic).
"""

from app.models.analytics import AnalyticsWatermark, DealerMonth, OrderDay, ProductMonth, SaleLine
from app.models.audit import AuditLog
from app.models.catalog import Category, Product, ProductLine
from app.models.dealer import Dealer, DealerTier
from app.models.dealer_parts import DealerAddress, DealerAuthorization, DealerContact, DealerQualification
from app.models.forecasts import Forecast, ForecastRun, WhatIfScenario
from app.models.form import FormVersion
from app.models.import_job import ImportJob
from app.models.inventory import StockBalance, StockBatch, StockEntry, StockMovement, Warehouse
from app.models.notification import Notification
from app.models.order import (
    IdempotencyKey,
    OrderChangeRequest,
    OrderCheck,
    OrderEvent,
    OrderLine,
    SalesOrder,
)
from app.models.outbox import OutboxEntry
from app.models.price_monitoring import PriceException, PriceExceptionLine
from app.models.pricing import PolicyVersion, PriceRecord, SpecialPrice
from app.models.process import (
    HumanTask,
    InstanceEvent,
    InstanceTimer,
    MessageWait,
    ProcessDefinition,
    ProcessInstance,
    ProcessVersion,
)
from app.models.process_draft import ProcessDraft
from app.models.receivable import CreditIncrease, Invoice, Payment, PaymentAllocation, StatementConfirmation
from app.models.region import Region
from app.models.replenishment import ReplenishmentSuggestion, StockRule
from app.models.scheduler_lock import SchedulerLock
from app.models.scorecards import DealerTarget, KpiSetRecord
from app.models.shipment import Claim, Shipment, ShipmentEvent, ShipmentLine
from app.models.stored_file import StoredFile
from app.models.template import TemplateApplication
from app.models.user_scope import UserScope
from app.models.webhook import WebhookDelivery, WebhookSubscription

__all__ = [
    "AnalyticsWatermark",
    "AuditLog",
    "Category",
    "Claim",
    "CreditIncrease",
    "Dealer",
    "DealerMonth",
    "DealerAddress",
    "DealerAuthorization",
    "DealerContact",
    "DealerQualification",
    "DealerTarget",
    "DealerTier",
    "Forecast",
    "ForecastRun",
    "FormVersion",
    "HumanTask",
    "IdempotencyKey",
    "ImportJob",
    "InstanceEvent",
    "InstanceTimer",
    "KpiSetRecord",
    "Invoice",
    "MessageWait",
    "Notification",
    "OrderChangeRequest",
    "OrderCheck",
    "OrderDay",
    "OrderEvent",
    "OrderLine",
    "OutboxEntry",
    "Payment",
    "PaymentAllocation",
    "PolicyVersion",
    "PriceException",
    "PriceExceptionLine",
    "PriceRecord",
    "ProcessDefinition",
    "ProcessDraft",
    "ProcessInstance",
    "ProcessVersion",
    "Product",
    "ProductMonth",
    "ProductLine",
    "Region",
    "ReplenishmentSuggestion",
    "SaleLine",
    "SalesOrder",
    "SchedulerLock",
    "Shipment",
    "ShipmentEvent",
    "ShipmentLine",
    "SpecialPrice",
    "StatementConfirmation",
    "StockBalance",
    "StockBatch",
    "StockEntry",
    "StockMovement",
    "StockRule",
    "StoredFile",
    "TemplateApplication",
    "UserScope",
    "Warehouse",
    "WebhookDelivery",
    "WebhookSubscription",
    "WhatIfScenario",
]
