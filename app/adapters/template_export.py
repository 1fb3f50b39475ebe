"""Export the running configuration as a template bundle (docs/templates.md): every flow's newest
version (BPMN to ``workflows/``, its decision tables and cases to ``rules/``), every form as it is
now, every KPI set, the grants of every role, and the reference data with the live price policy.
Planning the bundle on the same system gives no changes; dealers, users and transactions are not
configuration and are not exported."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters import template_config as config
from app.adapters import template_prices as prices
from app.adapters import template_reference as reference
from app.adapters.template_bundle import PLATFORM
from app.domain.errors import ValidationFailed
from app.domain.templates import FORMAT, KEY
from app.engine.definitions import latest_version
from app.formkit.store import form_snapshot
from app.models import FormVersion, KpiSetRecord, ProcessDefinition


def _dump(path: Path, data) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8")


def _rows(kind: str, rows: dict[str, dict]) -> list[dict]:
    out = []
    for code in reference.ordered(kind, rows):
        row = {"code": code}
        row.update({k: v for k, v in rows[code].items() if v is not None})
        out.append(row)
    return out


def export(session: Session, directory: Path, key: str) -> dict[str, int]:
    """Write the bundle; returns how many objects of each kind. ValidationFailed when the folder
    is not empty or the key is not a bundle key."""
    if not KEY.match(key):
        raise ValidationFailed("invalid key", {"key": "2-64 lowercase letters, digits or '_'"})
    if directory.exists() and any(directory.iterdir()):
        raise ValidationFailed(f"{directory} is not empty", {"directory": "an empty or new folder"})
    for sub in ("workflows", "forms", "rules/kpi"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    counts = {}
    _dump(
        directory / "manifest.yaml",
        {
            "format": FORMAT,
            "key": key,
            "version": "1.0.0",
            "name": {"zh": f"导出配置 {key}", "en": f"Exported configuration {key}"},
            "description": {"zh": "由 template export 导出", "en": "Written by template export"},
            "requires": {"platform": FORMAT},
        },
    )
    flows = 0
    for process_key in session.scalars(select(ProcessDefinition.key).order_by(ProcessDefinition.key)):
        latest = latest_version(session, process_key)
        if latest is None:
            continue
        for name, text in latest.files.items():
            folder = "workflows" if name.endswith(".bpmn") else "rules"
            (directory / folder / name).write_text(text, encoding="utf-8")
        flows += 1
    counts["workflows"] = flows
    names = {p.name.removesuffix(".schema.json") for p in PLATFORM["forms"].glob("*.schema.json")}
    names |= set(session.scalars(select(FormVersion.name).distinct()))
    for name in sorted(names):
        found = form_snapshot(session, name)
        if found is None:
            continue
        (directory / "forms" / f"{name}.schema.json").write_text(
            json.dumps(found["schema"], ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        (directory / "forms" / f"{name}.uischema.json").write_text(
            json.dumps(found["uischema"], ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    counts["forms"] = len(names)
    records = list(session.scalars(select(KpiSetRecord).order_by(KpiSetRecord.key)))
    for record in records:
        (directory / "rules" / "kpi" / f"{record.key}.yaml").write_text(record.yaml_text, encoding="utf-8")
    counts["kpi_sets"] = len(records)
    sm = current_app.appbuilder.sm
    roles = sorted(current_app.extensions["dms_roles"])
    (directory / "roles.yaml").write_text(config.roles_yaml(sm, roles), encoding="utf-8")
    counts["roles"] = len(roles)
    data: dict = {}
    for kind in reference.KINDS:
        rows = reference.current_rows(session, kind)
        if rows:
            data[reference.LISTS[kind]] = _rows(kind, rows)
            counts[reference.LISTS[kind]] = len(rows)
    live = prices.live_records(session)
    if live:
        data["price_policy"] = {
            "note": "exported",
            "records": [{k: v for k, v in r.items() if v not in (None, False)} for r in live.values()],
        }
        counts["price_records"] = len(live)
    _dump(directory / "reference.yaml", data)
    return counts
