"""E-mail of notifications through a real SMTP server (aiosmtpd, started by the test): nothing is
sent inside the request; the mail job sends each notification to the users it concerns who have an
address, in their language, once; a role notification reaches only holders whose data scope covers
the dealer or region; an unreachable server leaves the rest for the next run; mail is off without
DMS_SMTP_HOST."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select, update

from tests.conftest import api_token
from tests.e2e.order_world import close, order_app, place_order

ADDRESSES = {
    "dealer_sh1": ("sh1@dealer.example", "en"),
    "dealer_gd1": ("gd1@dealer.example", None),
    "rm_east": ("east@factory.example", "zh_CN"),
    # rm_sh keeps the placeholder address it was created with (…@example.invalid)
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message, and the logins it accepted."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append({"to": list(envelope.rcpt_tos), "from": envelope.mail_from, "message": message})
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"mail-pass-123")

    def to(self, address: str) -> list:
        return [m["message"] for m in self.messages if address in m["to"]]


@pytest.fixture(scope="module")
def smtp():
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=inbox.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture(scope="module")
def app(database_url, smtp):
    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db
    from app.models import UserScope

    application = order_app(
        database_url,
        DMS_SMTP_HOST="127.0.0.1",
        DMS_SMTP_PORT=smtp[1],
        DMS_SMTP_FROM="DMS <dms@factory.example>",
        DMS_SMTP_USER="dms",
        DMS_SMTP_PASSWORD="mail-pass-123",
        DMS_PUBLIC_URL="https://dms.factory.example",
    )
    with application.app_context():
        for username, (email, locale) in ADDRESSES.items():
            user = db.session.scalar(select(User).where(User.username == username))
            user.email = email
            scope = db.session.scalar(select(UserScope).where(UserScope.user_id == user.id))
            scope.locale = locale
        db.session.commit()
    yield application
    close(application)


@pytest.fixture(scope="module")
def tokens(app):
    client = app.test_client()
    return {u: api_token(client, u) for u in ("dealer_sh1", "dealer_gd1")}


@pytest.fixture(autouse=True)
def nothing_waiting(app, smtp):
    """Each test starts with every earlier notification handled and an empty inbox."""
    from app.extensions import db
    from app.models import Notification

    with app.app_context():
        db.session.execute(update(Notification).values(mailed_at=datetime.now(UTC)))
        db.session.commit()
    smtp[0].messages.clear()


def run_mail_job(app):
    from app.jobs.notifications import mail_notifications

    with app.app_context():
        return mail_notifications(app)


def notify(app, **fields) -> int:
    from app.adapters.notifications import notify as add
    from app.extensions import db
    from app.models import Dealer

    with app.app_context():
        if "dealer" in fields:
            fields["dealer_id"] = db.session.scalar(
                select(Dealer.id).where(Dealer.code == fields.pop("dealer"))
            )
        note = add(db.session, kind="test", **fields)
        db.session.commit()
        return note.id


def test_confirmed_order_is_mailed_to_the_dealer_after_the_commit_in_its_language(client, tokens, app, smtp):
    inbox = smtp[0]
    order = place_order(client, tokens["dealer_sh1"], [{"sku": "W-550", "qty": 10}])
    assert order["status"] == "confirmed"
    assert inbox.messages == []  # nothing inside the request

    result = run_mail_job(app)
    assert result.error is None and result.messages >= 1
    mails = inbox.to("sh1@dealer.example")
    # one mail: the dealer's own user who ordered is told through its dealer's role only
    assert len(mails) == 1
    mail = mails[0]
    assert mail["Subject"] == f"[DMS] 订单已确认 Order confirmed: {order['number']} 上海一号经销商 ¥300.00"
    assert mail["From"] == "DMS <dms@factory.example>"
    text = mail.get_content()
    assert text.startswith("Hello dealer_sh1,")  # dealer_sh1 chose English
    assert f"Open: https://dms.factory.example/orders/{order['id']}" in text
    assert "please do not reply" in text
    assert inbox.to("gd1@dealer.example") == []  # another dealer's users hear nothing
    assert inbox.logins == [("dms", "mail-pass-123")] * len(inbox.logins) and inbox.logins

    before = len(inbox.messages)
    assert run_mail_job(app).messages == 0  # each notification is mailed once
    assert len(inbox.messages) == before


def test_reviewers_in_the_dealers_region_with_an_address_are_mailed(client, tokens, app, smtp):
    inbox = smtp[0]
    order = place_order(client, tokens["dealer_sh1"], [{"sku": "W-550", "qty": 400}])  # 12,000: review
    assert order["status"] == "in_review"
    run_mail_job(app)
    [mail] = [m for m in inbox.to("east@factory.example") if order["number"] in m["Subject"]]
    assert "订单待审批 Order to approve" in mail["Subject"]
    text = mail.get_content()
    assert text.splitlines()[0] == "rm_east，您好："  # Chinese for rm_east
    assert "查看：https://dms.factory.example/inbox/" in text
    assert "请勿直接回复" in text
    recipients = {r for m in inbox.messages for r in m["to"]}
    assert not any(r.endswith(".invalid") for r in recipients)  # rm_sh has no real address
    assert "gd1@dealer.example" not in recipients


def test_role_notifications_follow_the_data_scope(app, smtp):
    inbox = smtp[0]
    notify(app, title="广东经销商通知 For Guangdong dealers", role="Dealer", dealer="D-GD-1")
    notify(app, title="华南区域通知 For South China", role="RegionalManager", region_path="/SOUTH/")
    notify(app, title="华东区域通知 For East China", role="RegionalManager", region_path="/EAST/SH/")
    notify(app, title="全体经销商 To every dealer user", role="Dealer")
    result = run_mail_job(app)
    assert result.notifications == 4
    subjects = {address: sorted(m["Subject"] for m in inbox.to(address)) for address, _ in ADDRESSES.values()}
    assert subjects == {
        "gd1@dealer.example": [
            "[DMS] 全体经销商 To every dealer user",
            "[DMS] 广东经销商通知 For Guangdong dealers",
        ],
        "sh1@dealer.example": ["[DMS] 全体经销商 To every dealer user"],
        "east@factory.example": ["[DMS] 华东区域通知 For East China"],
    }


def test_unreachable_server_leaves_the_notification_for_the_next_run(app, smtp):
    from app.extensions import db
    from app.models import Notification

    note_id = notify(
        app, title="稍后发送 Sent later", user_id=user_id(app, "dealer_gd1"), link="/notifications/"
    )
    port = app.config["DMS_SMTP_PORT"]
    app.config["DMS_SMTP_PORT"] = free_port()  # nothing listens there
    try:
        result = run_mail_job(app)
    finally:
        app.config["DMS_SMTP_PORT"] = port
    assert result.error and result.notifications == 0
    with app.app_context():
        assert db.session.get(Notification, note_id).mailed_at is None
    result = run_mail_job(app)
    assert result.error is None and result.notifications == 1
    [mail] = smtp[0].to("gd1@dealer.example")
    assert mail["Subject"] == "[DMS] 稍后发送 Sent later"
    assert mail.get_content().startswith("dealer_gd1，您好：")  # no language chosen: the default (Chinese)
    with app.app_context():
        assert db.session.get(Notification, note_id).mailed_at is not None


def test_old_notifications_and_mail_switched_off(app, smtp):
    from app.extensions import db
    from app.models import Notification

    old = notify(app, title="很久以前 Long ago", user_id=user_id(app, "dealer_gd1"))
    with app.app_context():
        db.session.execute(
            update(Notification)
            .where(Notification.id == old)
            .values(created_at=datetime.now(UTC) - timedelta(hours=25))
        )
        db.session.commit()
    assert run_mail_job(app).messages == 0
    assert smtp[0].messages == []

    fresh = notify(app, title="关闭邮件 Mail off", user_id=user_id(app, "dealer_gd1"))
    host = app.config["DMS_SMTP_HOST"]
    app.config["DMS_SMTP_HOST"] = ""
    try:
        assert run_mail_job(app) is None
    finally:
        app.config["DMS_SMTP_HOST"] = host
    with app.app_context():
        assert db.session.get(Notification, fresh).mailed_at is None  # waits until mail is on
    assert smtp[0].messages == []


def user_id(app, username: str) -> int:
    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def test_an_address_the_server_refuses_does_not_hold_up_the_others(app, smtp):
    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "dealer_gd1"))
        user.email = "经销商@dealer.example"  # the test server offers no SMTPUTF8
        db.session.commit()
    try:
        notify(app, title="全体经销商 To every dealer user", role="Dealer")
        result = run_mail_job(app)
        assert result.error is None and result.notifications == 1 and result.refused == 1
        assert [m["Subject"] for m in smtp[0].to("sh1@dealer.example")] == [
            "[DMS] 全体经销商 To every dealer user"
        ]
        assert run_mail_job(app).notifications == 0  # handled: not tried again
    finally:
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == "dealer_gd1"))
            user.email = ADDRESSES["dealer_gd1"][0]
            db.session.commit()
