"""Load demo regions, dealers and users from a YAML file, upserting by code.

Regions and dealers go through the same domain rules as the UI (code format, tree
paths, dealer validation); users through ``services.users.create_user``. The Industry
templates issue replaces this with the full template machinery.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.adapters.clock import business_today
from app.adapters.demo_inventory import load_inventory
from app.adapters.demo_pricing import load_price_policy
from app.adapters.region_tree import apply_region_path
from app.adapters.unit_of_work import SqlUnitOfWork
from app.domain.dealers import DealerFields, clean_dealer
from app.domain.errors import ValidationFailed
from app.models import Dealer, DealerQualification, DealerTier, Region
from app.services.users import NewUser, create_user


def load_demo(uow: SqlUnitOfWork, path: Path, password: str, extra: dict | None = None) -> dict[str, int]:
    """Create what is missing; returns how many regions, dealers and users were created.
    ``extra`` adds generated rows (``regions``, ``dealers``, ``warehouses``, ``products``,
    ``price_records``: see ``demo_history_plan``) to the file's, loaded the same way."""
    data = _merged(yaml.safe_load(path.read_text(encoding="utf-8")), extra or {})
    session = uow.session
    created = {"regions": 0, "dealers": 0, "users": 0}
    with uow:
        for row in data.get("tiers", []):
            if session.scalar(select(DealerTier).where(DealerTier.code == row["code"])) is None:
                session.add(DealerTier(**row))
        session.flush()
        for row in data.get("regions", []):
            if session.scalar(select(Region).where(Region.code == row["code"])):
                continue
            parent = None
            if row.get("parent"):
                parent = session.scalar(select(Region).where(Region.code == row["parent"]))
                if parent is None:
                    raise ValidationFailed(
                        f"{path.name}: region {row['code']}: unknown parent {row['parent']}"
                    )
            region = Region(code=row["code"], name=row["name"], name_en=row.get("name_en"), parent=parent)
            apply_region_path(session, region, None)
            session.add(region)
            session.flush()
            created["regions"] += 1
        for row in data.get("dealers", []):
            if session.scalar(select(Dealer).where(Dealer.code == row["code"])):
                continue
            region = session.scalar(select(Region).where(Region.code == row["region"]))
            if region is None:
                raise ValidationFailed(f"{path.name}: dealer {row['code']}: unknown region {row['region']}")
            session.add(_dealer(session, row, region, path))
            created["dealers"] += 1
        session.flush()
        created.update(load_inventory(session, data))
        created.update(load_price_policy(session, data))
        uow.commit()
    for row in data.get("users", []):
        if uow.users.username_taken(row["username"]):
            continue
        create_user(
            uow,
            NewUser(
                username=row["username"],
                roles=tuple(row["roles"]),
                regions=tuple(row.get("regions", ())),
                dealers=tuple(row.get("dealers", ())),
                password=password,
            ),
        )
        created["users"] += 1
    with uow:
        _assign_sales_reps(session, data.get("dealers", []))
        uow.commit()
    return created


def _merged(data: dict, extra: dict) -> dict:
    """The demo file's rows followed by the generated ones."""
    for key in ("regions", "dealers", "warehouses", "products"):
        data[key] = [*data.get(key, []), *extra.get(key, [])]
    if extra.get("price_records") and data.get("price_policy"):
        policy = data["price_policy"]
        data["price_policy"] = {**policy, "records": [*extra["price_records"], *policy.get("records", [])]}
    return data


def _dealer(session, row: dict, region: Region, path: Path) -> Dealer:
    """A new dealer from a demo row (domain-cleaned fields, tier by code, qualifications)."""
    fields = {k: row.get(k) for k in DealerFields.__dataclass_fields__ if k != "extra" and k in row}
    values = clean_dealer(DealerFields(**fields))
    tier = None
    if row.get("tier"):
        tier = session.scalar(select(DealerTier).where(DealerTier.code == row["tier"]))
        if tier is None:
            raise ValidationFailed(f"{path.name}: dealer {row['code']}: unknown tier {row['tier']}")
    dealer = Dealer(**values, region=region, tier=tier)
    for q in row.get("qualifications", []):
        days = q.get("valid_to_days")
        valid_to = business_today() + timedelta(days=days) if days is not None else q.get("valid_to")
        dealer.qualifications.append(
            DealerQualification(
                kind=q["kind"], number=str(q["number"]), valid_from=q.get("valid_from"), valid_to=valid_to
            )
        )
    return dealer


def _assign_sales_reps(session, rows: list[dict]) -> None:
    """Dealers naming a ``sales_rep`` (a user name) get that user, once the users exist."""
    for row in rows:
        if not row.get("sales_rep"):
            continue
        dealer = session.scalar(select(Dealer).where(Dealer.code == row["code"]))
        user = session.scalar(select(User).where(User.username == row["sales_rep"]))
        if dealer is not None and user is not None and dealer.sales_rep_id is None:
            dealer.sales_rep_id = user.id
