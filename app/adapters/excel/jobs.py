"""Import jobs: run an import for an ``ImportJob`` row and keep the row up to date.

The job row is committed after every batch of the validation phase (``processed_rows``
and the ``updated_at`` heartbeat), and once more with the data and the final counts —
the data and "done" land in the same commit. A job whose heartbeat is older than the
stale limit belonged to a process that died: its uncommitted writes were rolled back by
the database, so it is shown (and stored) as failed with nothing written.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from io import BytesIO
from pathlib import Path

from sqlalchemy.orm import Session

from app.adapters.excel.reader import SheetReader
from app.adapters.excel.runner import Handler, ImportOptions, run_import
from app.adapters.excel.safety import ExcelRefused
from app.adapters.excel.spec import SheetSpec
from app.adapters.file_store import store_files
from app.engine import outbox
from app.formkit.uploads import CheckedFile
from app.models import ImportJob
from app.models.base import utcnow

log = logging.getLogger(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STOPPED = "the import stopped before it finished (the server restarted?); nothing was written"


def run_job(
    session: Session,
    job: ImportJob,
    source: Path,
    spec: SheetSpec,
    handler: Handler,
    options: ImportOptions,
    upload_dir: str | Path,
) -> ImportJob:
    """Run ``job`` on the workbook at ``source``; the job ends ``done`` or ``failed`` (committed)."""
    job.status, job.started_at, job.updated_at = "running", utcnow(), utcnow()
    session.commit()

    def progress(processed: int, estimate: int | None) -> None:
        job.processed_rows = processed
        job.total_rows = max(estimate or 0, processed)
        job.updated_at = utcnow()
        session.commit()

    try:
        with SheetReader(source, spec) as reader:
            report = run_import(reader, handler, options, progress)
    except ExcelRefused as refused:
        session.rollback()
        return _fail(session, job, refused.reason)
    except Exception as error:  # the job must end; the log keeps the traceback
        log.exception("import job %s failed", job.id)
        session.rollback()
        return _fail(session, job, f"the import failed and nothing was written ({type(error).__name__})")
    job.total_rows = job.processed_rows = report.total_rows
    job.inserted, job.updated, job.failed = report.inserted, report.updated, report.failed_rows
    job.report = report.to_json()
    job.status, job.finished_at, job.updated_at = "done", utcnow(), utcnow()
    session.commit()
    if session.info.get(outbox.PENDING):
        outbox.drain(session)  # follow-up work the written rows queued (e.g. submit imported orders)
    if report.failed_rows:
        _store_error_file(session, job, report, source, upload_dir)
    return job


def _store_error_file(session: Session, job: ImportJob, report, source: Path, upload_dir: str | Path) -> None:
    out = BytesIO()
    report.write_error_workbook(source, out)
    stem = Path(job.file_name).stem[:80] or "import"
    checked = CheckedFile(
        name=f"{stem}-errors.xlsx", extension="xlsx", content_type=XLSX, content=out.getvalue()
    )
    stored = store_files(session, upload_dir, [checked], job.created_by, job.created_by_id)[0]
    job.error_file = stored.token
    session.commit()


def _fail(session: Session, job: ImportJob, message: str) -> ImportJob:
    job.status, job.message, job.finished_at, job.updated_at = "failed", message, utcnow(), utcnow()
    job.inserted = job.updated = 0
    session.commit()
    return job


def fail_if_stale(session: Session, job: ImportJob, stale_seconds: int) -> ImportJob:
    """Mark a queued/running job failed when its heartbeat is older than ``stale_seconds``."""
    if job.status in ("queued", "running") and job.updated_at < utcnow() - timedelta(seconds=stale_seconds):
        _fail(session, job, STOPPED)
    return job


def job_json(job: ImportJob) -> dict:
    """The job as the progress endpoint returns it (without the error file's link)."""
    total = job.total_rows or 0
    percent = min(99, job.processed_rows * 100 // total) if total else 0
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "mode": job.mode,
        "all_or_nothing": job.all_or_nothing,
        "file_name": job.file_name,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "percent": 100 if job.status == "done" else percent,
        "inserted": job.inserted,
        "updated": job.updated,
        "failed": job.failed,
        "message": job.message,
        "report": job.report,
        "created_by": job.created_by,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
