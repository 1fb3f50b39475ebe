"""Files uploaded through forms (qualification scans, …); the bytes live on disk, named by token."""

from __future__ import annotations

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Audited, UTCDateTime, utcnow


class StoredFile(Audited, Model):
    """One uploaded file. ``token`` is its public reference (and its name on disk); the name
    people gave it is kept only for showing and downloading. ``dealer_id``/``region_path`` are
    the data scope it belongs to (copied from the task it was uploaded for)."""

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    original_name: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    extension: Mapped[str] = mapped_column(String(10), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by: Mapped[str] = mapped_column(String(100), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    region_path: Mapped[str | None] = mapped_column(String(400))

    def __repr__(self) -> str:
        return f"{self.original_name} ({self.token})"
