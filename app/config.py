"""Every setting of the platform, read from the environment with safe defaults.

Each ``DMS_*`` / well-known variable is documented in README.md ("Configuration").
``load_config()`` returns a plain dict that ``create_app`` puts into ``app.config``;
tests pass overrides on top of it.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIMEZONE = "Asia/Shanghai"  # the business's time zone unless DMS_TIMEZONE says otherwise

SUPPORTED_SCHEMES = {
    "sqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}


class ConfigError(Exception):
    """A setting is wrong; the message is one line a person can act on."""


def instance_dir() -> Path:
    """Folder for the SQLite file, the generated secret key and uploads."""
    path = Path(os.environ.get("DMS_INSTANCE_DIR", ROOT / "instance"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(raw: str | None = None) -> str:
    """Normalise ``DATABASE_URL``; refuse schemes we do not support."""
    url = raw if raw is not None else os.environ.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{instance_dir() / 'dms.db'}"
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in SUPPORTED_SCHEMES:
        raise ConfigError(
            f"DATABASE_URL has unsupported scheme {scheme!r}: "
            "use sqlite:///path/to/file.db or postgresql://user:pass@host/db"
        )
    return f"{SUPPORTED_SCHEMES[scheme.lower()]}://{rest}"


def secret_key() -> str:
    """``SECRET_KEY`` from the environment, else generated once into instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = instance_dir() / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _choice(name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first is the default); ConfigError naming them otherwise."""
    raw = os.environ.get(name, "").strip().lower() or choices[0]
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
    return raw


def _bytes(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigError(f"{name} must be a positive number of bytes, not {raw!r}")
    return int(raw)


def _gc_threshold(name: str, default: str) -> tuple[int, ...] | None:
    """``gen0,gen1,gen2`` thresholds of Python's cyclic garbage collector, or None for "default"."""
    raw = os.environ.get(name, "").strip() or default
    if raw == "default":
        return None
    parts = raw.split(",")
    if len(parts) != 3 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise ConfigError(
            f"{name} must be three positive whole numbers like 20000,50,100 or 'default', not {raw!r}"
        )
    return tuple(int(p) for p in parts)


