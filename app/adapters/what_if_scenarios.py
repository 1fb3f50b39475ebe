"""Saved what-if scenarios: save (simulated again from the request, never trusted from the
client), list, read, and compare two or more side by side. A scenario is visible to whoever may
use what-if and whose data scope covers every region it was computed over (docs/forecast.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.forecasts_query import visible_regions
from app.adapters.what_if import parse_request, run_what_if
from app.domain.errors import NotFound, ValidationFailed
from app.domain.scope import DataScope
from app.models import WhatIfScenario

MAX_COMPARE = 10


def save_scenario(session: Session, scope: DataScope, owner: str, body: dict) -> WhatIfScenario:
    """Simulate the body's request and store it under its ``name`` (flushed, not committed)."""
    name = str(body.get("name") or "").strip()
    printable = name.isprintable()
    errors = {} if 0 < len(name) <= 100 and printable else {"name": "a name of 1 to 100 printable characters"}
    try:
        req = parse_request(body)
    except ValidationFailed as error:
        errors.update(error.errors)
    if errors:
        raise ValidationFailed(
            "invalid scenario: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        )
    answer = run_what_if(session, scope, req)
    regions = visible_regions(session, scope)
    codes = answer["selection"]["regions"]
    scenario = WhatIfScenario(
        name=name,
        owner=owner,
        region_id=regions[codes[0]].id if len(codes) == 1 else None,
        selection={
            k: answer["selection"][k] for k in ("skus", "product_line", "region", "regions", "run_id")
        },
        parameters={k: v for k, v in req.as_json().items() if k in ("kind", "pct", "cut_pct", "months")},
        elasticity=answer["elasticity"],
        results=answer["results"],
        run_id=answer["selection"]["run_id"],
    )
    session.add(scenario)
    session.flush()
    return scenario


def _visible(scenario: WhatIfScenario, regions: dict) -> bool:
    return all(code in regions for code in scenario.selection.get("regions", []))


def list_scenarios(session: Session, scope: DataScope) -> list[dict[str, Any]]:
    """The scenarios in scope, newest first, with their totals."""
    regions = visible_regions(session, scope)
    found = session.scalars(select(WhatIfScenario).order_by(WhatIfScenario.id.desc()).limit(1000))
    return [scenario_json(s, full=False) for s in found if _visible(s, regions)]


def get_scenario(session: Session, scope: DataScope, scenario_id: int) -> WhatIfScenario:
    """The scenario if it is in scope; NotFound otherwise."""
    scenario = session.get(WhatIfScenario, scenario_id)
    if scenario is None or not _visible(scenario, visible_regions(session, scope)):
        raise NotFound("no such scenario in your data scope", {"id": "not found"})
    return scenario


def parse_ids(raw: str | None) -> list[int]:
    """``1,2,3`` → ids (2 to MAX_COMPARE distinct); 422 naming ``ids``."""
    parts = [p.strip() for p in (raw or "").split(",") if p.strip()]
    if not all(p.isdigit() and len(p) < 10 for p in parts):
        raise ValidationFailed("ids: scenario ids separated by commas", {"ids": "scenario ids like 1,2"})
    ids = list(dict.fromkeys(int(p) for p in parts))
    if not 2 <= len(ids) <= MAX_COMPARE:
        raise ValidationFailed("ids: choose 2 or more scenarios", {"ids": f"2 to {MAX_COMPARE} scenario ids"})
    return ids


def compare(session: Session, scope: DataScope, ids: list[int]) -> dict[str, Any]:
    """The scenarios side by side: each one's totals and months (an unknown id is a 422 on ``ids``)."""
    regions = visible_regions(session, scope)
    found = {s.id: s for s in session.scalars(select(WhatIfScenario).where(WhatIfScenario.id.in_(ids)))}
    missing = [str(i) for i in ids if i not in found or not _visible(found[i], regions)]
    if missing:
        raise ValidationFailed("ids: unknown scenario", {"ids": f"unknown scenario(s): {', '.join(missing)}"})
    return {"scenarios": [scenario_json(found[i], full=True) for i in ids]}


def scenario_json(s: WhatIfScenario, full: bool = True) -> dict[str, Any]:
    """A scenario as JSON; without ``full`` only the totals (no months, SKUs or elasticity data)."""
    results = s.results
    out = {
        "id": s.id,
        "name": s.name,
        "owner": s.owner,
        "created_at": s.created_at.isoformat() if s.created_at else None,
        "selection": s.selection,
        "parameters": s.parameters,
        "elasticity": s.elasticity
        if full
        else {k: s.elasticity.get(k) for k in ("elasticity", "is_default")},
        "without": results["without"],
        "with": results["with"],
        "difference": results["difference"],
        "volume_change_pct": results["volume_change_pct"],
    }
    if full:
        out.update(months=results["months"], skus=results["skus"], skipped=results["skipped"])
    return out
