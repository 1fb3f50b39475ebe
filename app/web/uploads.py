"""Uploads in the web layer: a task form's posted files, one file through the API, downloads.

Files are checked (formkit/uploads.py) and stored (adapters/file_store.py) before the form
is validated, so a user who fixes another field keeps the file already sent; a refused
file is reported next to its field. Only files the viewer may see are described or sent.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, jsonify, request, send_file, url_for
from flask_babel import gettext
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import NotFound as HttpNotFound
from werkzeug.exceptions import RequestEntityTooLarge

from app.adapters.file_store import path_for, store_files, visible_file
from app.domain.errors import NotFound, ValidationFailed
from app.engine import runtime
from app.engine.task_forms import task_form
from app.extensions import db
from app.formkit.fields import pointer
from app.formkit.schemas import validate
from app.formkit.uploads import FileRule, check_file, human_size, path_of, refusal, rule_at
from app.models import HumanTask, StoredFile
from app.web.api.base import pk_in_range
from app.web.caller import caller


def upload_cap() -> int:
    """The largest file anyone may upload (``DMS_UPLOAD_MAX_BYTES``)."""
    return int(current_app.config["DMS_UPLOAD_MAX_BYTES"])


def _store(checked: list, dealer_id: int | None, region_path: str | None) -> list[StoredFile]:
    who = caller()
    return store_files(
        db.session, current_app.config["DMS_UPLOAD_DIR"], checked, who.name, who.id, dealer_id, region_path
    )


def _read(storage: FileStorage, rule: FileRule) -> bytes:
    """At most one byte more than the limit: enough to tell the file is too large."""
    limit = rule.max_bytes if rule.max_bytes is not None else upload_cap()
    return storage.stream.read(limit + 1)


@dataclass
class FormUploads:
    """What a task form's file inputs brought: new tokens by input name, refusals by field path."""

    tokens: dict[str, str] = field(default_factory=dict)
    refused: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    def form(self, posted: Mapping[str, str]) -> Mapping[str, str]:
        """The posted fields with each newly stored file's token in its input's place."""
        return ChainMap(self.tokens, posted) if self.tokens else posted

    def raise_refused(self, schema: dict, data: dict) -> None:
        """Refuse the submission if a file was refused, reporting the other fields' errors too."""
        if not self.refused:
            return
        details: dict[str, tuple[str, dict[str, Any]]] = {}
        try:
            validate(schema, data)
        except ValidationFailed as failed:
            details.update(failed.details or {})
        raise refusal({**details, **self.refused})


def store_form_uploads(files: MultiDict, schema: dict, uischema: dict, task: HumanTask) -> FormUploads:
    """Check and store the files posted for ``task``'s form (scoped like the task).

    File inputs that are empty (nothing chosen) or not file fields of the form are ignored.
    """
    result, checked, names = FormUploads(), [], []
    for name in files:
        storage = files[name]
        path = path_of(name)
        rule = rule_at(schema, uischema, path, upload_cap())
        if not storage.filename or rule is None:
            continue
        try:
            checked.append(check_file(storage.filename, _read(storage, rule), rule, pointer(path)))
            names.append(name)
        except ValidationFailed as refused:
            result.refused.update(refused.details)
    if checked:
        rows = _store(checked, task.dealer_id, task.region_path)
        result.tokens = {name: row.token for name, row in zip(names, rows, strict=True)}
    return result


def store_api_upload(storage: FileStorage | None, task_id: str | None, field_name: str | None) -> StoredFile:
    """Check and store one file posted to the API: default limits, or a task form field's.

    With ``task_id`` (a task the caller may act on) the file takes the task's data scope.
    """
    rule, dealer_id, region_path = FileRule(max_bytes=upload_cap()), None, None
    if task_id:
        task = db.session.get(HumanTask, int(task_id)) if task_id.isdigit() and pk_in_range(task_id) else None
        if task is None or not runtime.may_act(task, caller()):
            raise NotFound("no such task in your inbox", {"task_id": "not found"})
        dealer_id, region_path = task.dealer_id, task.region_path
        if field_name:
            schema, uischema = task_form(db.session, task.instance.version_id, task.form)
            found = rule_at(schema, uischema, path_of(field_name), upload_cap())
            if found is None:
                raise ValidationFailed(
                    f"{field_name!r} is not a file field of the task's form", {"field": "not a file field"}
                )
            rule = found
    elif field_name:
        raise ValidationFailed("field needs task_id", {"task_id": "required with field"})
    if storage is None or not storage.filename:
        raise ValidationFailed("no file given: post it as 'file'", {"file": "required"})
    checked = check_file(storage.filename, _read(storage, rule), rule, "file")
    return _store([checked], dealer_id, region_path)[0]


def visible(token: str) -> StoredFile | None:
    """The stored file of ``token`` if the current user may see it."""
    who = caller()
    return visible_file(db.session, token, who.id, who.scope)


def describe_file(token: str) -> dict[str, Any] | None:
    """Name, download link and size of a file field's value, for the form (None if not visible)."""
    stored = visible(token)
    if stored is None:
        return None
    return {
        "name": stored.original_name,
        "url": url_for("FileView.download", token=stored.token),
        "size": human_size(stored.size),
    }


def send_stored(stored: StoredFile):
    """The file as a download: its safe name, its detected type, never sniffed or cached."""
    try:
        path = path_for(current_app.config["DMS_UPLOAD_DIR"], stored.token)
        response = send_file(
            path,
            mimetype=stored.content_type,
            as_attachment=True,
            download_name=stored.original_name,
            max_age=0,
        )
    except (FileNotFoundError, HttpNotFound):
        raise NotFound("the file's content is missing") from None
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def too_large():
    """The 413 answer for a body over ``MAX_CONTENT_LENGTH`` (JSON on the API, text on pages)."""
    limit = human_size(int(current_app.config.get("MAX_CONTENT_LENGTH") or 0))
    if request.path.startswith("/api/"):
        return jsonify(
            message=f"the request is larger than {limit}", errors={"body": f"at most {limit}"}
        ), 413
    message = gettext("The request is larger than %(limit)s. Send smaller files.", limit=limit)
    return message, 413, {"Content-Type": "text/plain; charset=utf-8"}


def _refuse_large_bodies():
    """Refuse a declared body over the limit before any view (or FAB's error wrapper) reads it."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        return too_large()
    return None


def init_uploads(app: Flask) -> None:
    """Answer bodies over ``MAX_CONTENT_LENGTH`` with a short 413 (JSON on the API)."""
    app.before_request(_refuse_large_bodies)
    app.register_error_handler(RequestEntityTooLarge, lambda error: too_large())
