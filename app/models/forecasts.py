"""Demand forecasts and what-if scenarios (docs/forecast.md).

``forecast_run`` is one monthly run over every SKU × region series; ``forecast`` holds one series'
result in a run: the history it used, the months forecast, the chosen model and the backtest
errors of every model (or the "not enough history" note). ``what_if_scenario`` is a saved
simulation: the selection, the change, the elasticity used (with its interval and data) and the
projected figures; audited.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_appbuilder import Model
from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Audited, Timestamps, UTCDateTime, utcnow


class ForecastRun(Model):
    """One forecast run: when, how it ended, how many series and months ahead."""

    __tablename__ = "forecast_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="running")  # running/done/failed
    horizon: Mapped[int] = mapped_column(Integer, nullable=False)
    history_end: Mapped[date] = mapped_column(Date, nullable=False)  # first month not in the history
    series_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    ok_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    triggered_by: Mapped[str] = mapped_column(String(100), nullable=False, default="scheduler")
    error: Mapped[str | None] = mapped_column(Text)


class Forecast(Model):
    """The forecast of one SKU × region in a run (``region`` is a top-level region)."""

    __tablename__ = "forecast"
    __table_args__ = (
        UniqueConstraint("run_id", "product_id", "region_id", name="uq_forecast_run_series"),
        Index("ix_forecast_series", "product_id", "region_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_run.id", ondelete="CASCADE"), nullable=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(30), nullable=False)  # ok / not_enough_history
    model: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    detail: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    history_start: Mapped[date | None] = mapped_column(Date)
    history: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # monthly quantities
    forecast_start: Mapped[date] = mapped_column(Date, nullable=False)
    values: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    scores: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # per model: wape, mape, mae …
    origins: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # backtest training lengths
    message: Mapped[str] = mapped_column(String(300), nullable=False, default="")


class WhatIfScenario(Audited, Timestamps, Model):
    """A saved what-if simulation with everything it was computed from."""

    __tablename__ = "what_if_scenario"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    owner: Mapped[str] = mapped_column(String(100), nullable=False)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))  # None = every region
    selection: Mapped[dict] = mapped_column(JSON, nullable=False)  # skus / product_line / region
    parameters: Mapped[dict] = mapped_column(JSON, nullable=False)  # kind, pct / cut_pct, months
    elasticity: Mapped[dict] = mapped_column(JSON, nullable=False)  # value, default?, CI, data
    results: Mapped[dict] = mapped_column(JSON, nullable=False)  # totals without/with, months, per SKU
    run_id: Mapped[int | None] = mapped_column(ForeignKey("forecast_run.id", ondelete="SET NULL"))
