"""Plan and apply an industry template bundle (docs/templates.md).

``plan`` compares every object of the bundle with the database and says what apply would do:
create, update, leave unchanged — or *conflict*, when what is stored differs from both the
platform's shipped default and what the last template apply wrote (a local change). ``apply``
writes the plan in one transaction through the same functions as the admin pages, then stores a
``TemplateApplication`` with a fingerprint per object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters import template_config as config
from app.adapters import template_prices as prices
from app.adapters import template_reference as reference
from app.adapters.template_bundle import PLATFORM, Bundle, read_bundle
from app.domain.errors import ValidationFailed
from app.domain.templates import CONFLICT_CHOICES, Change, Plan, Problem, changed_fields, decide, fingerprint
from app.formkit.schemas import form_exists
from app.models import TemplateApplication


@dataclass
class _Item:
    """One object of a plan with what apply needs: its fingerprints and how to write it."""

    change: Change
    desired: str
    write: Callable[[], Any] | None = None
    state: Callable[[], Any] = field(default=lambda: None)


class TemplateRefused(ValidationFailed):
    """Apply refused: the bundle has problems, or conflicts and no choice. Nothing was changed."""

    def __init__(self, message: str, plan: Plan) -> None:
        super().__init__(
            message, {p.file + (f" [{p.where}]" if p.where else ""): p.message for p in plan.problems}
        )
        self.plan = plan


def load(root, session: Session | None = None) -> Bundle:
    """Read and check the bundle at ``root`` with the running platform's roles and forms."""
    return read_bundle(root, known_roles=set(current_app.extensions["dms_roles"]), form_exists=form_exists)


def _recorded(session: Session) -> dict[str, str]:
    """Per object, the fingerprint the latest template apply that covered it recorded."""
    out: dict[str, str] = {}
    for application in session.scalars(select(TemplateApplication).order_by(TemplateApplication.id)):
        out.update(application.fingerprints or {})
    return out


def _platform_forms() -> dict[str, dict]:
    import json

    out = {}
    for path in sorted(PLATFORM["forms"].glob("*.schema.json")):
        name = path.name.removesuffix(".schema.json")
        ui = path.with_name(f"{name}.uischema.json")
        out[name] = {
            "schema": json.loads(path.read_text(encoding="utf-8")),
            "uischema": json.loads(ui.read_text(encoding="utf-8")) if ui.is_file() else {},
        }
    return out