def load_config() -> dict:
    """All settings as a dict; raises ConfigError on a bad value."""
    upload_max = _bytes("DMS_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SECRET_KEY": secret_key(),
        "APP_NAME": "DMS",
        # Flask-AppBuilder
        "AUTH_TYPE": 1,  # AUTH_DB
        "AUTH_ROLE_ADMIN": "Admin",
        "AUTH_ROLE_PUBLIC": "Public",
        "FAB_UPDATE_PERMS": False,  # permissions are synced by `init` / `sync-roles`
        "FAB_CREATE_DB": False,  # tables come from Alembic migrations
        "FAB_API_SWAGGER_UI": True,
        "FAB_ADD_SECURITY_API": False,
        "FAB_API_MAX_PAGE_SIZE": 100,
        "FAB_PASSWORD_COMPLEXITY_ENABLED": False,
        "AUTH_RATE_LIMITED": True,
        "AUTH_RATE_LIMIT": os.environ.get("DMS_LOGIN_RATE_LIMIT", "10 per minute"),
        "DMS_API_LOGIN_RATE_LIMIT": os.environ.get("DMS_API_LOGIN_RATE_LIMIT", "10 per minute"),
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=int(os.environ.get("DMS_JWT_MINUTES", "60"))),
        # Languages: zh_CN first and default (FAB's own catalog is "zh"; see app/web/i18n.py)
        "BABEL_DEFAULT_LOCALE": os.environ.get("DMS_DEFAULT_LOCALE", "zh_CN"),
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "DMS_TIMEZONE": os.environ.get("DMS_TIMEZONE", DEFAULT_TIMEZONE),
        "LANGUAGES": {
            "zh_CN": {"flag": "cn", "name": "中文"},
            "en": {"flag": "gb", "name": "English"},
        },
        # Security
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("DMS_COOKIE_SECURE", False),
        "DMS_FORCE_HTTPS": _flag("DMS_FORCE_HTTPS", False),
        # Platform
        "DMS_SCHEDULER": _flag("DMS_SCHEDULER", True),
        "DMS_DEMO": _flag("DMS_DEMO", False),
        "DMS_ADMIN_USER": os.environ.get("DMS_ADMIN_USER", "admin"),
        "DMS_ADMIN_PASSWORD": os.environ.get("DMS_ADMIN_PASSWORD", ""),
        "DMS_DEMO_PASSWORD": os.environ.get("DMS_DEMO_PASSWORD", "demo12345"),
        # generated demo history on `init --demo`: none / small / full (docs/demo_data.md)
        "DMS_DEMO_HISTORY": _choice("DMS_DEMO_HISTORY", ("full", "small", "none")),
        "DMS_SCHEDULER_LOCK_TTL": int(os.environ.get("DMS_SCHEDULER_LOCK_TTL", "30")),
        "DMS_TIMER_INTERVAL": int(os.environ.get("DMS_TIMER_INTERVAL", "10")),
        # SQLite: the WAL is copied into the database file by the job sqlite.checkpoint (every
        # DMS_TIMER_INTERVAL s); a commit does it itself only past this many pages (4 KiB each)
        "DMS_SQLITE_AUTOCHECKPOINT": int(os.environ.get("DMS_SQLITE_AUTOCHECKPOINT", "10000")),
        # carriers and the WMS sign tracking pushes: "SF=secret1,WMS=secret2" (X-DMS-Source=SF …)
        "DMS_TRACKING_SECRETS": os.environ.get("DMS_TRACKING_SECRETS", ""),
        # a confirmed order's delivery is promised this many days later (the not-shipped alert)
        "DMS_PROMISE_DAYS": int(os.environ.get("DMS_PROMISE_DAYS", "3")),
        # receivables (docs/orders.md): one invoice per shipment, or per order on confirmation
        "DMS_INVOICE_PER": _choice("DMS_INVOICE_PER", ("shipment", "order")),
        # Python's cyclic GC runs its youngest generation every 700 allocations by default; a
        # request allocates tens of thousands of short-lived objects (SQLAlchemy, SpiffWorkflow),
        # so a larger first threshold saves ~5 % per order submission (docs/orders.md, Speed)
        "DMS_GC_THRESHOLD": _gc_threshold("DMS_GC_THRESHOLD", "20000,50,100"),
        "DMS_ROLES_FILE": os.environ.get("DMS_ROLES_FILE", str(ROOT / "app" / "web" / "roles.yaml")),
        # Qualification alerts (docs/dealers.md): warn this many days before a licence expires;
        # suspend an active dealer whose required licence expired
        "DMS_QUALIFICATION_WARN_DAYS": int(os.environ.get("DMS_QUALIFICATION_WARN_DAYS", "30")),
        "DMS_SUSPEND_ON_EXPIRED": _flag("DMS_SUSPEND_ON_EXPIRED", False),
        # Inventory (docs/inventory.md): no outbound movement for this many days = slow-moving (a
        # category may set its own); batches expiring within this many days are alerts
        "DMS_SLOW_MOVING_DAYS": int(os.environ.get("DMS_SLOW_MOVING_DAYS", "90")),
        "DMS_EXPIRY_WARN_DAYS": int(os.environ.get("DMS_EXPIRY_WARN_DAYS", "30")),
        # Uploads (form file fields): where the bytes go, the largest file, the largest request body
        # (a few files of a form plus its fields; BPMN deploys take up to 5 MiB per file).
        "DMS_UPLOAD_DIR": os.environ.get("DMS_UPLOAD_DIR", str(instance_dir() / "uploads")),
        "DMS_UPLOAD_MAX_BYTES": upload_max,
        "MAX_CONTENT_LENGTH": _bytes("DMS_MAX_REQUEST_BYTES", max(4 * upload_max, 20 * 1024 * 1024)),
        # Excel imports (docs/imports.md): largest file, most rows, rows run inside the request,
        # seconds without progress after which a running job counts as failed
        "DMS_IMPORT_MAX_BYTES": _bytes("DMS_IMPORT_MAX_BYTES", 20 * 1024 * 1024),
        "DMS_IMPORT_MAX_ROWS": int(os.environ.get("DMS_IMPORT_MAX_ROWS", "100000")),
        "DMS_IMPORT_INLINE_ROWS": int(os.environ.get("DMS_IMPORT_INLINE_ROWS", "2000")),
        "DMS_IMPORT_STALE_SECONDS": int(os.environ.get("DMS_IMPORT_STALE_SECONDS", "900")),
        # Webhooks, e-mail and order alerts (docs/orders.md "Webhooks, e-mail and alerts"): webhook
        # URLs may reach loopback/private addresses; SMTP (off without a host); the address links in
        # e-mails start with; hours after which a submitted order not yet decided is an alert
        "DMS_WEBHOOK_ALLOW_PRIVATE": _flag("DMS_WEBHOOK_ALLOW_PRIVATE", False),
        "DMS_SMTP_HOST": os.environ.get("DMS_SMTP_HOST", "").strip(),
        "DMS_SMTP_PORT": int(os.environ.get("DMS_SMTP_PORT", "25")),
        "DMS_SMTP_USER": os.environ.get("DMS_SMTP_USER", ""),
        "DMS_SMTP_PASSWORD": os.environ.get("DMS_SMTP_PASSWORD", ""),
        "DMS_SMTP_FROM": os.environ.get("DMS_SMTP_FROM", ""),
        "DMS_SMTP_STARTTLS": _flag("DMS_SMTP_STARTTLS", False),
        "DMS_PUBLIC_URL": os.environ.get("DMS_PUBLIC_URL", "").strip(),
        "DMS_ORDER_REVIEW_HOURS": int(os.environ.get("DMS_ORDER_REVIEW_HOURS", "24")),
        # process monitoring: a running instance without any event for this long is stuck (unless its
        # process sets the property stuckAfter); docs/monitoring.md
        "DMS_STUCK_AFTER_HOURS": float(os.environ.get("DMS_STUCK_AFTER_HOURS", "72")),
    }
