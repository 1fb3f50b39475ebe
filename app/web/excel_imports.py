"""Excel import/export in the web layer: take the upload, start the job, answer with files.

A refused file (not .xlsx, damaged, encrypted, with macros, a zip bomb, missing columns)
is refused at once (422, no job). Otherwise a job row is created; files of up to
``DMS_IMPORT_INLINE_ROWS`` rows run inside the request, larger ones in a worker thread of
this process with its own app context and session (see docs/imports.md for why).
"""

from __future__ import annotations

import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from flask import current_app, request, send_file, url_for
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from app.adapters.excel import dealer_targets, dealers, orders, payments, price_records, products, stock_rules
from app.adapters.excel.jobs import XLSX, fail_if_stale, job_json, run_job
from app.adapters.excel.reader import SheetReader
from app.adapters.excel.runner import MODES, Handler, ImportOptions
from app.adapters.excel.safety import ExcelRefused, check_workbook
from app.adapters.excel.spec import SheetSpec
from app.adapters.excel.template import template_bytes, write_rows
from app.domain.errors import ValidationFailed
from app.domain.scope import DataScope
from app.extensions import db
from app.formkit.uploads import safe_name
from app.models import ImportJob
from app.services.actor import Actor, acting_as
from app.web.caller import caller
from app.web.scope import current_scope


@dataclass(frozen=True)
class ExcelKind:
    """What the framework needs to import and export one kind of record."""

    spec: SheetSpec
    handler: Callable[[Session, DataScope], Handler]
    export_rows: Callable[[Session, DataScope], Any]
    lists: Callable[[Session, DataScope], dict]
    file_stem: str


KINDS = {
    "dealer": ExcelKind(
        dealers.DEALER_SHEET, dealers.DealerImport, dealers.export_rows, dealers.template_lists, "dealers"
    ),
    "product": ExcelKind(
        products.PRODUCT_SHEET,
        products.ProductImport,
        products.export_rows,
        products.template_lists,
        "products",
    ),
    "stock_rule": ExcelKind(
        stock_rules.STOCK_RULE_SHEET,
        stock_rules.StockRuleImport,
        stock_rules.export_rows,
        stock_rules.template_lists,
        "stock-rules",
    ),
    "price_record": ExcelKind(
        price_records.PRICE_RECORD_SHEET,
        price_records.PriceRecordImport,
        price_records.export_rows,
        price_records.template_lists,
        "price-records",
    ),
    "order": ExcelKind(
        orders.ORDER_SHEET, orders.OrderImport, orders.export_rows, orders.template_lists, "orders"
    ),
    "payment": ExcelKind(
        payments.PAYMENT_SHEET,
        payments.PaymentImport,
        payments.export_rows,
        payments.template_lists,
        "payments",
    ),
    "dealer_target": ExcelKind(
        dealer_targets.DEALER_TARGET_SHEET,
        dealer_targets.DealerTargetImport,
        dealer_targets.export_rows,
        dealer_targets.template_lists,
        "dealer-targets",
    ),
}
BYTES_PER_ROW = 100  # a generous compressed size of one row, when a file does not say how many it has
TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def template_response(kind: str):
    """The import template of ``kind`` as a download (drop-down lists fit the caller's scope)."""
    spec = KINDS[kind]
    content = template_bytes(spec.spec, spec.lists(db.session, current_scope()))
    return send_file(
        BytesIO(content), mimetype=XLSX, as_attachment=True, download_name=f"{spec.file_stem}-template.xlsx"
    )


def export_response(kind: str):
    """Everything of ``kind`` the caller may see, in the template's columns, as a download."""
    spec = KINDS[kind]
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (send_file closes it after the response)
    write_rows(spec.spec, spec.export_rows(db.session, current_scope()), handle)
    handle.seek(0)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return send_file(
        handle, mimetype=XLSX, as_attachment=True, download_name=f"{spec.file_stem}-{stamp}.xlsx"
    )


def parse_options(form) -> ImportOptions:
    """Mode and all-or-nothing from the posted form; ValidationFailed naming the bad field."""
    mode = (form.get("mode") or "insert").strip().lower()
    flag = (form.get("all_or_nothing") or "true").strip().lower()
    errors = {}
    if mode not in MODES:
        errors["mode"] = f"one of {', '.join(MODES)}"
    if flag not in TRUE | FALSE:
        errors["all_or_nothing"] = "true or false"
    if errors:
        raise ValidationFailed("invalid import options", errors)
    config = current_app.config
    return ImportOptions(mode=mode, all_or_nothing=flag in TRUE, max_rows=int(config["DMS_IMPORT_MAX_ROWS"]))