def _items(
    session: Session, bundle: Bundle, actor: str, finish: list[Callable[[], Any]] | None = None
) -> tuple[list[_Item], list[Problem]]:
    """The plan's objects in apply order; ``finish`` collects what apply runs after the writes (the
    price records are published as one policy version)."""
    finish = finish if finish is not None else []
    roles = set(current_app.extensions["dms_roles"])
    recorded = _recorded(session)
    items: list[_Item] = []

    def add(
        kind: str,
        key: str,
        desired: Any,
        current: Any,
        default: Any = None,
        detail: str = "",
        write: Callable[[], Any] | None = None,
        state: Callable[[], Any] | None = None,
    ) -> None:
        change = Change(kind, key, "unchanged", detail)
        want = fingerprint(desired)
        known = {recorded[change.object]} if change.object in recorded else set()
        if default is not None:
            known.add(fingerprint(default))
        change.action = decide(want, None if current is None else fingerprint(current), known)
        if change.action == "unchanged":
            change.detail = ""
        items.append(_Item(change, want, write, state or (lambda: current)))

    # reference data first: flows and prices may name it
    rows, raw, problems = reference.bundle_rows(bundle.reference)
    problems += reference.missing_references(session, rows)
    for kind in reference.KINDS:
        stored = reference.current_rows(session, kind, set(rows[kind]))
        for code in reference.ordered(kind, rows[kind]):
            values = rows[kind][code]
            add(
                kind,
                code,
                values,
                stored.get(code),
                detail=changed_fields(values, stored.get(code)),
                write=lambda k=kind, c=code, v=values: reference.upsert(session, k, c, v),
                state=lambda k=kind, c=code: reference.current_rows(session, k, {c}).get(c),
            )
    policy = bundle.reference.get("price_policy")
    wanted, price_problems = prices.bundle_records(policy)
    problems += price_problems
    if wanted:
        problems += _price_references(session, rows, wanted)
        live = prices.live_records(session) or {}
        note = policy.get("note") if isinstance(policy, dict) else None
        batch: dict[tuple, dict] = {}
        for key, record in wanted.items():
            add(
                "price",
                prices.label(key),
                record,
                live.get(key),
                detail=changed_fields(record, live.get(key)),
                write=lambda k=key, r=record: batch.__setitem__(k, r),
                state=lambda k=key: (prices.live_records(session) or {}).get(k),
            )
        finish.append(
            lambda: batch and prices.apply_policy(session, batch, note or f"template {bundle.key}", actor)
        )

    defaults = _platform_forms()
    for name, form in sorted(bundle.forms.items()):
        desired = {"schema": form[0], "uischema": form[1]}
        add(
            "form",
            name,
            desired,
            config.form_state(session, name),
            defaults.get(name),
            detail=f"{config.form_version(session, name)} → new version",
            write=lambda n=name, f=form: config.apply_form(session, n, f, actor, roles),
            state=lambda n=name: config.form_state(session, n),
        )
    deployed = config.deployed_rules(session)
    platform_rules = {p.name: p.read_text(encoding="utf-8") for p in PLATFORM["rules"].glob("*.dmn")}
    flow_of = {
        name: key for key, files in sorted(bundle.flows.items()) for name in files if name.endswith(".dmn")
    }
    for name, key in sorted(flow_of.items()):
        text = bundle.rules[name].decode("utf-8")
        add(
            "rule",
            name,
            text,
            deployed.get(name),
            platform_rules.get(name),
            detail=f"deployed with {key}",
            state=lambda n=name: config.deployed_rules(session).get(n),
        )
    platform = read_bundle_platform_flows(bundle)
    forms = set(bundle.forms)
    for key, files in sorted(bundle.flows.items()):
        version = config.flow_version(session, key)
        add(
            "workflow",
            key,
            config.flow_desired(files),
            config.flow_state(session, key),
            platform.get(key),
            detail=f"v{version} → v{version + 1}" if version else "v1",
            write=lambda f=files: config.apply_flow(session, f, actor, roles, forms),
            state=lambda k=key: config.flow_state(session, k),
        )
    kpi_now, kpi_default = config.kpi_states(session), config.kpi_defaults()
    for key, (text, doc) in sorted(bundle.kpi_sets.items()):
        add(
            "kpi_set",
            key,
            doc,
            kpi_now.get(key),
            kpi_default.get(key),
            write=lambda k=key, t=text: config.apply_kpi_set(session, k, t, actor),
            state=lambda k=key: config.kpi_states(session).get(k),
        )
    if bundle.roles:
        sm = current_app.appbuilder.sm
        admin = current_app.config["AUTH_ROLE_ADMIN"]
        shipped = current_app.extensions["dms_roles"]
        for name, definition in sorted(bundle.roles.items()):
            add(
                "role",
                name,
                config.role_desired(sm, definition, admin),
                config.role_state(sm, name),
                config.role_desired(sm, shipped[name], admin) if name in shipped else None,
                write=lambda d=definition: config.apply_role(sm, d, admin),
                state=lambda n=name: config.role_state(sm, n),
            )
    return items, problems


