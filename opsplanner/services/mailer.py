"""Plain-text e-mail through the SMTP server named in the settings, if there is one.

Installations on a closed network often have none: callers keep what they would send in an
outbox table and show it in the app instead."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from flask import current_app
from sqlalchemy import select

from opsplanner.extensions import db

log = logging.getLogger(__name__)
MAX_SEND_ATTEMPTS = 3


def configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def send(recipients: Sequence[str], subject: str, body: str) -> None:
    cfg = current_app.config
    message = EmailMessage()
    message["From"] = cfg["SMTP_FROM"]
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=15) as smtp:
        if cfg.get("SMTP_STARTTLS"):
            smtp.starttls()
        if cfg.get("SMTP_USERNAME"):
            smtp.login(cfg["SMTP_USERNAME"], cfg.get("SMTP_PASSWORD") or "")
        smtp.send_message(message)


def deliver_outbox(model: Any, now: datetime | None = None) -> int:
    """Send the unsent rows of an outbox table (``recipients``, ``subject``, ``body``,
    ``sent_at``, ``attempts``, ``error``) when SMTP is configured; without it they stay in the
    outbox, shown in the app. A failure is kept on the row for the next run, up to
    MAX_SEND_ATTEMPTS. Returns how many were sent."""
    if not configured():
        return 0
    now = now or datetime.now(UTC)
    pending = db.session.scalars(
        select(model)
        .where(model.sent_at.is_(None), model.attempts < MAX_SEND_ATTEMPTS)
        .order_by(model.id)
    ).all()
    sent = 0
    for message in pending:
        message.attempts += 1
        try:
            send(message.recipients, message.subject, message.body)
        except Exception as exc:  # any SMTP failure: keep it for the next run
            log.warning("%s %s not sent: %s", model.__tablename__, message.id, exc)
            message.error = str(exc)[:500]
        else:
            message.sent_at = now
            message.error = ""
            sent += 1
        db.session.commit()
    return sent


# -- reminders ---------------------------------------------------------------------------------
def chosen_languages(emails: Iterable[str]) -> dict[str, str]:
    """E-mail -> the interface language its account chose, for the accounts that chose one
    (one query for a whole run of reminders)."""
    from opsplanner.models import User

    wanted = sorted(set(emails))
    if not wanted:
        return {}
    return dict(
        db.session.execute(
            select(User.email, User.locale).where(User.email.in_(wanted), User.locale.is_not(None))
        ).all()
    )


def language_of(recipients: Sequence[str], chosen: Mapping[str, str]) -> str | None:
    """The language the recipients chose (the most common among them; a tie goes to the
    earlier recipient), or None when none chose one: a reminder is written once for all its
    recipients, in their language where they agree on one. ``chosen``: chosen_languages."""
    votes = [chosen[e] for e in recipients if chosen.get(e)]
    return max(votes, key=lambda code: (votes.count(code), -votes.index(code))) if votes else None


@contextmanager
def written_in(recipients: Sequence[str], chosen: Mapping[str, str]) -> Iterator[None]:
    """Render what is inside in the recipients' language (see ``language_of``)."""
    from flask_babel import force_locale

    language = language_of(recipients, chosen)
    if language is None:
        yield
        return
    with force_locale(language):
        yield


REMINDER_LEADS = {"7d": timedelta(days=7), "2d": timedelta(days=2)}


def stage_before(deadline: datetime, now: datetime) -> str | None:
    """The reminder stage at ``now`` for ``deadline``: "overdue" once it has passed, "2d" or
    "7d" when it is at most that far away, None before that. Callers add their phase rules."""
    left = deadline - now
    if left < timedelta(0):
        return "overdue"
    for stage in ("2d", "7d"):
        if left <= REMINDER_LEADS[stage]:
            return stage
    return None


def record_once(
    reminder: Any, action: str, target_type: str, target_id: Any, **audit_kw: Any
) -> bool:
    """Add ``reminder`` to its outbox unless its unique key (respondent and stage) is taken,
    and audit it as sent by the system. True when it went in: two schedulers or a rerun
    racing for the same reminder record it once."""
    from sqlalchemy.exc import IntegrityError

    from opsplanner.services import audit

    try:
        with db.session.begin_nested():
            db.session.add(reminder)
    except IntegrityError:
        return False  # another run recorded it a moment ago
    audit.record(None, action, target_type, target_id, via="system", **audit_kw)
    return True
