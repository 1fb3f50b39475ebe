"""Drafts saved from the BPMN modeler: one per process key, replaced on every save, removed on deploy."""

from __future__ import annotations

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Audited, UTCDateTime, utcnow


class ProcessDraft(Audited, Model):
    """The modeler's unsaved work on a process: BPMN text not yet deployed."""

    __tablename__ = "process_draft"
    __audit_exclude__ = ("bpmn",)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    bpmn: Mapped[str] = mapped_column(Text, nullable=False)
    base_version_id: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(100), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )
