"""Plain-text e-mail through the SMTP server named in the settings, if there is one.

Installations on a closed network often have none: callers keep what they would send in an
outbox table and show it in the app instead."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from datetime import UTC, datetime
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
