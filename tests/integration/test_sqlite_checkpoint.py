"""SQLite's WAL is copied into the database file by the scheduler's job ``sqlite.checkpoint``,
not by whichever commit takes it past 1,000 pages (a 7–12 ms pause in a request or a booking);
commits still do it past ``DMS_SQLITE_AUTOCHECKPOINT`` pages. On PostgreSQL the job does nothing."""

from __future__ import annotations

import os

from sqlalchemy import text

from tests.conftest import is_postgres, make_app, new_database


def _wal_pages(path) -> int:
    wal = f"{path}-wal"
    return os.path.getsize(wal) // 4096 if os.path.exists(wal) else 0


def test_commits_leave_the_wal_to_the_job_until_the_safety_net(tmp_path):
    from app.extensions import db
    from app.jobs.maintenance import sqlite_checkpoint
    from app.jobs.scheduler import JOBS

    assert "sqlite.checkpoint" in {job_id for job_id, _, _ in JOBS}
    path = tmp_path / "wal.db"
    app = make_app(f"sqlite:///{path}", DMS_SQLITE_AUTOCHECKPOINT=3000)
    with app.app_context():
        assert db.session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 3000
        db.session.execute(text("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)"))
        db.session.commit()
        for _ in range(1500):  # one page each, one commit each: past SQLite's default of 1,000
            db.session.execute(text("INSERT INTO filler (body) VALUES (randomblob(3000))"))
            db.session.commit()
        db.session.remove()
        assert _wal_pages(path) > 1500  # no commit copied it back
        busy, pages, copied = sqlite_checkpoint(app)
        assert busy == 0 and pages > 1500 and copied == pages
        # the next writer starts the WAL over from its beginning
        db.session.execute(text("INSERT INTO filler (body) VALUES (randomblob(3000))"))
        db.session.commit()
        assert sqlite_checkpoint(app)[1] < 10
        # past the safety net a commit checkpoints by itself
        for _ in range(3100):
            db.session.execute(text("INSERT INTO filler (body) VALUES (randomblob(3000))"))
            db.session.commit()
        assert sqlite_checkpoint(app)[1] < 3000
        assert db.session.execute(text("SELECT COUNT(*) FROM filler")).scalar() == 4601
        db.session.remove()
        db.engine.dispose()


def test_nothing_to_do_on_the_configured_database(tmp_path):
    from app.extensions import db
    from app.jobs.maintenance import sqlite_checkpoint

    with new_database(tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            result = sqlite_checkpoint(app)
            if is_postgres():
                assert result is None
            else:
                assert result is not None and result[0] == 0 and result[1] == result[2]
            db.session.remove()
            db.engine.dispose()
