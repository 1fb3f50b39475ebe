"""Dealer onboarding applications in the web layer: start one (public sign-up page or a sales rep
through the API), find one by its status token, act for its applicant.

The status token is a random secret given only to the applicant (the status link); the instance
keeps only its SHA-256 as ``business_key``, so people who can see the process data cannot act
for the applicant. The applicant acts in the role ``Applicant`` (which no user holds) with a data
scope of the application's region only, so the correction task of that instance is the only one
they can complete and only files of that region can be attached.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app, session
from sqlalchemy import select, update

from app.domain.errors import NotFound, ValidationFailed
from app.domain.scope import DataScope
from app.engine import runtime
from app.extensions import db
from app.formkit import uploads
from app.formkit.schemas import load_schema, load_uischema, validate
from app.models import HumanTask, InstanceEvent, ProcessInstance, Region, StoredFile

PROCESS_KEY = "dealer_onboarding"
FORM = "dealer_application"
CORRECTION_TASK = "application"  # its form data replace the variable ``application``
APPLICANT_ROLE = "Applicant"
SESSION_FILES = "onboarding_files"
MAX_SESSION_FILES = 20


def token_hash(token: str) -> str:
    """The business key stored for a status token."""
    return hashlib.sha256(token.encode()).hexdigest()


def application_form() -> tuple[dict[str, Any], dict[str, Any]]:
    """The application form (closed schema, UI schema), with the regions as choices."""
    schema, uischema = load_schema(FORM), load_uischema(FORM)
    regions = db.session.execute(select(Region.code, Region.name, Region.path).order_by(Region.path)).all()
    if regions:
        schema = {**schema, "properties": {**schema["properties"]}}
        schema["properties"]["region"] = {
            **schema["properties"]["region"],
            "oneOf": [{"const": code, "title": f"{name} ({code})"} for code, name, _path in regions],
        }
    return schema, uischema


def remember_files(tokens: list[str]) -> None:
    """Files this browser uploaded (an anonymous applicant may attach only these)."""
    known = [*session.get(SESSION_FILES, []), *tokens]
    session[SESSION_FILES] = known[-MAX_SESSION_FILES:]


def file_tokens(schema: dict, uischema: dict, data: Any) -> list[str]:
    """The tokens in the file fields of ``data``."""
    return [value for _path, value, _rule in uploads.file_values(schema, uischema, data) if value]


def check_own_files(schema: dict, uischema: dict, data: Any, allowed: set[str]) -> None:
    """Refuse file fields holding a token this applicant did not upload (naming each field)."""
    details = {
        "/".join(str(p) for p in path): (uploads.UNKNOWN_FILE, {})
        for path, value, _rule in uploads.file_values(schema, uischema, data)
        if value and value not in allowed
    }
    if details:
        raise uploads.refusal(details)


def _region_path(code: Any) -> str:
    path = db.session.scalar(select(Region.path).where(Region.code == str(code or "")))
    if path is None:
        raise ValidationFailed("unknown region", {"region": "unknown region"})
    return path


def _scope_files(tokens: list[str], region_path: str) -> None:
    if tokens:
        db.session.execute(
            update(StoredFile)
            .where(StoredFile.token.in_(tokens), StoredFile.dealer_id.is_(None))
            .values(region_path=region_path)
        )


@dataclass(frozen=True)
class Started:
    instance_id: int
    token: str


def start_application(
    data: dict[str, Any], allowed: set[str], entered_by: str = "", user_id: int | None = None
) -> Started:
    """Validate the application (its files must be in ``allowed``) and start the onboarding flow;
    returns the status token."""
    schema, uischema = application_form()
    validate(schema, data)
    check_own_files(schema, uischema, data, allowed)
    path = _region_path(data.get("region"))
    token = secrets.token_urlsafe(24)
    _scope_files(file_tokens(schema, uischema, data), path)
    caller = runtime.Caller(
        user_id, entered_by or "applicant", frozenset(), DataScope(region_paths=frozenset({path}))
    )
    instance = runtime.start_instance(
        db.session,
        PROCESS_KEY,
        {
            "region": data["region"],
            "business_key": token_hash(token),
            "application": data,
            "entered_by": entered_by,
        },
        caller,
    )
    return Started(instance.id, token)


def find_application(token: str) -> ProcessInstance:
    """The onboarding instance of a status token (NotFound for any other token)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        raise NotFound("no such application")
    instance = db.session.scalar(
        select(ProcessInstance).where(ProcessInstance.business_key == token_hash(token))
    )
    if instance is None or instance.version.definition.key != PROCESS_KEY:
        raise NotFound("no such application")
    return instance


def correction_task(instance: ProcessInstance) -> HumanTask | None:
    """The open 'correct and resubmit' task of the application, if it was sent back."""
    return db.session.scalar(
        select(HumanTask).where(
            HumanTask.instance_id == instance.id,
            HumanTask.element_id == CORRECTION_TASK,
            HumanTask.state.in_(("open", "claimed")),
        )
    )


def applicant(instance: ProcessInstance) -> runtime.Caller:
    """The applicant as the engine sees them: role Applicant, scope = the application's region."""
    return runtime.Caller(
        None,
        "applicant",
        frozenset({APPLICANT_ROLE}),
        DataScope(region_paths=frozenset({instance.region_path})),
    )


def resubmit(instance: ProcessInstance, task: HumanTask, data: dict[str, Any], allowed: set[str]) -> None:
    """Complete the correction task for the applicant with the corrected application."""
    schema, uischema = application_form()
    validate(schema, data)
    check_own_files(schema, uischema, data, allowed)
    _scope_files(file_tokens(schema, uischema, data), instance.region_path)
    runtime.complete_task(db.session, task.id, applicant(instance), data)


def sent_back_reason(instance: ProcessInstance, variables: dict[str, Any]) -> dict[str, Any]:
    """Why the application came back: the failed checks, or the reviewer's comment."""
    reviewed = db.session.scalar(
        select(HumanTask)
        .where(HumanTask.instance_id == instance.id, HumanTask.state == "completed")
        .order_by(HumanTask.id.desc())
    )
    if reviewed is None or reviewed.element_id == CORRECTION_TASK:
        checks = variables.get("checks") or {}
        return {"step": "checks", "problems": checks.get("problems") or []}
    decision = variables.get(reviewed.element_id) or {}
    return {"step": reviewed.name, "comment": decision.get("comment") or ""}


def outcome(instance: ProcessInstance) -> str:
    """``in_review``, ``returned``, ``approved``, ``rejected`` or the instance's own status."""
    if instance.status == "completed":
        created = db.session.scalar(
            select(InstanceEvent.id).where(
                InstanceEvent.instance_id == instance.id, InstanceEvent.element_id == "create_dealer"
            )
        )
        return "approved" if created else "rejected"
    if instance.status in ("running", "waiting"):
        return "returned" if correction_task(instance) is not None else "in_review"
    return instance.status


def created_dealer(instance: ProcessInstance) -> dict[str, Any]:
    """``{"dealer", "dealer_id", "username"}`` of an approved application (else empty)."""
    from app.engine.instance_store import workflow_of

    return dict(workflow_of(instance).data.get("created") or {})


def signup_rate_limit() -> str:
    return current_app.config.get("DMS_SIGNUP_RATE_LIMIT", "10 per minute")
