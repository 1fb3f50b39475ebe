"""Lock row for the single active scheduler on SQLite (PostgreSQL uses an advisory lock)."""

from __future__ import annotations

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import UTCDateTime


class SchedulerLock(Model):
    __tablename__ = "scheduler_lock"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120), nullable=False)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
