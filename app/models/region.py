"""Sales regions as a tree (华东 → 上海); ``path`` holds the ancestors' codes."""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Timestamps


class Region(Audited, Timestamps, Model):
    __tablename__ = "region"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id", ondelete="RESTRICT"))
    path: Mapped[str] = mapped_column(String(400), nullable=False, index=True)

    parent: Mapped[Region | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"{self.name} ({self.code})"
