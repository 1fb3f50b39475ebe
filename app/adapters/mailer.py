"""E-mail of notifications through SMTP, by a scheduled job after the commit that wrote them
(never inside a request). Off unless ``DMS_SMTP_HOST`` is set.

Each run takes the notifications not yet handled from the last ``MAX_AGE`` (oldest first), finds
their recipients (``mail_recipients``), sends one plain-text message per recipient in the
recipient's language (the one remembered for the user, else the default), and marks the
notification ``mailed_at`` — also when nobody has an address. When the server cannot be reached
the run stops and the rest waits for the next run; a notification older than ``MAX_AGE`` is no
longer mailed. Delivery is at least once: a connection lost halfway through a notification's
recipients mails the first ones again on the next run.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.mail_recipients import Recipient, RecipientFinder
from app.adapters.roles_file import RoleDefinition
from app.models import Notification
from app.models.base import utcnow

log = logging.getLogger(__name__)

MAX_AGE = timedelta(hours=24)
# refusals of one message (an address, its characters), unlike a server that cannot be reached
REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPNotSupportedError, UnicodeError)
BATCH = 100
TIMEOUT = 10

TEXTS = {
    "zh": {
        "hello": "{name}，您好：",
        "open": "查看：{url}",
        "footer": "此邮件由经销商管理系统（DMS）自动发送，请勿直接回复。"
        "您可以在系统右上角的铃铛中查看全部通知。",
    },
    "en": {
        "hello": "Hello {name},",
        "open": "Open: {url}",
        "footer": "Sent automatically by the dealer management system (DMS); please do not reply. "
        "All your notifications are under the bell at the top right of the system.",
    },
}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    sender: str
    starttls: bool


@dataclass
class MailRun:
    """What one run did."""

    notifications: int = 0
    messages: int = 0
    refused: int = 0
    error: str | None = None


def settings_from(config: Mapping) -> SmtpSettings | None:
    """SMTP settings from the app config; None when ``DMS_SMTP_HOST`` is unset (mail is off)."""
    host = config.get("DMS_SMTP_HOST")
    if not host:
        return None
    return SmtpSettings(
        host=host,
        port=int(config.get("DMS_SMTP_PORT") or 25),
        user=config.get("DMS_SMTP_USER") or None,
        password=config.get("DMS_SMTP_PASSWORD") or None,
        sender=config.get("DMS_SMTP_FROM") or f"dms@{host}",
        starttls=bool(config.get("DMS_SMTP_STARTTLS")),
    )


def language(locale: str | None, default: str) -> str:
    """``zh`` or ``en`` for a stored locale (``zh_CN``, ``en`` …)."""
    chosen = (locale or default or "zh").lower()
    return "en" if chosen.startswith("en") else "zh"


def _plain_body(note: Notification) -> str | None:
    """The notification's body when it is text for people (not the JSON of its parameters)."""
    if not note.body:
        return None
    try:
        if isinstance(json.loads(note.body), (dict, list)):
            return None
    except ValueError:
        pass
    return note.body


def compose(
    note: Notification, to: Recipient, sender: str, lang: str, public_url: str | None
) -> EmailMessage:
    """One plain-text message about ``note`` to ``to`` in ``lang`` (zh/en)."""
    texts = TEXTS[lang]
    lines = [texts["hello"].format(name=to.name), "", note.title]
    body = _plain_body(note)
    if body:
        lines += ["", body]
    if note.link:
        url = (
            f"{public_url.rstrip('/')}{note.link}" if public_url and note.link.startswith("/") else note.link
        )
        lines += ["", texts["open"].format(url=url)]
    lines += ["", "--", texts["footer"]]
    message = EmailMessage()
    message["Subject"] = "[DMS] " + " ".join(note.title.split())
    message["From"] = sender
    message["To"] = formataddr((" ".join(to.name.split()), to.email))
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">") or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(lines))
    return message


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An open SMTP session (implicit TLS on port 465, STARTTLS when asked, login when a user is set)."""
    smtp: smtplib.SMTP
    if settings.port == 465:
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=TIMEOUT, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
    if settings.user:
        smtp.login(settings.user, settings.password or "")
    return smtp


def _due(session: Session, now: datetime) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.mailed_at.is_(None), Notification.created_at >= now - MAX_AGE)
            .order_by(Notification.id)
            .limit(BATCH)
        )
    )


def send_pending(
    session: Session,
    settings: SmtpSettings,
    roles: dict[str, RoleDefinition],
    default_locale: str,
    public_url: str | None = None,
) -> MailRun:
    """Mail the notifications not yet handled (commits after each one)."""
    result = MailRun()
    now = utcnow()
    finder = RecipientFinder(session, roles)
    work = []
    for note in _due(session, now):
        messages = []
        for recipient in finder.recipients(note):
            try:
                lang = language(recipient.locale, default_locale)
                messages.append(compose(note, recipient, settings.sender, lang, public_url))
            except ValueError as error:  # an address the message cannot carry (UnicodeError too)
                log.warning("mail to user %s skipped: %s", recipient.user_id, error)
                result.refused += 1
        work.append((note.id, messages))
    session.commit()  # nothing stays open while the mail server answers
    if not work:
        return result
    smtp = None
    try:
        for note_id, messages in work:
            for message in messages:
                if smtp is None:
                    smtp = connect(settings)
                try:
                    smtp.send_message(message)
                    result.messages += 1
                except REFUSED as refused:  # this message only: the others still go
                    log.warning("mail to %s refused: %s", message["To"], refused)
                    result.refused += 1
                except smtplib.SMTPDataError as refused:
                    if refused.smtp_code < 500:
                        raise  # a temporary refusal: try again next run
                    log.warning("mail to %s refused: %s", message["To"], refused)
                    result.refused += 1
            note = session.get(Notification, note_id)
            if note is not None:
                note.mailed_at = utcnow()
            session.commit()
            result.notifications += 1
    except (OSError, smtplib.SMTPException) as error:
        session.rollback()
        result.error = f"{type(error).__name__}: {error}"
        log.warning("mail: %s; the rest waits for the next run", result.error)
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    return result
