"""Uploaded files on disk and in the ``stored_file`` table.

The bytes are written under the upload folder as ``<t[:2]>/<t[2:4]>/<token>``: nothing a user
chose ever becomes part of a path. Writes are atomic (a temporary file in the same folder,
then a rename), so a reader never sees half a file. Who may see a file: its uploader, users
with unrestricted scope, and users whose data scope covers the file's dealer or region.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.scope import DataScope
from app.formkit import uploads
from app.models import StoredFile

TOKEN = re.compile(r"[0-9a-f]{32}")


def path_for(directory: str | Path, token: str) -> Path:
    """Where the bytes of ``token`` live (the token is checked to be 32 hex digits)."""
    if not TOKEN.fullmatch(token):
        raise ValueError("not a file token")
    return Path(directory) / token[:2] / token[2:4] / token


def _write_atomically(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def store_files(
    session: Session,
    directory: str | Path,
    files: Iterable[uploads.CheckedFile],
    uploaded_by: str,
    uploaded_by_id: int | None,
    dealer_id: int | None = None,
    region_path: str | None = None,
) -> list[StoredFile]:
    """Write checked files to disk and record them (one commit); the rows, in order."""
    rows, written = [], []
    try:
        for checked in files:
            token = secrets.token_hex(16)
            target = path_for(directory, token)
            _write_atomically(target, checked.content)
            written.append(target)
            row = StoredFile(
                token=token,
                original_name=checked.name,
                content_type=checked.content_type,
                extension=checked.extension,
                size=checked.size,
                sha256=checked.sha256,
                uploaded_by=uploaded_by,
                uploaded_by_id=uploaded_by_id,
                dealer_id=dealer_id,
                region_path=region_path,
            )
            session.add(row)
            rows.append(row)
        session.commit()
    except BaseException:
        session.rollback()
        for target in written:
            target.unlink(missing_ok=True)
        raise
    return rows


def may_see(stored: StoredFile, user_id: int | None, scope: DataScope) -> bool:
    """Its uploader, unrestricted users, and users whose scope covers its dealer or region."""
    if user_id is not None and stored.uploaded_by_id == user_id:
        return True
    if scope.unrestricted:
        return True
    scoped = stored.dealer_id is not None or stored.region_path is not None
    return scoped and scope.allows_dealer(stored.dealer_id, stored.region_path)


def visible_file(session: Session, token: Any, user_id: int | None, scope: DataScope) -> StoredFile | None:
    """The stored file of ``token`` if it exists and the user may see it, else None."""
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        return None
    stored = session.scalar(select(StoredFile).where(StoredFile.token == token))
    return stored if stored is not None and may_see(stored, user_id, scope) else None


def check_task_files(
    session: Session,
    schema: dict[str, Any],
    uischema: dict[str, Any],
    data: Any,
    user_id: int | None,
    scope: DataScope,
    dealer_id: int | None = None,
    region_path: str | None = None,
) -> None:
    """Every file field of the form (``schema``, ``uischema``) in ``data`` must hold the token of
    a file the user may see that fits the field; else ValidationFailed naming each field. Files
    without a scope take the task's (``dealer_id``/``region_path``), so whoever handles the
    process later may open them."""
    found = list(uploads.file_values(schema, uischema, data))
    if not found:
        return
    details: dict[str, tuple[str, dict[str, Any]]] = {}
    for path, value, rule in found:
        stored = visible_file(session, value, user_id, scope)
        refused = (
            (uploads.UNKNOWN_FILE, {})
            if stored is None
            else uploads.stored_problem(stored.extension, stored.size, rule)
        )
        if refused is not None:
            details["/".join(str(p) for p in path)] = refused
        elif stored is not None and stored.dealer_id is None and stored.region_path is None:
            stored.dealer_id, stored.region_path = dealer_id, region_path
    if details:
        raise uploads.refusal(details)
