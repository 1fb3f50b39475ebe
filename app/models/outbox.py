"""The engine's outbox: work to do right after a transaction commits (deliver a BPMN message,
start a flow), written in the same transaction as the change that causes it, so it is never lost
and never done for a change that rolled back. ``app/engine/outbox.py`` runs it."""

from __future__ import annotations

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import UTCDateTime, utcnow
from app.models.inventory import BIG_ID


class OutboxEntry(Model):
    __tablename__ = "outbox_entry"
    __table_args__ = (Index("ix_outbox_entry_pending", "done_at", "id"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), nullable=False)  # "message" or a registered handler
    payload: Mapped[dict] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