def _imports_dir() -> Path:
    path = Path(current_app.config["DMS_UPLOAD_DIR"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _save(storage: FileStorage | None) -> tuple[Path, str]:
    """The upload written to a private file (never named by the user); refused if too large."""
    if storage is None or not storage.filename:
        raise ValidationFailed("no file given: post it as 'file'", {"file": "required"})
    limit = int(current_app.config["DMS_IMPORT_MAX_BYTES"])
    target = _imports_dir() / f"{uuid.uuid4().hex}.xlsx"
    written = 0
    with target.open("wb") as handle:
        while chunk := storage.stream.read(1024 * 1024):
            written += len(chunk)
            if written > limit:
                handle.close()
                target.unlink(missing_ok=True)
                raise ValidationFailed(
                    f"file: larger than {limit // (1024 * 1024)} MB",
                    {"file": f"larger than {limit // (1024 * 1024)} MB"},
                )
            handle.write(chunk)
    return target, safe_name(storage.filename)


def _checked(path: Path, name: str, spec: SheetSpec) -> int | None:
    """Refuse a bad workbook before any job exists; the estimated number of data rows."""
    try:
        check_workbook(path, name)
        with SheetReader(path, spec) as reader:
            return reader.estimate
    except ExcelRefused as refused:
        path.unlink(missing_ok=True)
        raise ValidationFailed(f"file: {refused.reason}", {"file": refused.reason}) from None


def submit_import(kind: str, storage: FileStorage | None, form) -> ImportJob:
    """Check the upload, create its job and run it (inline or in a worker thread)."""
    spec = KINDS[kind]
    options = parse_options(form)
    path, name = _save(storage)
    estimate = _checked(path, name, spec.spec)
    who = caller()
    job = ImportJob(
        kind=kind,
        status="queued",
        mode=options.mode,
        all_or_nothing=options.all_or_nothing,
        file_name=name,
        total_rows=estimate,
        created_by=who.name,
        created_by_id=who.id,
    )
    db.session.add(job)
    db.session.commit()
    actor = Actor(who.id, who.name, request.remote_addr)
    upload_dir = current_app.config["DMS_UPLOAD_DIR"]
    inline_rows = int(current_app.config["DMS_IMPORT_INLINE_ROWS"])
    if estimate is None:  # no dimension in the file (e.g. written in streaming mode): guess by size
        estimate_small = path.stat().st_size <= inline_rows * BYTES_PER_ROW
    else:
        estimate_small = estimate <= inline_rows
    if estimate_small:
        try:
            run_job(
                db.session, job, path, spec.spec, spec.handler(db.session, who.scope), options, upload_dir
            )
        finally:
            path.unlink(missing_ok=True)
        return job
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    worker = threading.Thread(
        target=_work,
        args=(app, job.id, path, kind, who.scope, actor, options, upload_dir),
        name=f"import-{job.id}",
        daemon=True,
    )
    worker.start()
    return job


def _work(app, job_id: int, path: Path, kind: str, scope, actor, options, upload_dir) -> None:
    """The worker thread: its own app context and session, acting as the uploader."""
    spec = KINDS[kind]
    with app.app_context(), acting_as(actor):
        try:
            job = db.session.get(ImportJob, job_id)
            if job is not None:
                run_job(
                    db.session, job, path, spec.spec, spec.handler(db.session, scope), options, upload_dir
                )
        finally:
            path.unlink(missing_ok=True)
            db.session.remove()


def visible_job(kind: str, job_id: int) -> ImportJob | None:
    """The job if it exists, is of ``kind`` and the caller started it (or sees everything)."""
    job = db.session.get(ImportJob, job_id) if 0 <= job_id < 2**63 else None
    if job is None or job.kind != kind:
        return None
    who = caller()
    if job.created_by_id != who.id and not who.scope.unrestricted:
        return None
    return fail_if_stale(db.session, job, int(current_app.config["DMS_IMPORT_STALE_SECONDS"]))


def job_payload(job: ImportJob, file_endpoint: str = "FileApi.download") -> dict:
    """The job as JSON, with the link to its error workbook when there is one."""
    body = job_json(job)
    body["error_file_url"] = url_for(file_endpoint, token=job.error_file) if job.error_file else None
    return body
