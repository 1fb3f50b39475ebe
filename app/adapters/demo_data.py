"""Load demo regions, dealers and users from a YAML file, upserting by code.

Regions and dealers go through the same domain rules as the UI (code format, tree
paths, dealer validation); users through ``services.users.create_user``. The Industry
templates issue replaces this with the full template machinery.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select

from app.adapters.region_tree import apply_region_path
from app.adapters.unit_of_work import SqlUnitOfWork
from app.domain.dealers import validate_dealer
from app.domain.errors import ValidationFailed
from app.models import Dealer, Region
from app.services.users import NewUser, create_user


def load_demo(uow: SqlUnitOfWork, path: Path, password: str) -> dict[str, int]:
    """Create what is missing; returns how many regions, dealers and users were created."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    session = uow.session
    created = {"regions": 0, "dealers": 0, "users": 0}
    with uow:
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
            status = row.get("status", "active")
            validate_dealer(row["code"], row["name"], status)
            session.add(Dealer(code=row["code"], name=row["name"], region=region, status=status))
            created["dealers"] += 1
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
    return created
