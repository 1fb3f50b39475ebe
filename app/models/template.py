"""Template applications: which industry bundle was applied, by whom, and what it wrote."""

from __future__ import annotations

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Audited, UTCDateTime, utcnow


class TemplateApplication(Audited, Model):
    """One ``template apply``: the bundle, the choice on conflicts, the summary of changes and a
    fingerprint per object as it stood after the apply (how the next plan tells what the template
    wrote from what was changed locally since)."""

    __tablename__ = "template_application"
    __audit_exclude__ = ("fingerprints",)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    version: Mapped[str] = mapped_column(String(32), nullable=False)
    conflicts: Mapped[str | None] = mapped_column(String(10))  # keep | overwrite | None
    summary: Mapped[dict] = mapped_column(JSON, nullable=False)  # action -> count
    fingerprints: Mapped[dict] = mapped_column(JSON, nullable=False)  # object -> sha256
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    applied_by: Mapped[str] = mapped_column(String(100), nullable=False)