def read_bundle_platform_flows(bundle: Bundle) -> dict[str, dict]:
    """Each flow as the platform ships it (its BPMN and the platform's DMN files): the default."""
    from app.engine.decision_cases import cases_filename
    from app.engine.loader import called_decisions, decision_files

    decisions = decision_files(PLATFORM["rules"])
    out = {}
    for key, name in bundle.flow_files.items():
        path = PLATFORM["workflows"] / name
        if not path.is_file():
            continue
        content = path.read_bytes()
        files = {name: content}
        for decision_id in sorted(called_decisions(content, name)):
            if decision_id in decisions:
                dmn, text = decisions[decision_id]
                files[dmn] = text
                cases = PLATFORM["rules"] / cases_filename(dmn)
                if cases.is_file():
                    files[cases.name] = cases.read_bytes()
        out[key] = config.flow_desired(files)
    return out


def _price_references(session: Session, rows: dict, wanted: dict) -> list[Problem]:
    from app.adapters.pricing_admin import CODE_FIELDS

    problems = []
    kinds = {
        "sku": "product",
        "product_line": "product_line",
        "category": "category",
        "region": "region",
        "tier": "tier",
    }
    for index, record in enumerate(wanted.values(), start=1):
        for name, (_, model) in CODE_FIELDS.items():
            code = record.get(name)
            if code is None or code in rows.get(kinds.get(name, ""), {}):
                continue
            if session.scalar(select(model.id).where(model.code == code)) is None:
                problems.append(
                    Problem(
                        "reference.yaml", f"price_policy.records[{index}]", f"{name}: unknown {name} {code}"
                    )
                )
    return problems


def plan(session: Session, bundle: Bundle, actor: str = "plan") -> Plan:
    """What applying ``bundle`` would do; nothing is written."""
    result = Plan(bundle.key, bundle.version, list(bundle.problems))
    if bundle.manifest is None:
        return result
    items, problems = _items(session, bundle, actor)
    result.problems += problems
    result.changes = [item.change for item in items]
    return result


def apply(session: Session, bundle: Bundle, actor: str, conflicts: str | None = None) -> Plan:
    """Apply ``bundle`` in one transaction (committed here). Refused with nothing changed when
    the bundle has problems, or has conflicts and ``conflicts`` is not keep/overwrite."""
    if conflicts is not None and conflicts not in CONFLICT_CHOICES:
        raise ValidationFailed("conflicts: keep or overwrite", {"conflicts": "keep or overwrite"})
    result = Plan(bundle.key, bundle.version, list(bundle.problems))
    if result.problems or bundle.manifest is None:
        raise TemplateRefused(f"the bundle {bundle.key} has {len(result.problems)} problem(s)", result)
    try:
        finish: list[Callable[[], Any]] = []
        items, problems = _items(session, bundle, actor, finish)
        result.problems += problems
        result.changes = [item.change for item in items]
        if result.problems:
            raise TemplateRefused(f"the bundle {bundle.key} has {len(result.problems)} problem(s)", result)
        if result.conflicts and conflicts is None:
            names = ", ".join(c.object for c in result.conflicts[:10])
            raise TemplateRefused(
                f"{len(result.conflicts)} object(s) were changed locally ({names}): "
                "choose --conflicts keep or --conflicts overwrite",
                result,
            )
        fingerprints = {}
        for item in items:
            action = item.change.action
            if action in ("create", "update") or (action == "conflict" and conflicts == "overwrite"):
                if item.write is not None:
                    item.write()
                if action == "conflict":
                    item.change.detail = (item.change.detail + " (overwritten)").strip()
            if action != "conflict" or conflicts == "overwrite":
                fingerprints[item.change.object] = item.desired
        for step in finish:
            step()
        session.flush()
        for item in items:  # what was stored is the bundle's object: check, never assume
            if item.change.object in fingerprints:
                now = item.state()
                fingerprints[item.change.object] = fingerprint(now) if now is not None else item.desired
        session.add(
            TemplateApplication(
                template=bundle.key,
                version=bundle.version,
                conflicts=conflicts if result.conflicts else None,
                summary=result.summary(),
                fingerprints=fingerprints,
                applied_by=actor,
            )
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result
