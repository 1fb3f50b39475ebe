"""Process definitions, versions, instances, human tasks, instance events, timers, message waits."""

from __future__ import annotations

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, UTCDateTime, utcnow


class ProcessDefinition(Audited, Model):
    """A process by its BPMN process id (``key``); its versions are immutable."""

    __tablename__ = "process_definition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    versions: Mapped[list[ProcessVersion]] = relationship(
        back_populates="definition", order_by="ProcessVersion.version"
    )

    def __repr__(self) -> str:
        return self.key


class ProcessVersion(Audited, Model):
    """One deployed version: its files, the parsed spec (stored once) and who deployed it."""

    __tablename__ = "process_version"
    # The same content may come back as a newer version (an edit reverted): only the newest
    # version is compared when deploying, so content is not unique per definition.
    __table_args__ = (UniqueConstraint("definition_id", "version"),)
    __audit_exclude__ = ("files", "spec", "forms")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    files: Mapped[dict] = mapped_column(JSON, nullable=False, deferred=True)
    spec: Mapped[dict] = mapped_column(JSON, nullable=False, deferred=True)
    trusted: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # The forms its user tasks use, as they were when deployed: {name: {"source", "version",
    # "hash", "schema", "uischema"}}; task pages of this version's instances render these.
    forms: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    deployed_by: Mapped[str] = mapped_column(String(100), nullable=False)

    definition: Mapped[ProcessDefinition] = relationship(back_populates="versions")

    def __repr__(self) -> str:
        return f"{self.definition.key} v{self.version}"


INSTANCE_STATUSES = ("running", "waiting", "completed", "cancelled", "suspended", "error")


class ProcessInstance(Model):
    """A running or finished instance; ``state`` is SpiffWorkflow's serializer JSON without the spec."""

    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_process_instance_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    business_key: Mapped[str | None] = mapped_column(String(100), index=True)
    region_path: Mapped[str | None] = mapped_column(String(400))
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    state: Mapped[dict] = mapped_column(JSON, nullable=False)
    serializer_version: Mapped[str] = mapped_column(String(20), nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[str] = mapped_column(String(100), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    version: Mapped[ProcessVersion] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}


TASK_STATES = ("open", "claimed", "completed", "cancelled")


class HumanTask(Model):
    """A user task waiting in someone's inbox (denormalised from the instance state)."""

    __tablename__ = "human_task"
    __table_args__ = (Index("ix_human_task_state_role", "state", "candidate_roles"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), nullable=False, index=True)
    spiff_task_id: Mapped[str] = mapped_column(String(36), nullable=False, unique=True)
    element_id: Mapped[str] = mapped_column(String(100), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    candidate_roles: Mapped[str] = mapped_column(String(200), nullable=False)
    region_path: Mapped[str | None] = mapped_column(String(400))
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    form: Mapped[str | None] = mapped_column(String(200))
    instructions: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    claimed_by_id: Mapped[int | None] = mapped_column(Integer)
    completed_by_id: Mapped[int | None] = mapped_column(Integer)
    completed_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    instance: Mapped[ProcessInstance] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}


class InstanceEvent(Model):
    """History: one row per engine step (element, who, when, data before/after)."""

    __tablename__ = "instance_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    element_id: Mapped[str | None] = mapped_column(String(100))
    element_type: Mapped[str | None] = mapped_column(String(60))
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    data_before: Mapped[dict | None] = mapped_column(JSON)
    data_after: Mapped[dict | None] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(Text)


class InstanceTimer(Model):
    """The next time an instance's timer is due; swept by the scheduler."""

    __tablename__ = "instance_timer"

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    fire_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)


class MessageWait(Model):
    """An instance waiting for a named message (correlated by the instance's business key)."""

    __tablename__ = "message_wait"

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    message: Mapped[str] = mapped_column(String(100), primary_key=True)
    business_key: Mapped[str | None] = mapped_column(String(100), index=True)
