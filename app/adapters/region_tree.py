"""Keep region paths right when a region is added, renamed or moved."""

from __future__ import annotations

from sqlalchemy import func, literal, update
from sqlalchemy.orm import Session

from app.domain.regions import check_no_cycle, child_path
from app.models import Region


def apply_region_path(session: Session, region: Region, old_path: str | None) -> None:
    """Set ``region.path`` from its parent and rewrite its descendants' paths if it moved."""
    parent_path = region.parent.path if region.parent is not None else None
    if old_path:
        check_no_cycle(parent_path, old_path)
    region.path = child_path(parent_path, region.code)
    if old_path and old_path != region.path:
        session.execute(
            update(Region)
            .where(Region.path.startswith(old_path), Region.id != region.id)
            .values(path=literal(region.path).concat(func.substr(Region.path, len(old_path) + 1)))
            .execution_options(synchronize_session=False)
        )
