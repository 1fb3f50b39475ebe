"""The qualification alerts job: one notification per fact and recipient, none on a rerun,
optional suspension; the notifications page shows each user only what their scope covers."""

import re
from datetime import date, timedelta

import pytest
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Dealer, DealerQualification, Notification
from tests.conftest import init_world, make_app, web_login

TODAY = date(2026, 3, 1)


@pytest.fixture(scope="module")
def app(database_url):
    application = make_app(database_url, DMS_QUALIFICATION_WARN_DAYS=30)
    init_world(application)
    with application.app_context():
        dealers = {d.code: d for d in db.session.scalars(select(Dealer))}
        rep = db.session.scalar(select(User).where(User.username == "rep"))
        dealers["D-SH-1"].sales_rep_id = rep.id
        db.session.add_all(
            [
                DealerQualification(dealer=dealers["D-SH-1"], kind="food_license", number="F-1",
                                    valid_to=TODAY + timedelta(days=10)),
                DealerQualification(dealer=dealers["D-SH-2"], kind="business_license", number="B-2",
                                    valid_to=TODAY - timedelta(days=1)),
                DealerQualification(dealer=dealers["D-GD-1"], kind="business_license", number="B-3",
                                    valid_to=TODAY + timedelta(days=300)),
            ]
        )  # fmt: skip
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _notes():
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def test_expiring_and_expired_alert_once(app):
    from app.jobs.alerts import qualification_alerts

    with app.app_context():
        first = qualification_alerts(app, TODAY)
        assert (first.expiring, first.expired, first.suspended) == (1, 1, [])
        notes = _notes()
        kinds = {(n.kind, n.user_id is not None, n.role) for n in notes}
        # D-SH-1: its dealer user, its sales rep, the regional managers; D-SH-2: managers only
        assert sum(n.kind == "qualification_expiring" for n in notes) == 3
        assert sum(n.kind == "qualification_expired" for n in notes) == 1
        assert ("qualification_expired", False, "RegionalManager") in kinds
        again = qualification_alerts(app, TODAY)
        assert again.notifications == 0
        assert len(_notes()) == len(notes)
        assert db.session.scalar(select(Dealer.status).where(Dealer.code == "D-SH-2")) == "active"


def test_expired_required_licence_suspends_when_enabled(app):
    from app.jobs.alerts import qualification_alerts

    with app.app_context():
        app.config["DMS_SUSPEND_ON_EXPIRED"] = True
        try:
            result = qualification_alerts(app, TODAY)
        finally:
            app.config["DMS_SUSPEND_ON_EXPIRED"] = False
        assert result.suspended == ["D-SH-2"]
        dealer = db.session.scalar(select(Dealer).where(Dealer.code == "D-SH-2"))
        assert dealer.status == "suspended"
        audit = db.session.scalar(
            select(func.count(AuditLog.id)).where(
                AuditLog.entity == "Dealer",
                AuditLog.entity_id == str(dealer.id),
                AuditLog.actor == "scheduler",
            )
        )
        assert audit >= 1


def test_cli_runs_the_alerts(app):
    result = app.test_cli_runner().invoke(args=["dms", "alerts", "run"])
    assert result.exit_code == 0, result.output
    assert "notification(s) sent" in result.output


@pytest.mark.parametrize(
    ("user", "sees"),
    [
        ("rm_sh", {"F-1", "B-2"}),
        ("rm_east", {"F-1", "B-2"}),
        ("dealer_sh1", {"F-1"}),
        ("rep", {"F-1"}),
        ("dealer_gd1", set()),
        ("exec", set()),
    ],
)
def test_notifications_page_follows_the_scope(app, user, sees):
    client = app.test_client()
    web_login(client, user)
    page = client.get("/notifications/").get_data(as_text=True)
    # whole words only: a random token in the page (CSRF, nonce) may contain "B-2"
    shown = {n for n in ("F-1", "B-2") if re.search(rf"(?<![\w\-.]){n}(?![\w\-.])", page)}
    assert shown == sees
    home = client.get("/").get_data(as_text=True)
    assert 'data-testid="bell"' in home


def test_mark_as_read_clears_the_count(app):
    from tests.conftest import csrf_token

    client = app.test_client()
    web_login(client, "dealer_sh1")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "dms-bell-count" in page
    client.post("/notifications/read", data={"all": "1", "csrf_token": csrf_token(page)})
    page = client.get("/notifications/").get_data(as_text=True)
    assert "dms-bell-count" not in page
    # the sales rep's copy is still unread
    other = app.test_client()
    web_login(other, "rep")
    assert "dms-bell-count" in other.get("/notifications/").get_data(as_text=True)
