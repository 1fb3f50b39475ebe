"""Keep materialised paths right in any code tree (categories, warehouses) on add, rename, move.

A node's ``path`` holds its ancestors' codes and its own (``/FOOD/SNACK/``); the model needs
``code``, ``path`` and a ``parent`` relationship. Regions use ``region_tree`` (same idea).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, update
from sqlalchemy.orm import Session

from app.domain.catalog import check_no_cycle, child_path


def apply_tree_path(session: Session, node: Any, old_path: str | None) -> None:
    """Set ``node.path`` from its parent and rewrite its descendants' paths if it moved or was renamed."""
    model = type(node)
    parent_path = node.parent.path if node.parent is not None else None
    if old_path:
        check_no_cycle(parent_path, old_path)
    node.path = child_path(parent_path, node.code)
    if old_path and old_path != node.path:
        session.execute(
            update(model)
            .where(model.path.startswith(old_path, autoescape=True), model.id != node.id)
            .values(path=literal(node.path).concat(func.substr(model.path, len(old_path) + 1)))
            .execution_options(synchronize_session=False)
        )
