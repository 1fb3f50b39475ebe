"""The business day: dates (order numbers, prices in force, due and overdue dates, promised
dates, the analytics' default periods) are days in ``DMS_TIMEZONE``, whatever zone the server
runs in. Times stay timezone-aware UTC (``app.models.base.utcnow``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from app.config import DEFAULT_TIMEZONE


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def business_zone() -> ZoneInfo:
    """``DMS_TIMEZONE`` of the running app (the default outside one)."""
    name = current_app.config.get("DMS_TIMEZONE", DEFAULT_TIMEZONE) if has_app_context() else DEFAULT_TIMEZONE
    return _zone(name)


def business_today() -> date:
    """Today in the business's time zone (in Shanghai, 00:30 local is still the day before in UTC)."""
    return datetime.now(business_zone()).date()


def business_day(at: datetime) -> date:
    """The business day of a moment (a naive one is taken as UTC, as the app stores them)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(business_zone()).date()


def day_start(day: date) -> datetime:
    """The first moment of a business day (for filtering stored times by dates)."""
    return datetime.combine(day, time.min, tzinfo=business_zone())
