"""SQLAlchemy 2.x models on Flask-AppBuilder's declarative ``Model``.

Importing this package registers every table on ``Model.metadata`` (used by Alembic).
"""

from app.models.audit import AuditLog
from app.models.catalog import Category, Product, ProductLine
from app.models.dealer import Dealer, DealerTier
from app.models.dealer_parts import DealerAddress, DealerAuthorization, DealerContact, DealerQualification
from app.models.form import FormVersion
from app.models.import_job import ImportJob
from app.models.inventory import StockBalance, StockBatch, StockEntry, StockMovement, Warehouse
from app.models.notification import Notification
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
from app.models.region import Region
from app.models.replenishment import ReplenishmentSuggestion, StockRule
from app.models.scheduler_lock import SchedulerLock
from app.models.stored_file import StoredFile
from app.models.user_scope import UserScope

__all__ = [
    "AuditLog",
    "Category",
    "Dealer",
    "DealerAddress",
    "DealerAuthorization",
    "DealerContact",
    "DealerQualification",
    "DealerTier",
    "FormVersion",
    "HumanTask",
    "ImportJob",
    "InstanceEvent",
    "InstanceTimer",
    "MessageWait",
    "Notification",
    "PolicyVersion",
    "PriceException",
    "PriceExceptionLine",
    "PriceRecord",
    "ProcessDefinition",
    "ProcessDraft",
    "ProcessInstance",
    "ProcessVersion",
    "Product",
    "ProductLine",
    "Region",
    "ReplenishmentSuggestion",
    "SchedulerLock",
    "SpecialPrice",
    "StockBalance",
    "StockBatch",
    "StockEntry",
    "StockMovement",
    "StockRule",
    "StoredFile",
    "UserScope",
    "Warehouse",
]
