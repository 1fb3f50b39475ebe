"""Excel import jobs: what was uploaded, how far the run is, and its report."""

from __future__ import annotations

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import UTCDateTime, utcnow

JOB_STATUSES = ("queued", "running", "done", "failed")


class ImportJob(Model):
    """One import run. ``updated_at`` is the heartbeat: a running job whose heartbeat is
    older than ``DMS_IMPORT_STALE_SECONDS`` belonged to a process that died and is failed.
    ``report`` is the summary (counts, the first problems); ``error_file`` the token of the
    stored error workbook (the uploaded rows plus an error column)."""

    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="queued")
    mode: Mapped[str] = mapped_column(String(10), nullable=False)
    all_or_nothing: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    file_name: Mapped[str] = mapped_column(String(200), nullable=False)
    total_rows: Mapped[int | None] = mapped_column(Integer)
    processed_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    inserted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    report: Mapped[dict | None] = mapped_column(JSON)
    error_file: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    def __repr__(self) -> str:
        return f"import {self.id} ({self.kind}, {self.status})"
