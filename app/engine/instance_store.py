"""Reading and writing process instances and human tasks with plain SQL statements.

The engine's use cases (``runtime.py``) load instances as plain rows and write them back with
``UPDATE … WHERE lock_version = old``: no ORM unit of work on the hot path, one statement per
change, and a concurrent change surfaces as ``StaleDataError`` (a 409 for the caller).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import bindparam, func, insert, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.engine.script_engine import engine_for
from app.engine.serializer import SERIALIZER, load_state, specs_of
from app.engine.tracking import InstanceRow, expect_one
from app.models import Dealer, HumanTask, ProcessDefinition, ProcessInstance, ProcessVersion, Region
from app.models.base import utcnow


def commit_keeping_ids(session: Session, *returned: Any) -> None:
    """Commit; the objects ``returned`` keep their primary key readable without a query
    (a key never changes; every other column loads afresh when first read, as after any commit)."""
    session.commit()
    for obj in returned:
        (ident,) = inspect(obj).identity
        set_committed_value(obj, "id", ident)


INSTANCE, TASK = ProcessInstance.__table__, HumanTask.__table__
VERSION = ProcessVersion.__table__
TIMER_BATCH = 20  # instances of a timer sweep loaded per query (their states held at once)

# Statements built once (their SQL is compiled once and cached by SQLAlchemy).
_DEFINITION = ProcessDefinition.__table__
_NEWER = VERSION.alias("newer")
ALL_LATEST = (
    select(_DEFINITION.c.key, VERSION.c.id, VERSION.c.content_hash, VERSION.c.trusted)
    .join(VERSION, VERSION.c.definition_id == _DEFINITION.c.id)
    .where(
        VERSION.c.version
        == select(func.max(_NEWER.c.version))
        .where(_NEWER.c.definition_id == _DEFINITION.c.id)
        .correlate(_DEFINITION)
        .scalar_subquery()
    )
)
_LATEST_KEY = "dms_latest_versions"


def latest_of(session: Session, key: str) -> Any | None:
    """The newest version of process ``key`` as ``(id, content_hash, trusted)``, or None. The
    newest versions of all processes are read in one query once per transaction (an order's
    submission asks for three flows' tables and starts one); ``forget_latest`` drops them when a
    version is deployed in the transaction."""
    connection = session.connection()  # begins the transaction if none is open
    transaction = connection.get_transaction()
    cached = session.info.get(_LATEST_KEY)
    if cached is None or cached[0] is not transaction:
        rows = connection.execute(ALL_LATEST).all()
        cached = (transaction, {row.key: row for row in rows})
        session.info[_LATEST_KEY] = cached
    return cached[1].get(key)


def forget_latest(session: Session) -> None:
    session.info.pop(_LATEST_KEY, None)


VERSION_SPEC = select(VERSION.c.spec).where(VERSION.c.id == bindparam("version_id"))
DEALER_SCOPE = (
    select(Region.__table__.c.path, Dealer.__table__.c.id)
    .join(Region.__table__, Dealer.__table__.c.region_id == Region.__table__.c.id)
    .where(Dealer.__table__.c.code == bindparam("code"))
)
INSERT_INSTANCE = insert(INSTANCE)
INSTANCE_COLUMNS = (
    INSTANCE.c.id,
    INSTANCE.c.version_id,
    VERSION.c.content_hash,
    VERSION.c.trusted,
    INSTANCE.c.status,
    INSTANCE.c.error,
    INSTANCE.c.state,
    INSTANCE.c.serializer_version,
    INSTANCE.c.business_key,
    INSTANCE.c.region_path,
    INSTANCE.c.dealer_id,
    INSTANCE.c.ended_at,
    INSTANCE.c.lock_version,
)
INSTANCE_AND_VERSION = INSTANCE.join(VERSION, VERSION.c.id == INSTANCE.c.version_id)
INSTANCE_ROWS = (
    select(*INSTANCE_COLUMNS)
    .select_from(INSTANCE_AND_VERSION)
    .where(INSTANCE.c.id.in_(bindparam("ids", expanding=True)))
)
TASK_FIELDS = (
    "id",
    "spiff_task_id",
    "element_id",
    "candidate_roles",
    "region_path",
    "dealer_id",
    "form",
    "state",
    "claimed_by_id",
    "lock_version",
)
TASK_AND_INSTANCE = (
    select(*(TASK.c[name].label(f"task_{name}") for name in TASK_FIELDS), *INSTANCE_COLUMNS)
    .select_from(TASK.join(INSTANCE_AND_VERSION, TASK.c.instance_id == INSTANCE.c.id))
    .where(TASK.c.id == bindparam("task_id"))
)
# UPDATEs checking the optimistic lock; the SET columns are the parameters' other keys.
UPDATE_INSTANCE = update(INSTANCE).where(
    INSTANCE.c.id == bindparam("b_id"), INSTANCE.c.lock_version == bindparam("b_lock")
)
UPDATE_TASK = update(TASK).where(TASK.c.id == bindparam("b_id"), TASK.c.lock_version == bindparam("b_lock"))


def workflow_of(instance: ProcessInstance) -> BpmnWorkflow:
    version = instance.version
    specs = specs_of(version.id, version.content_hash, lambda: version.spec)
    spec_json = version.spec if instance.serializer_version != SERIALIZER.VERSION else None
    workflow = load_state(instance.state, specs, instance.serializer_version, spec_json)
    workflow.script_engine = engine_for(version.trusted)
    return workflow


def spec_loader(session: Session, version_id: int):
    return lambda: session.connection().execute(VERSION_SPEC, {"version_id": version_id}).scalar_one()


def row_of(instance: ProcessInstance) -> InstanceRow:
    """The plain values of a loaded instance (its version loaded with it)."""
    version = instance.version
    return InstanceRow(
        id=instance.id,
        version_id=version.id,
        content_hash=version.content_hash,
        trusted=version.trusted,
        status=instance.status,
        error=instance.error,
        state=instance.state,
        serializer_version=instance.serializer_version,
        business_key=instance.business_key,
        region_path=instance.region_path,
        dealer_id=instance.dealer_id,
        ended_at=instance.ended_at,
        lock_version=instance.lock_version,
    )


def instance_rows(session: Session, ids: list[int]) -> dict[int, InstanceRow]:
    """The instances ``ids`` with their versions' hash and trust, in one query."""
    found = session.connection().execute(INSTANCE_ROWS, {"ids": ids})
    return {row.id: InstanceRow(**row._mapping) for row in found}


def load_workflow(session: Session, row: InstanceRow) -> BpmnWorkflow:
    loader = spec_loader(session, row.version_id)
    specs = specs_of(row.version_id, row.content_hash, loader)
    spec_json = loader() if row.serializer_version != SERIALIZER.VERSION else None
    workflow = load_state(row.state, specs, row.serializer_version, spec_json)
    workflow.script_engine = engine_for(row.trusted)
    return workflow


def insert_instance(connection: Connection, row: InstanceRow, new: dict[str, Any]) -> None:
    values = {
        **new,
        "version_id": row.version_id,
        "status": row.status,
        "business_key": row.business_key,
        "region_path": row.region_path,
        "dealer_id": row.dealer_id,
        "state": row.state,
        "serializer_version": row.serializer_version,
        "error": row.error,
        "ended_at": row.ended_at,
        "updated_at": utcnow(),
        "lock_version": row.lock_version,
    }
    row.id = connection.execute(INSERT_INSTANCE, values).inserted_primary_key[0]


def update_instance(connection: Connection, row: InstanceRow) -> None:
    done = connection.execute(
        UPDATE_INSTANCE,
        {
            "b_id": row.id,
            "b_lock": row.lock_version,
            "status": row.status,
            "state": row.state,
            "error": row.error,
            "serializer_version": row.serializer_version,
            "ended_at": row.ended_at,
            "updated_at": utcnow(),
            "lock_version": row.lock_version + 1,
        },
    )
    expect_one(done, f"process instance {row.id}")
    row.lock_version += 1


@dataclass(frozen=True)
class TaskRow:
    """The columns of a human task that completing it reads."""

    id: int
    spiff_task_id: str
    element_id: str
    candidate_roles: str
    region_path: str | None
    dealer_id: int | None
    form: str | None
    state: str
    claimed_by_id: int | None
    lock_version: int


def persistent(session: Session, model: type, ident: int) -> Any:
    """The session's object for row ``ident`` of ``model``: the one it holds, else one whose
    columns load when first read (no query now)."""
    held = session.identity_map.get(session.identity_key(model, ident))
    if held is not None:
        return held
    obj = model(id=ident)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
